//! `DIR/MANIFEST`: which format a data directory is in and which files are
//! current (pure, no I/O). A few lines of text, so that a person can read
//! it, closed by a checksum, so that the server never acts on a damaged
//! one:
//!
//! ```text
//! stateful data directory
//! format 2
//! state 7
//! comments 1
//! crc32 5c2e5a0f
//! ```
//!
//! `state G`: the state snapshot is `state-G.snap` and its journal starts
//! at segment `state-G.log`. `comments H`: the comment log is
//! `comments-H.log`. The file is replaced atomically (see [`super::dir`]),
//! never edited in place.

use super::crc32::crc32;

/// The first line of every manifest.
pub const TITLE: &str = "stateful data directory";
/// The format this build writes. Format 1 had no manifest: one
/// `journal.log` of users and comments (see [`super::record`]).
pub const FORMAT: u32 = 2;

/// What a manifest says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// Generation of the state snapshot (and of the first journal segment).
    pub state: u64,
    /// Generation of the comment log.
    pub comments: u64,
}

/// Why bytes are not a manifest this build can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// The first line is not [`TITLE`].
    NotAManifest,
    /// A format this build does not read (named, for the message).
    UnsupportedFormat(String),
    /// A line is missing or not of the expected shape.
    Malformed {
        line: usize,
    },
    Checksum {
        stored: u32,
        computed: u32,
    },
}

impl Manifest {
    /// The manifest's bytes.
    ///
    /// ```
    /// use stateful::storage::manifest::{decode_manifest, Manifest};
    /// let m = Manifest { state: 7, comments: 1 };
    /// let text = m.encode();
    /// assert!(text.starts_with(b"stateful data directory\nformat 2\nstate 7\ncomments 1\ncrc32 "));
    /// assert_eq!(decode_manifest(&text), Ok(m));
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let body = format!(
            "{TITLE}\nformat {FORMAT}\nstate {}\ncomments {}\n",
            self.state, self.comments
        );
        let crc = crc32(body.as_bytes());
        format!("{body}crc32 {crc:08x}\n").into_bytes()
    }
}

/// Reads a manifest, refusing anything but exactly the shape
/// [`Manifest::encode`] writes. The format line is checked before the rest,
/// so a manifest of another format is refused by naming its format.
///
/// ```
/// use stateful::storage::manifest::{decode_manifest, ManifestError};
/// let newer = b"stateful data directory\nformat 3\nwhatever\n";
/// assert_eq!(decode_manifest(newer), Err(ManifestError::UnsupportedFormat("3".into())));
/// assert_eq!(decode_manifest(b"hello"), Err(ManifestError::NotAManifest));
/// ```
pub fn decode_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::NotAManifest)?;
    let mut lines = text.split_inclusive('\n');
    if lines.next() != Some("stateful data directory\n") {
        return Err(ManifestError::NotAManifest);
    }
    let format = lines
        .next()
        .and_then(|l| l.strip_prefix("format "))
        .and_then(|l| l.strip_suffix('\n'))
        .ok_or(ManifestError::Malformed { line: 2 })?;
    if format != FORMAT.to_string() {
        let shown: String = format.chars().take(20).collect();
        return Err(ManifestError::UnsupportedFormat(shown));
    }
    let number = |line: Option<&str>, name: &str, at: usize| {
        line.and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .and_then(|l| l.strip_suffix('\n'))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or(ManifestError::Malformed { line: at })
    };
    let state = number(lines.next(), "state", 3)?;
    let comments = number(lines.next(), "comments", 4)?;
    let body_len: usize = text.split_inclusive('\n').take(4).map(str::len).sum();
    let crc_line = lines.next().ok_or(ManifestError::Malformed { line: 5 })?;
    let hex = crc_line
        .strip_prefix("crc32 ")
        .and_then(|l| l.strip_suffix('\n'))
        .filter(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or(ManifestError::Malformed { line: 5 })?;
    let stored = u32::from_str_radix(hex, 16).map_err(|_| ManifestError::Malformed { line: 5 })?;
    if lines.next().is_some() {
        return Err(ManifestError::Malformed { line: 6 });
    }
    let computed = crc32(&bytes[..body_len]);
    if stored != computed {
        return Err(ManifestError::Checksum { stored, computed });
    }
    let m = Manifest { state, comments };
    if m.encode() != bytes {
        // Leading zeros or upper-case hex: not what we write.
        return Err(ManifestError::Malformed { line: 3 });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let m = Manifest {
            state: u64::MAX,
            comments: 0,
        };
        let bytes = m.encode();
        assert_eq!(decode_manifest(&bytes), Ok(m));
        for cut in 0..bytes.len() {
            assert!(decode_manifest(&bytes[..cut]).is_err(), "cut {cut}");
        }
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(decode_manifest(&bad).is_err(), "byte {at}");
        }
        let padded = String::from_utf8(
            Manifest {
                state: 1,
                comments: 1,
            }
            .encode(),
        )
        .unwrap()
        .replace("state 1", "state 01");
        assert!(decode_manifest(padded.as_bytes()).is_err());
        assert_eq!(
            decode_manifest(b"stateful data directory\nformat 1\n"),
            Err(ManifestError::UnsupportedFormat("1".into()))
        );
    }
}
