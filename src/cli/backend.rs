//! `sesame backend add | list | show | remove | test | flavors`: remote stores, kept in the
//! config file (edited in place, comments kept). A credential option is always a reference
//! to a vault secret (`--option token={{bao.token}}`), never a literal value.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{Table, emit, json, yaml};
use super::{Context, Format, note, warn};
use crate::backend::{FLAVORS, Flavor};
use crate::config::BackendConfig;
use crate::error::{Error, Result};
use crate::reference;
use crate::secret::SecretName;

#[derive(Subcommand, Debug)]
pub enum BackendCommand {
    /// Add a remote store: sesame backend add bao --flavor vault --option address=http://... --option token={{bao.token}}
    Add(AddArgs),
    /// List the configured backends
    List,
    /// Show one backend's settings (credentials are shown as the references they are)
    Show(NameArg),
    /// Remove a backend from the config (the remote is not touched) and forget its sync state
    Remove(NameArg),
    /// Check that a backend is reachable and accepts its credentials
    Test(NameArg),
    /// The flavors this sesame knows, with their options
    Flavors,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// A name for it: letters, digits, '_' and '-'
    pub name: String,
    /// vault, aws, gcp, azure, folder, exec (see 'sesame backend flavors')
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: String,
    /// An option of the flavor, as KEY=VALUE; a credential as KEY={{secret.key}}
    #[arg(long = "option", short = 'o', value_name = "K=V")]
    pub options: Vec<String>,
    /// Remote names start with this (e.g. team/ or sesame-)
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Sync user-scope secrets too (else only the workspace scope)
    #[arg(long)]
    pub include_user_scope: bool,
    /// Make it the backup store: every vault write is also written there
    #[arg(long)]
    pub backup: bool,
}

#[derive(Args, Debug)]
pub struct NameArg {
    pub name: String,
}

pub fn run(ctx: &Context, cmd: BackendCommand) -> Result<()> {
    match cmd {
        BackendCommand::Add(a) => add(ctx, a),
        BackendCommand::List => list(ctx),
        BackendCommand::Show(a) => show(ctx, &a.name),
        BackendCommand::Remove(a) => remove(ctx, &a.name),
        BackendCommand::Test(a) => test(ctx, &a.name),
        BackendCommand::Flavors => flavors(ctx),
    }
}

