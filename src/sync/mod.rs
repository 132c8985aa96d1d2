//! Sync between the vault and a remote backend (DESIGN §6): `plan.rs` decides (pure),
//! `apply.rs` does. This module connects them to a configured backend: its options, with
//! credentials resolved from the vault, and the three sides of every secret.

pub mod apply;
pub mod merge;
pub mod plan;

use std::collections::BTreeMap;

use crate::api::Secrets;
use crate::backend::{self, Backend, Foreign, OptionValue, RemoteId, RemoteVersion};
use crate::config::BackendConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::reference;
use crate::resolve::Resolved;
use plan::{Filter, Row};

/// A configured backend, opened: every option that is a `{{name.key}}` reference is
/// resolved from the vault (credentials must be; `backend add` refuses a literal one).
pub fn open(name: &str, cfg: &BackendConfig, vault: &dyn Secrets) -> Result<Box<dyn Backend>> {
    let mut refs = Vec::new();
    for (k, v) in &cfg.options {
        match reference::parse_single(v) {
            Ok(Some(r)) => refs.push((k.clone(), r)),
            Ok(None) => {}
            Err(e) => {
                return Err(Error::Config {
                    path: std::path::PathBuf::from(format!("[backends.{name}]")),
                    msg: format!("option {k}: {}", e[0].message),
                });
            }
        }
    }
    let resolved = Resolved::fetch(vault, refs.iter().map(|(_, r)| r))?;
    let mut options = BTreeMap::new();
    for (k, v) in &cfg.options {
        let value = match refs.iter().find(|(rk, _)| rk == k) {
            Some((_, r)) => match resolved.value(r) {
                Some(v) => OptionValue::Secret(crate::secret::SecretValue::new(v.as_str())),
                None => {
                    let why = resolved
                        .problems("", std::iter::once(r))
                        .first()
                        .map(|p| p.message.clone())
                        .unwrap_or_default();
                    return Err(Error::NotFound(format!(
                        "backend '{name}', option {k}: {why}: create it (sesame secret create) or fix the option (sesame backend show {name})"
                    )));
                }
            },
            None => OptionValue::Plain(v.clone()),
        };
        options.insert(k.clone(), value);
    }
    Ok(backend::open(&cfg.flavor, options)?)
}

/// Every secret between the vault and a backend, classified, and the remote names that are
/// not sesame's (reported, never touched).
pub struct Status {
    pub rows: Vec<Row>,
    pub foreign: Vec<Foreign>,
}

pub fn status(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    name: &str,
    filter: &Filter,
) -> Result<Status> {
    let listing = backend.list()?;
    let view = vault.sync_view(name)?;
    let remote: Vec<(RemoteId, RemoteVersion)> = listing
        .entries
        .into_iter()
        .map(|e| (e.id, e.version))
        .collect();
    Ok(Status {
        rows: plan::rows(&view.locals, &view.bases, &remote, filter),
        foreign: listing.foreign,
    })
}

/// `NAME` or `scope:NAME` as given on the command line.
pub fn name_filter(names: &[String]) -> Result<Vec<(Option<crate::Scope>, crate::SecretName)>> {
    names
        .iter()
        .map(|n| match n.split_once(':') {
            Some((s, n)) => Ok((Some(s.parse()?), crate::SecretName::new(n)?)),
            None => Ok((None, crate::SecretName::new(n.as_str())?)),
        })
        .collect()
}

/// The exit code a finished sync deserves (DESIGN §3): 7 if a remote failed, else 6 if
/// anything is left in conflict, else that of the first other failure.
pub fn exit_error(reports: &[apply::Report], conflicts: usize) -> Option<Error> {
    let failed: Vec<&Error> = reports
        .iter()
        .filter_map(|r| match &r.outcome {
            apply::Outcome::Failed(e) => Some(e),
            _ => None,
        })
        .collect();
    let conflicted = conflicts
        + reports
            .iter()
            .filter(|r| matches!(r.outcome, apply::Outcome::Conflict(_)))
            .count();
    if let Some(e) = failed.iter().find(|e| e.kind() == ErrorKind::Remote) {
        return Some(Error::relayed(
            ErrorKind::Remote,
            &format!(
                "{} secret(s) could not be synced, the first because {e}; run the same command again to finish",
                failed.len()
            ),
        ));
    }
    if conflicted > 0 {
        return Some(Error::Conflict(format!(
            "{conflicted} secret(s) changed on both sides and were left alone: see 'sesame sync status', resolve them in the TUI, or pass --force (a push then takes this side, a pull that side)"
        )));
    }
    failed.first().map(|e| {
        Error::relayed(
            e.kind(),
            &format!("{} secret(s) could not be synced: {e}", failed.len()),
        )
    })
}
