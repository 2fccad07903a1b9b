//! Where the server's token keys come from: `--token-key-file`, else
//! `DIR/token.key` (created once), else random at start. The only code of
//! [`crate::jwt`] that touches the filesystem or the random source.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::keys::{parse_key_file, KeyFileError, KeySet};
use crate::crypto::base64::encode_url;
use crate::crypto::{fill_random, sha256};

/// The key file kept in `--data-dir`.
pub const DATA_DIR_KEY_FILE: &str = "token.key";

/// Bytes of a key the server makes itself (RFC 7518 §3.2: the hash size).
const GENERATED_KEY_LEN: usize = 32;

/// Where the keys came from, for the start-up line on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--token-key-file`.
    File(PathBuf),
    /// `DIR/token.key`, written by this start.
    DataDirCreated(PathBuf),
    /// `DIR/token.key`, written by an earlier start.
    DataDirKept(PathBuf),
    /// Made at start and kept nowhere: tokens die with the process.
    Random,
}

/// The key set and where it came from.
#[derive(Debug)]
pub struct LoadedKeys {
    pub keys: KeySet,
    pub source: KeySource,
    /// Something the operator should hear about (a key file others can read).
    pub warning: Option<String>,
}

impl fmt::Display for LoadedKeys {
    /// One line for stderr: where the keys are and which one signs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signs = self.keys.signing().kid();
        match &self.source {
            KeySource::File(p) => write!(
                f,
                "token keys: {} key(s) from {}, kid {signs:?} signs",
                self.keys.len(),
                p.display()
            ),
            KeySource::DataDirCreated(p) => {
                write!(f, "token key: created {} (kid {signs:?})", p.display())
            }
            KeySource::DataDirKept(p) => write!(
                f,
                "token keys: {} key(s) from {}, kid {signs:?} signs",
                self.keys.len(),
                p.display()
            ),
            KeySource::Random => write!(
                f,
                "token key: random (kid {signs:?}), kept nowhere: tokens die with the process \
                 (give --token-key-file or --data-dir to keep them)"
            ),
        }
    }
}

/// Why the keys could not be loaded.
#[derive(Debug)]
pub enum KeyLoadError {
    /// The key file's content is refused (exit status 2).
    Invalid { path: PathBuf, error: KeyFileError },
    /// `--token-key-file` cannot be read (exit status 2: a bad argument).
    Unreadable { path: PathBuf, error: io::Error },
    /// `DIR/token.key` cannot be read or created (exit status 1, like any
    /// other trouble with the data directory).
    DataDir { path: PathBuf, error: io::Error },
    /// The random source failed (exit status 1).
    Random(io::Error),
}

impl KeyLoadError {
    /// Whether the operator gave something unusable (exit status 2) rather
    /// than the system failing (exit status 1).
    pub fn is_usage_error(&self) -> bool {
        matches!(
            self,
            KeyLoadError::Invalid { .. } | KeyLoadError::Unreadable { .. }
        )
    }
}

impl fmt::Display for KeyLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLoadError::Invalid { path, error } => {
                write!(f, "token key file {}: {error}", path.display())
            }
            KeyLoadError::Unreadable { path, error } => {
                write!(f, "--token-key-file {}: {error}", path.display())
            }
            KeyLoadError::DataDir { path, error } => {
                write!(f, "token key {}: {error}", path.display())
            }
            KeyLoadError::Random(error) => write!(f, "token key: random source: {error}"),
        }
    }
}

impl std::error::Error for KeyLoadError {}

