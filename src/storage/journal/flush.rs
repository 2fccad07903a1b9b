//! Group commit: the flushes that write and sync what is pending, led by a
//! waiting writer or by the flusher thread, and the callbacks of
//! [`Journal::on_durable`] (see the parent module's docs).

use std::fs::File;
use std::io;
use std::mem;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{DurableCallback, Failure, Journal, State, Ticket};
use crate::limits::{JOURNAL_GATHER_MAX, JOURNAL_PREALLOCATE};

impl Journal {
    /// Calls `callback` once the record of `ticket` is durable (with `Ok`),
    /// or once the write that carried it failed (with the error), from the
    /// flusher thread; at once, on this thread, if that is already known.
    /// Needs [`Journal::spawn_flusher`] to have been called, or another
    /// thread calling [`Journal::wait_durable`], for the flush to happen.
    pub fn on_durable(&self, ticket: Ticket, callback: DurableCallback) {
        let mut state = self.lock();
        if state.durable >= ticket.0 {
            drop(state);
            return callback(Ok(()));
        }
        if let Some(failure) = &state.failure {
            let e = failure.to_error();
            drop(state);
            return callback(Err(e));
        }
        state.watchers.push((ticket.0, callback));
        self.wake_flusher(state);
    }

    /// Signals the flusher thread if enough records are pending for what it
    /// waits for, releasing the lock first.
    pub(super) fn wake_flusher(&self, mut state: MutexGuard<'_, State>) {
        let wake = state
            .wake_flusher_at
            .is_some_and(|n| state.pending_records >= n);
        if wake {
            state.wake_flusher_at = None;
        }
        drop(state);
        if wake {
            self.enqueued.notify_one();
        }
    }

    /// Starts the thread that flushes what nobody waits for and runs the
    /// [`Journal::on_durable`] callbacks. It ends when the journal is
    /// dropped.
    pub fn spawn_flusher(journal: &Arc<Journal>) -> io::Result<JoinHandle<()>> {
        let weak: Weak<Journal> = Arc::downgrade(journal);
        std::thread::Builder::new()
            .name("journal-flusher".into())
            .spawn(move || {
                let mut gather: Option<Gather> = None;
                loop {
                    let Some(journal) = weak.upgrade() else {
                        return;
                    };
                    let mut state = journal.lock();
                    // Gathering first means one wake-up per flush: the one
                    // for the last record awaited, not also one for the first.
                    if let Some(g) = gather.take() {
                        state = journal.gather(state, g);
                    }
                    if state.pending.is_empty() || state.flushing || state.failure.is_some() {
                        // Woken by enqueue; the timeout only lets the thread
                        // notice that the journal is gone.
                        state = journal.wait_for_records(state, 1, Duration::from_millis(200));
                    }
                    let answered = if !state.pending.is_empty()
                        && !state.flushing
                        && state.failure.is_none()
                    {
                        let records = state.pending_records;
                        state = journal.lead_flush(state);
                        records
                    } else {
                        0
                    };
                    let ready = take_ready_watchers(&mut state);
                    let expect = (answered > 0 && state.failure.is_none())
                        .then_some(state.pending_records + answered);
                    drop(state);
                    run_watchers(ready);
                    // The window starts once the answers are out.
                    gather = expect.map(|records| Gather {
                        records,
                        until: Instant::now() + JOURNAL_GATHER_MAX,
                    });
                }
            })
    }

