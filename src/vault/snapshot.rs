//! Sealed snapshots: a copy of every record of the store (already sealed one by one), written
//! atomically to `snapshots/` when the vault changed and the newest snapshot is older than a
//! few minutes, and whenever a long-lived process locks or exits. `sesame recover` rebuilds a
//! damaged store from the newest good snapshot plus every record still readable.
//!
//! Layout: `MAGIC | format u32 | vault id (16) | generation u64 | written-at u64 |
//! entries (key length u16 > 0, key, blob length u32, blob)* | 0u16 | MAC (32)`, the MAC a
//! keyed BLAKE2b over everything before it. Records inside stay sealed under the vault key,
//! so a snapshot reveals no more than the store does (counts and sizes).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Vault;
use super::files;
use super::record::Keys;
use crate::crypto::Mac;
use crate::error::{Error, Result};
use crate::secret::{Timestamp, now};

pub const SNAPSHOT_DIR: &str = "snapshots";
const MAGIC: &[u8; 8] = b"SESAMESN";
const SUFFIX: &str = ".snap";
/// Snapshots kept; older ones are removed when a new one is written.
pub const KEEP: usize = 3;
/// A changed vault gets a new snapshot when the newest is older than this.
pub const INTERVAL: Duration = Duration::from_secs(5 * 60);
const MAX_KEY: usize = 1024;
const MAX_BLOB: usize = 64 * 1024 * 1024;

/// A snapshot file on disk, by the generation its name gives.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    pub path: PathBuf,
    pub generation: u64,
}

/// A snapshot as read back: its records, and whether it was whole and authentic.
pub struct Contents {
    pub generation: u64,
    pub written_at: Timestamp,
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
    /// The MAC checked out over a complete file. When false, `records` holds what could be
    /// parsed; each is still authenticated on its own when opened.
    pub intact: bool,
}

/// The snapshots of a vault directory, newest first.
pub fn list(dir: &Path) -> Vec<SnapshotFile> {
    let mut out: Vec<SnapshotFile> = fs::read_dir(dir.join(SNAPSHOT_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let generation = name.strip_suffix(SUFFIX)?.parse().ok()?;
            Some(SnapshotFile {
                path: e.path(),
                generation,
            })
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.generation));
    out
}

/// Writes every record of `store` as snapshot `generation`, atomically, and keeps the
/// newest [`KEEP`].
pub fn write(
    dir: &Path,
    store: &super::store::Store,
    keys: &Keys,
    vault_id: &[u8; 16],
    generation: u64,
) -> Result<PathBuf> {
    let mut pending = Pending::start(dir, keys, vault_id, generation)?;
    store.for_each(&[], &mut |k, v| pending.put(k, v))?;
    pending.finish()?.install(keys, vault_id)
}

/// A snapshot being written, record by record (a rebuild writes one beside the new store,
/// so it need not read the store back once it is live).
pub(super) struct Pending {
    out: MacWriter,
    ready: Ready,
}

/// A finished snapshot in its temporary file, made durable, not yet one of the vault's:
/// [`Ready::install`] renames it into place. Dropped uninstalled, the file is removed.
pub(super) struct Ready {
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    generation: u64,
    installed: bool,
}

impl Pending {
    pub fn start(dir: &Path, keys: &Keys, vault_id: &[u8; 16], generation: u64) -> Result<Pending> {
        let snap_dir = dir.join(SNAPSHOT_DIR);
        fs::create_dir_all(&snap_dir).map_err(|e| files::io_err("cannot create", &snap_dir, e))?;
        let path = snap_dir.join(format!("{generation:020}{SUFFIX}"));
        let ready = Ready {
            tmp: files::temp_path(&path),
            path,
            dir: dir.to_path_buf(),
            generation,
            installed: false,
        };
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&ready.tmp)
            .map_err(|e| files::io_err("cannot write", &ready.tmp, e))?;
        let mut pending = Pending {
            out: MacWriter {
                inner: BufWriter::with_capacity(256 * 1024, file),
                mac: Mac::new(&keys.snapshot),
            },
            ready,
        };
        for part in [
            &MAGIC[..],
            &super::FORMAT_VERSION.to_le_bytes(),
            vault_id,
            &generation.to_le_bytes(),
            &now().to_le_bytes(),
        ] {
            pending.write(part)?;
        }
        Ok(pending)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .put(bytes)
            .map_err(|e| files::io_err("cannot write", &self.ready.tmp, e))
    }

    /// Adds one record (key and sealed blob, as the store holds them).
    pub fn put(&mut self, key: &[u8], blob: &[u8]) -> Result<()> {
        self.write(&(key.len() as u16).to_le_bytes())?;
        self.write(key)?;
        self.write(&(blob.len() as u32).to_le_bytes())?;
        self.write(blob)
    }

    /// Ends the file (end marker, MAC) and makes it durable.
    pub fn finish(mut self) -> Result<Ready> {
        self.write(&0u16.to_le_bytes())?;
        let Pending { out, ready } = self;
        let io = |e| files::io_err("cannot write", &ready.tmp, e);
        let MacWriter { mut inner, mac } = out;
        inner.write_all(&mac.finalize()).map_err(io)?;
        let file = inner.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        Ok(ready)
    }
}

