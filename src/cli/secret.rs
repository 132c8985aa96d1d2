//! `sesame secret create|get|list|update|rename|delete|history` (export and import live in
//! `transfer.rs`). Each command parses its input, opens the vault, makes one library call
//! and prints the result; status lines go to stderr, data to stdout.

use clap::{Args, Subcommand};
use serde::Serialize;
use zeroize::Zeroizing;

use super::output::{Table, emit, json, warn_if_shared_file, yaml};
use super::scope::ScopeArgs;
use super::values::{self, ValueArgs};
use super::{Context, Format, note, prompt, transfer, warn};
use crate::api::Secrets;
use crate::error::{Error, Result, list_capped};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::{
    KeyChanges, Scope, Secret, SecretMeta, SecretName, Version, format_time, key_changes,
    shadowing_note,
};
use crate::vault::Change;

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create a secret: sesame secret create db --user=admin --password=@pw.txt
    #[command(after_help = VALUE_HELP)]
    Create(CreateArgs),
    /// Print a secret's values (or one value with --key)
    Get(GetArgs),
    /// List secrets: names, scopes, schemas and key names, never values
    List(ListArgs),
    /// Change a secret's values or schema (the previous version is kept in its history)
    #[command(after_help = VALUE_HELP)]
    Update(UpdateArgs),
    /// Rename a secret within its scope (history included)
    Rename(RenameArgs),
    /// Delete a secret and its history
    Delete(DeleteArgs),
    /// Show the versions the vault keeps of a secret, or restore one
    History(HistoryArgs),
    /// Print every secret with its values, in plain text (JSON, YAML or env lines)
    Export(transfer::ExportArgs),
    /// Import secrets from a file written by export, in one transaction
    Import(transfer::ImportArgs),
    /// Deleted secrets: list, restore, purge
    #[command(subcommand)]
    Trash(super::trash::TrashCommand),
}

const VALUE_HELP: &str = "\
Values:
  --KEY=VALUE       sets KEY (any key: flags this command does not know become keys)
  --KEY=@FILE       reads the value from FILE (UTF-8); --KEY=@@text is the literal @text
  --values DOC      a JSON or YAML mapping, or @FILE holding one
  -i                asks for each value (hidden); without a terminal, reads KEY=VALUE lines from stdin
