//! The ONLY file that touches sled: opening with a clear answer when another process holds
//! the lock, a header slot, a records tree of opaque keys to sealed blobs, atomic batches.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the sled directory inside the vault directory.
const DATA_DIR: &str = "data";
/// Who holds the vault open right now: written after the lock is taken, for the busy error.
const HOLDER_FILE: &str = "holder";
const HEADER_KEY: &[u8] = b"sesame.header";
const FORMAT_KEY: &[u8] = b"sesame.format";
const RECORDS_TREE: &[u8] = b"records";

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    records: sled::Tree,
}

/// A set of writes applied atomically.
#[derive(Default)]
pub struct Batch {
    inner: sled::Batch,
    len: usize,
}

impl Batch {
    pub fn insert(&mut self, key: &[u8], value: Vec<u8>) {
        self.inner.insert(key, value);
        self.len += 1;
    }
    pub fn remove(&mut self, key: &[u8]) {
        self.inner.remove(key);
        self.len += 1;
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Store {
    /// True when `dir` holds a sesame vault (opened or not).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATA_DIR).join("conf").exists()
    }

    /// Creates the vault directory (0700) and an empty database in it.
    pub fn create(dir: &Path) -> Result<Store> {
        if Store::exists(dir) {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        restrict_umask();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                Error::io(
                    format!("cannot create the vault directory {}", dir.display()),
                    e,
                )
            })?;
        // An existing empty directory may have looser permissions: tighten it.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("cannot set permissions on {}", dir.display()), e))?;
        Store::open_db(dir)
    }

    /// Opens an existing vault. Fails with `VaultMissing` when there is none.
    pub fn open(dir: &Path) -> Result<Store> {
        if !Store::exists(dir) {
            return Err(Error::VaultMissing(dir.to_path_buf()));
        }
        restrict_umask();
        Store::open_db(dir)
    }

    fn open_db(dir: &Path) -> Result<Store> {
        let data = dir.join(DATA_DIR);
        let db = sled::Config::new()
            .path(&data)
            // Small cache: the working set of a developer vault is small, and a CLI process
            // should not reserve the 1 GiB sled defaults to.
            .cache_capacity(64 * 1024 * 1024)
            // Every write is flushed before it is acknowledged (`apply`), so sled's periodic
            // background flusher adds nothing but a thread to start and to stop.
            .flush_every_ms(None)
            .open()
            .map_err(|e| map_open_error(dir, e))?;
        let records = db.open_tree(RECORDS_TREE).map_err(|e| storage(dir, e))?;
        write_holder(dir);
        Ok(Store {
            dir: dir.to_path_buf(),
            db,
            records,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn format_version(&self) -> Result<Option<u32>> {
        let raw = self.db.get(FORMAT_KEY).map_err(|e| storage(&self.dir, e))?;
        match raw {
            None => Ok(None),
            Some(v) if v.len() == 4 => Ok(Some(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))),
            Some(_) => Err(Error::CorruptVault {
                path: self.dir.clone(),
                what: "the format marker is malformed".into(),
            }),
        }
    }

    pub fn header(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .db
            .get(HEADER_KEY)
            .map_err(|e| storage(&self.dir, e))?
            .map(|v| v.to_vec()))
    }

    /// Writes format version and header together, durably.
    pub fn put_header(&self, version: u32, header: &[u8]) -> Result<()> {
        let mut b = sled::Batch::default();
        b.insert(FORMAT_KEY, &version.to_le_bytes());
        b.insert(HEADER_KEY, header);
        self.db.apply_batch(b).map_err(|e| storage(&self.dir, e))?;
        self.flush()
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .records
            .get(key)
            .map_err(|e| storage(&self.dir, e))?
            .map(|v| v.to_vec()))
    }

    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        self.records
            .contains_key(key)
            .map_err(|e| storage(&self.dir, e))
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + '_ {
        self.records.scan_prefix(prefix).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(|e| storage(&self.dir, e))
        })
    }

    pub fn count(&self, prefix: &[u8]) -> usize {
        self.records.scan_prefix(prefix).keys().count()
    }

    /// Applies a batch atomically and makes it durable before returning.
    pub fn apply(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.records
            .apply_batch(batch.inner)
            .map_err(|e| storage(&self.dir, e))?;
        self.flush()
    }

    fn flush(&self) -> Result<()> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| storage(&self.dir, e))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.dir.join(HOLDER_FILE));
    }
}

/// New files and directories of this process are private to its user.
fn restrict_umask() {
    // SAFETY: umask only changes this process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

fn write_holder(dir: &Path) {
    let exe = std::env::args().next().unwrap_or_else(|| "sesame".into());
    let exe = Path::new(&exe)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Best effort: the holder file only improves an error message.
    if let Ok(mut f) = fs::File::create(dir.join(HOLDER_FILE)) {
        let _ = writeln!(f, "{} {}", std::process::id(), exe);
    }
}

fn describe_holder(dir: &Path) -> String {
    let Ok(text) = fs::read_to_string(dir.join(HOLDER_FILE)) else {
        return "another process".into();
    };
    let mut parts = text.split_whitespace();
    match (
        parts.next().and_then(|p| p.parse::<u32>().ok()),
        parts.next(),
    ) {
        (Some(pid), Some(cmd)) => format!("another process ({cmd}, pid {pid})"),
        (Some(pid), None) => format!("another process (pid {pid})"),
        _ => "another process".into(),
    }
}

fn map_open_error(dir: &Path, e: sled::Error) -> Error {
    match e {
        sled::Error::Io(ref io)
            if io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock") =>
        {
            Error::VaultBusy {
                path: dir.to_path_buf(),
                holder: describe_holder(dir),
            }
        }
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            Error::io(format!("cannot open the vault at {}", dir.display()), io)
        }
        other => storage(dir, other),
    }
}

fn storage(dir: &Path, e: sled::Error) -> Error {
    match e {
        sled::Error::Corruption { .. } => Error::CorruptVault {
            path: dir.to_path_buf(),
            what: "the database files failed their checksums (restore from a backup or a remote)"
                .into(),
        },
        sled::Error::Io(io) => Error::io(format!("vault storage at {}", dir.display()), io),
        other => Error::Storage(other.to_string()),
    }
}
