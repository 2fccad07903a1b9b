//! The append-only journal behind `--data-dir`: users and comments survive a
//! restart, and a crash mid-write loses nothing that was acknowledged.
//!
//! - [`crc32`]: the CRC-32 (IEEE) that checks every record.
//! - [`record`]: a [`Record`] and its framing on disk (magic, version,
//!   length, checksum, payload); pure.
//! - [`replay`]: decoding a whole journal and the rule that tells a torn
//!   last record (dropped) from damage in the middle (refused); pure.
//! - [`journal`]: the file `DIR/journal.log`: open and replay, and appends
//!   that return once the record is synced, sharing fsyncs between
//!   concurrent writers (group commit).
//!
//! Besides `src/server/`, this is the one module that performs I/O, and
//! only file I/O, all of it in [`journal`]; `record` and `replay` are pure
//! functions over bytes, which is what the tests and the fuzz target call.
//!
//! Out of scope: compaction (the journal only grows; deleting nothing is
//! what the API allows), several processes sharing one directory (the
//! second one is refused by a file lock), and repairing a damaged journal.

#![forbid(unsafe_code)]

pub mod crc32;
pub mod journal;
pub mod record;
pub mod replay;

pub use journal::{Journal, JournalStats, Ticket};
pub use record::Record;
pub use replay::{decode_journal, Replay, Tail};