A key that is also a flag name (scope, schema, values, ...) must be given through --values.
Only the --KEY=VALUE form is recognised; '--KEY VALUE' is an error.";

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Secret name: letters, digits, '_' and '-'
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Schema the values must follow [default: arbitrary]
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Option<String>,
    #[command(flatten)]
    pub values: ValueArgs,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print only this key's value, followed by a newline
    #[arg(long, short = 'k', value_name = "KEY")]
    pub key: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Only names containing TEXT (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub values: ValueArgs,
    /// Remove these keys (comma-separated)
    #[arg(long, value_name = "K,K", value_delimiter = ',')]
    pub remove_keys: Vec<String>,
    /// Make the secret follow another schema (values are checked against it)
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Option<String>,
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    pub name: String,
    pub new_name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Do not ask for confirmation (required without a terminal or with --headless)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Remove it for good instead of moving it to the trash (for a leaked credential: its
    /// encrypted bytes leave the vault's files too)
    #[arg(long)]
    pub purge: bool,
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    pub name: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Make version N current again (as a new version, so this can be undone too)
    #[arg(long, value_name = "N", conflicts_with = "show")]
    pub restore: Option<u64>,
    /// Print version N's values, as 'secret get' prints the current ones (--format works)
    #[arg(long, value_name = "N")]
    pub show: Option<u64>,
}

pub fn run(ctx: &Context, cmd: SecretCommand) -> Result<()> {
    match cmd {
        SecretCommand::Create(a) => create(ctx, a),
        SecretCommand::Get(a) => get(ctx, a),
        SecretCommand::List(a) => list(ctx, a),
        SecretCommand::Update(a) => update(ctx, a),
        SecretCommand::Rename(a) => rename(ctx, a),
        SecretCommand::Delete(a) => delete(ctx, a),
        SecretCommand::History(a) => history(ctx, a),
        SecretCommand::Export(a) => transfer::export(ctx, a),
        SecretCommand::Import(a) => transfer::import(ctx, a),
        SecretCommand::Trash(c) => super::trash::run(ctx, c),
    }
}

fn create(ctx: &Context, a: CreateArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    let scope = a.scope.get().unwrap_or_default();
    let schema_name = a.schema.as_deref().unwrap_or(DEFAULT_SCHEMA);
    // Everything that can be checked without the vault is checked before the passphrase.
    let schema = ctx.schemas().get(schema_name)?;
    if a.values.is_empty() {
        return Err(Error::Usage(
            "nothing to store: give values as --KEY=VALUE, --values JSON|YAML|@FILE, or -i".into(),
        ));
    }
    values::check_interactive(ctx, &a.values)?;
    let mut values = values::from_flags(&a.values)?;
    let vault = ctx.secrets()?;
    if vault.resolve(&name, Some(scope)).is_ok() {
        return Err(Error::SecretExists {
            name: name.to_string(),
            scope,
        });
    }
    if a.values.interactive {
        values::interactive(ctx, schema, &mut values, None)?;
    }
    if values.is_empty() {
        // `-i` from an empty pipe, or `--values '{}'`: a secret is a group of key-value
        // pairs, and one with none would only confuse every later reader.
        return Err(Error::Validation(
            "nothing to store: no key was given (a secret needs at least one key); nothing was created".into(),
        ));
    }
    let meta = vault.create(name, scope, schema_name, values)?;
    note(&format!(
        "Created secret '{}' in the {} scope (schema {}; keys: {}).",
        meta.name,
        meta.scope,
        meta.schema,
        list_capped(&meta.keys)
    ));
    warn_if_shadowing(&*vault, &meta.name, meta.scope);
    Ok(())
}

/// The same name in both scopes is allowed (scopes are namespaces), but a lookup without
/// `--scope` then finds only the user one: say so when a write makes that happen.
fn warn_if_shadowing(vault: &dyn Secrets, name: &SecretName, scope: Scope) {
    if vault.resolve(name, Some(scope.other())).is_ok() {
        warn(&shadowing_note(name, scope));
    }
}

fn get(ctx: &Context, a: GetArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    if a.key.is_some() && ctx.format.is_some_and(|f| f != Format::Table) {
        return Err(Error::Usage(
            "--key prints the bare value: drop --format, or drop --key to get the whole secret in a format".into(),
        ));
    }
    let format = ctx.format(
        "secret get",
        &[Format::Table, Format::Json, Format::Yaml, Format::Env],
        Format::Table,
    )?;
    let vault = ctx.secrets()?;
    let secret = vault.get(&name, a.scope.get())?;
    let text = Zeroizing::new(match &a.key {
        Some(key) => format!("{}\n", secret.get(key)?.expose()),
        None => render_secret(&secret, format)?,
    });
    warn_if_shared_file();
    emit(&text)
}

/// `secret get` in a format. Pure: the caller prints it (escaped on a terminal by `emit`).
pub fn render_secret(secret: &Secret, format: Format) -> Result<String> {
    let m = &secret.meta;
    let view = secret.doc();
    Ok(match format {
        Format::Json => json(&view)?,
        Format::Yaml => yaml(&view)?,
        Format::Env => crate::envname::dotenv(secret)?,
        _ => {
            let mut head = Table::new(&["", ""]);
            for (label, value) in [
                ("secret", view.name.to_string()),
                ("scope", m.scope.to_string()),
                ("schema", m.schema.clone()),
                ("version", m.version.to_string()),
                ("created", view.created.clone()),
                ("updated", view.updated.clone()),
            ] {
                head.push(vec![label.into(), value]);
            }
            let mut body = Table::new(&["key", "value"]);
            for (k, v) in &secret.values {
                body.push(vec![k.clone(), v.expose().to_string()]);
            }
            let text = format!("{}\n{}", head.aligned_without_header(), body.aligned());
            // The table's cells held plaintext; wipe them rather than leave them to the allocator.
            for row in &mut body.rows {
                for cell in row {
                    zeroize::Zeroize::zeroize(cell);
                }
            }
            text
        }
    })
}

/// One row of `secret list --format json|yaml`. Key names, never values.
#[derive(Serialize)]
struct ListItem<'a> {
    name: &'a str,
    scope: Scope,
    schema: &'a str,
    keys: &'a [String],
    created: String,
    updated: String,
    version: u64,
}

