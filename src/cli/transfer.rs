//! `sesame secret export` and `sesame secret import`: the whole vault (or one scope) as a
//! plaintext document (`sesame::input::ExportDocument`), and back in one transaction.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use super::output::{emit, env_line, warn_if_shared_file, write_private_file};
use super::scope::ScopeArgs;
use super::{Context, Format, note, prompt, warn};
use crate::envname::env_var_names;
use crate::error::{Error, Result};
use crate::input::{self, ExportDocument, ExportedSecret};
use crate::secret::{Scope, Secret};
use crate::vault::ImportItem;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Write to FILE instead of stdout: created 0600 and put in place atomically
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A JSON or YAML file written by 'sesame secret export' ('-' reads stdin)
    pub file: PathBuf,
    /// Replace secrets that exist already (their previous values stay in their history)
    #[arg(long)]
    pub overwrite: bool,
    /// Check the file and print what would change, without writing anything
    #[arg(long)]
    pub dry_run: bool,
}

pub fn export(ctx: &Context, a: ExportArgs) -> Result<()> {
    let format = ctx.format(
        "secret export",
        &[Format::Json, Format::Yaml, Format::Env],
        Format::Json,
    )?;
    let vault = ctx.secrets()?;
    let secrets = vault.export(a.scope.get())?;
    let text = Zeroizing::new(match format {
        Format::Env => env_lines(&secrets, a.scope.get().is_none())?,
        _ => {
            let doc = ExportDocument::new(
                secrets
                    .into_iter()
                    .map(|s| ExportedSecret {
                        name: s.meta.name,
                        scope: s.meta.scope,
                        schema: s.meta.schema,
                        values: s.values,
                        created: Some(s.meta.created),
                        updated: Some(s.meta.updated),
                    })
                    .collect(),
            );
            if format == Format::Yaml {
                doc.to_yaml()?
            } else {
                let mut text = doc.to_json();
                text.push('\n');
                text
            }
        }
    });
    match a.output.as_deref() {
        Some(path) if path.as_os_str() != "-" => {
            write_private_file(path, text.as_bytes())?;
            note(&format!(
                "Wrote the plaintext export to {} (mode 0600).",
                path.display()
            ));
            Ok(())
        }
        _ => {
            if prompt::stdout_is_terminal() {
                warn(
                    "this prints secret values in plain text; use -o FILE to write them to a private file",
                );
            }
            warn_if_shared_file();
            emit(&text)
        }
    }
}

/// `export --format env`: `NAME_KEY='value'` lines under a `# name (scope)` comment. Without
/// `--scope`, a name in both scopes follows the lookup order: the user secret is written and
/// the workspace one only named in a comment (sourcing both would let the later one win).
/// Two keys that become the same variable are refused (see `sesame::envname`).
fn env_lines(secrets: &[Secret], both_scopes: bool) -> Result<String> {
    let users: BTreeSet<&str> = secrets
        .iter()
        .filter(|s| s.meta.scope == Scope::User)
        .map(|s| s.meta.name.as_str())
        .collect();
    let shadowed = |s: &Secret| {
        both_scopes && s.meta.scope == Scope::Workspace && users.contains(s.meta.name.as_str())
    };
    let full_keys: Vec<(String, String)> = secrets
        .iter()
        .filter(|s| !shadowed(s))
        .flat_map(|s| {
            s.values.keys().map(move |k| {
                (
                    format!("{}_{k}", s.meta.name),
                    format!("key '{k}' of '{}' ({})", s.meta.name, s.meta.scope),
                )
            })
        })
        .collect();
    let vars = env_var_names(full_keys.iter().map(|(k, what)| (k.as_str(), what.clone())))?;
    let mut vars = vars.iter();
    let mut out = String::new();
    for s in secrets {
        if shadowed(s) {
            out.push_str(&format!(
                "# {} (workspace): not written, the user scope's '{}' comes first in lookups (--scope workspace writes it)\n",
                s.meta.name, s.meta.name
            ));
            continue;
        }
        out.push_str(&format!("# {} ({})\n", s.meta.name, s.meta.scope));
        for v in s.values.values() {
            let var = vars.next().expect("one variable per key");
            out.push_str(&env_line(var, v.expose()));
        }
    }
    Ok(out)
}

pub fn import(ctx: &Context, a: ImportArgs) -> Result<()> {
    if a.file.as_os_str() == "-" && ctx.passphrase_from_stdin() {
        return Err(Error::Usage(
            "'import -' reads the export from stdin, and so does --passphrase-file -: give the passphrase in SESAME_PASSPHRASE or a file".into(),
        ));
    }
    let (text, origin) = read_input(&a.file)?;
    // The file is checked before the vault is unlocked: a malformed file costs no passphrase.
    let doc = input::parse_export(&text, &origin)?;
    drop(text); // the parsed document holds it all now; the file's text need not stay
    let items: Vec<ImportItem> = doc
        .secrets
        .into_iter()
        .map(|s| ImportItem {
            name: s.name,
            scope: s.scope,
            schema: s.schema,
            values: s.values,
            created: s.created,
            updated: s.updated,
        })
        .collect();
    let vault = ctx.secrets()?;
    if a.dry_run {
        return dry_run(&*vault, items, a.overwrite, &origin);
    }
    let report = vault.import(items, a.overwrite, false)?;
    note(&format!(
        "Imported {} secret(s) from {origin}: {} created, {} updated, {} unchanged.",
        report.created.len() + report.updated.len(),
        report.created.len(),
        report.updated.len(),
        report.unchanged.len(),
    ));
    Ok(())
}

/// `import --dry-run`: the plan, one line per secret on stdout, whatever the outcome of the
/// real import would be. Names that exist are planned as with `--overwrite` (to tell an
/// update from no change) and, without it, shown as conflicts the real import would refuse.
fn dry_run(
    vault: &dyn crate::api::Secrets,
    items: Vec<ImportItem>,
    overwrite: bool,
    origin: &str,
) -> Result<()> {
    let report = vault.import(items, true, true)?;
    let (update, unchanged) = if overwrite {
        ("update", "unchanged")
    } else {
        ("conflict", "conflict")
    };
    let mut plan = String::new();
    for (label, list) in [
        ("create", &report.created),
        (update, &report.updated),
        (unchanged, &report.unchanged),
    ] {
        for (scope, name) in list {
            plan.push_str(&format!("{label:<10} {name} ({scope})\n"));
        }
    }
    emit(&plan)?;
    let existing = report.updated.len() + report.unchanged.len();
    if overwrite || existing == 0 {
        note(&format!(
            "Would import {} secret(s) from {origin}: {} created, {} updated, {} unchanged (dry run: nothing written).",
            report.created.len() + report.updated.len(),
            report.created.len(),
            report.updated.len(),
            report.unchanged.len(),
        ));
    } else {
        note(&format!(
            "Would refuse the import from {origin}: {existing} secret(s) exist already (marked conflict); --overwrite replaces them, {} would be created (dry run: nothing written).",
            report.created.len(),
        ));
    }
    Ok(())
}

fn read_input(path: &std::path::Path) -> Result<(Zeroizing<String>, String)> {
    let mut bytes = Zeroizing::new(Vec::new());
    let origin = if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("cannot read the import from stdin", e))?;
        "stdin".to_string()
    } else {
        let open = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes));
        match open {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(format!(
                    "no file {} to import: check the path",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
            Ok(_) => {}
        }
        path.display().to_string()
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::Input(format!("{origin} is not UTF-8 text: nothing was imported")))?;
    Ok((Zeroizing::new(text.to_string()), origin))
}
