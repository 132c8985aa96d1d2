//! Building a whole new store beside the live one and swapping it in, for everything that
//! rewrites the vault wholesale: `passwd --rotate-key` (every record re-sealed under a fresh
//! key), `compact` (dead records left behind), migration from format 1, and `recover`.
//!
//! The swap is the header: it names the live store, so replacing the header (one atomic
//! rename) switches stores. A crash before that leaves the old vault and a half-built
//! directory that the next open removes; after it, the new vault and an old directory that
//! is removed the same way. Records are written in bounded chunks, so memory stays flat
//! whatever the vault's size.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SendError, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::files;
use super::header::{self, Header};
use super::record::{
    BodyV2, KIND_BODY, KIND_META, KIND_STATE, KIND_TRASH, KIND_TRASH_BODY, KNOWN_KINDS, Keys,
    MetaV2,
};
use super::state::StateV2;
use super::store::{Batch, Store};
use super::trash::TrashV2;
use super::{Vault, account_of, snapshot};
use crate::crypto::{KdfParams, Key};
use crate::error::{Error, Result};
use crate::secret::now;

/// Records handed to the writer thread at a time, and batches in flight (bounded memory).
const CHUNK: usize = 1024;
const CHUNKS_IN_FLIGHT: usize = 2;
/// A store this small compacts in milliseconds, so a delete compacts at once.
pub const CHEAP_COMPACTION: u64 = 16 * 1024 * 1024;
/// Deleted secrets leave the live files of a larger vault within this time (the first
/// command that writes after it compacts).
pub const SCRUB_WITHIN: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

type Record = (Vec<u8>, Vec<u8>);

/// A store being built; nothing is live until [`Builder::finish`]. Records are sealed on
/// the caller's thread and inserted into sled by a writer thread, so the two overlap.
pub(super) struct Builder {
    dir: PathBuf,
    store_name: String,
    store: Option<Arc<Store>>,
    pub keys: Keys,
    vault_id: [u8; 16],
    pub state: StateV2,
    chunk: Vec<Record>,
    writer: Option<Writer>,
    /// The snapshot of the new store, written as it is built.
    snapshot: Option<snapshot::Pending>,
}

/// A finished build: the new store (live once its header is written), and its snapshot,
/// ready to install.
pub(super) struct Built {
    pub store: Store,
    pub state: StateV2,
    pub header: Header,
    pub keys: Keys,
    pub snapshot: snapshot::Ready,
}

/// The thread inserting what the builder sealed.
struct Writer {
    tx: SyncSender<Vec<Record>>,
    done: JoinHandle<Result<()>>,
}

impl Writer {
    fn start(store: Arc<Store>) -> std::io::Result<Writer> {
        let (tx, rx) = sync_channel::<Vec<Record>>(CHUNKS_IN_FLIGHT);
        let done = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                for chunk in rx {
                    for (key, blob) in chunk {
                        store.insert_unflushed(&key, blob)?;
                    }
                }
                Ok(())
            })?;
        Ok(Writer { tx, done })
    }

    /// Waits for everything sent so far to be inserted; the first error, if any.
    fn finish(self) -> Result<()> {
        drop(self.tx);
        self.done
            .join()
            .unwrap_or_else(|_| Err(Error::Storage("the vault store's writer failed".into())))
    }
}

impl Builder {
    /// Starts an empty store in `dir` (the vault directory) for generation `generation`.
    pub fn new(dir: &Path, keys: Keys, vault_id: [u8; 16], generation: u64) -> Result<Builder> {
        let store_name = header::new_store_name();
        let store = Store::create(&dir.join(&store_name))?;
        let mut state = StateV2::empty(now());
        state.generation = generation;
        let snapshot = snapshot::Pending::start(dir, &keys, &vault_id, generation)?;
        Ok(Builder {
            dir: dir.to_path_buf(),
            store_name,
            store: Some(Arc::new(store)),
            keys,
            vault_id,
            state,
            chunk: Vec::with_capacity(CHUNK),
            writer: None,
            snapshot: Some(snapshot),
        })
    }

