//! Bulk transfer: every secret out with its values (export), and many in at once (import),
//! validated first and written as one atomic batch with one flush.

use std::collections::BTreeSet;

use super::Vault;
use super::record::{BodyV2, KIND_META};
use super::write::RecordChange;
use crate::error::{Error, Result};
use crate::secret::{Scope, Secret, SecretMeta, SecretName, Timestamp, Values, now};

/// What `import` did (or would do, on a dry run).
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: Vec<(Scope, SecretName)>,
    pub updated: Vec<(Scope, SecretName)>,
    pub unchanged: Vec<(Scope, SecretName)>,
}

/// A secret to import. A new secret keeps the times an export gave it (a migration should
/// not make everything look created today) and starts at version 1; earlier versions are not
/// exported, so its history starts here.
#[derive(Debug, Clone)]
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
        let listing = self.list()?;
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

    /// Imports secrets in one atomic batch with one flush. Every item is validated first;
    /// if any fails, or any exists already without `overwrite`, nothing is written.
    pub fn import(
        &self,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let mut seen = BTreeSet::new();
        let mut problems = Vec::new();
        for item in &items {
            if !seen.insert((item.scope, item.name.clone())) {
                problems.push(format!(
                    "'{}' ({}) appears more than once",
                    item.name, item.scope
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Conflict(format!(
                "import refused: {}",
                problems.join("; ")
            )));
        }
        let w = if dry_run { None } else { Some(self.writer()?) };
        let generation = match &w {
            Some(w) => self.next_generation(w),
            None => 0,
        };
        let mut report = ImportReport::default();
        let mut records: Vec<RecordChange> = Vec::new();
        let mut existing = Vec::new();
        let t = now();
        for mut item in items {
            self.schemas
                .get(&item.schema)
                .and_then(|s| s.validate(&mut item.values))
                .map_err(|e| {
                    Error::Validation(format!("secret '{}' ({}): {e}", item.name, item.scope))
                })?;
            let id = (item.scope, item.name.clone());
            if self
                .store
                .contains(&self.keys.secret_key(KIND_META, item.scope, &item.name))?
            {
                if !overwrite {
                    existing.push(format!("{} ({})", item.name, item.scope));
                    continue;
                }
                let (meta, body) = self.load(&item.name, Some(item.scope))?;
                if body.values == item.values && meta.schema == item.schema {
                    report.unchanged.push(id);
                    continue;
                }
                let (meta, body) = self.next_version(meta.public(), body, item.schema, item.values);
                records.extend(self.seal_secret(generation, &meta, &body));
                report.updated.push(id);
            } else {
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
                records.extend(self.seal_secret(
                    generation,
                    &meta,
                    &BodyV2 {
                        values: item.values,
                        history: Vec::new(),
                    },
                ));
                report.created.push(id);
            }
        }
        if !existing.is_empty() {
            let shown: Vec<_> = existing.iter().take(5).cloned().collect();
            let more = if existing.len() > 5 {
                format!(" and {} more", existing.len() - 5)
            } else {
                String::new()
            };
            return Err(Error::Conflict(format!(
                "import refused: {}{} already exist{}: pass --overwrite to replace {} (nothing was imported)",
                shown.join(", "),
                more,
                if existing.len() == 1 { "s" } else { "" },
                if existing.len() == 1 { "it" } else { "them" }
            )));
        }
        if let Some(w) = &w
            && !records.is_empty()
        {
            self.commit(w, records)?;
        }
        Ok(report)
    }
}