impl Ready {
    /// Makes it the vault's newest snapshot: renamed into place, the journal started again
    /// from it, and only the newest [`KEEP`] kept.
    pub fn install(mut self, keys: &Keys, vault_id: &[u8; 16]) -> Result<PathBuf> {
        fs::rename(&self.tmp, &self.path)
            .map_err(|e| files::io_err("cannot write", &self.path, e))?;
        self.installed = true;
        files::sync_dir(&self.dir.join(SNAPSHOT_DIR))?;
        // The snapshot holds everything up to its generation: the journal starts from it.
        super::journal::reset(&self.dir, &keys.snapshot, vault_id, self.generation)?;
        for old in list(&self.dir).into_iter().skip(KEEP) {
            let _ = fs::remove_file(old.path);
        }
        Ok(self.path.clone())
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        if !self.installed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Reads a snapshot, tolerating damage: whatever parses before the damage is returned.
pub fn read(path: &Path, keys: &Keys, vault_id: &[u8; 16]) -> Result<Contents> {
    let bytes = fs::read(path).map_err(|e| files::io_err("cannot read", path, e))?;
    let bad = || Error::CorruptVault {
        path: path.to_path_buf(),
        what: "it is not a sesame snapshot of this vault".into(),
    };
    if bytes.len() < 44 || &bytes[..8] != MAGIC || bytes[12..28] != vault_id[..] {
        return Err(bad());
    }
    let generation = u64::from_le_bytes(bytes[28..36].try_into().expect("8 bytes"));
    let written_at = u64::from_le_bytes(bytes[36..44].try_into().expect("8 bytes"));
    let mut records = Vec::new();
    let mut at = 44;
    let mut complete = false;
    while let Some(klen) =
        take(&bytes, &mut at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    {
        if klen == 0 {
            complete = true;
            break;
        }
        if klen > MAX_KEY {
            break;
        }
        let Some(key) = take(&bytes, &mut at, klen).map(<[u8]>::to_vec) else {
            break;
        };
        let Some(blen) = take(&bytes, &mut at, 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        else {
            break;
        };
        if blen > MAX_BLOB {
            break;
        }
        let Some(blob) = take(&bytes, &mut at, blen).map(<[u8]>::to_vec) else {
            break;
        };
        records.push((key, blob));
    }
    let intact = complete && bytes.len() == at + 32 && {
        let mut mac = Mac::new(&keys.snapshot);
        mac.update(&bytes[..at]);
        mac.finalize()[..] == bytes[at..]
    };
    Ok(Contents {
        generation,
        written_at,
        records,
        intact,
    })
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
    let end = at.checked_add(n)?;
    let out = bytes.get(*at..end)?;
    *at = end;
    Some(out)
}

struct MacWriter {
    inner: BufWriter<File>,
    mac: Mac,
}

impl MacWriter {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.mac.update(bytes);
        self.inner.write_all(bytes)
    }
}

impl Vault {
    /// Writes a snapshot when the vault changed since the newest one and that one is older
    /// than [`INTERVAL`] (or, with `force`, whenever it changed). Returns whether one was
    /// written.
    pub fn snapshot_if_due(&self, force: bool) -> Result<bool> {
        if self.read_only.is_some() {
            return Ok(false);
        }
        let _w = self.writer()?;
        let generation = self.committed().state.generation;
        if let Some(newest) = list(&self.dir).first() {
            if newest.generation >= generation {
                return Ok(false);
            }
            let age = fs::metadata(&newest.path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if !force && age.is_some_and(|a| a < INTERVAL) {
                return Ok(false);
            }
        }
        self.write_snapshot(generation)?;
        Ok(true)
    }

    /// Writes snapshot `generation` (the caller holds the write lock).
    pub(super) fn write_snapshot(&self, generation: u64) -> Result<PathBuf> {
        write(
            &self.dir,
            &self.store(),
            &self.keys,
            &self.vault_id,
            generation,
        )
    }

    /// Removes every snapshot and installs `built`, the snapshot a rebuild wrote of the
    /// store now live (older snapshots may hold records that were meant to be gone).
    pub(super) fn replace_snapshots(&self, built: Ready) -> Result<()> {
        for s in list(&self.dir) {
            fs::remove_file(&s.path).map_err(|e| files::io_err("cannot remove", &s.path, e))?;
        }
        built.install(&self.keys, &self.vault_id)?;
        Ok(())
    }
}