    /// Adds a sealed record as it is (it must already be sealed under this builder's keys).
    pub fn put_raw(&mut self, key: &[u8], blob: Vec<u8>) -> Result<()> {
        self.state.account(&self.keys, key, None, Some(&blob));
        self.snapshot_mut().put(key, &blob)?;
        self.chunk.push((key.to_vec(), blob));
        if self.chunk.len() >= CHUNK {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Sends the records gathered so far to the writer thread (started on first use).
    fn hand_over(&mut self) -> Result<()> {
        if self.writer.is_none() {
            match Writer::start(Arc::clone(self.store())) {
                Ok(w) => self.writer = Some(w),
                // No thread to be had: the records go in on this one.
                Err(_) => return self.drain(),
            }
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let writer = self.writer.as_ref().expect("started above");
        if let Err(SendError(chunk)) = writer.tx.send(chunk) {
            // The writer stopped, on an error: that error is the answer.
            self.chunk = chunk;
            return self.drain();
        }
        Ok(())
    }

    /// Waits until every record put so far is in the store.
    fn drain(&mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.finish()?;
        }
        for (key, blob) in std::mem::take(&mut self.chunk) {
            self.store().insert_unflushed(&key, blob)?;
        }
        Ok(())
    }

    /// Seals and adds both records of a trashed secret.
    pub fn put_trash(&mut self, record: &TrashV2, body: &BodyV2) -> Result<()> {
        let (scope, name, g) = (
            record.meta.scope,
            &record.meta.name,
            record.deleted_generation,
        );
        let tk = self.keys.trash_key(KIND_TRASH, scope, name, g);
        let uk = self.keys.trash_key(KIND_TRASH_BODY, scope, name, g);
        let t = self.keys.seal(&self.vault_id, &tk, None, record);
        let u = self
            .keys
            .seal(&self.vault_id, &uk, Some(record.binding()), body);
        self.put_raw(&tk, t)?;
        self.put_raw(&uk, u)
    }

    /// Seals and adds both records of a secret (its meta keeps its own generation).
    pub fn put_secret(&mut self, meta: &MetaV2, body: &BodyV2) -> Result<()> {
        let mk = self.keys.secret_key(KIND_META, meta.scope, &meta.name);
        self.put_secret_at(mk, meta, body)
    }

    /// [`Builder::put_secret`] with the secret's meta key already computed (`mk`).
    pub fn put_secret_at(&mut self, mk: Vec<u8>, meta: &MetaV2, body: &BodyV2) -> Result<()> {
        debug_assert_eq!(mk, self.keys.secret_key(KIND_META, meta.scope, &meta.name));
        let bk = Keys::sibling(&mk, KIND_BODY);
        let m = self.keys.seal(&self.vault_id, &mk, None, meta);
        let b = self
            .keys
            .seal(&self.vault_id, &bk, Some(meta.binding()), body);
        self.put_raw(&mk, m)?;
        self.put_raw(&bk, b)
    }

    /// Writes what is put so far (it is still not live).
    pub fn flush(&mut self) -> Result<()> {
        self.drain()?;
        self.store().flush()
    }

    /// Reads a secret back from the store being built (to verify it before it goes live).
    pub fn read_secret(&self, meta: &MetaV2) -> Option<(MetaV2, BodyV2)> {
        let mk = self.keys.secret_key(KIND_META, meta.scope, &meta.name);
        let bk = self.keys.secret_key(KIND_BODY, meta.scope, &meta.name);
        let m: MetaV2 = self
            .keys
            .open(&self.vault_id, &mk, None, &self.store().get(&mk).ok()??)
            .ok()?;
        let b: BodyV2 = self
            .keys
            .open(
                &self.vault_id,
                &bk,
                Some(m.binding()),
                &self.store().get(&bk).ok()??,
            )
            .ok()?;
        Some((m, b))
    }

    fn snapshot_mut(&mut self) -> &mut snapshot::Pending {
        self.snapshot
            .as_mut()
            .expect("the snapshot is written until finish")
    }

    fn store(&self) -> &Arc<Store> {
        self.store
            .as_ref()
            .expect("the store lives until finish or drop")
    }

    /// Writes the state record, makes the store and its snapshot durable, and swaps the
    /// store in with `header` (given the new store's name and account).
    pub fn finish(mut self, mut header: Header) -> Result<Built> {
        let state_key = Keys::state_key();
        let blob = self
            .keys
            .seal(&self.vault_id, &state_key, None, &self.state);
        self.drain()?;
        self.snapshot_mut().put(&state_key, &blob)?;
        let snapshot = self
            .snapshot
            .take()
            .expect("the snapshot is written until finish")
            .finish()?;
        let mut batch = Batch::default();
        batch.insert(&state_key, blob);
        self.store().apply(batch)?;
        header.store = self.store_name.clone();
        header.set_account(
            &self.keys.header,
            &account_of(&self.keys, &header, &self.state),
        );
        // The commit point: from here on, the new store is the vault.
        header.write(&self.dir, true)?;
        let store = Arc::into_inner(self.store.take().expect("not finished twice"))
            .expect("the writer thread has ended");
        let keys = std::mem::replace(&mut self.keys, Keys::new(Key::random()));
        Ok(Built {
            store,
            state: self.state.clone(),
            header,
            keys,
            snapshot,
        })
    }
}

impl Drop for Builder {
    /// An unfinished build is removed (an error, or a panic, part way through).
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.finish();
        }
        if let Some(store) = self.store.take() {
            drop(store);
            let _ = fs::remove_dir_all(self.dir.join(&self.store_name));
        }
    }
}

