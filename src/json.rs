//! JSON body codec (the full module arrives with the codec work; this is
//! the error body the HTTP layer needs meanwhile).

/// `{"error": "<message>"}` for a message of printable ASCII.
pub fn error_body(message: &str) -> String {
    let mut out = String::from("{\"error\": \"");
    for c in message.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("\"}");
    out
}
