//! The vault API both faces use: unlock, list, get, create, update, rename, delete, history,
//! import, and the maintenance of the files (passphrase and key changes, compaction,
//! snapshots, verification, recovery). Storage goes through `store`, encoding through
//! `codec`, sealing through `record` and `crypto`.
//!
//! On disk (format 2, DESIGN §4), in the vault directory:
//! - `header` (+ `header.bak`): KDF parameters, salt, the wrapped vault key, the name of the
//!   live store, and a sealed account (write generation, secret count, state digest);
//!   replaced atomically, outside sled (`header.rs`).
//! - `store-<id>/`: the sled database; keys are `kind || H(index key, scope, name)`, values
//!   are sealed records (`record.rs`) plus one state record carrying the commitment
//!   (`state.rs`).
//! - `snapshots/`: sealed copies of the store from the last few generations (`snapshot.rs`),
//!   for `sesame recover`.
//! - `lock`: held while a process has the vault open (`files.rs`).
//!
//! Each secret is two records: `meta` (name, scope, schema, key names, times: what lists
//! need) and `body` (values and earlier versions), so listing never decrypts a value.

mod codec;
mod files;
mod header;
mod journal;
mod migrate;
mod rebuild;
mod record;
mod repair;
mod snapshot;
mod state;
pub mod store;
mod sync;
mod transfer;
mod trash;
mod write;

pub use files::{AGENT_ROLE, replace_file, restrict_umask, set_holder_role};
pub use repair::{RecoverReport, VerifyReport};

/// Encodes a message for the agent's socket with the vault's one codec.
pub fn encode_message<T: serde::Serialize>(msg: &T) -> zeroize::Zeroizing<Vec<u8>> {
    codec::encode(msg)
}

/// Decodes a message from the agent's socket (`None` if it does not parse, whole).
pub fn decode_message<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    codec::decode(bytes)
}
pub use sync::{Agreed, ContentHash, LocalState, SyncBase, SyncView};
pub use transfer::{ImportItem, ImportReport};
pub use trash::{Deleted, TrashEntry, TrashId};
pub use write::Change;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::crypto::{self, KdfParams, Key};
use crate::error::{Error, Result};
use crate::schema::Registry;
use crate::secret::{Scope, Secret, SecretMeta, SecretName, Values, Version, now};
use header::{Account, Header};
use record::{BodyV2, KIND_BODY, KIND_META, Keys, MetaV2, OpenFailure};
use state::{StateV2, Tally};
use store::Store;

/// The on-disk format this build reads and writes. Older formats are migrated on open;
/// newer ones are refused.
pub const FORMAT_VERSION: u32 = 2;
/// Earlier versions kept per secret unless configured otherwise.
pub const DEFAULT_HISTORY: usize = 10;
/// Days a deleted secret stays in the trash unless configured otherwise.
pub const DEFAULT_TRASH_DAYS: u64 = 30;

/// What a write is checked against and how much history it keeps: the schemas and history
/// limit of the config in use. Passed with every write rather than held by the vault, so
/// that a vault shared through the agent validates each client's writes as that client
/// would without it.
#[derive(Clone, Debug)]
pub struct Policy {
    pub schemas: Registry,
    /// Where the user's own schemas were loaded from (for the agent to load the same ones).
    pub schema_dir: Option<std::path::PathBuf>,
    /// Earlier versions kept per secret; at least 1.
    pub history: usize,
    /// Days a deleted secret stays in the trash before it is purged; 0 keeps no trash.
    pub trash_days: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            schemas: Registry::builtin(),
            schema_dir: None,
            history: DEFAULT_HISTORY,
            trash_days: DEFAULT_TRASH_DAYS,
        }
    }
}

impl Policy {
    /// Validates `values` against `schema` (filling in defaults); a secret with no key at
    /// all is refused, as it is a group of key-value pairs.
    pub fn check(&self, schema: &str, values: &mut Values) -> Result<()> {
        self.schemas.get(schema)?.validate(values)?;
        if values.is_empty() {
            return Err(Error::Validation(
                "a secret needs at least one key: nothing would be stored".into(),
            ));
        }
        Ok(())
    }
}

