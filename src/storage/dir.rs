//! The data directory as a whole: its lock, its format, its file names,
//! and the one way a file is replaced (temp file, fsync, rename, fsync the
//! directory).
//!
//! ```text
//! DIR/LOCK             held (flock) by the running server, never removed
//! DIR/MANIFEST         format and current generations (super::manifest)
//! DIR/state-G.snap     snapshot (super::snapshot)
//! DIR/state-G.log      journal segments G, G+1, ... after that snapshot
//! DIR/comments-H.log   the comment log (super::comment_log)
//! DIR/comments-H.idx   a checkpoint of its index (super::index)
//! DIR/*.tmp            a replacement being written; removed at start
//! ```
//!
//! A format 1 directory (a `journal.log` and no `MANIFEST`) is found here
//! and migrated by [`super::open`].

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::manifest::{decode_manifest, Manifest, ManifestError, FORMAT};

pub const LOCK: &str = "LOCK";
pub const MANIFEST: &str = "MANIFEST";
/// The single file of format 1.
pub const FORMAT1_JOURNAL: &str = "journal.log";

/// What a directory holds when it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing of ours (a new or empty directory, or one whose first start
    /// stopped before its manifest was written).
    Fresh,
    /// Format 1: `journal.log` and no manifest.
    Format1,
    Format2(Manifest),
}

/// A file of a format 2 directory, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileName {
    StateSnapshot(u64),
    StateSegment(u64),
    CommentLog(u64),
    CommentIndex(u64),
    /// A replacement being written (`*.tmp`).
    Temporary,
}

impl FileName {
    pub fn parse(name: &str) -> Option<FileName> {
        if let Some(stem) = name.strip_suffix(".tmp") {
            let ours =
                stem == MANIFEST || FileName::parse(stem).is_some_and(|n| n != FileName::Temporary);
            return ours.then_some(FileName::Temporary);
        }
        let gen = |rest: &str, suffix: &str| -> Option<u64> {
            let digits = rest.strip_suffix(suffix)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok()
        };
        if let Some(rest) = name.strip_prefix("state-") {
            if let Some(g) = gen(rest, ".snap") {
                return Some(FileName::StateSnapshot(g));
            }
            return gen(rest, ".log").map(FileName::StateSegment);
        }
        if let Some(rest) = name.strip_prefix("comments-") {
            if let Some(g) = gen(rest, ".log") {
                return Some(FileName::CommentLog(g));
            }
            return gen(rest, ".idx").map(FileName::CommentIndex);
        }
        None
    }

    pub fn to_name(self) -> String {
        match self {
            FileName::StateSnapshot(g) => format!("state-{g}.snap"),
            FileName::StateSegment(g) => format!("state-{g}.log"),
            FileName::CommentLog(g) => format!("comments-{g}.log"),
            FileName::CommentIndex(g) => format!("comments-{g}.idx"),
            FileName::Temporary => "unnamed.tmp".into(),
        }
    }
}

/// An open, locked data directory.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// Held for the life of the process: the flock is released when the
    /// file is closed (or the process dies, SIGKILL included).
    _lock: File,
    /// The manifest as last written; updates go through [`DataDir::commit`].
    manifest: Mutex<Option<Manifest>>,
}

