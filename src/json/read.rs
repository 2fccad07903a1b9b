//! The reader: one object of string fields, read without recursion and
//! within the body limits.

use std::borrow::Cow;

use super::JsonError;
use crate::limits::{MAX_BODY_FIELDS, MAX_JSON_DEPTH};

/// Reads a body that is exactly one JSON object with string values into its
/// `(key, value)` pairs, in body order, escapes decoded.
///
/// Whitespace around the object is allowed; `\u0000` decodes to a NUL (the
/// caller validates content). Refuses, with the [`JsonError`] that names it:
/// a body that is not UTF-8, empty, or not an object; any syntax error
/// (including a NUL byte outside a string); a bad escape or an unpaired
/// surrogate; an unescaped control character in a string; data after the
/// object; more than [`MAX_BODY_FIELDS`] members; nesting deeper than
/// [`MAX_JSON_DEPTH`]; and, once the body is known to be well-formed, the
/// first member whose value is not a string or whose key repeats an earlier
/// one.
///
/// ```
/// use stateful::json::{parse_string_object, JsonError};
/// let fields = parse_string_object(b" {\"text\": \"caf\\u00e9 \\ud83d\\ude00\"} ").unwrap();
/// assert_eq!(fields, [("text".to_string(), "café 😀".to_string())]);
///
/// assert_eq!(
///     parse_string_object(br#"{"text": 42}"#),
///     Err(JsonError::FieldNotString { field: "text".to_string() })
/// );
/// assert_eq!(
///     parse_string_object(br#"{"a": "b", "a": "c"}"#),
///     Err(JsonError::DuplicateKey { field: "a".to_string() })
/// );
/// assert_eq!(parse_string_object(b"[[[["), Err(JsonError::NotAnObject { position: 0 }));
/// ```
pub fn parse_string_object(body: &[u8]) -> Result<Vec<(String, String)>, JsonError> {
    let text = std::str::from_utf8(body).map_err(|e| JsonError::InvalidUtf8 {
        position: e.valid_up_to(),
    })?;
    let members = Reader { text, pos: 0 }.members()?;
    let mut fields: Vec<(String, String)> = Vec::with_capacity(members.len());
    for (key, value) in members {
        let Value::String(value) = value else {
            return Err(JsonError::FieldNotString {
                field: key.into_owned(),
            });
        };
        if fields.iter().any(|(k, _)| *k == key) {
            return Err(JsonError::DuplicateKey {
                field: key.into_owned(),
            });
        }
        fields.push((key.into_owned(), value.into_owned()));
    }
    Ok(fields)
}

/// The value of a member of an object read by [`parse_object`]: strings and
/// integers in full, the other kinds by name only. A string without
/// escapes borrows from the text read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string, escapes decoded.
    String(Cow<'a, str>),
    /// A number written without fraction or exponent that fits an `i64`.
    Integer(i64),
    /// Any other number (`1.5`, `1e3`, `1.0`, `9223372036854775808`).
    Number,
    Bool(bool),
    Null,
    /// An array, checked for syntax and depth, its content not kept.
    Array,
    /// An object, checked for syntax and depth, its content not kept.
    Object,
}

/// A member of an object: its key (escapes decoded; borrowed when it has
/// none) and its value.
pub type Member<'a> = (Cow<'a, str>, Value<'a>);

/// Reads a text that is exactly one JSON object into its `(key, value)`
/// members, in order, for callers that need more than strings (the header
/// and claims of a JSON Web Token).
///
/// Refuses everything [`parse_string_object`] refuses except values that
/// are not strings: a body that is not UTF-8, empty, or not an object; any
/// syntax error; data after the object; more than [`MAX_BODY_FIELDS`]
/// members; nesting deeper than [`MAX_JSON_DEPTH`]; and, once the text is
/// known to be well-formed, the first key that repeats an earlier one.
///
/// ```
/// use stateful::json::{parse_object, JsonError, Value};
/// let members = parse_object(br#"{"sub":"ada","exp":1700000900,"adm":true,"aud":["x"]}"#).unwrap();
/// assert_eq!(members[0], ("sub".into(), Value::String("ada".into())));
/// assert_eq!(members[1].1, Value::Integer(1_700_000_900));
/// assert_eq!(members[2].1, Value::Bool(true));
/// assert_eq!(members[3].1, Value::Array);
/// assert_eq!(
///     parse_object(br#"{"exp":1,"exp":2}"#),
///     Err(JsonError::DuplicateKey { field: "exp".to_string() })
/// );
/// ```
pub fn parse_object(body: &[u8]) -> Result<Vec<Member<'_>>, JsonError> {
    let text = std::str::from_utf8(body).map_err(|e| JsonError::InvalidUtf8 {
        position: e.valid_up_to(),
    })?;
    let members = Reader { text, pos: 0 }.members()?;
    for (i, (key, _)) in members.iter().enumerate() {
        if members[..i].iter().any(|(k, _)| k == key) {
            return Err(JsonError::DuplicateKey {
                field: key.to_string(),
            });
        }
    }
    Ok(members)
}

