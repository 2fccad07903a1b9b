//! The responses the server itself makes, not the application.

use crate::http::{HttpError, Response};
use crate::json::error_body;
use crate::limits::RETRY_AFTER_SECS;

/// 503 with `Retry-After`, and close: no worker can take the request soon
/// enough, or the connection limit is reached.
pub fn overloaded() -> Response {
    Response::json(503, error_body("server overloaded, retry later"))
        .with_header("Retry-After", RETRY_AFTER_SECS.to_string())
        .with_close()
}

/// 500: the handler panicked.
pub fn internal_error() -> Response {
    Response::json(500, error_body("internal server error"))
}

/// The answer to a protocol error; the connection closes after it.
pub fn protocol_error(e: HttpError) -> Response {
    Response::json(e.status(), error_body(e.message())).with_close()
}