fn flavor(name: &str) -> Result<&'static Flavor> {
    FLAVORS.iter().find(|f| f.name == name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown flavor '{}': use one of {}",
            crate::error::shown(name),
            FLAVORS
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A configured backend by name.
pub fn configured<'a>(ctx: &'a Context, name: &str) -> Result<&'a BackendConfig> {
    ctx.session.config.backends.get(name).ok_or_else(|| {
        let known: Vec<&String> = ctx.session.config.backends.keys().collect();
        Error::NotFound(if known.is_empty() {
            format!(
                "no backend named '{}': none is configured yet (sesame backend add)",
                crate::error::shown(name)
            )
        } else {
            format!(
                "no backend named '{}' (configured: {})",
                crate::error::shown(name),
                known
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    })
}

fn add(ctx: &Context, a: AddArgs) -> Result<()> {
    // Backend names follow the secret-name alphabet (they appear in messages and keys).
    let name = SecretName::new(a.name.as_str())
        .map_err(|e| Error::Usage(e.to_string().replace("secret name", "backend name")))?
        .to_string();
    let f = flavor(&a.flavor)?;
    if ctx.session.config.backends.contains_key(&name) {
        return Err(Error::Conflict(format!(
            "a backend named '{name}' exists already: remove it first, or pick another name"
        )));
    }
    let mut options = BTreeMap::new();
    for o in &a.options {
        let Some((k, v)) = o.split_once('=') else {
            return Err(Error::Usage(format!(
                "--option {}: expected KEY=VALUE",
                crate::error::shown(o.split('=').next().unwrap_or(""))
            )));
        };
        options.insert(k.trim().to_string(), v.to_string());
    }
    if let Some(p) = a.prefix {
        options.insert("prefix".to_string(), p);
    }
    let valid: Vec<&str> = f.options.iter().map(|s| s.name).collect();
    for (k, v) in &options {
        let Some(spec) = f.options.iter().find(|s| s.name == k) else {
            return Err(Error::Usage(format!(
                "the {} flavor has no option '{}': its options are {}",
                f.name,
                crate::error::shown(k),
                valid.join(", ")
            )));
        };
        let reference = reference::parse_single(v)
            .map_err(|e| Error::Usage(format!("--option {k}: {}", e[0].message)))?;
        match (spec.credential, reference) {
            (true, None) => {
                return Err(Error::Usage(format!(
                    "option '{k}' is a credential: keep it in the vault and give a reference, e.g. sesame secret create {name}-creds --{k}=... then --option {k}={{{{{name}-creds.{k}}}}} (a literal value would sit in the config file)"
                )));
            }
            (_, Some(r)) => check_reference_later(ctx, &name, k, &r),
            (false, None) => {}
        }
    }
    if let Some(missing) = f
        .options
        .iter()
        .find(|s| s.required && !options.contains_key(s.name))
    {
        return Err(Error::Usage(format!(
            "the {} flavor needs option '{}' ({})",
            f.name, missing.name, missing.help
        )));
    }
    if a.backup
        && let Some((other, _)) = crate::backup::configured(&ctx.session.config)
        && other != name
    {
        return Err(Error::Usage(format!(
            "'{other}' is the backup store already (one at most): remove it first (sesame backend remove {other}), or add '{name}' without --backup"
        )));
    }
    let path = ctx.session.config_path()?;
    crate::config::edit(&path, |doc| {
        let backends = doc
            .entry("backends")
            .or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| Error::Config {
                path: path.clone(),
                msg: "'backends' is not a table".into(),
            })?;
        let mut t = toml_edit::Table::new();
        t.insert("flavor", toml_edit::value(f.name));
        // The backup store holds every secret, user scope included.
        if a.include_user_scope || a.backup {
            t.insert("include_user_scope", toml_edit::value(true));
        }
        if a.backup {
            t.insert("backup", toml_edit::value(true));
        }
        let mut opts = toml_edit::Table::new();
        for (k, v) in &options {
            opts.insert(k, toml_edit::value(v.as_str()));
        }
        t.insert("options", toml_edit::Item::Table(opts));
        backends.insert(&name, toml_edit::Item::Table(t));
        Ok(())
    })?;
    note(&format!(
        "Added backend '{name}' ({}) to {}. Check it: sesame backend test {name}",
        f.name,
        path.display()
    ));
    Ok(())
}

/// A reference whose secret does not exist yet is allowed (it may be created next), but
/// said: the backend cannot be used until it does. Checked only when an agent already holds
/// the vault (adding a backend never asks for the passphrase).
fn check_reference_later(ctx: &Context, name: &str, key: &str, r: &reference::Reference) {
    let Ok(crate::api::Door::Open(vault)) = crate::api::door(&ctx.session, ctx.agent) else {
        return;
    };
    if let Ok(listing) = vault.list() {
        let known = crate::resolve::Known::new(&listing);
        if !known.find(r).is_some_and(|m| m.keys.contains(&r.key)) {
            warn(&format!(
                "backend '{name}', option {key}: {r} does not exist yet; create it before using the backend"
            ));
        }
    }
}

#[derive(Serialize)]
struct BackendView<'a> {
    name: &'a str,
    flavor: &'a str,
    include_user_scope: bool,
    backup: bool,
    options: &'a BTreeMap<String, String>,
}

fn views(ctx: &Context) -> Vec<BackendView<'_>> {
    ctx.session
        .config
        .backends
        .iter()
        .map(|(name, b)| BackendView {
            name,
            flavor: &b.flavor,
            include_user_scope: b.include_user_scope,
            backup: b.backup,
            options: &b.options,
        })
        .collect()
}

fn list(ctx: &Context) -> Result<()> {
    let format = ctx.format(
        "backend list",
        &[Format::Table, Format::Json, Format::Yaml],
        Format::Table,
    )?;
    let views = views(ctx);
    match format {
        Format::Json => emit(&json(&views)?),
        Format::Yaml => emit(&yaml(&views)?),
        _ if views.is_empty() => {
            note("No backend yet: sesame backend add NAME --flavor FLAVOR --option K=V ...");
            Ok(())
        }
        _ => {
            let mut t = Table::new(&["name", "flavor", "scopes", "backup", "options"]);
            for v in &views {
                t.push(vec![
                    v.name.to_string(),
                    v.flavor.to_string(),
                    if v.include_user_scope {
                        "user+workspace"
                    } else {
                        "workspace"
                    }
                    .to_string(),
                    if v.backup { "yes" } else { "" }.to_string(),
                    v.options
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ]);
            }
            emit(&t.aligned())
        }
    }
}