/// A cursor over the body.
///
/// Invariant: outside [`Reader::scan_string`], `pos` only ever steps over
/// ASCII bytes or whole strings (which end in an ASCII `"`), so it is always
/// on a char boundary.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

/// An array or object entered and not yet closed, while skipping a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The error for finding something other than `expected` at `pos`.
    fn unexpected(&self, expected: &'static str) -> JsonError {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(found) => JsonError::Unexpected {
                position: self.pos,
                found,
                expected,
            },
            None => JsonError::UnexpectedEnd { expected },
        }
    }

    /// Skips whitespace, then steps over `byte` or fails.
    fn eat(&mut self, byte: u8, expected: &'static str) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Reads the whole body as one object: its members in body order, each
    /// value read as a [`Value`], with nothing but whitespace after it.
    /// Syntax only: repeated keys and value types are the callers' to judge,
    /// once the body has proved well-formed.
    fn members(&mut self) -> Result<Vec<Member<'a>>, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            None => return Err(JsonError::Empty),
            Some(b'{') => self.pos += 1,
            Some(_) => return Err(JsonError::NotAnObject { position: self.pos }),
        }
        let mut members: Vec<Member<'a>> = Vec::with_capacity(8);
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if members.len() >= MAX_BODY_FIELDS {
                    return Err(JsonError::TooManyFields);
                }
                let key = self.key()?;
                let value = self.member_value()?;
                members.push((key, value));
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected("',' or '}'")),
                }
            }
        }
        self.skip_whitespace();
        if self.pos < self.text.len() {
            return Err(JsonError::TrailingBytes { position: self.pos });
        }
        Ok(members)
    }

    /// Reads the value of a member of the body's object (depth 1).
    fn member_value(&mut self) -> Result<Value<'a>, JsonError> {
        self.skip_whitespace();
        let start = self.pos;
        Ok(match self.peek() {
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                let text = self.text.get(start..self.pos).unwrap_or_default();
                // The grammar was checked: only a fraction or an exponent
                // has '.', 'e' or 'E'; i64 refuses what it cannot hold.
                match text.parse::<i64>() {
                    Ok(n) => Value::Integer(n),
                    Err(_) => Value::Number,
                }
            }
            Some(b't') => {
                self.literal("true")?;
                Value::Bool(true)
            }
            Some(b'f') => {
                self.literal("false")?;
                Value::Bool(false)
            }
            Some(b'n') => {
                self.literal("null")?;
                Value::Null
            }
            Some(b'[') => {
                self.skip_value(1)?;
                Value::Array
            }
            Some(b'{') => {
                self.skip_value(1)?;
                Value::Object
            }
            _ => return Err(self.unexpected("a value")),
        })
    }

    /// Reads a member's key and the `:` after it.
    fn key(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a string key"));
        }
        let key = self.string()?;
        self.eat(b':', "':'")?;
        Ok(key)
    }

    /// Steps over a key of a nested object and the `:` after it.
    fn skip_key(&mut self) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a string key"));
        }
        self.scan_string(None)?;
        self.eat(b':', "':'")
    }

    /// Steps over one value of any kind starting at `pos`, checking its
    /// syntax, inside `depth` levels of containers. Iterative: `open` holds
    /// the arrays and objects entered and not yet closed, at most
    /// `MAX_JSON_DEPTH - depth` of them.
    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        let mut open: Vec<Container> = Vec::new();
        loop {
            // A value starts here.
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {
                    self.scan_string(None)?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(b'n') => self.literal("null")?,
                Some(opener @ (b'[' | b'{')) => {
                    if depth + open.len() >= MAX_JSON_DEPTH {
                        return Err(JsonError::TooDeep { position: self.pos });
                    }
                    self.pos += 1;
                    self.skip_whitespace();
                    let (kind, closer) = match opener {
                        b'[' => (Container::Array, b']'),
                        _ => (Container::Object, b'}'),
                    };
                    if self.peek() == Some(closer) {
                        self.pos += 1; // empty: a whole value
                    } else {
                        open.push(kind);
                        if kind == Container::Object {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return Err(self.unexpected("a value")),
            }
            // A value has ended: close the containers it completes, then
            // step to the next value.
            loop {
                let Some(&kind) = open.last() else {
                    return Ok(());
                };
                self.skip_whitespace();
                match (self.peek(), kind) {
                    (Some(b','), Container::Array) => {
                        self.pos += 1;
                        break;
                    }
                    (Some(b','), Container::Object) => {
                        self.pos += 1;
                        self.skip_key()?;
                        break;
                    }
                    (Some(b']'), Container::Array) | (Some(b'}'), Container::Object) => {
                        self.pos += 1;
                        open.pop();
                    }
                    (_, Container::Array) => return Err(self.unexpected("',' or ']'")),
                    (_, Container::Object) => return Err(self.unexpected("',' or '}'")),
                }
            }
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<(), JsonError> {
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected("a value"))
        }
    }

    /// Steps over a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<(), JsonError> {
        let bad = JsonError::BadNumber { position: self.pos };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(bad); // a leading zero
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(bad),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(bad);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(bad);
            }
        }
        Ok(())
    }

    /// Steps over ASCII digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads the string starting at `pos` (which holds its `"`), unescaped.
    /// Reads the string starting at `pos` (which holds its `"`): borrowed
    /// from the text when it has no escape, else decoded into a new one.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let start = self.pos;
        let escaped = self.scan_string(None)?;
        let text: &'a str = self.text;
        let raw = text
            .get(start + 1..self.pos - 1)
            .expect("a string starts and ends at an ASCII '\"'");
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        let end = self.pos;
        self.pos = start;
        let mut out = String::with_capacity(raw.len());
        self.scan_string(Some(&mut out))?;
        debug_assert_eq!(self.pos, end);
        Ok(Cow::Owned(out))
    }

    /// Steps over the string starting at `pos` (which holds its `"`),
    /// appending its unescaped content to `out` if given.
    /// Returns whether the string had an escape.
    fn scan_string(&mut self, mut out: Option<&mut String>) -> Result<bool, JsonError> {
        self.pos += 1;
        let mut run = self.pos; // start of the unescaped bytes not yet copied
        let mut escaped = false;
        loop {
            // Plain bytes in one tight loop: most strings have nothing else.
            let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
            self.pos += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            match self.peek() {
                None => {
                    return Err(JsonError::UnexpectedEnd {
                        expected: "'\"' closing a string",
                    })
                }
                Some(b'"') => {
                    self.copy_run(&mut out, run);
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.copy_run(&mut out, run);
                    let decoded = self.escape()?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(decoded);
                    }
                    run = self.pos;
                }
                Some(0x00..=0x1f) => {
                    return Err(JsonError::ControlCharacter { position: self.pos })
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Appends `text[from..pos]` to `out`, if given.
    fn copy_run(&self, out: &mut Option<&mut String>, from: usize) {
        if let Some(out) = out {
            out.push_str(
                self.text
                    .get(from..self.pos)
                    .expect("a run starts and ends next to an ASCII byte, so on char boundaries"),
            );
        }
    }

    /// Decodes the escape at `pos` (which holds its backslash).
    fn escape(&mut self) -> Result<char, JsonError> {
        let start = self.pos;
        let decoded = match self.text.as_bytes().get(start + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(),
            Some(_) => return Err(JsonError::BadEscape { position: start }),
            None => {
                return Err(JsonError::UnexpectedEnd {
                    expected: "an escape",
                })
            }
        };
        self.pos = start + 2;
        Ok(decoded)
    }

    /// Decodes `\uXXXX` at `pos`, or a `\uD8xx\uDCxx` surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let start = self.pos;
        let lone = JsonError::LoneSurrogate { position: start };
        let unit = self
            .hex4(start + 2)
            .ok_or(JsonError::BadEscape { position: start })?;
        self.pos = start + 6;
        let code = match unit {
            0xD800..=0xDBFF => {
                if self.text.as_bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(lone);
                }
                let low = self
                    .hex4(self.pos + 2)
                    .ok_or(JsonError::BadEscape { position: self.pos })?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(lone);
                }
                self.pos += 6;
                0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(lone),
            _ => u32::from(unit),
        };
        char::from_u32(code).ok_or(lone)
    }

    /// The four hex digits at `at`, if there are four.
    fn hex4(&self, at: usize) -> Option<u16> {
        let digits = self.text.as_bytes().get(at..at.checked_add(4)?)?;
        digits.iter().try_fold(0u16, |acc, &d| {
            let digit = char::from(d).to_digit(16)?;
            Some(acc << 4 | digit as u16)
        })
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