/// The outcome of listing: every readable secret, and what did not check out.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    pub secrets: Vec<SecretMeta>,
    /// Records that failed to open, by id (their names are sealed inside them).
    pub damaged: Vec<String>,
    /// Other integrity findings, one line each (a record replayed, removed or added behind
    /// the vault's back; a count that does not add up).
    pub problems: Vec<String>,
}

/// What a writer holds: the committed state of the store and the header that accounts
/// for it. Behind a mutex, so writes in one process are serialized.
struct Committed {
    state: StateV2,
    header: Header,
    /// This process wrote to the vault (a snapshot may be due when it closes).
    wrote: bool,
}

/// Proof that the caller holds the vault's write lock (see [`Vault::writer`]).
pub(crate) struct WriteToken<'a>(#[allow(dead_code)] MutexGuard<'a, ()>);

pub struct Vault {
    dir: PathBuf,
    /// The live store; replaced whole by a rebuild (compaction, a bulk import).
    store: std::sync::RwLock<Store>,
    keys: Keys,
    vault_id: [u8; 16],
    /// Serializes writers in this process: held across every read-modify-write.
    write_lock: Mutex<()>,
    /// Readers share it for the whole of one read (a meta and its body, a bucket and its
    /// sums); a commit takes it alone while it changes the store and the state, so a reader
    /// never sees half of a write. Taken once per public read, never nested.
    reading: std::sync::RwLock<()>,
    /// The committed state; locked only briefly (readers check buckets against it).
    committed: Mutex<Committed>,
    /// Buckets whose commitment was checked against the records since open.
    verified: Mutex<Vec<bool>>,
    /// Why writes are refused, if they are (a read-only directory).
    read_only: Option<String>,
    /// A private copy of a read-only vault's store, removed on drop.
    scratch: Option<PathBuf>,
    notices: Mutex<Vec<String>>,
    /// The last listing and the generation it was taken at: while nothing was written, a
    /// long-lived holder (the agent, the TUI) answers a list without decrypting again.
    listed: Mutex<Option<(u64, std::sync::Arc<Listing>)>>,
    // Last: released after the store is closed.
    _lock: files::VaultLock,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The header of a vault directory as found on open.
struct FoundHeader {
    header: Header,
    /// Read from `header.bak` because `header` was damaged or missing: its account is stale.
    from_backup: Option<String>,
}

impl Vault {
    /// True when `dir` holds a sesame vault (of any format; damaged or not).
    pub fn exists(dir: &Path) -> bool {
        dir.join(header::HEADER_FILE).exists()
            || dir.join(header::BACKUP_FILE).exists()
            || migrate::is_v1(dir)
    }

