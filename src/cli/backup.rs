//! `sesame backup [--delete-secrets] [--ignore-errors]` and `sesame restore [NAME...]
//! [--ignore-errors]`: every secret copied to the backup store (each copy read back and
//! compared before it counts), and back. Also the way to move secrets from one store to
//! another (README: "Moving your secrets from one store to another").

use clap::Args;

use super::{Context, note, warn};
use crate::api::Secrets;
use crate::backend::{Backend, Expect, RemoteId};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::Secret;
use crate::vault::Change;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// After every copy is verified, delete the originals here (into the trash)
    #[arg(long)]
    pub delete_secrets: bool,
    /// Report a secret that cannot be copied and go on with the rest (else the first stops)
    #[arg(long)]
    pub ignore_errors: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Only these secrets (NAME, or user:NAME / workspace:NAME); default: all
    pub names: Vec<String>,
    /// Report a secret that cannot be restored and go on with the rest
    #[arg(long)]
    pub ignore_errors: bool,
}

/// The backup store's name, the vault without the mirror (these commands write the store
/// themselves), and the store, opened.
type Store = (String, Box<dyn Secrets>, Box<dyn Backend>);

fn store(ctx: &Context) -> Result<Store> {
    let Some((name, cfg)) = crate::backup::configured(&ctx.session.config) else {
        return Err(Error::Usage(
            "no backup store is configured: mark one with sesame backend add NAME --flavor ... --backup".into(),
        ));
    };
    let vault = ctx.secrets_unmirrored()?;
    let backend = crate::sync::open(name, cfg, &*vault)?;
    Ok((name.to_string(), vault, backend))
}

/// Copies one secret to the store and reads it back; `Ok` only when the copy holds exactly
/// what the vault does. The agreement is recorded, so the mirror knows the store is current.
fn copy(vault: &dyn Secrets, backend: &dyn Backend, name: &str, s: &Secret) -> Result<()> {
    let id = RemoteId::new(s.meta.scope, s.meta.name.clone());
    let version = backend.put(&id, &s.meta.schema, &s.values, Expect::Any)?;
    let back = backend.get(&id)?;
    let same = back.as_ref().is_some_and(|b| {
        b.values == s.values && b.schema.as_deref().unwrap_or(DEFAULT_SCHEMA) == s.meta.schema
    });
    if !same {
        return Err(Error::relayed(
            ErrorKind::Remote,
            &format!(
                "{id}: the copy read back from '{name}' differs from what was written; the original is kept"
            ),
        ));
    }
    vault.sync_records(
        name,
        vec![(id, Some((version, s.meta.schema.clone(), s.values.clone())))],
    )
}

pub fn backup(ctx: &Context, a: BackupArgs) -> Result<()> {
    let (name, vault, backend) = store(ctx)?;
    let listing = vault.list()?;
    let mut verified = Vec::new();
    let mut failures: Vec<(String, Error)> = Vec::new();
    for m in &listing.secrets {
        let label = format!("{} ({})", m.name, m.scope);
        let result = vault
            .get(&m.name, Some(m.scope))
            .and_then(|s| copy(&*vault, &*backend, &name, &s).map(|()| s.meta.version));
        match result {
            Ok(version) => verified.push((m.scope, m.name.clone(), version)),
            Err(e) if a.ignore_errors => {
                warn(&format!("{label}: not backed up: {e}"));
                failures.push((label, e));
            }
            Err(e) => {
                return Err(Error::relayed(
                    e.kind(),
                    &format!(
                        "{label}: not backed up ({e}); stopped there: {} secret(s) copied and verified before it, nothing deleted (--ignore-errors goes on past a failure)",
                        verified.len()
                    ),
                ));
            }
        }
    }
    for d in &listing.damaged {
        warn(&format!("a damaged record could not be backed up: {d}"));
    }
    let mut deleted = 0;
    if a.delete_secrets {
        for (scope, n, version) in &verified {
            let id = RemoteId::new(*scope, n.clone());
            // From the version that was copied: one changed meanwhile stays.
            match vault.delete(n, Some(*scope), Some(*version), false) {
                Ok(_) => {
                    // The store keeps it: forget the agreement, so no later sync or mirror
                    // takes this deletion for one to copy there.
                    vault.sync_records(&name, vec![(id, None)])?;
                    deleted += 1;
                }
                Err(e) => warn(&format!("{n} ({scope}): kept here: {e}")),
            }
        }
    }
    let _ = std::fs::remove_file(ctx.session.vault_dir.join(crate::backup::PENDING_FILE));
    note(&format!(
        "Backed up {} secret(s) to '{name}', each read back and verified{}{}.",
        verified.len(),
        if a.delete_secrets {
            format!("; {deleted} deleted here (into the trash)")
        } else {
            String::new()
        },
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {} failed (listed above)", failures.len())
        }
    ));
    match failures.into_iter().next() {
        Some((label, e)) => Err(Error::relayed(
            e.kind(),
            &format!("some secrets were not backed up, the first {label}: {e}"),
        )),
        None => Ok(()),
    }
}

