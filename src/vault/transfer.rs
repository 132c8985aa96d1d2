//! Bulk transfer: every secret out with its values (export), and many in at once (import),
//! validated first and written all or nothing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::rebuild::Builder;
use super::record::{BodyV2, KIND_META, Keys, MetaV2};
use super::write::{RecordChange, next_version};
use super::{Policy, Vault};
use crate::error::{Error, Result};
use crate::secret::{MAX_TIMESTAMP, Scope, Secret, SecretMeta, SecretName, Timestamp, Values, now};

/// What `import` did (or would do, on a dry run).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: Vec<(Scope, SecretName)>,
    pub updated: Vec<(Scope, SecretName)>,
    pub unchanged: Vec<(Scope, SecretName)>,
    /// Existing secrets that only `overwrite` would replace (listed by a dry run; a real
    /// import with any is refused).
    pub conflicts: Vec<(Scope, SecretName)>,
}

/// A secret to import. A new secret keeps the times an export gave it (a migration should
/// not make everything look created today) and starts at version 1; earlier versions are not
/// exported, so its history starts here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportItem {
    pub name: SecretName,
    pub scope: Scope,
    pub schema: String,
    pub values: Values,
    pub created: Option<Timestamp>,
    pub updated: Option<Timestamp>,
}

impl Vault {
    /// Every secret with its values (for export), optionally of one scope.
    pub fn export(&self, scope: Option<Scope>) -> Result<Vec<Secret>> {
        let _view = self.read_view();
        let listing = self.list_unguarded()?;
        if let Some(id) = listing.damaged.first() {
            return Err(Error::CorruptRecord {
                what: format!("record {id}"),
            });
        }
        if let Some(p) = listing.problems.first() {
            return Err(Error::Tampered { what: p.clone() });
        }
        let mut out = Vec::with_capacity(listing.secrets.len());
        for meta in listing
            .secrets
            .into_iter()
            .filter(|m| scope.is_none_or(|s| s == m.scope))
        {
            let (_, body) = self.load(&meta.name, Some(meta.scope))?;
            out.push(Secret {
                meta,
                values: body.values,
            });
        }
        Ok(out)
    }

