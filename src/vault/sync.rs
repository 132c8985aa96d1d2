//! Sync state in the vault (DESIGN §6): per (backend, secret), what the two sides last agreed
//! on: a keyed hash of the content (schema and values) and the remote version seen then. The
//! three-way comparison of the sync planner needs nothing else. The hash is keyed with a
//! random key of the vault's (kept in the state record), so it reveals nothing if it ever
//! reaches a remote, and it survives a key rotation.
//!
//! A secret deleted or renamed here keeps its record under its old name: "known to the
//! backend, absent here" is how the planner sees a deletion.

use serde::{Deserialize, Serialize};

use super::Vault;
use super::record::{KIND_SYNC, Keys, OpenFailure};
use super::write::RecordChange;
use crate::backend::{RemoteId, RemoteVersion};
use crate::crypto::Key;
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretName, Timestamp, Values, Version, now};

/// The content hash of a secret: what sync compares.
pub type ContentHash = [u8; 32];

/// What a backend and the vault agree on for one secret (the remote version, schema and
/// values), or `None` to forget it.
pub type Agreed = Option<(RemoteVersion, String, Values)>;

/// Format-2 sync-state record. Frozen: a change means a new record version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncV2 {
    pub backend: String,
    pub scope: Scope,
    pub name: SecretName,
    pub hash: ContentHash,
    pub remote_version: RemoteVersion,
    pub synced_at: Timestamp,
}

/// What the two sides agreed on at the last sync of one secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBase {
    pub hash: ContentHash,
    pub remote_version: RemoteVersion,
    pub synced_at: Timestamp,
}

/// One live secret as sync sees it: its id, version (for compare-and-set when a pull writes
/// it) and content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalState {
    pub id: RemoteId,
    pub version: u64,
    pub schema: String,
    pub hash: ContentHash,
}

/// The local side of a sync with one backend: every live secret, and every remembered base.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncView {
    pub locals: Vec<LocalState>,
    pub bases: Vec<(RemoteId, SyncBase)>,
}

/// The hash of a secret's content, keyed: the schema, then each key and value, length
/// prefixed so that no two contents share an encoding.
pub fn content_hash(key: &[u8; 32], schema: &str, values: &Values) -> ContentHash {
    let key = Key::from_bytes(*key);
    let mut mac = crate::crypto::Mac::new(&key);
    let mut put = |b: &[u8]| {
        mac.update(&(b.len() as u64).to_le_bytes());
        mac.update(b);
    };
    put(b"sesame-content-v1");
    put(schema.as_bytes());
    for (k, v) in values {
        put(k.as_bytes());
        put(v.expose().as_bytes());
    }
    mac.finalize()
}

impl Vault {
    fn sync_hash_key(&self) -> [u8; 32] {
        self.committed().state.sync_key
    }

    /// The hash sync would record for this content (for comparing a remote copy).
    pub fn content_hash(&self, schema: &str, values: &Values) -> ContentHash {
        content_hash(&self.sync_hash_key(), schema, values)
    }

    /// Every live secret with its content hash, and the bases remembered for `backend`. The
    /// sync records of all backends are checked against the state's sum first: a replayed or
    /// removed one is refused, not planned with.
    pub fn sync_view(&self, backend: &str) -> Result<SyncView> {
        let _view = self.read_view();
        let key = self.sync_hash_key();
        let mut tally = 0u128;
        for r in self.store().scan(&[KIND_SYNC]) {
            let (k, blob) = r?;
            tally = tally.wrapping_add(self.keys.commit_hash(&k, &blob));
        }
        if tally != self.committed().state.sync_sum {
            return Err(Error::Tampered {
                what: "the vault's sync state".into(),
            });
        }
        let mut bases = Vec::new();
        for r in self.store().scan(&self.keys.sync_prefix(backend)) {
            let (k, blob) = r?;
            let rec: SyncV2 = self.keys.open(&self.vault_id, &k, None, &blob).map_err(|f| {
                match f {
                    OpenFailure::Newer(v) => Error::Storage(format!(
                        "a sync record is in record format {v}, newer than this sesame reads: upgrade sesame"
                    )),
                    OpenFailure::Damaged => Error::CorruptRecord {
                        what: format!("a sync record of backend '{backend}'"),
                    },
                }
            })?;
            if rec.backend != backend || self.keys.sync_key(backend, rec.scope, &rec.name) != k {
                return Err(Error::CorruptRecord {
                    what: format!("a sync record of backend '{backend}'"),
                });
            }
            bases.push((
                RemoteId::new(rec.scope, rec.name),
                SyncBase {
                    hash: rec.hash,
                    remote_version: rec.remote_version,
                    synced_at: rec.synced_at,
                },
            ));
        }
        let listing = self.list_unguarded()?;
        let mut locals = Vec::with_capacity(listing.secrets.len());
        for m in &listing.secrets {
            let (meta, body) = self.load(&m.name, Some(m.scope))?;
            locals.push(LocalState {
                id: RemoteId::new(meta.scope, meta.name.clone()),
                version: meta.version,
                hash: content_hash(&key, &meta.schema, &body.values),
                schema: meta.schema,
            });
        }
        Ok(SyncView { locals, bases })
    }

