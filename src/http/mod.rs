//! Pure, I/O-free HTTP/1.1 (RFC 9110, RFC 9112): nothing in here sees a
//! socket, so every function can be tested and fuzzed on byte slices.
//!
//! - [`request`]: the request head parser ([`parse_request_head`]).
//! - [`chunked`]: the incremental chunked-body decoder.
//! - [`decoder`]: a connection's byte stream into successive requests.
//! - [`response`]: the response value and its encoder.
//! - [`error`]: every protocol error and the one mapping to status codes.
//! - [`media`]: `Accept` negotiation (JSON or HTML); [`conditional`]:
//!   `If-None-Match`.
//! - [`date`], [`cookie`], [`status`], and the byte classes in `syntax`.

pub mod chunked;
pub mod conditional;
pub mod cookie;
pub mod date;
pub mod decoder;
pub mod error;
pub mod media;
pub mod request;
pub mod response;
pub mod status;
mod syntax;

pub use chunked::{ChunkError, ChunkedDecoder};
pub use decoder::{Decoded, Phase, Request, RequestDecoder};
pub use error::HttpError;
pub use request::{
    parse_request_head, BodyFraming, HeadError, Method, Parsed, RequestHead, Version,
};
pub use response::{Response, ResponseFraming, CONTINUE};
