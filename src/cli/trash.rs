//! `sesame secret trash list | restore NAME | purge [NAME]`: deleted secrets, kept sealed
//! until restored, purged, or their time is up (`vault.trash_days` in the config).

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{Table, emit, json, yaml};
use super::scope::ScopeArgs;
use super::{Context, Format, note, prompt};
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretName, format_time};

#[derive(Subcommand, Debug)]
pub enum TrashCommand {
    /// List deleted secrets (names, never values) and when each is purged
    List,
    /// Bring a deleted secret back (its newest deletion, if it was deleted several times)
    Restore(RestoreArgs),
    /// Remove deleted secrets for good: NAME's, or the whole trash
    Purge(PurgeArgs),
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Restore it under another name (when its name was taken again)
    #[arg(long = "as", value_name = "NEW_NAME")]
    pub new_name: Option<String>,
}

#[derive(Args, Debug)]
pub struct PurgeArgs {
    /// The secret to purge (every deletion of it); without it, the whole trash
    pub name: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Do not ask for confirmation (required without a terminal or with --headless)
    #[arg(short = 'y', long)]
    pub yes: bool,
}

pub fn run(ctx: &Context, cmd: TrashCommand) -> Result<()> {
    match cmd {
        TrashCommand::List => list(ctx),
        TrashCommand::Restore(a) => restore(ctx, a),
        TrashCommand::Purge(a) => purge(ctx, a),
    }
}

#[derive(Serialize)]
struct EntryView<'a> {
    name: &'a str,
    scope: Scope,
    schema: &'a str,
    keys: &'a [String],
    version: u64,
    deleted: String,
    purge_after: String,
}

fn list(ctx: &Context) -> Result<()> {
    let format = ctx.format(
        "secret trash list",
        &[Format::Table, Format::Json, Format::Yaml],
        Format::Table,
    )?;
    let vault = ctx.secrets()?;
    let entries = vault.trash_list()?;
    let views: Vec<EntryView<'_>> = entries
        .iter()
        .map(|e| EntryView {
            name: e.id.name.as_str(),
            scope: e.id.scope,
            schema: &e.meta.schema,
            keys: &e.meta.keys,
            version: e.meta.version,
            deleted: format_time(e.deleted),
            purge_after: format_time(e.purge_after),
        })
        .collect();
    match format {
        Format::Json => emit(&json(&views)?),
        Format::Yaml => emit(&yaml(&views)?),
        _ if views.is_empty() => {
            note("The trash is empty.");
            Ok(())
        }
        _ => {
            let mut t = Table::new(&["name", "scope", "schema", "keys", "deleted", "purged after"]);
            for v in &views {
                t.push(vec![
                    v.name.to_string(),
                    v.scope.to_string(),
                    v.schema.to_string(),
                    v.keys.join(","),
                    v.deleted.clone(),
                    v.purge_after.clone(),
                ]);
            }
            emit(&t.aligned())
        }
    }
}

fn restore(ctx: &Context, a: RestoreArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    let new_name = a.new_name.map(SecretName::new).transpose()?;
    let vault = ctx.secrets()?;
    let entry = find(&*vault, &name, a.scope.get())?;
    let meta = vault
        .trash_restore(&entry.id, new_name)
        .map_err(|e| match e.kind() {
            crate::error::ErrorKind::Exists => Error::Conflict(format!(
                "'{name}' ({}) exists again: restore it under another name with --as NEW_NAME",
                entry.id.scope
            )),
            _ => e,
        })?;
    note(&format!(
        "Restored '{}' ({}) from the trash, version {} as it was.",
        meta.name, meta.scope, meta.version
    ));
    Ok(())
}

fn purge(ctx: &Context, a: PurgeArgs) -> Result<()> {
    let name = a.name.map(SecretName::new).transpose()?;
    let vault = ctx.secrets()?;
    let entries = vault.trash_list()?;
    let chosen: Vec<_> = match &name {
        Some(n) => {
            let scope = a.scope.get();
            let of_name: Vec<_> = entries
                .iter()
                .filter(|e| &e.id.name == n && scope.is_none_or(|s| s == e.id.scope))
                .collect();
            if of_name.is_empty() {
                find(&*vault, n, scope)?;
            }
            of_name
        }
        None => entries.iter().collect(),
    };
    if chosen.is_empty() {
        note("The trash is empty: nothing to purge.");
        return Ok(());
    }
    if !a.yes {
        if !prompt::can_prompt(ctx.headless()) {
            return Err(Error::Other(format!(
                "refusing to purge {} secret(s) without confirmation ({}): pass -y",
                chosen.len(),
                prompt::why_not(ctx.headless())
            )));
        }
        if !prompt::confirm(&format!(
            "Remove {} deleted secret(s) for good (this cannot be undone)?",
            chosen.len()
        ))? {
            return Err(Error::Other("cancelled: nothing was purged".into()));
        }
    }
    let mut purged = 0;
    if name.is_none() {
        purged = vault.trash_purge(None)?;
    } else {
        for e in &chosen {
            purged += vault.trash_purge(Some(&e.id))?;
        }
    }
    note(&format!("Purged {purged} secret(s) from the trash."));
    Ok(())
}

/// The newest trash entry of a name (user scope first, as for live secrets).
fn find(
    vault: &dyn crate::api::Secrets,
    name: &SecretName,
    scope: Option<Scope>,
) -> Result<crate::vault::TrashEntry> {
    let entries = vault.trash_list()?;
    let order: &[Scope] = match scope {
        Some(ref s) => std::slice::from_ref(s),
        None => &Scope::LOOKUP_ORDER,
    };
    for s in order {
        if let Some(e) = entries
            .iter()
            .filter(|e| e.id.scope == *s && &e.id.name == name)
            .max_by_key(|e| e.id.generation)
        {
            return Ok(e.clone());
        }
    }
    Err(Error::NotFound(format!(
        "no secret named '{name}' in the trash{} (see 'sesame secret trash list')",
        scope
            .map(|s| format!(" of the {s} scope"))
            .unwrap_or_default()
    )))
}