/// The keys: from `key_file` if given; else from `DIR/token.key`, created
/// with 32 random bytes (mode 0600) the first time; else 32 random bytes
/// kept nowhere.
pub fn load_keys(
    key_file: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<LoadedKeys, KeyLoadError> {
    if let Some(path) = key_file {
        let text = fs::read(path).map_err(|error| KeyLoadError::Unreadable {
            path: path.to_path_buf(),
            error,
        })?;
        let keys = parse(path, &text)?;
        return Ok(LoadedKeys {
            keys,
            source: KeySource::File(path.to_path_buf()),
            warning: loose_permissions(path),
        });
    }
    let Some(dir) = data_dir else {
        let (kid, key) = generate().map_err(KeyLoadError::Random)?;
        let keys = KeySet::new(vec![(kid, key)]).expect("a generated key is 32 bytes, kid valid");
        return Ok(LoadedKeys {
            keys,
            source: KeySource::Random,
            warning: None,
        });
    };
    let path = dir.join(DATA_DIR_KEY_FILE);
    let dir_error = |error| KeyLoadError::DataDir {
        path: path.clone(),
        error,
    };
    let created = match fs::read(&path) {
        Ok(_) => false,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_key_file(dir, &path)?,
        Err(e) => return Err(dir_error(e)),
    };
    let text = fs::read(&path).map_err(dir_error)?;
    let keys = parse(&path, &text)?;
    let warning = loose_permissions(&path);
    let source = if created {
        KeySource::DataDirCreated(path)
    } else {
        KeySource::DataDirKept(path)
    };
    Ok(LoadedKeys {
        keys,
        source,
        warning,
    })
}

fn parse(path: &Path, text: &[u8]) -> Result<KeySet, KeyLoadError> {
    parse_key_file(text).map_err(|error| KeyLoadError::Invalid {
        path: path.to_path_buf(),
        error,
    })
}

/// 32 random bytes and a key id derived from them (the first 8 hex digits
/// of their SHA-256), so a regenerated key never shares an id with an old
/// one and an old token is refused as `unknown kid`.
fn generate() -> io::Result<(String, Vec<u8>)> {
    let mut key = vec![0u8; GENERATED_KEY_LEN];
    fill_random(&mut key)?;
    let kid = sha256(&key)[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((kid, key))
}

/// Writes a new key to `path` unless another process got there first:
/// the key goes to a private temporary file, is synced, and is then linked
/// to `path`, which fails rather than replaces if `path` exists. A crash
/// leaves either no `token.key` or a whole one. Returns whether this call
/// created it.
fn create_key_file(dir: &Path, path: &Path) -> Result<bool, KeyLoadError> {
    let dir_error = |error| KeyLoadError::DataDir {
        path: path.to_path_buf(),
        error,
    };
    fs::create_dir_all(dir).map_err(dir_error)?;
    let (kid, key) = generate().map_err(KeyLoadError::Random)?;
    let tmp = dir.join(format!("{DATA_DIR_KEY_FILE}.tmp.{}", std::process::id()));
    let _ = fs::remove_file(&tmp); // left by a crash of a process with our pid
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        writeln!(file, "{kid}:{}", encode_url(&key))?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(dir_error)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(dir_error(e)),
    }
}

/// A warning if `path` can be read or written by others than its owner.
fn loose_permissions(path: &Path) -> Option<String> {
    let mode = fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: token key file {} has mode {:o}; 600 keeps it to its owner",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("stateful-jwt-load-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn data_dir_key_is_created_once_private_and_kept() {
        let dir = temp_dir("once");
        let first = load_keys(None, Some(&dir)).unwrap();
        let path = dir.join(DATA_DIR_KEY_FILE);
        assert_eq!(first.source, KeySource::DataDirCreated(path.clone()));
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        let (kid, key) = text.trim_end().split_once(':').unwrap();
        assert_eq!(kid, first.keys.signing().kid());
        assert_eq!(key.len(), 43, "32 bytes, unpadded base64url");
        let again = load_keys(None, Some(&dir)).unwrap();
        assert_eq!(again.source, KeySource::DataDirKept(path.clone()));
        assert_eq!(again.keys.signing().kid(), kid);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary left");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn key_file_wins_and_its_errors_are_usage_errors() {
        let dir = temp_dir("file");
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        fs::write(&file, format!("a:{}\n", encode_url(&[1; 32]))).unwrap();
        let loaded = load_keys(Some(&file), Some(&dir)).unwrap();
        assert_eq!(loaded.source, KeySource::File(file.clone()));
        assert!(!dir.join(DATA_DIR_KEY_FILE).exists());
        fs::write(&file, "a:AAAA\n").unwrap();
        let e = load_keys(Some(&file), None).unwrap_err();
        assert!(e.is_usage_error());
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = load_keys(Some(&dir.join("missing")), None).unwrap_err();
        assert!(e.is_usage_error(), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn random_keys_differ() {
        let a = load_keys(None, None).unwrap();
        let b = load_keys(None, None).unwrap();
        assert_eq!(a.source, KeySource::Random);
        assert_ne!(a.keys.signing().kid(), b.keys.signing().kid());
    }
}
