//! Running a sync plan: each action against the backend and the vault (through the vault
//! API, so the agent or a local vault alike), on a bounded pool of threads. Every write is a
//! compare-and-set on both sides: the backend's precondition, and on a pull the local
//! version the plan saw, so a TUI or CLI edit made meanwhile is never overwritten silently.
//! One secret's failure is reported and the others go on; a re-run finishes the job.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::plan::{Action, Direction};
use crate::api::Secrets;
use crate::backend::{Backend, BackendError, Expect, RemoteId, RemoteSecret};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::Values;
use crate::vault::{Agreed, Change};

/// What became of one action.
#[derive(Debug)]
pub enum Outcome {
    /// Done: what was done, in words.
    Done(String),
    /// Both sides held the same after all: recorded as in sync.
    Equal,
    /// Left alone: it changed on both sides (or changed between plan and write).
    Conflict(String),
    Failed(Error),
}

/// One secret's outcome.
#[derive(Debug)]
pub struct Report {
    pub id: RemoteId,
    pub outcome: Outcome,
}

/// Runs `actions` with at most `jobs` at a time, calling `progress(done, total)` after
/// each. Outcomes come back in the order of `actions`.
pub fn apply(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    backend_name: &str,
    actions: &[Action],
    jobs: usize,
    progress: &(dyn Fn(usize, usize, &Report) + Sync),
) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let records = Records::new(vault, backend_name);
    let results: Mutex<Vec<Option<Report>>> =
        Mutex::new((0..actions.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, 64).min(actions.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(action) = actions.get(i) else { break };
                    let report = Report {
                        id: action.id().clone(),
                        outcome: run(vault, backend, &records, action),
                    };
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress(n, actions.len(), &report);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(report);
                }
            });
        }
    });
    let unrecorded = records.finish();
    let mut reports: Vec<Report> = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    // Done there and here, but the agreement could not be written: said, and harmless (the
    // next sync finds both sides with no base and compares them).
    for r in &mut reports {
        if let Some((_, why)) = unrecorded.iter().find(|(id, _)| *id == r.id)
            && matches!(r.outcome, Outcome::Done(_) | Outcome::Equal)
        {
            r.outcome = Outcome::Failed(Error::relayed(
                ErrorKind::Storage,
                &format!(
                    "{}: synced, but its sync state could not be saved ({why}); the next sync compares it",
                    r.id
                ),
            ));
        }
    }
    reports
}

/// How many agreements are written in one vault commit (one fsync).
const BATCH: usize = 128;

/// The agreements reached by a sync, written in batches: one vault commit per batch rather
/// than one per secret (a durable commit costs an fsync; 1,000 of them were most of a
/// 1,000-secret push). An agreement lost to a crash before its batch is written costs only a
/// comparison: the next sync finds both sides with no base, compares them, and records it.
struct Records<'a> {
    vault: &'a dyn Secrets,
    backend: &'a str,
    pending: Mutex<Vec<(RemoteId, Agreed)>>,
    failed: Mutex<Vec<(RemoteId, String)>>,
}