    /// Creates a new vault in `dir` sealed under `passphrase`.
    pub fn init(dir: &Path, passphrase: &[u8], kdf: KdfParams) -> Result<Vault> {
        kdf.check()?;
        if passphrase.is_empty() {
            return Err(Error::Passphrase("the passphrase must not be empty".into()));
        }
        if Vault::exists(dir) {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        files::create_vault_dir(dir)?;
        let lock = files::VaultLock::acquire(dir, true)?;
        let keys = Keys::new(Key::random());
        let vault_id: [u8; 16] = crypto::random_array();
        let mut header = Header::wrap(
            &keys.vault,
            vault_id,
            passphrase,
            kdf,
            header::new_store_name(),
        )?;
        let store = Store::create(&header.store_dir(dir))?;
        let vault = Vault::assemble(
            dir,
            lock,
            store,
            keys,
            Committed {
                state: StateV2::empty(now()),
                header: header.clone(),
                wrote: true,
            },
            None,
        );
        // The first commit writes the state record and then the header; the backup copy of
        // the key block follows. Until the header exists, the directory is not a vault.
        journal::reset(dir, &vault.keys.snapshot, &vault_id, 0)?;
        let w = vault.writer()?;
        vault.commit(&w, Vec::new(), false)?;
        header = vault.committed().header.clone();
        header.write(dir, true)?;
        drop(w);
        // An empty vault needs no snapshot: the first real change writes one.
        vault.committed().wrote = false;
        Ok(vault)
    }

    /// Opens the vault in `dir` and unlocks it with `passphrase`. A format-1 vault is
    /// migrated first. A store that does not match its header (lost writes, an older copy,
    /// damage sled cannot open) is refused with an error that names `sesame recover`.
    pub fn unlock(dir: &Path, passphrase: &[u8]) -> Result<Vault> {
        let (lock, writable, mut notices) = Vault::prepare(dir)?;
        if migrate::is_v1(dir) && !dir.join(header::HEADER_FILE).exists() {
            if !writable {
                return Err(Error::ReadOnly(format!(
                    "the vault at {} is in format 1 and its directory is read-only, so it cannot be upgraded: copy it somewhere writable and open it there",
                    dir.display()
                )));
            }
            notices.push(migrate::migrate(dir, passphrase)?);
        }
        let found = read_header(dir)?;
        let keys = Keys::new(
            found
                .header
                .unwrap_key(passphrase)?
                .ok_or_else(|| Error::WrongPassphrase(dir.to_path_buf()))?,
        );
        if writable {
            rebuild::remove_leftovers(dir, &found.header.store);
        }
        let (store, scratch) = open_store(dir, &found.header, writable)?;
        let state = read_state(&store, &keys, &found.header.vault_id, dir)?;
        let mut header = found.header;
        if let Some(why) = &found.from_backup {
            notices.push(format!(
                "the vault header was damaged ({why}); it was rebuilt from header.bak"
            ));
        } else {
            check_account(dir, &header, &keys, &state)?;
        }
        let stale = header.account(&keys.header) != Some(account_of(&keys, &header, &state));
        let vault = Vault::assemble(
            dir,
            lock,
            store,
            keys,
            Committed {
                state,
                header: header.clone(),
                wrote: false,
            },
            scratch,
        );
        {
            let mut n = vault.notices.lock().unwrap_or_else(|p| p.into_inner());
            n.extend(notices);
        }
        // A write that reached the store but not the header (a crash between the two), or
        // a header rebuilt from its backup: bring the header up to date.
        if stale && vault.read_only.is_none() {
            let account = account_of(&vault.keys, &header, &vault.committed_state());
            header.set_account(&vault.keys.header, &account);
            header.write(dir, false)?;
            vault.committed().header = header;
        }
        Ok(vault)
    }

    /// The checks every open makes before reading anything: ownership and permissions of
    /// the files, and the vault lock (shared for a read-only directory).
    fn prepare(dir: &Path) -> Result<(files::VaultLock, bool, Vec<String>)> {
        if !Vault::exists(dir) {
            return Err(Error::VaultMissing(dir.to_path_buf()));
        }
        files::restrict_umask();
        let writable = files::writable(dir);
        let notices = files::check_permissions(dir, writable)?;
        let lock = files::VaultLock::acquire(dir, writable)?;
        Ok((lock, writable, notices))
    }

    fn assemble(
        dir: &Path,
        lock: files::VaultLock,
        store: Store,
        keys: Keys,
        committed: Committed,
        scratch: Option<PathBuf>,
    ) -> Vault {
        let read_only = scratch.as_ref().map(|_| {
            format!(
                "the vault at {} is read-only (its directory is not writable): reading works, writing does not",
                dir.display()
            )
        });
        Vault {
            dir: dir.to_path_buf(),
            store: std::sync::RwLock::new(store),
            vault_id: committed.header.vault_id,
            keys,
            write_lock: Mutex::new(()),
            reading: std::sync::RwLock::new(()),
            committed: Mutex::new(committed),
            verified: Mutex::new(vec![false; state::BUCKETS]),
            read_only,
            scratch,
            notices: Mutex::new(Vec::new()),
            listed: Mutex::new(None),
            _lock: lock,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn kdf_params(&self) -> KdfParams {
        self.committed().header.kdf
    }

    /// True when writes are refused because the vault's directory is read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    /// Things worth telling the user that did not stop anything (permissions tightened, a
    /// vault migrated, a header rebuilt, a secret served whose freshness could not be
    /// confirmed). Drained: each is returned once.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn notice(&self, msg: String) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(msg);
    }

    /// A consistent view for one read (see `reading`).
    fn read_view(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.reading.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Excludes readers while a commit or a store swap is applied.
    pub(super) fn write_view(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.reading.write().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    fn committed(&self) -> MutexGuard<'_, Committed> {
        self.committed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn committed_state(&self) -> StateV2 {
        self.committed().state.clone()
    }

    /// The write generation the vault is at (it grows by one with every write).
    pub fn generation(&self) -> u64 {
        self.committed().state.generation
    }

    // ---- reading ----------------------------------------------------------------------

    /// Every secret's metadata, sorted by scope then name, with every record's integrity
    /// checked. Values are not decrypted.
    pub fn list(&self) -> Result<Listing> {
        let _view = self.read_view();
        let generation = self.committed().state.generation;
        if let Some((g, l)) = self
            .listed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *g == generation
        {
            return Ok(l.as_ref().clone());
        }
        // Not kept: a caller that wants it owned would pay a deep copy of a cached one
        // (at 100,000 secrets, tens of ms); the agent keeps its listing (`list_shared`).
        self.list_unguarded()
    }

    /// [`Vault::list`], shared: the same listing again while the vault is unchanged (this
    /// process is its only writer, so the generation says when to look again).
    pub fn list_shared(&self) -> Result<std::sync::Arc<Listing>> {
        let _view = self.read_view();
        let generation = self.committed().state.generation;
        let mut cached = self.listed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, l)) = cached.as_ref()
            && *g == generation
        {
            return Ok(l.clone());
        }
        let listing = std::sync::Arc::new(self.list_unguarded()?);
        *cached = Some((generation, listing.clone()));
        Ok(listing)
    }

    pub(super) fn list_unguarded(&self) -> Result<Listing> {
        // Opening records is independent per record: workers on every core open and tally
        // chunks while this thread is still scanning (sled's scan is sequential), so the
        // scan and the decryption overlap.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        const CHUNK: usize = 2048;
        type Opened = (Vec<std::result::Result<MetaV2, (String, usize)>>, Tally);
        let mut scan_error = None;
        let (tx, rx) = std::sync::mpsc::channel::<Vec<(Vec<u8>, Vec<u8>)>>();
        let rx = Mutex::new(rx);
        let parts: Vec<Opened> = std::thread::scope(|s| {
            let workers: Vec<_> =
                (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut tally = Tally::default();
                            let mut opened = Vec::new();
                            loop {
                                let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                                let Ok(part) = next else {
                                    break;
                                };
                                for (key, blob) in &part {
                                    tally.add(&self.keys, key, blob);
                                    opened.push(self.open_meta(key, blob).map_err(|f| {
                                        (describe_failure(key, f), usize::from(key[1]))
                                    }));
                                }
                            }
                            (opened, tally)
                        })
                    })
                    .collect();
            let mut chunk: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(CHUNK);
            let scanned = self.store().for_each(&[KIND_META], &mut |key, blob| {
                chunk.push((key.to_vec(), blob.to_vec()));
                if chunk.len() == CHUNK {
                    // The workers only stop early by panicking; the scan goes on regardless.
                    let _ = tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                }
                Ok(())
            });
            if let Err(e) = scanned {
                scan_error = Some(e);
            }
            if !chunk.is_empty() {
                let _ = tx.send(chunk);
            }
            drop(tx);
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| (Vec::new(), Tally::default())))
                .collect()
        });
        let state = self.committed_state();
        let mut tally = Tally::default();
        let mut out = Listing::default();
        let mut metas = Vec::new();
        let mut damaged_buckets = std::collections::BTreeSet::new();
        for (opened, t) in parts {
            tally.merge(t);
            for r in opened {
                match r {
                    Ok(m) => metas.push(m),
                    Err((id, bucket)) => {
                        out.damaged.push(id);
                        damaged_buckets.insert(bucket);
                    }
                }
            }
        }
        // Trash records are in the commitment too (they are few: hashed, checked, not listed).
        for r in self.store().scan(&[record::KIND_TRASH]) {
            let (key, blob) = r?;
            tally.add(&self.keys, &key, &blob);
            if self.open_trash(&key, &blob).is_err() {
                out.damaged
                    .push(format!("{} (in the trash)", record::record_id(&key)));
                damaged_buckets.insert(usize::from(key[1]));
            }
        }
        // A bucket that does not add up because one of its records is damaged is explained
        // by that damage (reported above); one that does not add up with every record
        // intact means records were replayed, removed or added.
        let bad = tally.mismatches(&state);
        let unexplained: Vec<usize> = bad
            .iter()
            .copied()
            .filter(|b| !damaged_buckets.contains(b))
            .collect();
        if !unexplained.is_empty() {
            let names: Vec<String> = metas
                .iter()
                .filter(|m| {
                    let k = self.keys.secret_key(KIND_META, m.scope, &m.name);
                    unexplained.contains(&usize::from(k[1]))
                })
                .map(|m| format!("{} ({})", m.name, m.scope))
                .collect();
            out.problems.push(format!(
                "the vault's integrity check failed for {} group(s) of records: a record was replaced by an older copy, removed or added behind sesame's back (affected: {}); run 'sesame verify'",
                unexplained.len(),
                if names.is_empty() {
                    "no readable secret".to_string()
                } else {
                    list_some(&names)
                }
            ));
        }
        {
            let mut v = self.verified.lock().unwrap_or_else(|p| p.into_inner());
            for (b, ok) in v.iter_mut().enumerate() {
                *ok = !bad.contains(&b);
            }
        }
        if tally.count != state.count {
            out.problems.push(format!(
                "the store holds {} secret record(s) but its state records {}: records were lost or added",
                tally.count, state.count
            ));
        }
        if let Some(e) = scan_error {
            out.problems.push(format!("the listing stopped early: {e}"));
        }
        out.secrets = metas.into_iter().map(MetaV2::into_public).collect();
        out.secrets
            .sort_unstable_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
        Ok(out)
    }

    /// Number of secrets, as the state record counts them (nothing is decrypted).
    pub fn count(&self) -> usize {
        self.committed().state.count as usize
    }

    /// Which scope `name` resolves to: the given one, else user first, then workspace.
    pub fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope> {
        let _view = self.read_view();
        self.resolve_unguarded(name, scope)
    }

    pub(super) fn resolve_unguarded(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
    ) -> Result<Scope> {
        let order: &[Scope] = match scope {
            Some(ref s) => std::slice::from_ref(s),
            None => &Scope::LOOKUP_ORDER,
        };
        for &s in order {
            if self
                .store()
                .contains(&self.keys.secret_key(KIND_META, s, name))?
            {
                return Ok(s);
            }
        }
        Err(Error::SecretNotFound {
            name: name.to_string(),
            scope,
        })
    }

    pub fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        let _view = self.read_view();
        let scope = self.resolve_unguarded(name, scope)?;
        Ok(self.read_meta(name, scope)?.public())
    }

    pub fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret> {
        let _view = self.read_view();
        let (meta, body) = self.load(name, scope)?;
        Ok(Secret {
            meta: meta.public(),
            values: body.values,
        })
    }

    /// The current secret and its earlier versions, newest first.
    pub fn history(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
    ) -> Result<(Secret, Vec<Version>)> {
        let _view = self.read_view();
        let (meta, body) = self.load(name, scope)?;
        Ok((
            Secret {
                meta: meta.public(),
                values: body.values,
            },
            body.history.into_iter().map(Version::from).collect(),
        ))
    }

    // ---- records ----------------------------------------------------------------------

    /// Resolves the scope and reads both records of a secret.
    /// (Callers hold a read view, or the write lock: no commit runs in between.)
    fn load(&self, name: &SecretName, scope: Option<Scope>) -> Result<(MetaV2, BodyV2)> {
        let scope = self.resolve_unguarded(name, scope)?;
        let meta = self.read_meta(name, scope)?;
        let body = self.read_body(&meta)?;
        Ok((meta, body))
    }

    /// Opens a meta record. The associated data binds it to `key`, so a blob moved here from
    /// elsewhere fails; whether its name really hashes to `key` is checked where one secret
    /// is read ([`Vault::read_meta`]), not for every record of a listing.
    fn open_meta(&self, key: &[u8], blob: &[u8]) -> std::result::Result<MetaV2, OpenFailure> {
        self.keys.open(&self.vault_id, key, None, blob)
    }

    /// Reads and checks a meta: it must open, and its bucket of the commitment must add up.
    fn read_meta(&self, name: &SecretName, scope: Scope) -> Result<MetaV2> {
        let key = self.keys.secret_key(KIND_META, scope, name);
        let what = || format!("secret '{name}' ({scope})");
        let blob = self
            .store()
            .get(&key)?
            .ok_or_else(|| Error::SecretNotFound {
                name: name.to_string(),
                scope: Some(scope),
            })?;
        let meta = self
            .open_meta(&key, &blob)
            .map_err(|f| record_error(what(), "metadata", f))?;
        // The associated data already binds the blob to this key; this guards the encoder.
        if meta.name != *name || meta.scope != scope {
            return Err(record_error(what(), "metadata", OpenFailure::Damaged));
        }
        self.check_bucket(&key, &what())?;
        Ok(meta)
    }

    fn read_body(&self, meta: &MetaV2) -> Result<BodyV2> {
        let key = self.keys.secret_key(KIND_BODY, meta.scope, &meta.name);
        let what = format!("secret '{}' ({})", meta.name, meta.scope);
        let blob = self
            .store()
            .get(&key)?
            .ok_or_else(|| Error::CorruptRecord {
                what: format!("{what}: its values record is missing"),
            })?;
        self.keys
            .open(&self.vault_id, &key, Some(meta.binding()), &blob)
            .map_err(|f| record_error(what, "values", f))
    }

    /// Checks the commitment of the bucket `key` falls in (once per open, then trusted,
    /// since this process is the only writer). A mismatch explained by a damaged record in
    /// the bucket lets the secret be served with a notice; an unexplained one (a record
    /// replayed, removed or added) refuses it.
    fn check_bucket(&self, key: &[u8], what: &str) -> Result<()> {
        let Some(b) = state::bucket_of(key) else {
            return Ok(());
        };
        if self.verified.lock().unwrap_or_else(|p| p.into_inner())[b] {
            return Ok(());
        }
        let mut tally = Tally::default();
        let mut damaged = Vec::new();
        for kind in record::ANCHORED_KINDS {
            for r in self.store().scan(&[kind, key[1]]) {
                let (k, blob) = r?;
                tally.add(&self.keys, &k, &blob);
                let opens = if kind == KIND_META {
                    self.open_meta(&k, &blob).is_ok()
                } else {
                    self.open_trash(&k, &blob).is_ok()
                };
                if !opens {
                    damaged.push(record::record_id(&k));
                }
            }
        }
        if tally.buckets[b] == self.committed().state.buckets[b] {
            self.verified.lock().unwrap_or_else(|p| p.into_inner())[b] = true;
            return Ok(());
        }
        if !damaged.is_empty() {
            self.notice(format!(
                "could not confirm that {what} is the newest version: record {} in the same integrity group is damaged; run 'sesame verify'",
                damaged.join(", ")
            ));
            return Ok(());
        }
        Err(Error::Tampered {
            what: what.to_string(),
        })
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        // A process that wrote tidies up: deleted secrets leave the live files when that is
        // cheap or overdue, else a snapshot is written when one is due. Best effort: a
        // failure here loses nothing, the store is intact.
        if self.read_only.is_none() && self.committed().wrote {
            let _ = self.purge_expired();
            let compacted = self.scrub().unwrap_or(false);
            if !compacted {
                let _ = self.snapshot_if_due(false);
            }
        }
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn list_some(items: &[String]) -> String {
    let mut s = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        s.push_str(&format!(" and {} more", items.len() - 5));
    }
    s
}

