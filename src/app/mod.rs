//! The routes: plain functions from a request to a response over the
//! application state. Nothing here sees a socket or a raw byte buffer.

use crate::http::{Method, Request, Response};
use crate::server::Handler;

/// The application: state shared by every request.
pub struct App {}

impl App {
    pub fn new() -> App {
        App {}
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

/// The methods this server implements on some path; any other well-formed
/// method gets 501.
const IMPLEMENTED: &[Method] = &[Method::Get, Method::Head, Method::Post];

/// Known paths and the methods each allows (HEAD wherever GET is).
const ROUTES: &[(&str, &[Method], &str)] =
    &[("/healthz", &[Method::Get, Method::Head], "GET, HEAD")];

impl Handler for App {
    fn handle(&self, req: &Request) -> Response {
        #[cfg(feature = "fault-injection")]
        if let Some(r) = fault_injection(req) {
            return r;
        }
        let method = req.head.method();
        if !IMPLEMENTED.contains(&method) {
            return error(501, "method not implemented");
        }
        let path = req.head.path();
        let Some((_, methods, allow)) = ROUTES.iter().find(|(p, _, _)| *p == path) else {
            return error(404, "not found");
        };
        if !methods.contains(&method) {
            return error(405, "method not allowed").with_header("Allow", *allow);
        }
        match path {
            "/healthz" => Response::text(200, "ok"),
            _ => error(404, "not found"),
        }
    }
}

fn error(status: u16, message: &str) -> Response {
    Response::json(status, crate::json::error_body(message))
}

/// Test-only routes, compiled in only with the `fault-injection` feature:
/// `GET /__panic` panics inside the handler; `GET /__sleep` holds its worker
/// for 300 ms (a request in flight, for shutdown and overload tests).
#[cfg(feature = "fault-injection")]
fn fault_injection(req: &Request) -> Option<Response> {
    match req.head.path() {
        "/__panic" => panic!("fault injection: /__panic"),
        "/__sleep" => {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Some(Response::text(200, "slept"))
        }
        _ => None,
    }
}