fn list(ctx: &Context, a: ListArgs) -> Result<()> {
    let format = ctx.format(
        "secret list",
        &[
            Format::Table,
            Format::Json,
            Format::Yaml,
            Format::Csv,
            Format::Tsv,
        ],
        Format::Table,
    )?;
    let vault = ctx.secrets()?;
    let listing = vault.list()?;
    if !listing.damaged.is_empty() {
        warn(&format!(
            "{} damaged record(s) could not be read and are not listed (ids: {}); the rest of the vault is fine ('sesame recover' brings back their last good copies)",
            listing.damaged.len(),
            listing.damaged.join(", ")
        ));
    }
    for p in &listing.problems {
        warn(p);
    }
    let scope = a.scope.get();
    let filter = a.filter.as_deref().map(str::to_lowercase);
    let shown: Vec<&SecretMeta> = listing
        .secrets
        .iter()
        .filter(|m| scope.is_none_or(|s| s == m.scope))
        .filter(|m| {
            filter
                .as_deref()
                .is_none_or(|f| m.name.as_str().to_lowercase().contains(f))
        })
        .collect();
    let text = match render_list(&shown, format)? {
        Some(text) => text,
        None => {
            note(if listing.secrets.is_empty() {
                "No secrets yet: sesame secret create NAME --KEY=VALUE"
            } else {
                "No secret matches."
            });
            String::new()
        }
    };
    emit(&text)
}

/// `secret list` in a format; `None` for an empty table (the caller says why instead).
pub fn render_list(shown: &[&SecretMeta], format: Format) -> Result<Option<String>> {
    let items: Vec<ListItem<'_>> = shown
        .iter()
        .map(|m| ListItem {
            name: m.name.as_str(),
            scope: m.scope,
            schema: &m.schema,
            keys: &m.keys,
            created: format_time(m.created),
            updated: format_time(m.updated),
            version: m.version,
        })
        .collect();
    Ok(Some(match format {
        Format::Json => json(&items)?,
        Format::Yaml => yaml(&items)?,
        _ => {
            let mut t = Table::new(&["name", "scope", "schema", "keys", "version", "updated"]);
            for i in &items {
                t.push(vec![
                    i.name.to_string(),
                    i.scope.to_string(),
                    i.schema.to_string(),
                    i.keys.join(","),
                    i.version.to_string(),
                    i.updated.clone(),
                ]);
            }
            match format {
                Format::Csv => t.csv(),
                Format::Tsv => t.tsv(),
                _ if items.is_empty() => return Ok(None),
                _ => t.aligned(),
            }
        }
    }))
}