fn describe_failure(key: &[u8], f: OpenFailure) -> String {
    match f {
        OpenFailure::Damaged => record::record_id(key),
        OpenFailure::Newer(v) => format!(
            "{} (written in record format {v} by a newer sesame)",
            record::record_id(key)
        ),
    }
}

fn record_error(what: String, part: &str, f: OpenFailure) -> Error {
    match f {
        OpenFailure::Damaged => Error::CorruptRecord {
            what: format!("{what}, {part} record"),
        },
        OpenFailure::Newer(v) => Error::Storage(format!(
            "{what}: its {part} record is in record format {v}, newer than this sesame reads: upgrade sesame"
        )),
    }
}

/// Reads `header`, falling back to `header.bak` when it is damaged or missing.
fn read_header(dir: &Path) -> Result<FoundHeader> {
    match Header::read(dir, header::HEADER_FILE) {
        Ok(header) => Ok(FoundHeader {
            header,
            from_backup: None,
        }),
        Err(header::ReadError::Newer(v)) => Err(header::ReadError::Newer(v).into_error(dir, "")),
        Err(first) => {
            let why = match &first {
                header::ReadError::Missing => "it is missing".to_string(),
                header::ReadError::Damaged(w) => w.clone(),
                header::ReadError::Io(e) => e.to_string(),
                header::ReadError::Newer(_) => unreachable!("handled above"),
            };
            match Header::read(dir, header::BACKUP_FILE) {
                Ok(header) => Ok(FoundHeader {
                    header,
                    from_backup: Some(why),
                }),
                Err(_) => Err(first.into_error(dir, header::HEADER_FILE)),
            }
        }
    }
}

