//! `sesame secret export` and `sesame secret import`: the whole vault (or one scope) as a
//! plaintext document (`sesame::input::ExportDocument`), and back in one transaction.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use super::output::{emit, env_line, env_name};
use super::secret::ScopeArgs;
use super::{Context, Format, note, prompt, warn};
use crate::error::{Error, Result};
use crate::input::{self, ExportDocument, ExportedSecret};

use crate::vault::ImportItem;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
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
    let vault = ctx.open_vault()?;
    let secrets = vault.export(a.scope.get())?;
    if prompt::stdout_is_terminal() {
        warn("this prints secret values in plain text; redirect it to a file you keep safe");
    }
    let text = Zeroizing::new(match format {
        Format::Env => {
            let mut out = String::new();
            for s in &secrets {
                out.push_str(&format!("# {} ({})\n", s.meta.name, s.meta.scope));
                for (k, v) in &s.values {
                    out.push_str(&env_line(
                        &env_name(&format!("{}_{k}", s.meta.name)),
                        v.expose(),
                    ));
                }
            }
            out
        }
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
    emit(&text)
}

pub fn import(ctx: &Context, a: ImportArgs) -> Result<()> {
    let (text, origin) = read_input(&a.file)?;
    // The file is checked before the vault is unlocked: a malformed file costs no passphrase.
    let doc = input::parse_export(&text, &origin)?;
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
    let vault = ctx.open_vault()?;
    let report = vault.import(items, a.overwrite, a.dry_run)?;
    let verb = if a.dry_run {
        "Would import"
    } else {
        "Imported"
    };
    if a.dry_run {
        let mut plan = String::new();
        for (label, list) in [
            ("create", &report.created),
            ("update", &report.updated),
            ("unchanged", &report.unchanged),
        ] {
            for (scope, name) in list {
                plan.push_str(&format!("{label:<10} {name} ({scope})\n"));
            }
        }
        emit(&plan)?;
    }
    note(&format!(
        "{verb} {} secret(s) from {origin}: {} created, {} updated, {} unchanged{}.",
        report.created.len() + report.updated.len(),
        report.created.len(),
        report.updated.len(),
        report.unchanged.len(),
        if a.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    ));
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
        let mut f = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        f.read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        path.display().to_string()
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::Input(format!("{origin} is not UTF-8 text: nothing was imported")))?;
    Ok((Zeroizing::new(text.to_string()), origin))
}
