//! The worker thread: performs vault work against `api::Secrets` off the UI thread, one job
//! at a time in the order asked, and answers each with `Event::Done` naming its ticket.
//! Between jobs it polls the vault's generation (cheap) and, when another process wrote,
//! sends the new list. It owns the open vault, so locking and dropping it happen here.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::action::{Ticket, Work};
use super::event::{Event, Failure, Outcome, SyncReport};
use crate::api::{AgentUse, Door, Lock, Secrets};
use crate::backend::RemoteId;
use crate::crypto::KdfParams;
use crate::error::{Error, ErrorKind};
use crate::session::Session;
use crate::sync::apply::{Outcome as ApplyOutcome, apply};
use crate::sync::plan::{self, Direction, Filter};
use crate::vault::Vault;

/// How often the worker asks whether the vault changed, when it has nothing else to do.
pub const POLL: Duration = Duration::from_secs(1);

pub struct Worker {
    jobs: Option<Sender<(Ticket, Work)>>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker; its answers go to `events`.
    pub fn spawn(session: Arc<Session>, agent: AgentUse, events: Sender<Event>) -> Worker {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("sesame-worker".into())
            .spawn(move || {
                let mut w = State {
                    session,
                    agent,
                    vault: None,
                    door: None,
                    seen: None,
                    mirrored: false,
                    events,
                };
                w.run(rx);
            })
            .expect("spawn the worker thread");
        Worker {
            jobs: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn send(&self, ticket: Ticket, work: Work) {
        if let Some(j) = &self.jobs {
            let _ = j.send((ticket, work));
        }
    }

    /// Lets the worker finish what it is doing, lock what it holds and exit; waits for it up
    /// to `patience` (a key derivation in progress cannot be interrupted).
    pub fn shutdown(mut self, patience: Duration) {
        self.jobs = None; // the worker sees the channel close after its queue
        let Some(handle) = self.handle.take() else {
            return;
        };
        let start = Instant::now();
        while !handle.is_finished() && start.elapsed() < patience {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
    }
}

struct State {
    session: Arc<Session>,
    agent: AgentUse,
    vault: Option<Box<dyn Secrets>>,
    /// How to unlock, kept between a wrong passphrase and the next try.
    door: Option<Box<Lock>>,
    /// The generation the app's list reflects.
    seen: Option<u64>,
    /// Writes go through the backup store's mirror.
    mirrored: bool,
    events: Sender<Event>,
}

impl State {
    fn run(&mut self, rx: Receiver<(Ticket, Work)>) {
        let mut last_poll = Instant::now();
        loop {
            match rx.recv_timeout(POLL) {
                Ok((ticket, work)) => {
                    let result = self.perform(ticket, work);
                    if self.events.send(Event::Done { ticket, result }).is_err() {
                        break;
                    }
                    if let Some(v) = &self.vault {
                        for n in v.take_notices() {
                            let _ = self.events.send(Event::Notice(n));
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if last_poll.elapsed() >= POLL {
                last_poll = Instant::now();
                self.poll();
            }
        }
        // A vault opened here leaves a snapshot of what it changed (DESIGN §4); an agent
        // stays unlocked for the other terminals until its own idle lock.
        if let Some(v) = self.vault.take()
            && v.holder() == crate::api::Holder::ThisProcess
        {
            let _ = v.lock();
        }
    }

    fn vault(&self) -> Result<&dyn Secrets, Failure> {
        self.vault
            .as_deref()
            .ok_or_else(|| Failure::new(ErrorKind::Locked, "the vault is locked"))
    }

    fn perform(&mut self, ticket: Ticket, work: Work) -> Result<Outcome, Failure> {
        match work {
            Work::Open { passphrase } => match crate::api::door(&self.session, self.agent)? {
                Door::Open(s) => self.opened(s),
                Door::Locked(lock) => {
                    self.door = Some(lock);
                    match passphrase {
                        Some(p) => self.unlock(p.expose().as_bytes()),
                        None => Ok(Outcome::NeedPassphrase),
                    }
                }
            },
            Work::CreateVault(pass) => {
                // Created here, then opened like any vault (through the agent if allowed).
                drop(Vault::init(
                    &self.session.vault_dir,
                    pass.expose().as_bytes(),
                    KdfParams::default(),
                )?);
                self.door = None;
                self.unlock(pass.expose().as_bytes())
            }
            Work::Unlock(pass) => self.unlock(pass.expose().as_bytes()),
            Work::Lock => {
                // Every value out of reach: the agent wipes its keys and exits (the other
                // terminals will ask again); a vault opened here snapshots what changed and
                // is dropped, which wipes its keys and releases the lock.
                if let Some(v) = self.vault.take() {
                    let _ = v.lock();
                }
                self.door = None;
                self.seen = None;
                super::memory::release();
                Ok(Outcome::Locked)
            }
            Work::List => {
                let v = self.vault()?;
                let generation = v.generation()?;
                let listing = v.list()?;
                self.seen = Some(generation);
                Ok(Outcome::Listed(listing))
            }
            Work::Get { name, scope } => {
                Ok(Outcome::Secret(self.vault()?.get(&name, Some(scope))?))
            }
            Work::History { name, scope } => {
                let (current, versions) = self.vault()?.history(&name, Some(scope))?;
                Ok(Outcome::History { current, versions })
            }
            Work::Create {
                name,
                scope,
                schema,
                values,
            } => {
                let meta = self.vault()?.create(name, scope, &schema, values)?;
                self.wrote(1);
                Ok(Outcome::Saved(meta))
            }
            Work::Update {
                name,
                scope,
                change,
                expected,
            } => {
                let meta = self
                    .vault()?
                    .update(&name, Some(scope), change, Some(expected))?;
                // An update that changes nothing writes nothing.
                if meta.version != expected {
                    self.wrote(1);
                }
                Ok(Outcome::Saved(meta))
            }
            Work::Restore {
                name,
                scope,
                version,
                expected,
            } => {
                let meta = self
                    .vault()?
                    .restore(&name, Some(scope), version, Some(expected))?;
                self.wrote(1);
                Ok(Outcome::Saved(meta))
            }
            Work::Rename {
                name,
                scope,
                new_name,
                expected,
            } => {
                let v = self.vault()?;
                let old = v.meta(&name, Some(scope))?;
                let new = v.rename(&name, Some(scope), new_name, Some(expected))?;
                self.wrote(1);
                Ok(Outcome::Renamed { old, new })
            }
            Work::Delete {
                name,
                scope,
                expected,
            } => {
                let deleted = self
                    .vault()?
                    .delete(&name, Some(scope), Some(expected), false)?;
                self.wrote(1);
                Ok(Outcome::Deleted(deleted))
            }
            Work::Move {
                name,
                scope,
                expected,
            } => self.move_scope(name, scope, expected),
            Work::TrashList => Ok(Outcome::Trash(self.vault()?.trash_list()?)),
            Work::TrashRestore { id, new_name } => {
                let meta = self.vault()?.trash_restore(&id, new_name)?;
                self.wrote(1);
                Ok(Outcome::Untrashed(meta))
            }
            Work::TrashPurge { id } => {
                let n = self.vault()?.trash_purge(id.as_ref())?;
                self.seen = None; // purging may compact: let the poll catch up
                Ok(Outcome::Purged(n))
            }
            Work::SyncStatus { backend } => self.sync_report(&backend, Vec::new(), None),
            Work::Sync {
                backend,
                direction,
                only,
                force,
            } => self.sync(ticket, &backend, direction, only, force),
            Work::SyncSides { backend, id } => {
                let v = self.vault()?;
                let b = self.backend(&backend)?;
                let sides = crate::sync::merge::sides(v, &*b, &backend, &id)?;
                Ok(Outcome::Sides(Box::new(sides)))
            }
            Work::SyncResolve {
                backend,
                id,
                schema,
                values,
                local_version,
                remote_version,
            } => {
                let b = self.backend(&backend)?;
                crate::sync::merge::resolve(
                    self.vault()?,
                    &*b,
                    &backend,
                    &id,
                    &schema,
                    &values,
                    local_version,
                    remote_version,
                )?;
                let line = "settled key by key: the merged values are on both sides".to_string();
                self.sync_report(
                    &backend,
                    vec![(id.clone(), false, line)],
                    Some((format!("{id} settled with '{backend}'"), false)),
                )
            }
        }
    }

    /// A configured backend, opened with its credentials resolved from the vault.
    fn backend(&self, name: &str) -> Result<Box<dyn crate::backend::Backend>, Failure> {
        let cfg = self.session.config.backends.get(name).ok_or_else(|| {
            Failure::new(
                ErrorKind::NotFound,
                format!("no backend '{name}' in the config any more"),
            )
        })?;
        Ok(crate::sync::open(name, cfg, self.vault()?)?)
    }

    fn filter(&self, name: &str, only: Option<&RemoteId>) -> Filter {
        Filter {
            include_user_scope: self
                .session
                .config
                .backends
                .get(name)
                .is_some_and(|c| c.include_user_scope),
            names: only
                .map(|id| vec![(Some(id.scope), id.name.clone())])
                .unwrap_or_default(),
        }
    }

    /// Every secret's state with `name`, with what a sync just did, and the vault's list
    /// when that sync wrote to it (so the list is current without a "changed elsewhere").
    fn sync_report(
        &mut self,
        name: &str,
        results: Vec<(RemoteId, bool, String)>,
        summary: Option<(String, bool)>,
    ) -> Result<Outcome, Failure> {
        let b = self.backend(name)?;
        let v = self.vault()?;
        let st = crate::sync::status(v, &*b, name, &self.filter(name, None))?;
        let generation = v.generation()?;
        let listing = if self.seen.is_some_and(|s| s != generation) {
            let l = v.list()?;
            self.seen = Some(generation);
            Some(l)
        } else {
            None
        };
        Ok(Outcome::Sync(Box::new(SyncReport {
            backend: name.to_string(),
            rows: st.rows,
            foreign: st.foreign.len(),
            results,
            summary,
            listing,
        })))
    }

    fn sync(
        &mut self,
        ticket: Ticket,
        name: &str,
        direction: Direction,
        only: Option<RemoteId>,
        force: bool,
    ) -> Result<Outcome, Failure> {
        let b = self.backend(name)?;
        let v = self.vault()?;
        let st = crate::sync::status(v, &*b, name, &self.filter(name, only.as_ref()))?;
        let plan = plan::plan(&st.rows, direction, force);
        let events = self.events.clone();
        let reports = apply(v, &*b, name, &plan.actions, 8, &|done, total, _| {
            let _ = events.send(Event::Progress {
                ticket,
                done,
                total,
            });
        });
        let mut results = Vec::new();
        let (mut done, mut failed) = (0, 0);
        for r in &reports {
            let (bad, text) = match &r.outcome {
                ApplyOutcome::Done(what) => (false, what.clone()),
                ApplyOutcome::Equal => (false, "the same on both sides".to_string()),
                ApplyOutcome::Conflict(why) => (true, why.clone()),
                ApplyOutcome::Failed(e) => (true, e.to_string()),
            };
            match &r.outcome {
                ApplyOutcome::Done(_) | ApplyOutcome::Equal => done += 1,
                ApplyOutcome::Failed(_) => failed += 1,
                ApplyOutcome::Conflict(_) => {}
            }
            results.push((r.id.clone(), bad, text));
        }
        let conflicts = plan.conflicts.len()
            + reports
                .iter()
                .filter(|r| matches!(r.outcome, ApplyOutcome::Conflict(_)))
                .count();
        for c in &plan.conflicts {
            results.push((
                c.id.clone(),
                true,
                format!("{}: left alone", c.conflict_detail()),
            ));
        }
        let verb = match direction {
            Direction::Push => "pushed to",
            Direction::Pull => "pulled from",
        };
        let mut summary = format!("{verb} '{name}': {done} of {} done", reports.len());
        if failed > 0 {
            summary.push_str(&format!(", {failed} failed (run it again to finish)"));
        }
        if conflicts > 0 {
            summary.push_str(&format!(
                ", {conflicts} in conflict (view one to settle it key by key)"
            ));
        }
        if reports.is_empty() && conflicts == 0 {
            summary = format!(
                "nothing to {} with '{name}'",
                match direction {
                    Direction::Push => "push",
                    Direction::Pull => "pull",
                }
            );
        }
        let bad = failed > 0 || conflicts > 0;
        self.sync_report(name, results, Some((summary, bad)))
    }

    /// Create in the other scope, then delete here with the version the user saw. If the
    /// delete is refused, the copy stays and the message says so: nothing is lost.
    fn move_scope(
        &mut self,
        name: crate::SecretName,
        scope: crate::Scope,
        expected: u64,
    ) -> Result<Outcome, Failure> {
        let v = self.vault()?;
        let secret = v.get(&name, Some(scope))?;
        if secret.meta.version != expected {
            return Err(Failure::new(
                ErrorKind::Conflict,
                format!(
                    "'{name}' ({scope}) changed since you looked (now version {}): nothing was moved; look again and retry",
                    secret.meta.version
                ),
            ));
        }
        let to = scope.other();
        let old = secret.meta.clone();
        let new = v.create(name.clone(), to, &secret.meta.schema, secret.values)?;
        if let Err(e) = v.delete(&name, Some(scope), Some(expected), false) {
            self.seen = None; // reload: the list must show both
            return Err(Failure::new(
                e.kind(),
                format!(
                    "'{name}' was copied to the {to} scope, but the {scope} one could not be deleted ({e}): both exist now"
                ),
            ));
        }
        self.wrote(2);
        Ok(Outcome::Moved { old, new })
    }

    fn unlock(&mut self, pass: &[u8]) -> Result<Outcome, Failure> {
        let door = match self.door.take() {
            Some(d) => Door::Locked(d),
            None => crate::api::door(&self.session, self.agent)?,
        };
        let opened = match door {
            Door::Open(s) => Ok(s),
            Door::Locked(mut lock) => {
                let r = lock.unlock(pass);
                if r.is_err() {
                    self.door = Some(lock);
                }
                r
            }
        };
        match opened {
            Ok(s) => self.opened(s),
            Err(e) if e.kind() == ErrorKind::WrongPassphrase => {
                Err(Failure::new(ErrorKind::WrongPassphrase, "wrong passphrase"))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn opened(&mut self, s: Box<dyn Secrets>) -> Result<Outcome, Failure> {
        // Every write is also written to the backup store, if one is configured (what an
        // earlier run could not write is tried first).
        let s: Box<dyn Secrets> = match crate::backup::configured(&self.session.config) {
            Some((name, cfg)) => {
                let m = crate::backup::Mirrored::new(s, name, cfg, &self.session.vault_dir);
                let _ = m.drain();
                self.mirrored = true;
                Box::new(m)
            }
            None => s,
        };
        let generation = s.generation()?;
        let listing = s.list();
        self.vault = Some(s);
        let listing = listing?;
        self.seen = Some(generation);
        Ok(Outcome::Unlocked(listing))
    }

    /// After our own `n` writes: if nobody else wrote meanwhile, the app's list already
    /// knows them (it applies each answer), so no reload is needed.
    fn wrote(&mut self, n: u64) {
        // A mirrored write also records its agreement with the backup store.
        let n = if self.mirrored { 2 * n } else { n };
        let now = self.vault.as_ref().and_then(|v| v.generation().ok());
        if let (Some(seen), Some(now)) = (self.seen, now)
            && now == seen + n
        {
            self.seen = Some(now);
        }
    }

    /// Reloads the list when the vault moved on without us; reports a vault gone away.
    fn poll(&mut self) {
        let Some(v) = self.vault.as_deref() else {
            return;
        };
        match v.generation() {
            Ok(g) if Some(g) == self.seen => {}
            Ok(g) => match v.list() {
                Ok(listing) => {
                    self.seen = Some(g);
                    let _ = self.events.send(Event::Changed(listing));
                }
                Err(e) => self.lost(e),
            },
            Err(e) => self.lost(e),
        }
    }

    fn lost(&mut self, e: Error) {
        // Only a vault out of reach ends the session; a passing error is retried next poll.
        let gone = matches!(
            e.kind(),
            ErrorKind::Locked | ErrorKind::Io | ErrorKind::Other
        );
        if !gone {
            return;
        }
        self.vault = None;
        self.door = None;
        self.seen = None;
        super::memory::release();
        let why = if e.kind() == ErrorKind::Locked {
            "the vault was locked elsewhere (sesame lock, or the agent's idle timer)".to_string()
        } else {
            format!("lost the vault: {e}")
        };
        let _ = self.events.send(Event::Lost(why));
    }
}