fn update(ctx: &Context, a: UpdateArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    if a.values.is_empty() && a.remove_keys.is_empty() && a.schema.is_none() {
        return Err(Error::Usage(
            "nothing to change: give --KEY=VALUE, --values, --remove-keys, --schema or -i".into(),
        ));
    }
    values::check_interactive(ctx, &a.values)?;
    let mut set = values::from_flags(&a.values)?;
    if let Some(k) = a.remove_keys.iter().find(|k| set.contains_key(*k)) {
        return Err(Error::Input(format!(
            "key '{k}' is both set and removed: give one or the other"
        )));
    }
    if let Some(s) = &a.schema {
        ctx.schemas().get(s)?;
    }
    let vault = ctx.secrets()?;
    let scope = a.scope.get();
    let before = if a.values.interactive {
        let current = vault.get(&name, scope)?;
        let schema_name = a.schema.as_deref().unwrap_or(&current.meta.schema);
        let schema = ctx.schemas().get(schema_name)?;
        values::interactive(ctx, schema, &mut set, Some(&current.values))?;
        current.meta.clone()
    } else {
        vault.meta(&name, scope)?
    };
    // Removing every key would leave a secret that `create` refuses to make.
    let left = before
        .keys
        .iter()
        .filter(|k| !a.remove_keys.contains(k))
        .count();
    if left == 0 && set.is_empty() && !a.remove_keys.is_empty() {
        return Err(Error::Validation(format!(
            "removing {} would leave '{name}' with no key: delete the secret instead (sesame secret delete {name}); nothing was changed",
            if a.remove_keys.len() == 1 {
                "its last key"
            } else {
                "all its keys"
            }
        )));
    }
    // Compare-and-set: if another writer changed it since it was read above (while
    // prompting, say), nothing is overwritten.
    let meta = vault.update(
        &name,
        Some(before.scope),
        Change {
            set,
            remove: a.remove_keys,
            schema: a.schema,
            replace: false,
        },
        Some(before.version),
    )?;
    if meta.version == before.version {
        note(&format!(
            "No change: '{}' ({}) already has these values.",
            meta.name, meta.scope
        ));
    } else {
        note(&format!(
            "Updated secret '{}' ({}), now version {}.",
            meta.name, meta.scope, meta.version
        ));
    }
    Ok(())
}

fn rename(ctx: &Context, a: RenameArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    let new_name = SecretName::new(a.new_name)?;
    let vault = ctx.secrets()?;
    let meta = vault.rename(&name, a.scope.get(), new_name, None)?;
    note(&format!(
        "Renamed '{name}' to '{}' in the {} scope.",
        meta.name, meta.scope
    ));
    warn_if_shadowing(&*vault, &meta.name, meta.scope);
    Ok(())
}

fn delete(ctx: &Context, a: DeleteArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    let vault = ctx.secrets()?;
    let scope = vault.resolve(&name, a.scope.get())?;
    if !a.yes {
        if !prompt::can_prompt(ctx.headless()) {
            return Err(Error::Other(format!(
                "refusing to delete '{name}' ({scope}) without confirmation ({}): pass -y",
                prompt::why_not(ctx.headless())
            )));
        }
        let question = if a.purge {
            format!("Delete secret '{name}' ({scope}) and all its versions for good?")
        } else {
            format!("Move secret '{name}' ({scope}) to the trash?")
        };
        if !prompt::confirm(&question)? {
            return Err(Error::Other("cancelled: nothing was deleted".into()));
        }
    }
    let deleted = vault.delete(&name, Some(scope), None, a.purge)?;
    match deleted.trash {
        Some(t) => note(&format!(
            "Moved '{name}' ({scope}) to the trash until {}: 'sesame secret trash restore {name}' brings it back, 'sesame secret trash purge {name}' removes it for good.",
            crate::secret::format_time(t.purge_after)
        )),
        None => note(&format!("Deleted secret '{name}' ({scope}) for good.")),
    }
    Ok(())
}

/// One version in `secret history`: key names and what changed, never values.
#[derive(Serialize)]
struct VersionView {
    version: u64,
    current: bool,
    updated: String,
    schema: String,
    keys: Vec<String>,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
    /// The oldest version kept: there is nothing to compare it with.
    #[serde(skip)]
    oldest: bool,
}

