//! Why a JSON body was refused.

use std::fmt;

use crate::limits::{MAX_BODY_FIELDS, MAX_JSON_DEPTH};

/// Most characters of a field name that an error message repeats; longer
/// names are cut and end in `...`, so a huge key cannot inflate the error body.
pub const FIELD_NAME_SHOWN: usize = 64;

/// Why [`parse_string_object`](super::parse_string_object) refused a body.
///
/// Positions are byte offsets into the body. Every variant earns a 400; the
/// [`Display`](fmt::Display) text is short and meant for `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// The body is not UTF-8; `position` is the first byte that is not.
    InvalidUtf8 { position: usize },
    /// The body is empty or only whitespace.
    Empty,
    /// The body does not start with `{` (an array, a string, a number, a
    /// byte order mark, anything else).
    NotAnObject { position: usize },
    /// A character the grammar does not allow where it stands (a NUL byte
    /// outside a string lands here).
    Unexpected {
        position: usize,
        found: char,
        expected: &'static str,
    },
    /// The body ends inside the object.
    UnexpectedEnd { expected: &'static str },
    /// A backslash not followed by one of `" \ / b f n r t` or by `u` and
    /// four hex digits.
    BadEscape { position: usize },
    /// A `\u` escape of a UTF-16 surrogate that is not half of a high-low pair.
    LoneSurrogate { position: usize },
    /// A character U+0000..U+001F written unescaped inside a string.
    ControlCharacter { position: usize },
    /// A number that does not follow the RFC 8259 grammar (`-01`, `1.`, `2e`).
    BadNumber { position: usize },
    /// Something other than whitespace after the object.
    TrailingBytes { position: usize },
    /// More than [`MAX_BODY_FIELDS`] members in the object.
    TooManyFields,
    /// Arrays or objects nested deeper than [`MAX_JSON_DEPTH`] (the body's
    /// object counts as the first level).
    TooDeep { position: usize },
    /// A member whose value is a number, `true`, `false`, `null`, an array or
    /// an object.
    FieldNotString { field: String },
    /// A key given twice (compared after unescaping).
    DuplicateKey { field: String },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid JSON: ")?;
        match self {
            JsonError::InvalidUtf8 { position } => write!(f, "not UTF-8 (byte {position})"),
            JsonError::Empty => f.write_str("empty body"),
            JsonError::NotAnObject { .. } => f.write_str("the body must be an object"),
            JsonError::Unexpected {
                position,
                found,
                expected,
            } => write!(
                f,
                "unexpected {found:?} at byte {position}, expected {expected}"
            ),
            JsonError::UnexpectedEnd { expected } => {
                write!(f, "body ends early, expected {expected}")
            }
            JsonError::BadEscape { position } => write!(f, "bad escape at byte {position}"),
            JsonError::LoneSurrogate { position } => {
                write!(f, "unpaired surrogate escape at byte {position}")
            }
            JsonError::ControlCharacter { position } => {
                write!(f, "unescaped control character at byte {position}")
            }
            JsonError::BadNumber { position } => write!(f, "malformed number at byte {position}"),
            JsonError::TrailingBytes { position } => {
                write!(f, "unexpected data after the object at byte {position}")
            }
            JsonError::TooManyFields => write!(f, "more than {MAX_BODY_FIELDS} fields"),
            JsonError::TooDeep { .. } => write!(f, "nested deeper than {MAX_JSON_DEPTH} levels"),
            JsonError::FieldNotString { field } => {
                write!(f, "field \"{}\" must be a string", Shown(field))
            }
            JsonError::DuplicateKey { field } => {
                write!(f, "field \"{}\" given more than once", Shown(field))
            }
        }
    }
}

impl std::error::Error for JsonError {}

/// A field name as an error message shows it: at most [`FIELD_NAME_SHOWN`]
/// characters.
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(FIELD_NAME_SHOWN) {
            Some((cut, _)) => write!(f, "{}...", self.0.get(..cut).unwrap_or_default()),
            None => f.write_str(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let field = |s: &str| s.to_string();
        #[rustfmt::skip]
        let cases: &[(JsonError, &str)] = &[
            (JsonError::FieldNotString { field: field("text") }, r#"invalid JSON: field "text" must be a string"#),
            (JsonError::DuplicateKey { field: field("a") }, r#"invalid JSON: field "a" given more than once"#),
            (JsonError::Empty, "invalid JSON: empty body"),
            (JsonError::TooManyFields, "invalid JSON: more than 64 fields"),
            (JsonError::TooDeep { position: 40 }, "invalid JSON: nested deeper than 32 levels"),
            (JsonError::Unexpected { position: 3, found: '\0', expected: "a key" }, r"invalid JSON: unexpected '\0' at byte 3, expected a key"),
            (JsonError::FieldNotString { field: "é".repeat(70) }, &format!("invalid JSON: field \"{}...\" must be a string", "é".repeat(64))),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), *message);
        }
    }
}
