//! The writers: JSON string literals and small objects and arrays built
//! straight into a `String`, for response bodies.

/// Appends `s` to `out` as a JSON string literal, quotes included.
///
/// Escapes `"` and `\`, every control character U+0000..U+001F (as `\n`,
/// `\r`, `\t`, `\b`, `\f`, or `\u00XX` for the rest), and also `<`, `>`, `&`,
/// U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`,
/// so the output is safe to embed in HTML or a script. Every other character
/// passes through as UTF-8. Refuses nothing: every `&str` has a literal.
///
/// ```
/// use stateful::json::escape_into;
/// let mut out = String::new();
/// escape_into(&mut out, "say \"hi\"\n<b>é</b>\u{1}");
/// assert_eq!(out, r#""say \"hi\"\n\u003cb\u003eé\u003c/b\u003e\u0001""#);
/// ```
pub fn escape_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    // Most strings need no escape at all: copy them whole. (U+2028 and
    // U+2029 start with 0xE2, so any non-ASCII byte takes the slow path.)
    let plain = |b: &u8| *b >= 0x20 && *b < 0x80 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&');
    if s.as_bytes().iter().all(plain) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            '\0'..='\u{1f}' | '<' | '>' | '&' => {
                let byte = c as u8; // all of these are ASCII
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Builds a JSON object member by member, in the order written.
///
/// Keys are escaped like values; the writer does not check for repeated
/// keys (the server writes fixed ones). Refuses nothing.
///
/// ```
/// use stateful::json::ObjectWriter;
/// let mut comment = ObjectWriter::new();
/// comment.number("id", 7u64).string("author", "ada").raw("tags", "[]");
/// assert_eq!(comment.finish(), r#"{"id":7,"author":"ada","tags":[]}"#);
/// assert_eq!(ObjectWriter::new().finish(), "{}");
/// ```
#[derive(Debug, Clone)]
pub struct ObjectWriter {
    out: String,
    empty: bool,
}

impl ObjectWriter {
    /// An object with no members yet.
    ///
    /// ```
    /// assert_eq!(stateful::json::ObjectWriter::new().finish(), "{}");
    /// ```
    pub fn new() -> Self {
        ObjectWriter {
            out: String::from("{"),
            empty: true,
        }
    }

    /// Adds a member whose value is the string `value`, escaped.
    ///
    /// ```
    /// let mut w = stateful::json::ObjectWriter::new();
    /// w.string("username", "a\"b");
    /// assert_eq!(w.finish(), r#"{"username":"a\"b"}"#);
    /// ```
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        escape_into(&mut self.out, value);
        self
    }

    /// Adds a member whose value is the integer `value` (any of `u8`..`u64`,
    /// `i8`..`i64`), in decimal.
    ///
    /// ```
    /// let mut w = stateful::json::ObjectWriter::new();
    /// w.number("id", u64::MAX).number("delta", -3i64);
    /// assert_eq!(w.finish(), r#"{"id":18446744073709551615,"delta":-3}"#);
    /// ```
    pub fn number(&mut self, key: &str, value: impl Into<i128>) -> &mut Self {
        self.key(key);
        self.out.push_str(&value.into().to_string());
        self
    }

    /// Adds a member whose value is `json`, copied as is: the caller
    /// promises it is one well-formed JSON value (typically the output of
    /// another writer).
    ///
    /// ```
    /// use stateful::json::{ArrayWriter, ObjectWriter};
    /// let mut w = ObjectWriter::new();
    /// w.raw("comments", &ArrayWriter::new().finish());
    /// assert_eq!(w.finish(), r#"{"comments":[]}"#);
    /// ```
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// Closes the object and returns its text.
    ///
    /// ```
    /// let mut w = stateful::json::ObjectWriter::new();
    /// w.string("a", "b");
    /// assert_eq!(w.finish(), r#"{"a":"b"}"#);
    /// ```
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        escape_into(&mut self.out, key);
        self.out.push(':');
    }
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a JSON array from elements that are already encoded.
///
/// Refuses nothing; the caller promises each element is one well-formed
/// JSON value.
///
/// ```
/// use stateful::json::{ArrayWriter, ObjectWriter};
/// let mut comments = ArrayWriter::new();
/// for id in 1..=2u64 {
///     let mut c = ObjectWriter::new();
///     c.number("id", id);
///     comments.push_raw(&c.finish());
/// }
/// let mut body = ObjectWriter::new();
/// body.raw("comments", &comments.finish());
/// assert_eq!(body.finish(), r#"{"comments":[{"id":1},{"id":2}]}"#);
/// ```
#[derive(Debug, Clone)]
pub struct ArrayWriter {
    out: String,
    empty: bool,
}