impl DataDir {
    /// Creates `path` if needed, takes its lock and says what it holds.
    ///
    /// Refuses (`WouldBlock`, with a message naming the directory) a
    /// directory another process holds, and (`InvalidData`) one whose
    /// manifest is damaged or of another format, naming the format.
    pub fn open(path: &Path) -> io::Result<(DataDir, Found)> {
        let existed = path.is_dir();
        fs::create_dir_all(path).map_err(|e| context(path, e))?;
        if !existed {
            sync_dir(parent_of(path))?;
        }
        let lock_path = path.join(LOCK);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| context(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "data directory {} is in use by another stateful process (it holds \
                         {}); stop that server first, or give this one another --data-dir",
                        path.display(),
                        lock_path.display()
                    ),
                ))
            }
            Err(TryLockError::Error(e)) => return Err(context(&lock_path, e)),
        }
        let manifest_path = path.join(MANIFEST);
        let found = match fs::read(&manifest_path) {
            Ok(bytes) => match decode_manifest(&bytes) {
                Ok(m) => Found::Format2(m),
                Err(ManifestError::UnsupportedFormat(f)) => {
                    return Err(invalid(format!(
                        "data directory {} is in format {f}, written by another version of \
                         stateful; this one reads formats 1 and {FORMAT}",
                        path.display()
                    )))
                }
                Err(e) => {
                    return Err(invalid(format!(
                        "{}: not a manifest this server can read ({e:?}); refusing to start \
                         rather than guess; restore the directory from a backup",
                        manifest_path.display()
                    )))
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if path.join(FORMAT1_JOURNAL).exists() {
                    Found::Format1
                } else {
                    Found::Fresh
                }
            }
            Err(e) => return Err(context(&manifest_path, e)),
        };
        let manifest = match &found {
            Found::Format2(m) => Some(*m),
            _ => None,
        };
        let dir = DataDir {
            path: path.to_path_buf(),
            _lock: lock,
            manifest: Mutex::new(manifest),
        };
        Ok((dir, found))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: FileName) -> PathBuf {
        self.path.join(name.to_name())
    }

    /// The files of ours in the directory, by name.
    pub fn list(&self) -> io::Result<Vec<(FileName, PathBuf)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.path).map_err(|e| context(&self.path, e))? {
            let entry = entry.map_err(|e| context(&self.path, e))?;
            if let Some(name) = entry.file_name().to_str().and_then(FileName::parse) {
                out.push((name, entry.path()));
            }
        }
        Ok(out)
    }

    /// The manifest as last written (`None` before the first).
    pub fn manifest(&self) -> Option<Manifest> {
        *self.manifest.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the manifest with `change` and writes it atomically; the
    /// lock serialises the state log's and the comment log's updates.
    pub fn commit(&self, change: impl FnOnce(&mut Manifest)) -> io::Result<Manifest> {
        let mut current = self.manifest.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = current.unwrap_or(Manifest {
            state: 1,
            comments: 1,
        });
        change(&mut m);
        self.replace(MANIFEST, &m.encode())?;
        *current = Some(m);
        Ok(m)
    }

    /// Replaces (or creates) `name` with `bytes`: written to `name.tmp`,
    /// synced, renamed over `name`, and the directory synced, so that after
    /// a crash `name` is either the old file or the new one, whole.
    pub fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let tmp = self.path.join(format!("{name}.tmp"));
        let target = self.path.join(name);
        let mut f = File::create(&tmp).map_err(|e| context(&tmp, e))?;
        bytes
            .chunks(IO_STEP)
            .try_for_each(|piece| f.write_all(piece))
            .and_then(|()| f.sync_all())
            .map_err(|e| context(&tmp, e))?;
        drop(f);
        fs::rename(&tmp, &target).map_err(|e| context(&target, e))?;
        self.sync()
    }

    /// Makes the directory's entries (new, renamed, removed files) durable.
    pub fn sync(&self) -> io::Result<()> {
        sync_dir(&self.path)
    }

    /// Removes a file of ours (a missing one is fine).
    pub fn remove(&self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(context(path, e)),
        }
    }
}

/// The most bytes one `read` or `write` system call of the background
/// work moves: the kernel copies them without yielding the CPU, and an
/// event loop waiting for it should not wait long.
pub const IO_STEP: usize = 64 * 1024;

/// The whole file at `path`, read [`IO_STEP`] bytes at a time.
pub fn read_in_steps(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| context(path, e))?;
    let len = f.metadata().map_err(|e| context(path, e))?.len();
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let mut step = vec![0u8; IO_STEP];
    loop {
        let n = match f.read(&mut step) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(context(path, e)),
        };
        out.extend_from_slice(&step[..n]);
    }
}

/// An `InvalidData` error with `message`.
pub fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Adds the path to an I/O error, so that the message says which file.
pub fn context(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn parent_of(dir: &Path) -> &Path {
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Makes a directory's entries durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let cases = [
            ("state-7.snap", Some(FileName::StateSnapshot(7))),
            ("state-12.log", Some(FileName::StateSegment(12))),
            ("comments-1.log", Some(FileName::CommentLog(1))),
            ("comments-3.idx", Some(FileName::CommentIndex(3))),
            ("MANIFEST.tmp", Some(FileName::Temporary)),
            ("state-3.snap.tmp", Some(FileName::Temporary)),
            ("notes.tmp", None),
            ("state-3.snap.tmp.tmp", None),
            ("state-.log", None),
            ("state-1a.log", None),
            ("state-+1.log", None),
            ("journal.log", None),
            ("LOCK", None),
        ];
        for (name, expected) in cases {
            assert_eq!(FileName::parse(name), expected, "{name}");
            if let Some(n) = expected.filter(|n| *n != FileName::Temporary) {
                assert_eq!(n.to_name(), name);
            }
        }
    }
}
