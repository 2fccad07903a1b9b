//! Status codes the server sends and their reason phrases (RFC 9110 §15).

/// The reason phrase of `code`; an empty string for codes the server never
/// sends (the phrase is optional on the wire).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        303 => "See Other",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Whether a response with this status carries no body by definition
/// (RFC 9110 §6.4.1): 1xx, 204 and 304.
pub fn is_bodyless(code: u16) -> bool {
    (100..200).contains(&code) || code == 204 || code == 304
}