    /// Imports secrets, all or nothing. Every item is checked first (its schema, its times,
    /// at least one key); if any fails, or any exists already without `overwrite`, nothing
    /// is written. A dry run returns the plan, existing names listed as conflicts.
    ///
    /// Up to [`BULK`] items go in as one write of the live store. More stream into a new store
    /// (the live records copied as they are, the imported ones sealed in key order and
    /// handed to a writer thread in bounded chunks, the new snapshot written beside them)
    /// that replaces the live one atomically: memory stays bounded, and a crash leaves the
    /// vault as it was.
    pub fn import(
        &self,
        policy: &Policy,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let mut seen = BTreeSet::new();
        let mut twice = Vec::new();
        for item in &items {
            if !seen.insert((item.scope, item.name.clone())) {
                twice.push(format!("'{}' ({})", item.name, item.scope));
            }
        }
        drop(seen);
        if !twice.is_empty() {
            return Err(Error::Conflict(format!(
                "import refused: {} appear(s) more than once (nothing was imported)",
                crate::error::list_capped(&twice)
            )));
        }
        let mut items = items;
        for item in &mut items {
            check_item(policy, item)?;
        }
        let w = if dry_run { None } else { Some(self.writer()?) };
        // The plan: which exist, and of those which would change.
        let mut report = ImportReport::default();
        // Each item's meta key, computed once (a keyed hash): for the plan and the writes.
        let meta_keys: Vec<Vec<u8>> = items
            .iter()
            .map(|item| self.keys.secret_key(KIND_META, item.scope, &item.name))
            .collect();
        let mut exists = Vec::with_capacity(items.len());
        for (item, key) in items.iter().zip(&meta_keys) {
            let id = (item.scope, item.name.clone());
            let present = self.store().contains(key)?;
            exists.push(present);
            if !present {
                report.created.push(id);
            } else if !overwrite {
                report.conflicts.push(id);
            } else {
                let (meta, body) = self.load(&item.name, Some(item.scope))?;
                if body.values == item.values && meta.schema == item.schema {
                    report.unchanged.push(id);
                } else {
                    report.updated.push(id);
                }
            }
        }
        let Some(w) = w else {
            return Ok(report);
        };
        if !report.conflicts.is_empty() {
            let shown: Vec<String> = report
                .conflicts
                .iter()
                .map(|(s, n)| format!("{n} ({s})"))
                .collect();
            return Err(Error::Conflict(format!(
                "import refused: {} already exist{}: pass --overwrite to replace {} (nothing was imported)",
                crate::error::list_capped(&shown),
                if shown.len() == 1 { "s" } else { "" },
                if shown.len() == 1 { "it" } else { "them" }
            )));
        }
        let unchanged: BTreeSet<(Scope, SecretName)> = report.unchanged.iter().cloned().collect();
        let generation = self.next_generation(&w);
        let t = now();
        // The records of one imported item, for generation `generation`.
        let records_of =
            |item: ImportItem, present: bool| -> Result<Option<(SecretMeta, BodyV2)>> {
                if unchanged.contains(&(item.scope, item.name.clone())) {
                    return Ok(None);
                }
                if present {
                    let (meta, body) = self.load(&item.name, Some(item.scope))?;
                    return Ok(Some(next_version(
                        policy,
                        meta.public(),
                        body,
                        item.schema,
                        item.values,
                    )));
                }
                let meta = SecretMeta {
                    keys: item.values.keys().cloned().collect(),
                    name: item.name,
                    scope: item.scope,
                    schema: item.schema,
                    created: item.created.unwrap_or(t),
                    // Never before its creation, whatever a hand-edited file says.
                    updated: item.updated.unwrap_or(t).max(item.created.unwrap_or(0)),
                    version: 1,
                };
                let body = BodyV2 {
                    values: item.values,
                    history: Vec::new(),
                };
                Ok(Some((meta, body)))
            };
        if items.len() <= BULK {
            let mut records: Vec<RecordChange> = Vec::new();
            for (item, present) in items.into_iter().zip(exists) {
                if let Some((meta, body)) = records_of(item, present)? {
                    records.extend(self.seal_secret(generation, &meta, &body));
                }
            }
            if !records.is_empty() {
                self.commit(&w, records, false)?;
            }
            return Ok(report);
        }

        // Bulk: a new store, swapped in.
        let mut builder = Builder::new(
            &self.dir,
            Keys::new(self.keys.vault.clone()),
            self.vault_id,
            generation,
        )?;
        builder.state.sync_key = self.committed().state.sync_key;
        let replaced: BTreeSet<Vec<u8>> = report
            .updated
            .iter()
            .map(|(s, n)| self.keys.secret_key(KIND_META, *s, n)[1..].to_vec())
            .collect();
        let state_key = Keys::state_key();
        self.store().for_each(&[], &mut |key, blob| {
            if key == state_key.as_slice() || replaced.contains(&key[1..]) {
                return Ok(());
            }
            builder.put_raw(key, blob.to_vec())
        })?;
        // In key order: sled builds a tree from ordered inserts with far less copying and
        // caching than from keys in random (hash) order.
        let mut ordered: Vec<(Vec<u8>, ImportItem, bool)> = meta_keys
            .into_iter()
            .zip(items)
            .zip(exists)
            .map(|((key, item), present)| (key, item, present))
            .collect();
        ordered.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, item, present) in ordered {
            if let Some((meta, body)) = records_of(item, present)? {
                builder.put_secret_at(key, &MetaV2::from_public(&meta, generation), &body)?;
            }
        }
        // The old store, with whatever it held of replaced or deleted records, goes away.
        builder.state.scrub_pending = false;
        self.retire_recovery_files()?;
        let header = self.committed().header.clone();
        let built = builder.finish(header)?;
        self.switch_to(built)?;
        drop(w);
        Ok(report)
    }
}

/// Items above this count are imported through a new store (see [`Vault::import`]).
pub const BULK: usize = 2048;

/// Checks one item before anything is written: its values against its schema (defaults
/// filled in), at least one key, and times a reader can show.
fn check_item(policy: &Policy, item: &mut ImportItem) -> Result<()> {
    let what = format!("secret '{}' ({})", item.name, item.scope);
    policy
        .check(&item.schema, &mut item.values)
        .map_err(|e| Error::Validation(format!("{what}: {e}")))?;
    for (field, t) in [("created", item.created), ("updated", item.updated)] {
        if t.is_some_and(|t| t > MAX_TIMESTAMP) {
            return Err(Error::Validation(format!(
                "{what}: '{field}' is past the year 9999 (milliseconds where seconds were meant?)"
            )));
        }
    }
    Ok(())
}