/// Opens the header's store; a read-only vault's store is copied to a private scratch
/// directory first, since sled cannot open files it may not write.
fn open_store(dir: &Path, header: &Header, writable: bool) -> Result<(Store, Option<PathBuf>)> {
    let store_dir = header.store_dir(dir);
    if !store_dir.is_dir() {
        return Err(Error::CorruptVault {
            path: dir.to_path_buf(),
            what: format!("its store {} is missing", store_dir.display()),
        });
    }
    if writable {
        return Ok((Store::open(&store_dir)?, None));
    }
    let scratch = rebuild::scratch_copy(&store_dir)?;
    match Store::open(&scratch) {
        Ok(store) => Ok((store, Some(scratch))),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&scratch);
            Err(e)
        }
    }
}

/// Reads the store's state record.
fn read_state(store: &Store, keys: &Keys, vault_id: &[u8; 16], dir: &Path) -> Result<StateV2> {
    let damaged = |what: &str| Error::CorruptVault {
        path: dir.to_path_buf(),
        what: what.to_string(),
    };
    let blob = store.get(&Keys::state_key())?.ok_or_else(|| {
        damaged("its store has lost its state record (the store file is damaged or was replaced)")
    })?;
    let state: StateV2 = keys
        .open(vault_id, &Keys::state_key(), None, &blob)
        .map_err(|f| match f {
            OpenFailure::Newer(v) => Error::Storage(format!(
                "the vault's state record is in record format {v}, newer than this sesame reads: upgrade sesame"
            )),
            OpenFailure::Damaged => damaged("its state record is damaged"),
        })?;
    if !state.well_formed() {
        return Err(damaged("its state record is malformed"));
    }
    Ok(state)
}

