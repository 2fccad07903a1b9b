//! JSON codec: reads one object of string fields (bodies) or of scalar
//! members (token headers and claims), writes response bodies.
//!
//! In the spirit of miniserde it does only what the routes need and refuses
//! the rest. The reader, [`parse_string_object`], accepts exactly one
//! RFC 8259 object whose values are all strings and names every refusal in a
//! [`JsonError`]; it never recurses, and it gives up on nesting deeper than
//! [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH), so no input can exhaust
//! the stack. The writers, [`escape_into`], [`ObjectWriter`], [`ArrayWriter`]
//! and [`error_body`], build response bodies straight into a `String`.
//!
//! [`parse_object`] reads one object whose member values may be of any
//! kind, for the header and claims of a JSON Web Token: strings and `i64`
//! integers in full, the other kinds by name only ([`Value`]), repeated
//! keys refused.
//!
//! Deliberately absent: a tree of JSON values, floating point, a serializer
//! trait, and any leniency (comments, trailing commas, single quotes, a byte
//! order mark).
//!
//! ```
//! use stateful::json::{parse_string_object, ObjectWriter};
//! let fields = parse_string_object(br#"{"username": "ada", "password": "s3cret!!"}"#).unwrap();
//! assert_eq!(fields[0], ("username".to_string(), "ada".to_string()));
//! let mut body = ObjectWriter::new();
//! body.string("username", &fields[0].1);
//! assert_eq!(body.finish(), r#"{"username":"ada"}"#);
//! ```
//!
//! The reader refuses a repeated key itself, so
//! [`single_field`](crate::form::single_field) never fails on its output;
//! callers can still use it for both body types alike.

mod error;
mod read;
mod write;

pub use error::{JsonError, FIELD_NAME_SHOWN};
pub use read::{parse_object, parse_string_object, Member, Value};
pub use write::{error_body, escape_into, ArrayWriter, ObjectWriter};