impl ArrayWriter {
    /// An array with no elements yet.
    ///
    /// ```
    /// assert_eq!(stateful::json::ArrayWriter::new().finish(), "[]");
    /// ```
    pub fn new() -> Self {
        ArrayWriter {
            out: String::from("["),
            empty: true,
        }
    }

    /// Appends `json`, copied as is, as the next element.
    ///
    /// ```
    /// let mut a = stateful::json::ArrayWriter::new();
    /// a.push_raw("1").push_raw(r#""two""#);
    /// assert_eq!(a.finish(), r#"[1,"two"]"#);
    /// ```
    pub fn push_raw(&mut self, json: &str) -> &mut Self {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push_str(json);
        self
    }

    /// Closes the array and returns its text.
    ///
    /// ```
    /// let mut a = stateful::json::ArrayWriter::new();
    /// a.push_raw("{}");
    /// assert_eq!(a.finish(), "[{}]");
    /// ```
    pub fn finish(mut self) -> String {
        self.out.push(']');
        self.out
    }
}

impl Default for ArrayWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// The body of every error response: `{"error":"<message>"}`, escaped.
///
/// Refuses nothing.
///
/// ```
/// use stateful::json::{error_body, JsonError};
/// assert_eq!(error_body("name taken"), r#"{"error":"name taken"}"#);
/// let why = JsonError::FieldNotString { field: "text".into() };
/// assert_eq!(error_body(&why.to_string()), r#"{"error":"invalid JSON: field \"text\" must be a string"}"#);
/// ```
pub fn error_body(message: &str) -> String {
    let mut body = ObjectWriter::new();
    body.string("error", message);
    body.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
        out
    }

    #[test]
    fn escapes() {
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("plain text", r#""plain text""#),
            ("\"", r#""\"""#),
            ("\\", r#""\\""#),
            ("/", r#""/""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\0", r#""\u0000""#),
            ("\u{1}\u{1f}\u{b}", r#""\u0001\u001f\u000b""#),
            ("\u{7f}", "\"\u{7f}\""),
            ("<>&", r#""\u003c\u003e\u0026""#),
            ("</script>", r#""\u003c/script\u003e""#),
            ("\u{2028}\u{2029}", r#""\u2028\u2029""#),
            ("é日本😀", "\"é日本😀\""),
            ("'", "\"'\""),
        ];
        for (input, expected) in cases {
            assert_eq!(escaped(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn writers() {
        let mut comment = ObjectWriter::new();
        comment
            .number("id", 1u64)
            .string("author", "a")
            .string("text", "hi <b>")
            .string("created_at", "2024-01-01T00:00:00Z");
        let mut list = ArrayWriter::new();
        list.push_raw(&comment.clone().finish())
            .push_raw(&comment.finish());
        let mut body = ObjectWriter::new();
        body.raw("comments", &list.finish());
        let one = r#"{"id":1,"author":"a","text":"hi \u003cb\u003e","created_at":"2024-01-01T00:00:00Z"}"#;
        assert_eq!(body.finish(), format!(r#"{{"comments":[{one},{one}]}}"#));
        assert_eq!(ObjectWriter::default().finish(), "{}");
        assert_eq!(ArrayWriter::default().finish(), "[]");
        let mut numbers = ObjectWriter::new();
        numbers.number("min", i64::MIN).number("zero", 0u8);
        assert_eq!(numbers.finish(), r#"{"min":-9223372036854775808,"zero":0}"#);
        assert_eq!(error_body("a\nb"), r#"{"error":"a\nb"}"#);
    }
}