impl Vault {
    /// Replaces the live store with a finished build, removing the old store's directory
    /// and (since they may hold records meant to be gone, or sealed under a retired key)
    /// every snapshot, then writes a fresh snapshot.
    /// (The caller holds the write lock; readers wait for the swap.)
    pub(super) fn switch_to(&self, built: Built) -> Result<()> {
        let Built {
            store,
            state,
            header,
            snapshot,
            ..
        } = built;
        let view = self.write_view();
        let old = std::mem::replace(
            &mut *self.store.write().unwrap_or_else(|p| p.into_inner()),
            store,
        );
        let old_dir = old.dir().to_path_buf();
        drop(old);
        {
            let mut c = self.committed();
            c.state = state;
            c.header = header;
            c.wrote = true;
        }
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter_mut()
            .for_each(|v| *v = false);
        drop(view);
        fs::remove_dir_all(&old_dir).map_err(|e| files::io_err("cannot remove", &old_dir, e))?;
        files::sync_dir(&self.dir)?;
        self.replace_snapshots(snapshot)
    }

    /// Every record of the live store, in order; unknown record kinds (a newer sesame's)
    /// stop the rebuild rather than being dropped.
    fn for_each_known(&self, f: &mut super::store::Visit<'_>) -> Result<()> {
        self.store().for_each(&[], &mut |key, blob| match key.first() {
            Some(k) if KNOWN_KINDS.contains(k) => f(key, blob),
            _ => Err(Error::Storage(format!(
                "the vault holds a record of a kind this sesame does not know ({:?}): upgrade sesame before rewriting the vault",
                key.first().map(|&b| b as char)
            ))),
        })
    }

    /// `passwd --rotate-key`: a fresh vault key, every record re-sealed under it into a new
    /// store, and the new key wrapped under `passphrase`. An old copy of the files and the
    /// old passphrase then open nothing written from now on.
    pub fn rotate_key(&mut self, passphrase: &[u8], kdf: Option<KdfParams>) -> Result<()> {
        if passphrase.is_empty() {
            return Err(Error::Passphrase(
                "the new passphrase must not be empty".into(),
            ));
        }
        let w = self.writer()?;
        let (kdf, generation) = {
            let c = self.committed();
            (kdf.unwrap_or(c.header.kdf), c.state.generation + 1)
        };
        kdf.check()?;
        let new_keys = Keys::new(Key::random());
        let header = Header::wrap(
            &new_keys.vault,
            self.vault_id,
            passphrase,
            kdf,
            String::new(),
        )?;
        let mut builder = Builder::new(&self.dir, new_keys, self.vault_id, generation)?;
        builder.state.sync_key = self.committed().state.sync_key;
        // Every record re-sealed under the new key: secrets, the trash, sync state.
        self.for_each_known(&mut |key, blob| match key.first() {
            Some(&KIND_META) => {
                let meta = self.open_meta(key, blob).map_err(|_| damaged_record(key))?;
                let body = self.read_body(&meta)?;
                builder.put_secret(&meta, &body)
            }
            Some(&KIND_TRASH) => {
                let id = self.trash_id_of(key, blob)?;
                let (_, record, _, body) = self.read_trash(&id)?;
                builder.put_trash(&record, &body)
            }
            Some(&super::record::KIND_SYNC) => {
                let (k, b) = self.reseal_sync(key, blob, &builder.keys, &self.vault_id)?;
                builder.put_raw(&k, b)
            }
            _ => Ok(()),
        })?;
        builder.state.scrub_pending = false;
        self.retire_recovery_files()?;
        let mut built = builder.finish(header)?;
        drop(w);
        self.keys = std::mem::replace(&mut built.keys, Keys::new(Key::random()));
        self.switch_to(built)
    }

