//! Request bodies of the routes: the media type picks the codec
//! (`application/json` or `application/x-www-form-urlencoded`), and fields
//! are read by name.

use crate::form::{parse_urlencoded, single_field};
use crate::http::Request;
use crate::json::parse_string_object;

/// Why a body cannot be used; each maps to a status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// 415
    UnsupportedMediaType,
    /// 400, with the message.
    Invalid(String),
}

/// The fields of a route's body.
#[derive(Debug)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// A required field given once.
    pub fn required(&self, name: &str) -> Result<&str, BodyError> {
        match single_field(&self.0, name) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(BodyError::Invalid(format!("missing field \"{name}\""))),
            Err(dup) => Err(BodyError::Invalid(dup.to_string())),
        }
    }

    /// A field that may be absent.
    pub fn optional(&self, name: &str) -> Result<Option<&str>, BodyError> {
        single_field(&self.0, name).map_err(|dup| BodyError::Invalid(dup.to_string()))
    }
}

/// Decodes the body by its `Content-Type`.
/// Like [`fields`], but an empty body (curl's `-X POST`) is no fields at
/// all rather than a 415 or a 400, whatever its `Content-Type`.
pub fn fields_or_none(req: &Request) -> Result<Fields, BodyError> {
    if req.body.is_empty() {
        return Ok(Fields(Vec::new()));
    }
    fields(req)
}

pub fn fields(req: &Request) -> Result<Fields, BodyError> {
    let media = req.head.header("content-type").map(parse_media_type);
    match media {
        Some(Some(MediaType::Json)) => parse_string_object(&req.body)
            .map(Fields)
            .map_err(|e| BodyError::Invalid(e.to_string())),
        Some(Some(MediaType::Form)) => parse_urlencoded(&req.body)
            .map(Fields)
            .map_err(|e| BodyError::Invalid(format!("invalid form body: {e}"))),
        _ => Err(BodyError::UnsupportedMediaType),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    Json,
    Form,
}

/// `type/subtype *(; param)`, case-insensitive; a `charset` other than
/// UTF-8 is refused (we decode UTF-8 only).
fn parse_media_type(value: &[u8]) -> Option<MediaType> {
    let value = std::str::from_utf8(value).ok()?;
    let mut parts = value.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    for param in parts {
        let (name, v) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches('"');
            if !v.eq_ignore_ascii_case("utf-8") && !v.eq_ignore_ascii_case("utf8") {
                return None;
            }
        }
    }
    match essence.as_str() {
        "application/json" => Some(MediaType::Json),
        "application/x-www-form-urlencoded" => Some(MediaType::Form),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let cases: &[(&str, Option<MediaType>)] = &[
            ("application/json", Some(MediaType::Json)),
            ("Application/JSON; charset=UTF-8", Some(MediaType::Json)),
            ("application/x-www-form-urlencoded", Some(MediaType::Form)),
            (
                "application/x-www-form-urlencoded;charset=\"utf-8\"",
                Some(MediaType::Form),
            ),
            ("application/json; charset=latin1", None),
            ("text/plain", None),
            ("multipart/form-data; boundary=x", None),
            ("application/jsonx", None),
            ("", None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_media_type(v.as_bytes()), *want, "{v:?}");
        }
    }
}
