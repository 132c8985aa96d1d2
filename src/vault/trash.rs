//! The trash: a deleted secret (values and history) is kept, sealed like everything else,
//! until it is restored, purged, or its time is up (the policy's `trash_days`, 30 by
//! default; 0 keeps no trash). Purging is how a leaked credential is made gone at once: it
//! removes the records and compacts, so the bytes leave the live files.
//!
//! Trash records are keyed by the secret's name hash and the generation that deleted it, so
//! one name can be in the trash several times; their metadata is in the commitment, their
//! values are bound to it like a secret's body to its meta.

use serde::{Deserialize, Serialize};

use super::record::{Binding, BodyV2, KIND_META, KIND_TRASH, KIND_TRASH_BODY, MetaV2, OpenFailure};
use super::write::RecordChange;
use super::{Policy, Vault};
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretMeta, SecretName, Timestamp, now};

/// Which trashed secret: its name, scope, and the write that deleted it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TrashId {
    pub scope: Scope,
    pub name: SecretName,
    pub generation: u64,
}

/// A secret in the trash, as listed (no values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashEntry {
    pub id: TrashId,
    /// The secret as it was when deleted.
    pub meta: SecretMeta,
    pub deleted: Timestamp,
    /// When it is purged unless restored first.
    pub purge_after: Timestamp,
}

/// What `delete` did: the secret, and where it went (`None`: it was purged at once, because
/// the policy keeps no trash, it was asked to be, or its records were damaged).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Deleted {
    pub meta: SecretMeta,
    pub trash: Option<TrashEntry>,
}

/// Format-2 trash record. Frozen: a change means a new record version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrashV2 {
    /// The secret's meta as it was (its `generation` is the one that wrote it).
    pub meta: MetaV2,
    /// The write that deleted it (also in the key; the values are bound to it).
    pub deleted_generation: u64,
    pub deleted: Timestamp,
    pub purge_after: Timestamp,
}

impl TrashV2 {
    pub(super) fn binding(&self) -> Binding {
        Binding {
            generation: self.deleted_generation,
            version: self.meta.version,
        }
    }

    fn entry(&self) -> TrashEntry {
        TrashEntry {
            id: TrashId {
                scope: self.meta.scope,
                name: self.meta.name.clone(),
                generation: self.deleted_generation,
            },
            meta: self.meta.public(),
            deleted: self.deleted,
            purge_after: self.purge_after,
        }
    }
}

impl Vault {
    pub(super) fn open_trash(
        &self,
        key: &[u8],
        blob: &[u8],
    ) -> std::result::Result<TrashV2, OpenFailure> {
        self.keys.open(&self.vault_id, key, None, blob)
    }

    /// The records that move a secret into the trash (deleted by write `generation`).
    pub(super) fn trash_records(
        &self,
        policy: &Policy,
        generation: u64,
        meta: &MetaV2,
        body: &BodyV2,
    ) -> (Vec<RecordChange>, TrashEntry) {
        let t = now();
        let record = TrashV2 {
            meta: meta.clone(),
            deleted_generation: generation,
            deleted: t,
            purge_after: t.saturating_add(policy.trash_days.saturating_mul(86_400)),
        };
        let tk = self
            .keys
            .trash_key(KIND_TRASH, meta.scope, &meta.name, generation);
        let uk = self
            .keys
            .trash_key(KIND_TRASH_BODY, meta.scope, &meta.name, generation);
        let tb = self.keys.seal(&self.vault_id, &tk, None, &record);
        let ub = self
            .keys
            .seal(&self.vault_id, &uk, Some(record.binding()), body);
        (vec![(tk, Some(tb)), (uk, Some(ub))], record.entry())
    }

    /// Every secret in the trash, oldest deletion first. A damaged trash record is left out
    /// (a listing names it).
    pub fn trash_list(&self) -> Result<Vec<TrashEntry>> {
        let _view = self.read_view();
        self.trash_list_unguarded()
    }

    fn trash_list_unguarded(&self) -> Result<Vec<TrashEntry>> {
        let mut out = Vec::new();
        for r in self.store().scan(&[KIND_TRASH]) {
            let (key, blob) = r?;
            if let Ok(t) = self.open_trash(&key, &blob) {
                out.push(t.entry());
            }
        }
        out.sort_by_key(|e| (e.deleted, e.id.clone()));
        Ok(out)
    }

    /// The id of the trash record at `key`.
    pub(super) fn trash_id_of(&self, key: &[u8], blob: &[u8]) -> Result<TrashId> {
        let t = self
            .open_trash(key, blob)
            .map_err(|_| Error::CorruptRecord {
                what: format!("trash record {}", super::record::record_id(key)),
            })?;
        Ok(t.entry().id)
    }