    /// Waits until `records` are pending or `timeout` has passed (or a flush
    /// by another leader ended with records pending).
    fn wait_for_records<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        records: u64,
        timeout: Duration,
    ) -> MutexGuard<'a, State> {
        state.wake_flusher_at = Some(records);
        let (mut state, _) = self
            .enqueued
            .wait_timeout(state, timeout)
            .expect("journal lock poisoned, but nothing panics while holding it");
        state.wake_flusher_at = None;
        state
    }

    /// Holds the next flush back, within the gather window, until as many
    /// records are pending as the last flush answered (see [`Gather`]).
    fn gather<'a>(&'a self, mut state: MutexGuard<'a, State>, g: Gather) -> MutexGuard<'a, State> {
        while state.pending_records < g.records && !state.flushing && state.failure.is_none() {
            let now = Instant::now();
            if now >= g.until {
                break;
            }
            state = self.wait_for_records(state, g.records, g.until - now);
        }
        state
    }

    /// Returns once the record of `ticket` is on disk, leading a flush
    /// (write and `sync_data`) of everything pending if none is running.
    ///
    /// Fails if the write or fsync that carried the record failed, or the
    /// journal had failed before it was written; refuses (`InvalidInput`) a
    /// ticket this journal never issued.
    pub fn wait_durable(&self, ticket: Ticket) -> io::Result<()> {
        crate::no_wait::about_to_wait("a journal fsync");
        let mut state = self.lock();
        if ticket.0 > state.last_enqueued {
            let message = "journal ticket was issued by another journal";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        loop {
            if state.durable >= ticket.0 {
                return Ok(());
            }
            if let Some(failure) = &state.failure {
                return Err(failure.to_error());
            }
            if state.flushing {
                state = self.wait_flush_end(state);
                continue;
            }
            // Lead a flush of everything pending, which includes our record.
            state = self.lead_flush(state);
            let ready = take_ready_watchers(&mut state);
            if !ready.is_empty() {
                drop(state);
                run_watchers(ready);
                state = self.lock();
            }
        }
    }

    /// Waits (the lock released meanwhile) until the flush in progress
    /// ends, in success or failure.
    pub(super) fn wait_flush_end<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> MutexGuard<'a, State> {
        state.flush_waiters += 1;
        let mut state = self
            .flushed
            .wait(state)
            .expect("journal lock poisoned, but nothing panics while holding it");
        state.flush_waiters -= 1;
        state
    }

    /// Writes and syncs everything pending, with the lock released during
    /// the I/O; records the outcome and wakes every waiter.
    pub(super) fn lead_flush<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> MutexGuard<'a, State> {
        let mut batch = mem::take(&mut state.pending);
        let records = mem::take(&mut state.pending_records);
        let batch_end = state.last_enqueued;
        let (at, allocated) = (state.end, state.allocated);
        let file = Arc::clone(&state.file);
        state.flushing = true;
        drop(state);
        let result = write_and_sync(&file, &batch, at, allocated);
        let mut state = self.lock();
        state.flushing = false;
        match result {
            Ok(allocated) => {
                state.end = at + batch.len() as u64;
                state.allocated = allocated;
                state.durable = batch_end;
                state.stats.fsyncs += 1;
                state.stats.records_written += records;
                state.stats.bytes_written += batch.len() as u64;
            }
            Err(e) => {
                state.failure = Some(Failure {
                    kind: e.kind(),
                    message: format!("journal {}: write failed: {e}", state.path.display()),
                });
            }
        }
        if state.pending.is_empty() {
            batch.clear();
            state.pending = batch; // reuse the allocation
        }
        if state.flush_waiters > 0 {
            self.flushed.notify_all();
        }
        // Frames that arrived during the flush need a leader too.
        if !state.pending.is_empty() && state.wake_flusher_at.take().is_some() {
            self.enqueued.notify_one();
        }
        state
    }

    /// Makes everything enqueued so far durable (leading a flush if none
    /// runs) and returns where the records end in the current file. With
    /// every enqueuer held off by the caller, the journal is then quiet.
    pub fn flush(&self) -> io::Result<u64> {
        let last = self.lock().last_enqueued;
        if last > 0 {
            self.wait_durable(Ticket(last))?;
        }
        Ok(self.lock().end)
    }
}

/// What the flusher waits for before its next flush.
///
/// The callbacks of a flush answer clients that, as a rule, send their next
/// record soon after. Flushing the first of them alone would leave the
/// rest for the flush after it, so the records in flight would split into
/// several small batches, each paying an fsync. So after a flush that
/// answered `n` records, the next flush waits until `n` more records than
/// were already pending have arrived, or until [`JOURNAL_GATHER_MAX`] has
/// passed since the answers went out.
///
/// A lone client loses nothing (its own next record is the one awaited),
/// nor does traffic slower than the window (the window has passed when the
/// next record comes). What it costs: when the answered clients do not come
/// back, the next flush starts up to the window later.
struct Gather {
    records: u64,
    until: Instant,
}

/// The callbacks whose records are now durable, or all of them once the
/// journal has failed, each with its outcome.
pub(super) fn take_ready_watchers(state: &mut State) -> Vec<(DurableCallback, io::Result<()>)> {
    if state.watchers.is_empty() {
        return Vec::new();
    }
    let durable = state.durable;
    let failure = state.failure.clone();
    let (ready, waiting): (Vec<_>, Vec<_>) = mem::take(&mut state.watchers)
        .into_iter()
        .partition(|(t, _)| *t <= durable || failure.is_some());
    state.watchers = waiting;
    ready
        .into_iter()
        .map(|(t, cb)| {
            let outcome = match &failure {
                Some(f) if t > durable => Err(f.to_error()),
                _ => Ok(()),
            };
            (cb, outcome)
        })
        .collect()
}

/// Runs callbacks outside the lock.
pub(super) fn run_watchers(ready: Vec<(DurableCallback, io::Result<()>)>) {
    for (callback, outcome) in ready {
        callback(outcome);
    }
}

/// Writes `batch` at `at` (the end of the records) and syncs it. When it
/// reaches past `allocated` (the file's length) the file first grows to
/// the next multiple of [`JOURNAL_PREALLOCATE`] past it, in zeros, in the
/// same sync. Returns the file's length.
fn write_and_sync(file: &File, batch: &[u8], at: u64, allocated: u64) -> io::Result<u64> {
    // Every flush comes here, whoever leads it (a waiting writer, the
    // flusher thread, a rotation): none may be an event loop.
    crate::no_wait::about_to_wait("a journal fsync");
    let needed = at + batch.len() as u64;
    let mut length = allocated;
    if needed > allocated {
        length = (needed / JOURNAL_PREALLOCATE + 1) * JOURNAL_PREALLOCATE;
        write_zeros(file, needed..length)?;
    }
    file.write_all_at(batch, at)?;
    file.sync_data()?;
    Ok(length)
}

/// Writes zero bytes over `range` of the file, 64 KiB at a time.
fn write_zeros(file: &File, range: std::ops::Range<u64>) -> io::Result<()> {
    const STEP: usize = 64 * 1024;
    let zeros = [0u8; STEP];
    let mut at = range.start;
    while at < range.end {
        let n = (range.end - at).min(STEP as u64) as usize;
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}