fn show(ctx: &Context, name: &str) -> Result<()> {
    let format = ctx.format(
        "backend show",
        &[Format::Table, Format::Json, Format::Yaml],
        Format::Table,
    )?;
    configured(ctx, name)?;
    let views = views(ctx);
    let v = views.iter().find(|v| v.name == name).expect("configured");
    match format {
        Format::Json => emit(&json(v)?),
        Format::Yaml => emit(&yaml(v)?),
        _ => {
            let mut t = Table::new(&["field", "value"]);
            t.push(vec!["name".into(), v.name.to_string()]);
            t.push(vec!["flavor".into(), v.flavor.to_string()]);
            t.push(vec![
                "scopes".into(),
                if v.include_user_scope {
                    "user and workspace"
                } else {
                    "workspace only"
                }
                .to_string(),
            ]);
            t.push(vec![
                "backup".into(),
                if v.backup { "yes" } else { "no" }.to_string(),
            ]);
            for (k, val) in v.options {
                t.push(vec![format!("option {k}"), val.clone()]);
            }
            if v.backup {
                t.push(vec!["pending".into(), pending_backup(ctx, name)]);
            }
            emit(&t.aligned_without_header())
        }
    }
}

/// What the backup store still lacks: nothing, or the secrets an earlier command could not
/// write there (they are written by the next command that opens the vault).
fn pending_backup(ctx: &Context, name: &str) -> String {
    if !crate::backup::pending(&ctx.session.vault_dir) {
        return "nothing: every write reached it".into();
    }
    let Some((_, cfg)) = crate::backup::configured(&ctx.session.config) else {
        return String::new();
    };
    let rows = ctx.secrets_unmirrored().and_then(|inner| {
        crate::backup::Mirrored::new(inner, name, cfg, &ctx.session.vault_dir).pending_rows()
    });
    match rows {
        Ok(rows) if rows.is_empty() => {
            "a write failed earlier; the store now holds everything (the next command clears the mark)".into()
        }
        Ok(rows) => {
            let names: Vec<String> = rows
                .iter()
                .map(|r| format!("{} ({})", r.id, r.state.describe()))
                .collect();
            format!(
                "{} secret(s), written by the next command: {}",
                rows.len(),
                crate::error::list_capped(&names)
            )
        }
        Err(e) => format!("writes failed earlier and the store cannot be reached now ({e})"),
    }
}

fn remove(ctx: &Context, name: &str) -> Result<()> {
    configured(ctx, name)?;
    let path = ctx.session.config_path()?;
    crate::config::edit(&path, |doc| {
        if let Some(b) = doc.get_mut("backends").and_then(|b| b.as_table_mut()) {
            b.remove(name);
        }
        Ok(())
    })?;
    // Its sync state goes too, when the vault can be reached without asking (else it is
    // forgotten by the next `backend add` of the same name, which starts afresh).
    let forgotten = match crate::api::door(&ctx.session, ctx.agent) {
        Ok(crate::api::Door::Open(v)) => v.sync_forget(name).ok(),
        _ => ctx.secrets().ok().and_then(|v| v.sync_forget(name).ok()),
    };
    note(&format!(
        "Removed backend '{name}' from {} (nothing was deleted there){}.",
        path.display(),
        match forgotten {
            Some(n) if n > 0 => format!("; its sync state for {n} secret(s) was forgotten"),
            _ => String::new(),
        }
    ));
    Ok(())
}

fn test(ctx: &Context, name: &str) -> Result<()> {
    let cfg = configured(ctx, name)?;
    let vault = ctx.secrets()?;
    let backend = crate::sync::open(name, cfg, &*vault)?;
    let line = backend.test()?;
    note(&format!("Backend '{name}' ({}) works: {line}", cfg.flavor));
    Ok(())
}

#[derive(Serialize)]
struct OptionView {
    name: &'static str,
    required: bool,
    credential: bool,
    help: &'static str,
}

#[derive(Serialize)]
struct FlavorView {
    name: &'static str,
    summary: &'static str,
    options: Vec<OptionView>,
}

fn flavors(ctx: &Context) -> Result<()> {
    let format = ctx.format(
        "backend flavors",
        &[Format::Table, Format::Json],
        Format::Table,
    )?;
    let views: Vec<FlavorView> = FLAVORS
        .iter()
        .map(|f| FlavorView {
            name: f.name,
            summary: f.summary,
            options: f
                .options
                .iter()
                .map(|o| OptionView {
                    name: o.name,
                    required: o.required,
                    credential: o.credential,
                    help: o.help,
                })
                .collect(),
        })
        .collect();
    if format == Format::Json {
        return emit(&json(&views)?);
    }
    let mut out = String::new();
    for f in &views {
        out.push_str(&format!("{}: {}\n", f.name, f.summary));
        let mut t = Table::new(&["option", "", "help"]);
        for o in &f.options {
            let tag = match (o.required, o.credential) {
                (true, true) => "required, credential",
                (true, false) => "required",
                (false, true) => "credential",
                (false, false) => "",
            };
            t.push(vec![format!("  {}", o.name), tag.into(), o.help.into()]);
        }
        out.push_str(&t.aligned_without_header());
        out.push('\n');
    }
    emit(&out)
}
