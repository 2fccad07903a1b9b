//! Compaction of the state journal (the steps are in the parent module's
//! docs) and the snapshots it writes and a start reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Weak;
use std::time::{Duration, Instant};

use super::{Gens, StateLog};
use crate::storage::dir::{context, invalid, read_in_steps, DataDir, FileName, IO_STEP};
use crate::storage::entry::Entry;
use crate::storage::faults;
use crate::storage::frame::scan_frames;
use crate::storage::snapshot::{decode_snapshot, SnapshotEncoder};
use crate::storage::state::LiveState;

impl StateLog {
    /// Compacts now (see the module docs); for tests and the compactor.
    pub fn compact(&self) -> io::Result<CompactReport> {
        let started = Instant::now();
        let mut gens = self.gens.lock().unwrap_or_else(|p| p.into_inner());
        let Gens {
            snapshot,
            last_segment,
        } = *gens;
        let next = last_segment + 1;
        faults::compaction_point("start");
        let file = create_segment(&self.dir, next)?;
        self.journal
            .rotate(self.dir.file(FileName::StateSegment(next)), file)?;
        gens.last_segment = next;
        {
            let mut t = self.lock();
            t.log_bytes = self.journal.next_offset();
        }
        faults::compaction_point("rotated");
        // The long part (read, fold, write) runs on a thread of its own
        // with the background setup (the lowest priority); the rotation
        // above, which other writers wait for, and the manifest below stay
        // on this one.
        let folded = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("state-fold".into())
                .spawn_scoped(scope, || {
                    let mut background = crate::storage::Background::start();
                    self.fold_into_snapshot(snapshot, last_segment, next, &mut background)
                })?
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the compaction's fold panicked")))
        })?;
        faults::compaction_point("snapshot-renamed");
        self.dir.commit(|m| m.state = next)?;
        gens.snapshot = next;
        faults::compaction_point("manifest-written");
        self.dir
            .remove(&self.dir.file(FileName::StateSnapshot(snapshot)))?;
        for g in snapshot..=last_segment {
            self.dir.remove(&self.dir.file(FileName::StateSegment(g)))?;
        }
        self.dir.sync()?;
        faults::compaction_point("old-removed");
        drop(gens);
        Ok(CompactReport {
            took: started.elapsed(),
            ..folded
        })
    }

    /// Folds snapshot `snapshot` and segments `snapshot..=last_segment`
    /// (the files, as of the rotation; never the tables in use) into a
    /// fresh state and writes it as snapshot `next`.
    fn fold_into_snapshot(
        &self,
        snapshot: u64,
        last_segment: u64,
        next: u64,
        background: &mut crate::storage::Background,
    ) -> io::Result<CompactReport> {
        let now = faults::unix_now();
        let mut live = LiveState::new();
        load_snapshot(
            &self.dir.file(FileName::StateSnapshot(snapshot)),
            &mut live,
            now,
        )?;
        let mut folded = 0u64;
        for g in snapshot..=last_segment {
            let path = self.dir.file(FileName::StateSegment(g));
            let bytes = read_in_steps(&path)?;
            let mut n = 0u32;
            let scan = scan_frames(&bytes, |_, kind, payload| {
                n = n.wrapping_add(1);
                if n.is_multiple_of(4096) {
                    background.tick();
                }
                let entry = Entry::decode(kind, payload).map_err(|e| format!("{e:?}"))?;
                live.apply(entry, now).map_err(|e| format!("{e:?}"))
            })
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            folded += scan.valid_len as u64;
            background.tick();
        }
        faults::compaction_point("folded");
        background.tick();
        let snapshot_bytes = self.write_snapshot(next, &live, background)?;
        Ok(CompactReport {
            generation: next,
            journal_bytes: folded,
            snapshot_bytes,
            users: live.user_count(),
            sessions: live.session_count(),
            took: Duration::ZERO,
        })
    }

    /// Writes `state-G.snap` from `live`: temp file, fsync, rename, fsync
    /// the directory. Returns its size.
    fn write_snapshot(
        &self,
        g: u64,
        live: &LiveState,
        background: &mut crate::storage::Background,
    ) -> io::Result<u64> {
        let name = FileName::StateSnapshot(g).to_name();
        let tmp = self.dir.path().join(format!("{name}.tmp"));
        let file = File::create(&tmp).map_err(|e| context(&tmp, e))?;
        let mut out = BufWriter::with_capacity(IO_STEP, file);
        let mut enc = SnapshotEncoder::new();
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut written = 0u64;
        let mut result = Ok(());
        live.for_each_entry(|e| {
            if result.is_err() {
                return;
            }
            if enc.push(&e, &mut buf).is_err() {
                result = Err(invalid(format!(
                    "snapshot: entry of kind {} refused",
                    e.kind()
                )));
                return;
            }
            if buf.len() >= 32 * 1024 {
                background.tick();
                written += buf.len() as u64;
                result = out.write_all(&buf);
                buf.clear();
            }
        });
        result.map_err(|e| context(&tmp, e))?;
        enc.finish(&mut buf);
        written += buf.len() as u64;
        out.write_all(&buf).map_err(|e| context(&tmp, e))?;
        let file = out
            .into_inner()
            .map_err(|e| context(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| context(&tmp, e))?;
        drop(file);
        faults::compaction_point("snapshot-synced");
        let target = self.dir.file(FileName::StateSnapshot(g));
        fs::rename(&tmp, &target).map_err(|e| context(&target, e))?;
        self.dir.sync()?;
        Ok(written)
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy)]
pub struct CompactReport {
    pub generation: u64,
    pub journal_bytes: u64,
    pub snapshot_bytes: u64,
    pub users: usize,
    pub sessions: usize,
    pub took: Duration,
}