fn history(ctx: &Context, a: HistoryArgs) -> Result<()> {
    let name = SecretName::new(a.name)?;
    // --show prints values, as `secret get` does (so `env` too).
    let format = match a.show {
        Some(_) => ctx.format(
            "secret history --show",
            &[Format::Table, Format::Json, Format::Yaml, Format::Env],
            Format::Table,
        )?,
        None => ctx.format(
            "secret history",
            &[Format::Table, Format::Json, Format::Yaml],
            Format::Table,
        )?,
    };
    let vault = ctx.secrets()?;
    let (secret, older) = vault.history(&name, a.scope.get())?;
    if let Some(n) = a.restore {
        if n == secret.meta.version {
            note(&format!(
                "Version {n} of '{name}' is already the current one."
            ));
            return Ok(());
        }
        let meta = vault.restore(&name, Some(secret.meta.scope), n, Some(secret.meta.version))?;
        note(&format!(
            "Restored version {n} of '{name}' ({}) as version {}.",
            meta.scope, meta.version
        ));
        return Ok(());
    }
    if let Some(n) = a.show {
        return show_version(secret, older, n, format);
    }
    let current = Version {
        version: secret.meta.version,
        schema: secret.meta.schema.clone(),
        updated: secret.meta.updated,
        values: secret.values.clone(),
    };
    emit(&render_history(&current, &older, format)?)
}

/// `history --show N`: version N's values, in `secret get`'s shapes (env too).
fn show_version(current: Secret, older: Vec<Version>, n: u64, format: Format) -> Result<()> {
    let name = current.meta.name.to_string();
    let secret = if n == current.meta.version {
        current
    } else {
        let v = older
            .into_iter()
            .find(|v| v.version == n)
            .ok_or(Error::VersionNotFound { name, version: n })?;
        let mut meta = current.meta.clone();
        meta.keys = v.values.keys().cloned().collect();
        meta.schema = v.schema;
        meta.updated = v.updated;
        meta.version = v.version;
        Secret {
            meta,
            values: v.values,
        }
    };
    let text = Zeroizing::new(render_secret(&secret, format)?);
    warn_if_shared_file();
    emit(&text)
}

/// `secret history` in a format: the current version, then the older ones, newest first.
pub fn render_history(current: &Version, older: &[Version], format: Format) -> Result<String> {
    let versions: Vec<&Version> = std::iter::once(current).chain(older).collect();
    let views: Vec<VersionView> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| version_view(v, versions.get(i + 1).copied(), i == 0))
        .collect();
    Ok(match format {
        Format::Json => json(&views)?,
        Format::Yaml => yaml(&views)?,
        _ => {
            let mut t = Table::new(&["version", "updated", "schema", "changes"]);
            for v in &views {
                t.push(vec![
                    if v.current {
                        format!("{} (current)", v.version)
                    } else {
                        v.version.to_string()
                    },
                    v.updated.clone(),
                    v.schema.clone(),
                    describe_changes(v),
                ]);
            }
            t.aligned()
        }
    })
}

fn version_view(v: &Version, previous: Option<&Version>, current: bool) -> VersionView {
    let KeyChanges {
        added,
        removed,
        changed,
    } = previous
        .map(|p| key_changes(&p.values, &v.values))
        .unwrap_or_default();
    VersionView {
        oldest: previous.is_none(),
        version: v.version,
        current,
        updated: format_time(v.updated),
        schema: v.schema.clone(),
        keys: v.values.keys().cloned().collect(),
        added,
        removed,
        changed,
    }
}

fn describe_changes(v: &VersionView) -> String {
    let mut parts = Vec::new();
    for (label, keys) in [
        ("added", &v.added),
        ("changed", &v.changed),
        ("removed", &v.removed),
    ] {
        if !keys.is_empty() {
            parts.push(format!("{label} {}", keys.join(",")));
        }
    }
    if v.oldest {
        let what = if v.version == 1 {
            "created"
        } else {
            "oldest kept"
        };
        format!("{what}: {}", v.keys.join(","))
    } else if parts.is_empty() {
        "schema only".to_string()
    } else {
        parts.join("; ")
    }
}