    /// The content both sides agreed on at the last sync of `id` with `backend`, as far as
    /// the vault still has it: the current version or one in its history whose content hash
    /// is the remembered one (`None`: never synced, deleted here, or trimmed from history).
    /// Only a hash is kept per base, so a conflict view finds the base's values this way.
    pub fn sync_base(&self, backend: &str, id: &RemoteId) -> Result<Option<Version>> {
        let _view = self.read_view();
        let k = self.keys.sync_key(backend, id.scope, &id.name);
        let Some(blob) = self.store().get(&k)? else {
            return Ok(None);
        };
        let rec: SyncV2 = self
            .keys
            .open(&self.vault_id, &k, None, &blob)
            .map_err(|_| Error::CorruptRecord {
                what: format!("the sync record of '{}' for backend '{backend}'", id.name),
            })?;
        let (meta, body) = match self.load(&id.name, Some(id.scope)) {
            Ok(x) => x,
            Err(e) if e.kind() == crate::error::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let key = self.sync_hash_key();
        if content_hash(&key, &meta.schema, &body.values) == rec.hash {
            return Ok(Some(Version {
                version: meta.version,
                schema: meta.schema.clone(),
                updated: meta.updated,
                values: body.values,
            }));
        }
        Ok(body
            .history
            .into_iter()
            .map(Version::from)
            .find(|v| content_hash(&key, &v.schema, &v.values) == rec.hash))
    }

    /// Remembers, for each `(id, agreed)`, that `backend` and the vault agree on `id` with
    /// this content at this remote version (`Some`), or forgets the secret for `backend`
    /// (`None`). One commit (one fsync) for the lot: sync writes them in batches.
    pub fn sync_records(&self, backend: &str, items: Vec<(RemoteId, Agreed)>) -> Result<()> {
        let w = self.writer()?;
        let mut changes: Vec<RecordChange> = Vec::with_capacity(items.len());
        for (id, agreed) in items {
            let k = self.keys.sync_key(backend, id.scope, &id.name);
            let blob = agreed.map(|(remote_version, schema, values)| {
                let rec = SyncV2 {
                    backend: backend.to_string(),
                    scope: id.scope,
                    name: id.name.clone(),
                    hash: content_hash(&self.sync_hash_key(), &schema, &values),
                    remote_version,
                    synced_at: now(),
                };
                self.keys.seal(&self.vault_id, &k, None, &rec)
            });
            if blob.is_none() && !self.store().contains(&k)? {
                continue;
            }
            // The same id twice in one batch: the later one counts.
            changes.retain(|(key, _)| *key != k);
            changes.push((k, blob));
        }
        if changes.is_empty() {
            return Ok(());
        }
        self.commit(&w, changes, false)
    }

    /// Forgets everything remembered for `backend` (it was removed). Returns how many.
    pub fn sync_forget(&self, backend: &str) -> Result<usize> {
        let w = self.writer()?;
        let keys: Vec<RecordChange> = self
            .store()
            .scan(&self.keys.sync_prefix(backend))
            .into_iter()
            .map(|r| r.map(|(k, _)| (k, None)))
            .collect::<Result<_>>()?;
        let n = keys.len();
        if n > 0 {
            self.commit(&w, keys, false)?;
        }
        Ok(n)
    }

    /// A sync record re-sealed for a rebuild under other keys (key rotation).
    pub(super) fn reseal_sync(
        &self,
        key: &[u8],
        blob: &[u8],
        to: &Keys,
        vault_id: &[u8; 16],
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let rec: SyncV2 = self
            .keys
            .open(&self.vault_id, key, None, blob)
            .map_err(|_| Error::CorruptRecord {
                what: format!("sync record {}", super::record::record_id(key)),
            })?;
        let k = to.sync_key(&rec.backend, rec.scope, &rec.name);
        let b = to.seal(vault_id, &k, None, &rec);
        Ok((k, b))
    }
}
