//! The ONLY file that touches sled. A store is one sled database in its own directory
//! (the header names the live one), holding one tree of opaque keys to sealed blobs.
//!
//! Durability: sled's `flush` ends in `sync_file_range`, which neither persists file
//! metadata nor waits for the device cache, and sled never fsyncs the blob files it writes
//! for large values. `apply` therefore follows every flush with `fsync` of the log file and
//! of any new blob file, so a write is on stable storage before anyone is told it succeeded.
//!
//! Damage: sled can panic or fail on damaged files. Opening and scanning run under
//! [`crate::error::catch_quietly`], so damage becomes an error that names `sesame recover`.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result, catch_quietly};

const RECORDS_TREE: &[u8] = b"records";

/// A visitor of (key, sealed blob) pairs that may stop the walk with an error.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<()> + 'a;
/// sled's log file inside a store directory.
const LOG_FILE: &str = "db";
const BLOB_DIR: &str = "blobs";

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    records: sled::Tree,
    log: Option<File>,
    /// Blob files known to be on stable storage (they never change once written).
    synced_blobs: Mutex<HashSet<std::ffi::OsString>>,
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
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Store {
    /// Creates an empty store in `dir`, which must not exist yet.
    pub fn create(dir: &Path) -> Result<Store> {
        if dir.exists() {
            return Err(Error::Storage(format!(
                "{} exists already: refusing to build a store over it",
                dir.display()
            )));
        }
        let store = Store::open(dir)?;
        // The new directory and sled's first files must survive a crash as well.
        store.sync_files(true)?;
        if let Some(parent) = dir.parent() {
            super::files::sync_dir(parent)?;
        }
        Ok(store)
    }

    /// Opens the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store> {
        // sled creates its files with the process umask: make them private whoever calls.
        super::files::restrict_umask();
        // The vault lock (taken first) keeps other processes out, so sled's own lock can only
        // be held by a store this process just dropped: sled lets go of it from a background
        // thread, a moment later. Wait for that rather than fail.
        let start = std::time::Instant::now();
        let (db, records) = loop {
            match Store::open_sled(dir) {
                Some(Err(sled::Error::Io(e)))
                    if lock_busy(&e) && start.elapsed() < std::time::Duration::from_secs(5) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Some(Ok(pair)) => break pair,
                Some(Err(e)) => return Err(open_error(dir, e)),
                None => return Err(damaged(dir, "the database files cannot be opened")),
            }
        };
        let log = File::open(dir.join(LOG_FILE)).ok();
        let known = fs::read_dir(dir.join(BLOB_DIR))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect())
            .unwrap_or_default();
        Ok(Store {
            dir: dir.to_path_buf(),
            db,
            records,
            log,
            synced_blobs: Mutex::new(known),
        })
    }

    fn open_sled(dir: &Path) -> Option<sled::Result<(sled::Db, sled::Tree)>> {
        catch_quietly(|| {
            sled::Config::new()
                .path(dir)
                // The working set of a developer vault is small, and a CLI process should
                // not reserve the 1 GiB sled defaults to.
                .cache_capacity(64 * 1024 * 1024)
                // Every write is flushed and fsynced before it is acknowledged (`apply`),
                // so sled's periodic background flusher adds nothing but a thread.
                .flush_every_ms(None)
                .open()
                .and_then(|db| {
                    let records = db.open_tree(RECORDS_TREE)?;
                    Ok((db, records))
                })
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match catch_quietly(|| self.records.get(key)) {
            Some(r) => r.map(|v| v.map(|v| v.to_vec())).map_err(|e| self.error(e)),
            None => Err(damaged(&self.dir, "reading a record failed")),
        }
    }

    /// A value of sled's root tree (where format 1 kept its header and format marker).
    pub fn root_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match catch_quietly(|| self.db.get(key)) {
            Some(r) => r.map(|v| v.map(|v| v.to_vec())).map_err(|e| self.error(e)),
            None => Err(damaged(&self.dir, "reading the root tree failed")),
        }
    }

    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        match catch_quietly(|| self.records.contains_key(key)) {
            Some(r) => r.map_err(|e| self.error(e)),
            None => Err(damaged(&self.dir, "reading a record failed")),
        }
    }

    /// Every record whose key starts with `prefix`, in key order. Stops at the first error
    /// (which is returned as the last item), so a damaged file never loops or panics.
    pub fn scan(&self, prefix: &[u8]) -> Vec<Result<(Vec<u8>, Vec<u8>)>> {
        let collected = catch_quietly(|| {
            let mut out = Vec::new();
            for r in self.records.scan_prefix(prefix) {
                match r {
                    Ok((k, v)) => out.push(Ok((k.to_vec(), v.to_vec()))),
                    Err(e) => {
                        out.push(Err(self.error(e)));
                        break;
                    }
                }
            }
            out
        });
        collected.unwrap_or_else(|| vec![Err(damaged(&self.dir, "scanning the records failed"))])
    }

    /// Like [`Store::scan`], calling `f` on each record instead of collecting them (for
    /// streaming a whole store into a snapshot or a new store with bounded memory).
    pub fn for_each(&self, prefix: &[u8], f: &mut Visit<'_>) -> Result<()> {
        let outcome = catch_quietly(std::panic::AssertUnwindSafe(|| {
            for r in self.records.scan_prefix(prefix) {
                let (k, v) = r.map_err(|e| self.error(e))?;
                f(&k, &v)?;
            }
            Ok(())
        }));
        outcome.unwrap_or_else(|| Err(damaged(&self.dir, "scanning the records failed")))
    }

    pub fn count(&self, prefix: &[u8]) -> usize {
        catch_quietly(|| self.records.scan_prefix(prefix).keys().count()).unwrap_or(0)
    }

    /// Applies a batch atomically and makes it durable before returning.
    pub fn apply(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.records
            .apply_batch(batch.inner)
            .map_err(|e| self.error(e))?;
        self.flush()
    }

    /// Inserts one record without flushing it: for a store that is not live yet (a
    /// rebuild), whose one flush comes before it is swapped in. (One insert at a time: sled
    /// builds a tree faster, and in a third of the memory, than from large batches.)
    pub fn insert_unflushed(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.records
            .insert(key, value)
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Flushes sled and fsyncs what it wrote.
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map_err(|e| self.error(e))?;
        self.sync_files(false)
    }

    fn sync_files(&self, everything: bool) -> Result<()> {
        let io = |e| {
            Error::io(
                format!("cannot flush the vault store {}", self.dir.display()),
                e,
            )
        };
        match &self.log {
            Some(f) => f.sync_all().map_err(io)?,
            None => File::open(self.dir.join(LOG_FILE))
                .and_then(|f| f.sync_all())
                .map_err(io)?,
        }
        let blob_dir = self.dir.join(BLOB_DIR);
        let mut synced = self.synced_blobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut new_blobs = false;
        if let Ok(entries) = fs::read_dir(&blob_dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                if everything || !synced.contains(&name) {
                    File::open(e.path())
                        .and_then(|f| f.sync_all())
                        .map_err(io)?;
                    synced.insert(name);
                    new_blobs = true;
                }
            }
        }
        if new_blobs || everything {
            super::files::sync_dir(&blob_dir)
                .or_else(|e| if everything { Ok(()) } else { Err(e) })?;
        }
        if everything {
            if let Ok(conf) = File::open(self.dir.join("conf")) {
                conf.sync_all().map_err(io)?;
            }
            super::files::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn error(&self, e: sled::Error) -> Error {
        match e {
            sled::Error::Corruption { .. } => {
                damaged(&self.dir, "the database files failed their checksums")
            }
            sled::Error::Io(io) => {
                Error::io(format!("vault storage at {}", self.dir.display()), io)
            }
            other => Error::Storage(other.to_string()),
        }
    }
}

/// sled's "someone holds the lock" (it wraps `WouldBlock` in an error of its own kind).
fn lock_busy(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

fn damaged(dir: &Path, what: &str) -> Error {
    Error::CorruptVault {
        path: dir.parent().unwrap_or(dir).to_path_buf(),
        what: format!("its store {} is damaged ({what})", dir.display()),
    }
}

fn open_error(dir: &Path, e: sled::Error) -> Error {
    match e {
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            Error::io(format!("cannot open the vault store {}", dir.display()), io)
        }
        sled::Error::Io(ref io) if lock_busy(io) => {
            // The vault lock is taken first, so only a foreign process can hold sled's own.
            Error::VaultBusy {
                path: dir.parent().unwrap_or(dir).to_path_buf(),
                holder: "another process (it holds the store directly)".into(),
            }
        }
        sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => {
            damaged(dir, "the database files failed their checksums")
        }
        sled::Error::Io(io) => {
            Error::io(format!("cannot open the vault store {}", dir.display()), io)
        }
        other => damaged(dir, &other.to_string()),
    }
}