/// The header's account of a state.
fn account_of(keys: &Keys, header: &Header, state: &StateV2) -> Account {
    let blob_digest = keys.commit.keyed_hash(&[
        b"state-digest",
        &header.vault_id,
        &state.generation.to_le_bytes(),
        &codec::encode(state),
    ]);
    Account {
        generation: state.generation,
        count: state.count,
        state_digest: blob_digest,
    }
}

/// Compares the store's state with the header's account of it: equal, or one write ahead
/// (a crash between the store's commit and the header's), or it is reported.
fn check_account(dir: &Path, header: &Header, keys: &Keys, state: &StateV2) -> Result<()> {
    let damaged = |what: String| Error::CorruptVault {
        path: dir.to_path_buf(),
        what,
    };
    let Some(account) = header.account(&keys.header) else {
        return Err(damaged(
            "its header's account of the store does not authenticate".into(),
        ));
    };
    let expected = account_of(keys, header, state);
    if account.generation == state.generation {
        if account != expected {
            return Err(damaged(format!(
                "its store does not match the header at write generation {} (the state record was replaced)",
                state.generation
            )));
        }
        return Ok(());
    }
    if state.generation == account.generation + 1 {
        return Ok(());
    }
    if state.generation < account.generation {
        return Err(damaged(format!(
            "its store holds {} secret(s) at write generation {}, but the header records {} secret(s) at generation {}: the last {} write(s) were lost (a damaged or replaced store file)",
            state.count,
            state.generation,
            account.count,
            account.generation,
            account.generation - state.generation
        )));
    }
    Err(damaged(format!(
        "its header (write generation {}) is older than its store (generation {}): the header file was replaced by an older copy",
        account.generation, state.generation
    )))
}

/// Groups secrets by scope (for display).
pub fn by_scope(secrets: &[SecretMeta]) -> BTreeMap<Scope, Vec<&SecretMeta>> {
    let mut m: BTreeMap<Scope, Vec<&SecretMeta>> = BTreeMap::new();
    for s in secrets {
        m.entry(s.scope).or_default().push(s);
    }
    m
}

#[cfg(test)]
mod tests;
