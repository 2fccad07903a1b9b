//! Every protocol-level failure, and the one place that decides which status
//! code each earns and whether the connection survives it.

use std::fmt;

use super::chunked::ChunkError;
use super::request::HeadError;

/// A failure of the HTTP layer: bad request bytes, or a client too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    Head(HeadError),
    Chunked(ChunkError),
    /// The header section did not complete within the header timeout.
    HeaderTimeout,
    /// The body stopped arriving for longer than the body timeout.
    BodyTimeout,
}

impl From<HeadError> for HttpError {
    fn from(e: HeadError) -> Self {
        HttpError::Head(e)
    }
}

impl From<ChunkError> for HttpError {
    fn from(e: ChunkError) -> Self {
        HttpError::Chunked(e)
    }
}

impl HttpError {
    /// The status code of the error response. Every protocol error closes
    /// the connection after it: once framing is in doubt, no later byte on it
    /// can be trusted to start a request.
    pub fn status(&self) -> u16 {
        use ChunkError as C;
        use HeadError as H;
        match self {
            HttpError::Head(h) => match h {
                H::RequestLineTooLong => 414,
                H::HeaderSectionTooLarge | H::TooManyFields => 431,
                H::UnsupportedVersion => 505,
                H::UnsupportedTransferCoding => 501,
                H::BodyTooLarge => 413,
                H::UnsupportedExpectation => 417,
                H::HttpsWithoutTls => 421,
                H::TooManyEmptyLines
                | H::InvalidMethod
                | H::InvalidTarget
                | H::TargetFormNotAllowed
                | H::InvalidVersion
                | H::BareCr
                | H::Nul
                | H::ObsFold
                | H::EmptyFieldName
                | H::SpaceBeforeColon
                | H::InvalidFieldName
                | H::MissingColon
                | H::InvalidFieldValue
                | H::MissingHost
                | H::DuplicateHost
                | H::InvalidHost
                | H::InvalidHostPort
                | H::InvalidContentLength
                | H::ConflictingContentLength
                | H::ContentLengthWithTransferEncoding
                | H::InvalidTransferEncoding
                | H::ChunkedNotFinal
                | H::TransferEncodingInHttp10 => 400,
            },
            HttpError::Chunked(c) => match c {
                C::BodyTooLarge => 413,
                C::TrailerTooLarge => 431,
                C::InvalidChunkSize
                | C::ChunkLineTooLong
                | C::InvalidChunkExtension
                | C::BareCr
                | C::BareLf
                | C::MissingChunkDataEnd
                | C::InvalidTrailer => 400,
            },
            HttpError::HeaderTimeout | HttpError::BodyTimeout => 408,
        }
    }

    /// A short message for the JSON error body. It names the failure but
    /// never echoes request bytes.
    pub fn message(&self) -> &'static str {
        use ChunkError as C;
        use HeadError as H;
        match self {
            HttpError::Head(h) => match h {
                H::TooManyEmptyLines => "too many empty lines before the request line",
                H::RequestLineTooLong => "request line too long",
                H::InvalidMethod => "invalid method",
                H::InvalidTarget => "invalid request target",
                H::TargetFormNotAllowed => "request-target form not allowed for this method",
                H::HttpsWithoutTls => "https target on a connection without TLS",
                H::InvalidVersion => "malformed HTTP version",
                H::UnsupportedVersion => "HTTP version not supported",
                H::BareCr => "bare CR in request head",
                H::Nul => "NUL byte in request head",
                H::ObsFold => "obsolete line folding or leading whitespace in a field line",
                H::EmptyFieldName => "empty field name",
                H::SpaceBeforeColon => "whitespace between field name and colon",
                H::InvalidFieldName => "invalid field name",
                H::MissingColon => "field line without a colon",
                H::InvalidFieldValue => "control character in a field value",
                H::HeaderSectionTooLarge => "header section too large",
                H::TooManyFields => "too many header fields",
                H::MissingHost => "HTTP/1.1 request without Host",
                H::DuplicateHost => "more than one Host field",
                H::InvalidHost => "invalid Host",
                H::InvalidHostPort => "invalid port in Host",
                H::InvalidContentLength => "invalid Content-Length",
                H::ConflictingContentLength => "conflicting Content-Length values",
                H::ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
                H::InvalidTransferEncoding => "invalid Transfer-Encoding",
                H::ChunkedNotFinal => "chunked must be the final transfer coding, once",
                H::TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
                H::UnsupportedTransferCoding => "transfer coding not implemented",
                H::BodyTooLarge => "request body too large",
                H::UnsupportedExpectation => "only 100-continue is supported in Expect",
            },
            HttpError::Chunked(c) => match c {
                C::InvalidChunkSize => "invalid chunk size",
                C::ChunkLineTooLong => "chunk size line too long",
                C::InvalidChunkExtension => "invalid chunk extension",
                C::BareCr => "bare CR in chunked body",
                C::BareLf => "chunked framing line not ended by CRLF",
                C::MissingChunkDataEnd => "chunk data not followed by a line end",
                C::InvalidTrailer => "invalid trailer field",
                C::TrailerTooLarge => "trailer section too large",
                C::BodyTooLarge => "request body too large",
            },
            HttpError::HeaderTimeout => "request header timeout",
            HttpError::BodyTimeout => "request body timeout",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;
    use ChunkError as C;
    use HeadError as H;

    /// The statuses RFC 9110 and 9112 name for these failures, one line a
    /// case (the match above is exhaustive, so every variant has one).
    #[test]
    fn statuses() {
        #[rustfmt::skip]
        let cases: &[(HttpError, u16)] = &[
            (H::RequestLineTooLong.into(), 414),           // RFC 9112 §3
            (H::MissingHost.into(), 400),                  // RFC 9112 §3.2
            (H::DuplicateHost.into(), 400),
            (H::InvalidHost.into(), 400),
            (H::InvalidHostPort.into(), 400),
            (H::TargetFormNotAllowed.into(), 400),
            (H::HttpsWithoutTls.into(), 421),              // RFC 9110 §7.4, §15.5.20
            (H::SpaceBeforeColon.into(), 400),             // RFC 9112 §5.1
            (H::ObsFold.into(), 400),                      // RFC 9112 §5.2
            (H::HeaderSectionTooLarge.into(), 431),        // RFC 9110 §5.4
            (H::TooManyFields.into(), 431),
            (H::ChunkedNotFinal.into(), 400),              // RFC 9112 §6.3
            (H::InvalidContentLength.into(), 400),
            (H::ConflictingContentLength.into(), 400),
            (H::ContentLengthWithTransferEncoding.into(), 400),
            (H::TransferEncodingInHttp10.into(), 400),     // RFC 9112 §6.1
            (H::UnsupportedTransferCoding.into(), 501),
            (H::UnsupportedVersion.into(), 505),
            (H::BodyTooLarge.into(), 413),
            (H::UnsupportedExpectation.into(), 417),
            (C::BareLf.into(), 400),
            (C::BareCr.into(), 400),
            (C::MissingChunkDataEnd.into(), 400),
            (C::TrailerTooLarge.into(), 431),
            (C::BodyTooLarge.into(), 413),
            (HttpError::HeaderTimeout, 408),
            (HttpError::BodyTimeout, 408),
        ];
        for (e, status) in cases {
            assert_eq!(e.status(), *status, "{e:?}");
            assert!(!e.message().is_empty());
        }
    }
}