impl<'a> Records<'a> {
    fn new(vault: &'a dyn Secrets, backend: &'a str) -> Records<'a> {
        Records {
            vault,
            backend,
            pending: Mutex::new(Vec::new()),
            failed: Mutex::new(Vec::new()),
        }
    }

    fn add(&self, id: &RemoteId, agreed: Agreed) {
        let batch = {
            let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            p.push((id.clone(), agreed));
            if p.len() < BATCH {
                return;
            }
            std::mem::take(&mut *p)
        };
        self.write(batch);
    }

    fn write(&self, batch: Vec<(RemoteId, Agreed)>) {
        if batch.is_empty() {
            return;
        }
        let ids: Vec<RemoteId> = batch.iter().map(|(id, _)| id.clone()).collect();
        if let Err(e) = self.vault.sync_records(self.backend, batch) {
            let why = e.to_string();
            self.failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(ids.into_iter().map(|id| (id, why.clone())));
        }
    }

    /// Writes what is left; returns the ids whose agreement could not be written.
    fn finish(self) -> Vec<(RemoteId, String)> {
        let rest = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        self.write(rest);
        self.failed.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

fn run(vault: &dyn Secrets, backend: &dyn Backend, rec: &Records, action: &Action) -> Outcome {
    match step(vault, backend, rec, action) {
        Ok(o) => o,
        Err(e) => match &e {
            Error::Backend(BackendError::Conflict { .. }) => Outcome::Conflict(e.to_string()),
            _ if e.kind() == ErrorKind::Conflict || e.kind() == ErrorKind::Exists => {
                Outcome::Conflict(format!(
                    "{}: it changed here while syncing; nothing was overwritten (sync again)",
                    action.id()
                ))
            }
            _ => Outcome::Failed(e),
        },
    }
}

fn step(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    rec: &Records,
    action: &Action,
) -> Result<Outcome> {
    match action {
        Action::Put { id, expect } => {
            let (schema, values) = local(vault, id)?;
            let version = backend.put(id, &schema, &values, expect.clone())?;
            rec.add(id, Some((version, schema, values)));
            Ok(Outcome::Done(match expect {
                Expect::Absent => "created there".into(),
                Expect::Any => "overwritten there".into(),
                Expect::Version(_) => "updated there".into(),
            }))
        }
        Action::RemoteDelete { id, expect } => {
            backend.delete(id, expect.clone())?;
            rec.add(id, None);
            Ok(Outcome::Done("deleted there".into()))
        }
        Action::Take { id, local_version } => {
            let Some(remote) = backend.get(id)? else {
                return Ok(Outcome::Conflict(format!(
                    "{id}: it was deleted there while syncing; nothing was changed here (sync again)"
                )));
            };
            take(vault, rec, &remote, *local_version)?;
            Ok(Outcome::Done(if local_version.is_some() {
                "updated here".into()
            } else {
                "created here".into()
            }))
        }
        Action::LocalDelete { id, local_version } => {
            vault.delete(&id.name, Some(id.scope), Some(*local_version), false)?;
            rec.add(id, None);
            Ok(Outcome::Done("deleted here (in the trash)".into()))
        }
        Action::Forget { id } => {
            rec.add(id, None);
            Ok(Outcome::Done("forgotten (gone on both sides)".into()))
        }
        Action::Compare { id, force } => {
            let remote = backend.get(id)?;
            let here = match vault.get(&id.name, Some(id.scope)) {
                Ok(s) => Some(s),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            match (remote, here) {
                (Some(r), Some(h)) if same(&r, &h.meta.schema, &h.values) => {
                    rec.add(id, Some((r.version, h.meta.schema, h.values)));
                    Ok(Outcome::Equal)
                }
                (Some(r), Some(h)) => match force {
                    None => Ok(Outcome::Conflict(format!(
                        "{id}: {} hold different values; nothing was overwritten (sync status shows it; --force picks a side)",
                        "both sides"
                    ))),
                    Some(Direction::Push) => {
                        let version = backend.put(
                            id,
                            &h.meta.schema,
                            &h.values,
                            Expect::Version(r.version),
                        )?;
                        rec.add(id, Some((version, h.meta.schema, h.values)));
                        Ok(Outcome::Done("overwritten there".into()))
                    }
                    Some(Direction::Pull) => {
                        take(vault, rec, &r, Some(h.meta.version))?;
                        Ok(Outcome::Done("overwritten here".into()))
                    }
                },
                // One side went away between the plan and now: the next sync sees it.
                _ => Ok(Outcome::Conflict(format!(
                    "{id}: it changed while syncing; nothing was overwritten (sync again)"
                ))),
            }
        }
    }
}

/// The local secret's schema and values.
fn local(vault: &dyn Secrets, id: &RemoteId) -> Result<(String, Values)> {
    let s = vault.get(&id.name, Some(id.scope))?;
    Ok((s.meta.schema, s.values))
}

/// Whether the remote copy holds what is here.
fn same(r: &RemoteSecret, schema: &str, values: &Values) -> bool {
    r.schema.as_deref().unwrap_or(DEFAULT_SCHEMA) == schema && &r.values == values
}

/// Writes the remote copy here (create, or exactly its values from `local_version`) and
/// records the agreement.
fn take(
    vault: &dyn Secrets,
    rec: &Records,
    r: &RemoteSecret,
    local_version: Option<u64>,
) -> Result<()> {
    let schema = r
        .schema
        .clone()
        .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
    match local_version {
        None => {
            vault.create(r.id.name.clone(), r.id.scope, &schema, r.values.clone())?;
        }
        Some(v) => {
            let change = Change {
                set: r.values.clone(),
                remove: Vec::new(),
                schema: Some(schema.clone()),
                replace: true,
            };
            vault.update(&r.id.name, Some(r.id.scope), change, Some(v))?;
        }
    }
    // What the vault holds now (schema defaults may have filled a field in) is what both
    // sides agree on only if it is what the remote sent; record that, and a later status
    // shows any difference as a change here.
    rec.add(&r.id, Some((r.version.clone(), schema, r.values.clone())));
    Ok(())
}