    /// A trashed secret's records, checked: (trash key, record, values key, values).
    pub(super) fn read_trash(&self, id: &TrashId) -> Result<(Vec<u8>, TrashV2, Vec<u8>, BodyV2)> {
        let tk = self
            .keys
            .trash_key(KIND_TRASH, id.scope, &id.name, id.generation);
        let uk = self
            .keys
            .trash_key(KIND_TRASH_BODY, id.scope, &id.name, id.generation);
        let missing = || {
            Error::NotFound(format!(
                "'{}' ({}) is not in the trash (see 'sesame secret trash list')",
                id.name, id.scope
            ))
        };
        let blob = self.store().get(&tk)?.ok_or_else(missing)?;
        let what = format!("trashed secret '{}' ({})", id.name, id.scope);
        let record = self
            .open_trash(&tk, &blob)
            .map_err(|_| Error::CorruptRecord { what: what.clone() })?;
        self.check_bucket(&tk, &what)?;
        let body_blob = self.store().get(&uk)?.ok_or_else(|| Error::CorruptRecord {
            what: format!("{what}: its values record is missing"),
        })?;
        let body = self
            .keys
            .open(&self.vault_id, &uk, Some(record.binding()), &body_blob)
            .map_err(|_| Error::CorruptRecord { what: what.clone() })?;
        Ok((tk, record, uk, body))
    }

    /// Brings a trashed secret back, under its name or `new_name`; refuses (a conflict) when
    /// a live secret has that name in its scope.
    pub fn trash_restore(&self, id: &TrashId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        let w = self.writer()?;
        let (tk, record, uk, body) = self.read_trash(id)?;
        let name = new_name.unwrap_or_else(|| id.name.clone());
        if self
            .store()
            .contains(&self.keys.secret_key(KIND_META, id.scope, &name))?
        {
            return Err(Error::SecretExists {
                name: name.to_string(),
                scope: id.scope,
            });
        }
        let mut meta = record.meta.public();
        meta.name = name;
        let mut records: Vec<RecordChange> = vec![(tk, None), (uk, None)];
        records.extend(self.seal_secret(self.next_generation(&w), &meta, &body));
        self.commit(&w, records, false)?;
        Ok(meta)
    }

    /// Purges one trashed secret, or the whole trash, and compacts when that is cheap (else
    /// within a day, or with `sesame compact`), so the bytes leave the live files. Returns
    /// how many secrets were purged.
    pub fn trash_purge(&self, id: Option<&TrashId>) -> Result<usize> {
        let w = self.writer()?;
        let ids: Vec<TrashId> = match id {
            Some(id) => {
                self.read_trash(id).map(|_| ())?;
                vec![id.clone()]
            }
            None => self
                .trash_list_unguarded()?
                .into_iter()
                .map(|e| e.id)
                .collect(),
        };
        self.purge_locked(&w, &ids)?;
        drop(w);
        if !ids.is_empty() {
            self.say_scrubbed("the purged secret(s)");
        }
        Ok(ids.len())
    }

    fn purge_locked(&self, w: &super::WriteToken<'_>, ids: &[TrashId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut records: Vec<RecordChange> = Vec::new();
        for id in ids {
            for kind in [KIND_TRASH, KIND_TRASH_BODY] {
                records.push((
                    self.keys.trash_key(kind, id.scope, &id.name, id.generation),
                    None,
                ));
            }
        }
        self.commit(w, records, true)
    }

    /// Purges what has been in the trash past its time. Returns how many.
    pub fn purge_expired(&self) -> Result<usize> {
        let w = self.writer()?;
        let t = now();
        let ids: Vec<TrashId> = self
            .trash_list()?
            .into_iter()
            .filter(|e| e.purge_after <= t)
            .map(|e| e.id)
            .collect();
        self.purge_locked(&w, &ids)?;
        Ok(ids.len())
    }

    /// Compacts when cheap (see `scrub`), and tells the user where the bytes of `what` are.
    pub(super) fn say_scrubbed(&self, what: &str) {
        self.notice(match self.scrub() {
            Ok(true) => format!("the encrypted bytes of {what} are gone from the vault's files"),
            Ok(false) => format!(
                "the encrypted bytes of {what} leave the vault's files within a day, or now with 'sesame compact'"
            ),
            Err(e) => format!("the vault could not be compacted ({e}): run 'sesame compact'"),
        });
    }
}