    /// Removes the snapshots and the journal before a rebuild's commit point: they are about
    /// to be superseded (and may hold what the rebuild removes, or be sealed under a retired
    /// key). A crash after this leaves the old vault without them, which loses no secret;
    /// the next write starts a journal and a snapshot again.
    pub(super) fn retire_recovery_files(&self) -> Result<()> {
        for s in snapshot::list(&self.dir) {
            fs::remove_file(&s.path).map_err(|e| files::io_err("cannot remove", &s.path, e))?;
        }
        match fs::remove_file(self.dir.join(super::journal::JOURNAL_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(files::io_err("cannot remove", &self.dir.join("journal"), e));
            }
            _ => {}
        }
        files::sync_dir(&self.dir)
    }

    /// Rebuilds the store with only its live records, so deleted secrets and replaced
    /// versions leave the live files (sled keeps them in its log until then), and replaces
    /// the snapshots. Costs about one import of the whole vault.
    pub fn compact(&self) -> Result<()> {
        let w = self.writer()?;
        let (header, generation) = {
            let c = self.committed();
            (c.header.clone(), c.state.generation + 1)
        };
        let keys = Keys::new(self.keys.vault.clone());
        let mut builder = Builder::new(&self.dir, keys, self.vault_id, generation)?;
        builder.state.sync_key = self.committed().state.sync_key;
        // The live records move as they are, still sealed under the same key for the same
        // place; only what sled's log kept of older and deleted ones is left behind.
        self.for_each_known(&mut |key, blob| {
            if key.first() == Some(&KIND_STATE) {
                return Ok(());
            }
            builder.put_raw(key, blob.to_vec())
        })?;
        builder.state.scrub_pending = false;
        self.retire_recovery_files()?;
        let built = builder.finish(header)?;
        let switched = self.switch_to(built);
        drop(w);
        switched
    }

    /// True when a delete left sealed bytes in the live files that a compaction would remove.
    pub fn scrub_pending(&self) -> bool {
        self.committed().state.scrub_pending
    }

    /// Compacts when a delete left sealed bytes behind and compaction is cheap (a store of
    /// at most [`CHEAP_COMPACTION`] bytes: milliseconds) or overdue (the last one is more
    /// than [`SCRUB_WITHIN`] old). Returns whether it compacted. This bounds how long a
    /// deleted secret's sealed bytes stay in the live files.
    pub fn scrub(&self) -> Result<bool> {
        let (pending, compacted_at) = {
            let c = self.committed();
            (c.state.scrub_pending, c.state.compacted_at)
        };
        if !pending || self.read_only.is_some() {
            return Ok(false);
        }
        let cheap = files::tree_size(self.store().dir()) <= CHEAP_COMPACTION;
        let overdue = now().saturating_sub(compacted_at) >= SCRUB_WITHIN.as_secs();
        if !(cheap || overdue) {
            return Ok(false);
        }
        self.compact()?;
        Ok(true)
    }
}

fn damaged_record(key: &[u8]) -> Error {
    Error::CorruptRecord {
        what: format!("record {}", super::record::record_id(key)),
    }
}

/// Removes what an interrupted rebuild, write or migration left in the vault directory:
/// stores other than the live one, and temp files. Called with the vault lock held.
pub(super) fn remove_leftovers(dir: &Path, live_store: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if (header::valid_store_name(&name) && name != live_store) || name.contains(".tmp-") {
            let path = e.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
    }
    if let Ok(entries) = fs::read_dir(dir.join(snapshot::SNAPSHOT_DIR)) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().contains(".tmp-") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    super::migrate::remove_v1_leftovers(dir);
}

/// Copies a store directory into a private scratch directory (for reading a vault whose
/// directory is read-only: sled cannot open files it may not write).
pub(super) fn scratch_copy(store_dir: &Path) -> Result<PathBuf> {
    let base = std::env::temp_dir().join(format!(
        "sesame-ro-{}-{}",
        std::process::id(),
        files::hex(&crate::crypto::random_array::<6>())
    ));
    copy_dir(store_dir, &base).map_err(|e| {
        let _ = fs::remove_dir_all(&base);
        files::io_err("cannot copy the read-only vault store", store_dir, e)
    })?;
    Ok(base)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().mode(0o700).create(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        let ty = e.file_type()?;
        if ty.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else if ty.is_file() {
            fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}
