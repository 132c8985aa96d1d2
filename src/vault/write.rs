//! Every change to the vault goes through [`Vault::commit`]: the records and the new state
//! record in one atomic sled batch, flushed and fsynced, then the header's account of it,
//! replaced atomically. A crash between the two leaves the store one write ahead of the
//! header, which the next open completes. Writers in one process are serialized by the
//! `committed` mutex, and every read-modify-write reads under it.

use super::header::Account;
use super::record::{BodyV2, KIND_BODY, KIND_META, Keys, MetaV2, VersionV2};
use super::store::Batch;
use super::trash::Deleted;
use super::{Policy, Vault, WriteToken, account_of};
use crate::crypto::KdfParams;
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretMeta, SecretName, Values, now};

/// A change to an existing secret.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// Keys to add or overwrite.
    pub set: Values,
    /// Keys to remove; each must exist.
    pub remove: Vec<String>,
    /// A new schema, if the secret should follow another one.
    pub schema: Option<String>,
    /// Replace all values with `set` instead of merging.
    pub replace: bool,
}

/// One record to write (`Some`) or remove (`None`).
pub(super) type RecordChange = (Vec<u8>, Option<Vec<u8>>);

impl Vault {
    /// The write lock, held across a whole read-modify-write; refuses at once when the
    /// vault cannot be written.
    pub(super) fn writer(&self) -> Result<WriteToken<'_>> {
        if let Some(why) = &self.read_only {
            return Err(Error::ReadOnly(why.clone()));
        }
        Ok(WriteToken(
            self.write_lock.lock().unwrap_or_else(|p| p.into_inner()),
        ))
    }

    /// The generation the next commit will have (records sealed for it name it).
    pub(super) fn next_generation(&self, _: &WriteToken<'_>) -> u64 {
        self.committed().state.generation + 1
    }

    /// Commits `changes` as the next write generation: store first (durably), then header.
    /// `purges`: the write removes records meant to be gone (a purge, a delete without
    /// trash), so a compaction is due to take their bytes out of sled's log.
    pub(super) fn commit(
        &self,
        _: &WriteToken<'_>,
        changes: Vec<RecordChange>,
        purges: bool,
    ) -> Result<()> {
        let mut state = self.committed().state.clone();
        let mut batch = Batch::default();
        // Groups whose sum must be taken again from the records: a damaged record's original
        // contribution is unknowable, so replacing or deleting it re-tallies its group.
        let mut retally = std::collections::BTreeSet::new();
        let mut touched = std::collections::BTreeMap::new();
        // The journal copy of this write, dropped as soon as it is too big to journal.
        let mut journaled: Option<Vec<super::journal::Record>> = Some(Vec::new());
        let mut journal_size = 0usize;
        for (key, new) in changes {
            journal_size += key.len() + new.as_ref().map_or(0, Vec::len) + 6;
            if journal_size > super::journal::MAX_ENTRY {
                journaled = None;
            }
            if let Some(j) = journaled.as_mut() {
                j.push((key.clone(), new.clone()));
            }
            let old = match super::state::bucket_of(&key) {
                Some(b) => {
                    let old = self.store().get(&key)?;
                    if let Some(o) = &old
                        && self.open_meta(&key, o).is_err()
                    {
                        retally.insert(b);
                    }
                    touched.insert(key.clone(), new.clone());
                    old
                }
                None => None,
            };
            state.account(&self.keys, &key, old.as_deref(), new.as_deref());
            match new {
                Some(blob) => batch.insert(&key, blob),
                None => batch.remove(&key),
            }
        }
        for &b in &retally {
            let mut sum = 0u128;
            for kind in super::record::ANCHORED_KINDS {
                for r in self.store().scan(&[kind, b as u8]) {
                    let (k, blob) = r?;
                    if !touched.contains_key(&k) {
                        sum = sum.wrapping_add(self.keys.commit_hash(&k, &blob));
                    }
                }
            }
            for (k, new) in &touched {
                if let (Some(nb), Some(blob)) = (super::state::bucket_of(k), new)
                    && nb == b
                {
                    sum = sum.wrapping_add(self.keys.commit_hash(k, blob));
                }
            }
            state.buckets[b] = sum;
        }
        if purges {
            state.scrub_pending = true;
        }
        state.generation += 1;
        let state_key = Keys::state_key();
        let state_blob = self.keys.seal(&self.vault_id, &state_key, None, &state);
        if let Some(j) = journaled.as_mut() {
            j.push((state_key.clone(), Some(state_blob.clone())));
        }
        batch.insert(&state_key, state_blob);
        // Readers wait while the store and the state change together.
        let view = self.write_view();
        self.store().apply(batch)?;
        // The journal lets `recover` replay this write if the store is lost. A write too big
        // to journal gets a snapshot instead, which starts a new journal.
        let journal = journaled
            .and_then(|j| super::journal::entry(&self.keys.snapshot, state.generation, &j));
        let generation = state.generation;
        let mut c = self.committed();
        let account: Account = account_of(&self.keys, &c.header, &state);
        c.state = state;
        c.wrote = true;
        c.header.set_account(&self.keys.header, &account);
        drop(view);
        let written = c.header.write(&self.dir, false);
        drop(c);
        if let Err(e) = written {
            // The write is in the store, durably; the next open brings the header level.
            self.notice(format!(
                "the change was saved, but the vault header could not be updated ({e}); the next command completes it"
            ));
        }
        let kept = match journal {
            Some(entry) => self.journal_append(generation, &entry),
            None => self.write_snapshot(generation).map(|_| ()),
        };
        if let Err(e) = kept {
            self.notice(format!(
                "the change was saved, but not its copy for 'sesame recover' ({e})"
            ));
        }
        Ok(())
    }

    /// Appends a journal entry; a missing journal is started afresh (it then continues the
    /// write before this one, which `recover` joins to the snapshots as far as they reach).
    fn journal_append(&self, generation: u64, entry: &[u8]) -> Result<()> {
        if !self.dir.join(super::journal::JOURNAL_FILE).exists() {
            super::journal::reset(
                &self.dir,
                &self.keys.snapshot,
                &self.vault_id,
                generation - 1,
            )?;
        }
        super::journal::append(&self.dir, entry)
    }

    /// Both records of a secret, sealed for write generation `generation`.
    pub(super) fn seal_secret(
        &self,
        generation: u64,
        meta: &SecretMeta,
        body: &BodyV2,
    ) -> [RecordChange; 2] {
        let m = MetaV2::from_public(meta, generation);
        let mk = self.keys.secret_key(KIND_META, meta.scope, &meta.name);
        let bk = self.keys.secret_key(KIND_BODY, meta.scope, &meta.name);
        let meta_blob = self.keys.seal(&self.vault_id, &mk, None, &m);
        let body_blob = self.keys.seal(&self.vault_id, &bk, Some(m.binding()), body);
        [(mk, Some(meta_blob)), (bk, Some(body_blob))]
    }

    pub(super) fn remove_secret(&self, scope: Scope, name: &SecretName) -> [RecordChange; 2] {
        [
            (self.keys.secret_key(KIND_META, scope, name), None),
            (self.keys.secret_key(KIND_BODY, scope, name), None),
        ]
    }

    /// Creates a secret. The values are validated against `schema` (defaults filled in).
    pub fn create(
        &self,
        policy: &Policy,
        name: SecretName,
        scope: Scope,
        schema: &str,
        mut values: Values,
    ) -> Result<SecretMeta> {
        policy.check(schema, &mut values)?;
        let w = self.writer()?;
        if self
            .store()
            .contains(&self.keys.secret_key(KIND_META, scope, &name))?
        {
            return Err(Error::SecretExists {
                name: name.to_string(),
                scope,
            });
        }
        let t = now();
        let meta = SecretMeta {
            keys: values.keys().cloned().collect(),
            name,
            scope,
            schema: schema.to_string(),
            created: t,
            updated: t,
            version: 1,
        };
        let generation = self.next_generation(&w);
        let body = BodyV2 {
            values,
            history: Vec::new(),
        };
        let records = self.seal_secret(generation, &meta, &body);
        self.commit(&w, records.into(), false)?;
        Ok(meta)
    }

    /// Applies `change` to a secret, keeping the previous version in its history. A change
    /// that leaves values and schema as they were writes nothing. With `expected`, refuses
    /// (a conflict) unless the secret is still at that version.
    pub fn update(
        &self,
        policy: &Policy,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        let w = self.writer()?;
        let (meta, body) = self.load(name, scope)?;
        check_expected(&meta, expected)?;
        let mut values = if change.replace {
            Values::new()
        } else {
            body.values.clone()
        };
        for key in &change.remove {
            if values.remove(key).is_none() {
                return Err(Error::KeyNotFound {
                    name: name.to_string(),
                    key: key.clone(),
                    available: meta.keys.join(", "),
                });
            }
        }
        values.extend(change.set);
        let schema = change.schema.unwrap_or_else(|| meta.schema.clone());
        policy.check(&schema, &mut values)?;
        if values == body.values && schema == meta.schema {
            return Ok(meta.public());
        }
        self.write_version(&w, policy, meta, body, schema, values)
    }

    /// Makes an earlier version current again (as a new version, so it can be undone too).
    pub fn restore(
        &self,
        policy: &Policy,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        let w = self.writer()?;
        let (meta, body) = self.load(name, scope)?;
        check_expected(&meta, expected)?;
        let old = body
            .history
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| Error::VersionNotFound {
                name: name.to_string(),
                version,
            })?;
        let (schema, values) = (old.schema.clone(), old.values.clone());
        self.write_version(&w, policy, meta, body, schema, values)
    }

    /// Renames a secret within its scope, history included.
    pub fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        let w = self.writer()?;
        let scope = self.resolve_unguarded(name, scope)?;
        if &new_name == name {
            let meta = self.read_meta(name, scope)?;
            check_expected(&meta, expected)?;
            return Ok(meta.public());
        }
        if self
            .store()
            .contains(&self.keys.secret_key(KIND_META, scope, &new_name))?
        {
            return Err(Error::SecretExists {
                name: new_name.to_string(),
                scope,
            });
        }
        let (meta, body) = self.load(name, Some(scope))?;
        check_expected(&meta, expected)?;
        let mut meta = meta.public();
        let mut records: Vec<RecordChange> = self.remove_secret(scope, name).into();
        meta.name = new_name;
        meta.updated = now().max(meta.updated);
        records.extend(self.seal_secret(self.next_generation(&w), &meta, &body));
        self.commit(&w, records, false)?;
        Ok(meta)
    }

    /// Deletes a secret: into the trash (values and history kept, sealed, until restored or
    /// purged; see `trash.rs`), or gone at once with `purge`, when the policy keeps no
    /// trash, or when its records are damaged (that is how a damaged secret is cleared
    /// away; its metadata is then unknown, so the caller gets the name and scope alone).
    /// Purged records leave the live files at the next compaction (at once when cheap).
    pub fn delete(
        &self,
        policy: &Policy,
        name: &SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
    ) -> Result<Deleted> {
        let w = self.writer()?;
        let scope = self.resolve_unguarded(name, scope)?;
        let loaded = match self.load(name, Some(scope)) {
            Ok(pair) => {
                check_expected(&pair.0, expected)?;
                Some(pair)
            }
            Err(Error::Tampered { .. }) | Err(Error::CorruptRecord { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut records: Vec<RecordChange> = self.remove_secret(scope, name).into();
        let (meta, trash) = match loaded {
            Some((meta, body)) if !purge && policy.trash_days > 0 => {
                let (moved, entry) =
                    self.trash_records(policy, self.next_generation(&w), &meta, &body);
                records.extend(moved);
                (meta.public(), Some(entry))
            }
            Some((meta, _)) => (meta.public(), None),
            None => (
                SecretMeta {
                    name: name.clone(),
                    scope,
                    schema: String::new(),
                    keys: Vec::new(),
                    created: 0,
                    updated: 0,
                    version: 0,
                },
                None,
            ),
        };
        let purged = trash.is_none();
        self.commit(&w, records, purged)?;
        drop(w);
        if purged {
            // Deleted means gone from the live files: at once when that is cheap.
            self.say_scrubbed(&format!("'{name}'"));
        }
        Ok(Deleted { meta, trash })
    }

    /// Makes `values` the next version of a secret and writes it durably.
    fn write_version(
        &self,
        w: &WriteToken<'_>,
        policy: &Policy,
        meta: MetaV2,
        body: BodyV2,
        schema: String,
        values: Values,
    ) -> Result<SecretMeta> {
        let (meta, body) = next_version(policy, meta.public(), body, schema, values);
        let records = self.seal_secret(self.next_generation(w), &meta, &body);
        self.commit(w, records.into(), false)?;
        Ok(meta)
    }

    /// Re-wraps the vault key under a new passphrase (and optionally new KDF parameters).
    /// No record is touched: one key derivation, whatever the vault's size. The header and
    /// its backup are replaced atomically, so no live file keeps the old wrapped key.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &[u8],
        kdf: Option<KdfParams>,
    ) -> Result<()> {
        if new_passphrase.is_empty() {
            return Err(Error::Passphrase(
                "the new passphrase must not be empty".into(),
            ));
        }
        let _w = self.writer()?;
        let mut c = self.committed();
        let kdf = kdf.unwrap_or(c.header.kdf);
        kdf.check()?;
        let mut header = super::header::Header::wrap(
            &self.keys.vault,
            self.vault_id,
            new_passphrase,
            kdf,
            c.header.store.clone(),
        )?;
        header.set_account(
            &self.keys.header,
            &account_of(&self.keys, &header, &c.state),
        );
        header.write(&self.dir, true)?;
        c.header = header;
        Ok(())
    }
}

/// The secret with `values` as its next version, the current one moved into its history
/// (which keeps at most `policy.history` versions, and at least one).
pub(super) fn next_version(
    policy: &Policy,
    mut meta: SecretMeta,
    mut body: BodyV2,
    schema: String,
    values: Values,
) -> (SecretMeta, BodyV2) {
    let previous = VersionV2 {
        version: meta.version,
        schema: std::mem::replace(&mut meta.schema, schema),
        updated: meta.updated,
        values: std::mem::replace(&mut body.values, values),
    };
    body.history.insert(0, previous);
    body.history.truncate(policy.history.max(1));
    meta.version = meta.version.saturating_add(1);
    meta.updated = now().max(meta.updated);
    meta.keys = body.values.keys().cloned().collect();
    (meta, body)
}

/// The compare-and-set of every mutation: the secret must still be at the version the
/// caller read.
fn check_expected(meta: &MetaV2, expected: Option<u64>) -> Result<()> {
    match expected {
        Some(v) if v != meta.version => Err(Error::Conflict(format!(
            "secret '{}' ({}) changed since it was read: it is now at version {}, not {v}; nothing was written (reload it and try again)",
            meta.name, meta.scope, meta.version
        ))),
        _ => Ok(()),
    }
}
