//! The clock and the compaction thresholds of the storage, with the
//! test-only knobs that move them. The knobs exist only in a build with
//! the `fault-injection` feature (never a release build); without it every
//! function here is the plain clock or constant.
//!
//! With the feature, these environment variables are read once:
//!
//! - `STATEFUL_FAULT_CLOCK_OFFSET_SECS`: added to the wall clock the storage
//!   reads (at start, in sweeps and compactions), so a test can restart a
//!   server "two weeks later" and see its sessions expired.
//! - `STATEFUL_FAULT_COMPACT_BYTES`: the state journal is compacted past
//!   this many bytes, whatever the live state (a tiny value: compaction
//!   runs all the time); it also sets the comment index checkpoint step and
//!   the deleted bytes past which the comment log is compacted (then
//!   whatever their share of the log).
//! - `STATEFUL_FAULT_COMPACT_PAUSE_MS`: at each named point of a
//!   compaction, `compaction point NAME` is written to stderr and the
//!   compactor sleeps this long, so a test can SIGKILL the server at that
//!   very point.
//! - `STATEFUL_FAULT_CHECKPOINT_PAUSE_MS`: a background checkpoint of the
//!   comment index sleeps this long before it writes, so a test can act
//!   while one is running.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::limits::{
    COMMENT_COMPACT_MIN_DEAD_BYTES, COMMENT_INDEX_CHECKPOINT_BYTES, STATE_COMPACT_MIN_BYTES,
};

#[cfg(feature = "fault-injection")]
fn knob(name: &str) -> Option<i64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Wall-clock Unix seconds (moved by the clock knob in test builds).
pub fn unix_now() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    #[cfg(feature = "fault-injection")]
    {
        static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
        let offset = *OFFSET.get_or_init(|| knob("STATEFUL_FAULT_CLOCK_OFFSET_SECS").unwrap_or(0));
        return now.saturating_add(offset);
    }
    #[allow(unreachable_code)]
    now
}

/// The journal size past which the state log may be compacted.
pub fn state_compact_min_bytes() -> u64 {
    #[cfg(feature = "fault-injection")]
    if let Some(n) = knob("STATEFUL_FAULT_COMPACT_BYTES") {
        return n.max(0) as u64;
    }
    STATE_COMPACT_MIN_BYTES
}

/// Whether the state-log thresholds are overridden (then the live-state
/// ratio is ignored too).
pub fn compact_bytes_overridden() -> bool {
    #[cfg(feature = "fault-injection")]
    if knob("STATEFUL_FAULT_COMPACT_BYTES").is_some() {
        return true;
    }
    false
}

/// The comment-log bytes after which the index is checkpointed.
pub fn comment_checkpoint_bytes() -> u64 {
    #[cfg(feature = "fault-injection")]
    if let Some(n) = knob("STATEFUL_FAULT_COMPACT_BYTES") {
        return n.max(0) as u64;
    }
    COMMENT_INDEX_CHECKPOINT_BYTES
}

/// The deleted bytes past which the comment log may be compacted.
pub fn comment_compact_min_bytes() -> u64 {
    #[cfg(feature = "fault-injection")]
    if let Some(n) = knob("STATEFUL_FAULT_COMPACT_BYTES") {
        return n.max(0) as u64;
    }
    COMMENT_COMPACT_MIN_DEAD_BYTES
}

/// A named point of a compaction (see the module docs).
pub fn compaction_point(name: &str) {
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = knob("STATEFUL_FAULT_COMPACT_PAUSE_MS") {
        eprintln!("compaction point {name}");
        std::thread::sleep(std::time::Duration::from_millis(ms.max(0) as u64));
    }
    let _ = name;
}

/// Called by a background checkpoint of the comment index before it
/// writes (see the module docs).
pub fn checkpoint_pause() {
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = knob("STATEFUL_FAULT_CHECKPOINT_PAUSE_MS") {
        std::thread::sleep(std::time::Duration::from_millis(ms.max(0) as u64));
    }
}