/// What restoring one secret did.
const SAME: u8 = 0;
const CREATED: u8 = 1;
const UPDATED: u8 = 2;

/// Copies one secret from the store into the vault: created when missing, updated when it
/// differs (unless `only_missing`), and a damaged local copy replaced. Records the agreement.
fn restore_one(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    name: &str,
    id: &RemoteId,
    only_missing: bool,
) -> Result<u8> {
    let Some(r) = backend.get(id)? else {
        return Err(Error::NotFound(format!("{id} is gone from '{name}'")));
    };
    let schema = r
        .schema
        .clone()
        .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
    let outcome = match vault.get(&id.name, Some(id.scope)) {
        Ok(here) if here.values == r.values && here.meta.schema == schema => SAME,
        Ok(_) if only_missing => SAME,
        Ok(here) => {
            // The local version stays in the secret's history.
            let change = Change {
                set: r.values.clone(),
                remove: Vec::new(),
                schema: Some(schema.clone()),
                replace: true,
            };
            vault.update(&id.name, Some(id.scope), change, Some(here.meta.version))?;
            UPDATED
        }
        Err(err) if err.kind() == ErrorKind::NotFound => {
            vault.create(id.name.clone(), id.scope, &schema, r.values.clone())?;
            CREATED
        }
        Err(err) if matches!(err.kind(), ErrorKind::CorruptRecord | ErrorKind::Tampered) => {
            // What cannot be read here is cleared away and taken from the store.
            vault.delete(&id.name, Some(id.scope), None, true)?;
            vault.create(id.name.clone(), id.scope, &schema, r.values.clone())?;
            UPDATED
        }
        Err(err) => return Err(err),
    };
    vault.sync_records(
        name,
        vec![(id.clone(), Some((r.version, schema, r.values)))],
    )?;
    Ok(outcome)
}

/// After `sesame recover`: every secret the store holds that the recovered vault lacks (or
/// cannot read) is taken from it. Returns how many, or `None` without a backup store.
pub fn after_recover(ctx: &Context) -> Result<Option<usize>> {
    if crate::backup::configured(&ctx.session.config).is_none() {
        return Ok(None);
    }
    let (name, vault, backend) = store(ctx)?;
    let mut taken = 0;
    for e in backend.list()?.entries {
        match restore_one(&*vault, &*backend, &name, &e.id, true) {
            Ok(SAME) => {}
            Ok(_) => taken += 1,
            Err(err) => warn(&format!("{}: not taken from '{name}': {err}", e.id)),
        }
    }
    Ok(Some(taken))
}

pub fn restore(ctx: &Context, a: RestoreArgs) -> Result<()> {
    let (name, vault, backend) = store(ctx)?;
    let only = crate::sync::plan::Filter {
        include_user_scope: true,
        names: crate::sync::name_filter(&a.names)?,
    };
    let listing = backend.list()?;
    for f in &listing.foreign {
        warn(&format!(
            "{name}: '{}' is not a sesame secret ({}); left alone",
            f.raw, f.why
        ));
    }
    let (mut created, mut updated, mut same) = (0, 0, 0);
    let mut failures: Vec<(String, Error)> = Vec::new();
    for e in &listing.entries {
        let id = &e.id;
        if !only.admits(id) {
            continue;
        }
        let result = restore_one(&*vault, &*backend, &name, id, false);
        match result {
            Ok(SAME) => same += 1,
            Ok(CREATED) => created += 1,
            Ok(_) => updated += 1,
            Err(err) if a.ignore_errors => {
                warn(&format!("{id}: not restored: {err}"));
                failures.push((id.to_string(), err));
            }
            Err(err) => {
                return Err(Error::relayed(
                    err.kind(),
                    &format!(
                        "{id}: not restored ({err}); stopped there after {} restored (--ignore-errors goes on past a failure)",
                        created + updated
                    ),
                ));
            }
        }
    }
    for (s, n) in &only.names {
        let one = crate::sync::plan::Filter {
            include_user_scope: true,
            names: vec![(*s, n.clone())],
        };
        if !listing.entries.iter().any(|e| one.admits(&e.id)) {
            warn(&format!("'{n}' is not in the backup store '{name}'"));
        }
    }
    note(&format!(
        "Restored from '{name}': {created} created, {updated} updated (the versions they replaced stay in their history), {same} already the same{}.",
        if failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed (listed above)", failures.len())
        }
    ));
    match failures.into_iter().next() {
        Some((label, e)) => Err(Error::relayed(
            e.kind(),
            &format!("some secrets were not restored, the first {label}: {e}"),
        )),
        None => Ok(()),
    }
}