/// The compactor thread: compacts when woken, until the log is dropped.
pub(super) fn compactor(log: Weak<StateLog>, wakes: mpsc::Receiver<()>) {
    loop {
        match wakes.recv_timeout(Duration::from_secs(1)) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if log.strong_count() == 0 {
                    return;
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let Some(log) = log.upgrade() else { return };
        log.compacting.store(true, Ordering::Relaxed);
        match log.compact() {
            Ok(r) => eprintln!(
                "state journal compacted into generation {}: {} bytes of journal -> a {}-byte \
                 snapshot of {} users and {} sessions in {} ms",
                r.generation,
                r.journal_bytes,
                r.snapshot_bytes,
                r.users,
                r.sessions,
                r.took.as_millis()
            ),
            Err(e) => eprintln!("state journal compaction failed (will retry later): {e}"),
        }
        log.compacting.store(false, Ordering::Relaxed);
        log.maybe_compact(&log.lock());
    }
}

/// Creates the empty segment `g` and makes its name durable.
pub(super) fn create_segment(dir: &DataDir, g: u64) -> io::Result<File> {
    let path = dir.file(FileName::StateSegment(g));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| context(&path, e))?;
    dir.sync()?;
    Ok(file)
}

/// Applies every entry of the snapshot at `path` to `live`.
pub(super) fn load_snapshot(
    path: &std::path::Path,
    live: &mut LiveState,
    now: i64,
) -> io::Result<()> {
    let bytes = read_in_steps(path)?;
    let mut wrong = None;
    decode_snapshot(&bytes, |e| {
        if let Err(err) = live.apply(e, now) {
            wrong.get_or_insert(err);
        }
    })
    .map_err(|e| {
        invalid(format!(
            "{}: damaged snapshot ({e:?}); refusing to start; restore the directory from \
             a backup",
            path.display()
        ))
    })?;
    match wrong {
        Some(e) => Err(invalid(format!("{}: {e:?}", path.display()))),
        None => Ok(()),
    }
}

/// Writes the first snapshot (empty, or a migrated state) of a directory.
pub(crate) fn write_initial_snapshot(dir: &DataDir, g: u64, entries: &[Entry]) -> io::Result<()> {
    let mut bytes = Vec::new();
    let mut enc = SnapshotEncoder::new();
    for e in entries {
        enc.push(e, &mut bytes)
            .map_err(|k| invalid(format!("snapshot: entry of kind {k} refused")))?;
    }
    enc.finish(&mut bytes);
    dir.replace(&FileName::StateSnapshot(g).to_name(), &bytes)
}
