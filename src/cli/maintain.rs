//! `sesame verify`, `sesame recover` and `sesame compact`: looking after the vault's files.
//! The reports are data (stdout); a failed verification exits 1 after printing the report.

use std::path::PathBuf;

use clap::Args;

use super::output::emit;
use super::{Context, note};
use crate::error::{Error, Result};
use crate::vault::Vault;

#[derive(Args, Debug)]
pub struct RecoverArgs {
    /// Write the recovered vault into DIR (a new, empty directory) and leave the damaged
    /// one untouched [default: repair in place, keeping the damaged store aside]
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn verify(ctx: &Context) -> Result<()> {
    let dir = &ctx.session.vault_dir;
    ctx.session.require_vault()?;
    // It reads the files as they are on disk: the agent lets go of them first.
    ctx.stop_agent()?;
    let report = ctx.with_passphrase(|pass| Vault::verify(dir, pass))?;
    let mut text = report.lines.join("\n");
    text.push('\n');
    emit(&text)?;
    if report.ok() {
        note("The vault checks out.");
        Ok(())
    } else {
        Err(Error::Other(format!(
            "the vault has {} problem(s) (listed above): run 'sesame recover' to rebuild it from its snapshots and every readable record",
            report.problems.len()
        )))
    }
}

pub fn recover(ctx: &Context, a: RecoverArgs) -> Result<()> {
    let dir = &ctx.session.vault_dir;
    ctx.session.require_vault()?;
    ctx.stop_agent()?;
    let report = ctx.with_passphrase(|pass| Vault::recover(dir, pass, a.output.as_deref()))?;
    let mut text = String::new();
    for line in report
        .recovered
        .iter()
        .map(|l| format!("recovered: {l}"))
        .chain(report.lost.iter().map(|l| format!("lost: {l}")))
        .chain(report.notes.iter().map(|l| format!("note: {l}")))
    {
        text.push_str(&line);
        text.push('\n');
    }
    emit(&text)?;
    note(&format!(
        "Recovered {} secret(s) into the vault at {}{}.",
        report.recovered.len(),
        report.vault.display(),
        if report.lost.is_empty() {
            String::new()
        } else {
            format!(
                "; {} item(s) could not be recovered (listed above)",
                report.lost.len()
            )
        }
    ));
    // The backup store holds what no snapshot or record here could give back.
    if a.output.is_none() {
        match super::backup::after_recover(ctx) {
            Ok(Some(n)) => note(&format!(
                "Took {n} secret(s) the recovered vault lacked from the backup store."
            )),
            Ok(None) => {}
            Err(e) => super::warn(&format!(
                "the backup store could not be read to complete the recovery ({e}): run 'sesame restore' when it can"
            )),
        }
    }
    Ok(())
}

pub fn compact(ctx: &Context) -> Result<()> {
    let vault = ctx.open_vault()?;
    vault.compact()?;
    note(&format!(
        "Compacted the vault at {}: deleted secrets and replaced versions are gone from its files (the snapshots were rewritten too).",
        vault.dir().display()
    ));
    Ok(())
}
