//! The terminal UI (`sesame` with no subcommand). `App` holds the state and decides;
//! this module runs the loop: read input, update, perform the intents against the vault
//! and the terminal, draw. No storage or crypto lives here: it all goes through `Vault`.

pub mod action;
pub mod app;
pub mod event;
pub mod form;
pub mod keymap;
pub mod list;
pub mod terminal;
pub mod views;

use std::io::Write;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::api::{AgentUse, Door, Secrets};
use crate::crypto::KdfParams;
use crate::error::Result;
use crate::session::Session;
use crate::vault::Vault;
use action::Intent;
use app::{App, Settings};
use event::Event;
use keymap::Keymap;

/// How often the clock ticks when nothing happens (auto-lock, reveal and clipboard timers).
const TICK: Duration = Duration::from_millis(250);

/// Builds the app for a session: keymap with the config's overrides, timings, colours.
pub fn new_app(session: &Session, now: Instant) -> App {
    let (keymap, problems) = Keymap::build(&session.config.tui.keys);
    let mut app = App::new(
        keymap,
        Settings::from_config(&session.config.tui),
        session.schemas().clone(),
        session.vault_dir.display().to_string(),
        session.vault_exists(),
        now,
    );
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut warnings = problems;
    warnings.extend(session.schema_warnings().iter().cloned());
    if let Some(w) = warnings.first() {
        app.error(w.clone());
    }
    app
}

/// Runs the TUI until the user quits. The terminal is restored on every way out. With an
/// unlocked agent running, it opens straight onto the list.
pub fn run(session: Session, agent: AgentUse) -> Result<()> {
    // The TUI holds the unlocked vault for minutes: no core dump or same-user ptrace may
    // copy its keys or revealed values out.
    let unhardened = crate::hardening::no_dumps();
    let mut app = new_app(&session, Instant::now());
    if !unhardened.is_empty() {
        app.error(format!(
            "could not disable {} for this process",
            unhardened.join(" and ")
        ));
    }
    let mut pending = Vec::new();
    let mut vault: Option<Box<dyn Secrets>> = None;
    let mut door = None;
    if session.vault_exists() {
        match crate::api::door(&session, agent) {
            Ok(Door::Open(s)) => {
                match s.list() {
                    Ok(listing) => {
                        app.update(Event::Unlocked(listing), Instant::now());
                    }
                    Err(e) => app.error(e.to_string()),
                }
                vault = Some(s);
            }
            Ok(Door::Locked(l)) => door = Some(l),
            Err(e) => app.error(e.to_string()),
        }
    }
    if vault.is_none() && session.vault_exists() {
        match session.passphrase_without_prompt() {
            Ok(Some(p)) => {
                app.start_unlock();
                pending.push(Intent::Unlock(crate::secret::SecretValue::new(p.as_str())));
            }
            Ok(None) => {}
            Err(e) => app.error(e.to_string()),
        }
    }
    let mut term = terminal::setup()?;
    let result = event_loop(
        &mut term, &mut app, &session, pending, &mut vault, door, agent,
    );
    terminal::restore();
    // A vault opened here leaves a snapshot of what it changed (DESIGN §4); an agent stays
    // unlocked for the other terminals until its own idle lock.
    if let Some(v) = vault.take()
        && v.holder() == crate::api::Holder::ThisProcess
    {
        let _ = v.lock();
    }
    let _ = term.show_cursor();
    result
}

struct Runtime<'a> {
    session: &'a Session,
    vault: &'a mut Option<Box<dyn Secrets>>,
    /// How to unlock, found before the first unlock (and again after a lock).
    door: Option<Box<crate::api::Lock>>,
    agent: AgentUse,
}

fn event_loop(
    term: &mut terminal::Term,
    app: &mut App,
    session: &Session,
    mut pending: Vec<Intent>,
    vault: &mut Option<Box<dyn Secrets>>,
    door: Option<Box<crate::api::Lock>>,
    agent: AgentUse,
) -> Result<()> {
    let mut rt = Runtime {
        session,
        vault,
        door,
        agent,
    };
    let io = |e| crate::Error::io("terminal error", e);
    let size = term.size().map_err(io)?;
    app.update(Event::Resize(size.width, size.height), Instant::now());
    loop {
        term.draw(|f| views::draw(f, app)).map_err(io)?;
        if !pending.is_empty() {
            // Perform the intents (after drawing, so "unlocking…" shows while it works).
            for intent in std::mem::take(&mut pending) {
                if let Some(ev) = rt.perform(intent, term.backend_mut()) {
                    pending.extend(app.update(ev, Instant::now()));
                }
            }
            if app.quit {
                return Ok(());
            }
            continue;
        }
        if app.quit {
            return Ok(());
        }
        let first = event::read(TICK).map_err(io)?;
        let mut events: Vec<Event> = first.into_iter().collect();
        // Drain what is already queued (key repeat, paste) before the next frame.
        while events.len() < 64 {
            match event::read(Duration::ZERO).map_err(io)? {
                Some(e) => events.push(e),
                None => break,
            }
        }
        events.push(Event::Tick);
        for ev in events {
            pending.extend(app.update(ev, Instant::now()));
        }
        if app.quit && pending.iter().all(|i| matches!(i, Intent::Quit)) {
            return Ok(());
        }
    }
}

impl Runtime<'_> {
    /// Unlocks through the door found at start (or a new one after a lock) and lists.
    fn unlock(&mut self, pass: &[u8]) -> Option<Event> {
        let door = match self.door.take() {
            Some(d) => Ok(Door::Locked(d)),
            None => crate::api::door(self.session, self.agent),
        };
        let opened = match door {
            Ok(Door::Open(s)) => Ok(s),
            Ok(Door::Locked(mut lock)) => {
                let r = lock.unlock(pass);
                if r.is_err() {
                    self.door = Some(lock);
                }
                r
            }
            Err(e) => Err(e),
        };
        match opened {
            Ok(s) => {
                let listing = s.list();
                *self.vault = Some(s);
                Some(match listing {
                    Ok(l) => Event::Unlocked(l),
                    Err(e) => Event::UnlockFailed(e.to_string()),
                })
            }
            Err(e) if e.kind() == crate::error::ErrorKind::WrongPassphrase => {
                Some(Event::UnlockFailed("wrong passphrase".into()))
            }
            Err(e) => Some(Event::UnlockFailed(e.to_string())),
        }
    }

    /// Performs one intent; the outcome comes back as an event for `App::update`.
    fn perform(&mut self, intent: Intent, out: &mut impl Write) -> Option<Event> {
        let failed = |e: crate::Error| Some(Event::Failed(e.to_string()));
        match intent {
            Intent::Quit => None,
            Intent::CreateVault(pass) => {
                // Created here, then opened like any vault (through the agent if allowed).
                match Vault::init(
                    &self.session.vault_dir,
                    pass.expose().as_bytes(),
                    KdfParams::default(),
                ) {
                    Ok(v) => drop(v),
                    Err(e) => return Some(Event::UnlockFailed(e.to_string())),
                }
                self.unlock(pass.expose().as_bytes())
            }
            Intent::Unlock(pass) => self.unlock(pass.expose().as_bytes()),
            Intent::Lock => {
                // Every value out of reach: the agent wipes its keys and exits (the other
                // terminals will ask again), a vault opened here snapshots what changed and
                // is dropped, which wipes its keys and releases the lock.
                if let Some(v) = self.vault.take() {
                    let _ = v.lock();
                }
                None
            }
            Intent::ClearClipboard => {
                let _ = terminal::write_osc52(out, "");
                None
            }
            other => {
                let Some(vault) = self.vault.as_ref() else {
                    return Some(Event::Failed("the vault is locked".into()));
                };
                match other {
                    Intent::Reveal { name, scope } => match vault.get(&name, Some(scope)) {
                        Ok(s) => Some(Event::Revealed(s)),
                        Err(e) => failed(e),
                    },
                    Intent::Copy { name, scope, key } => {
                        let secret = match vault.get(&name, Some(scope)) {
                            Ok(s) => s,
                            Err(e) => return failed(e),
                        };
                        let value = match secret.get(&key) {
                            Ok(v) => v,
                            Err(e) => return failed(e),
                        };
                        let b64 = zeroize::Zeroizing::new(
                            base64::engine::general_purpose::STANDARD.encode(value.expose()),
                        );
                        match terminal::write_osc52(out, &b64) {
                            Ok(()) => Some(Event::Copied {
                                key,
                                name: name.to_string(),
                            }),
                            Err(e) => failed(crate::Error::io("cannot write to the terminal", e)),
                        }
                    }
                    Intent::LoadForEdit { name, scope } => match vault.get(&name, Some(scope)) {
                        Ok(s) => Some(Event::LoadedForEdit(s)),
                        Err(e) => failed(e),
                    },
                    Intent::Create {
                        name,
                        scope,
                        schema,
                        values,
                    } => match vault.create(name, scope, &schema, values) {
                        Ok(meta) => Some(Event::Saved {
                            meta,
                            verb: "created",
                        }),
                        Err(e) => failed(e),
                    },
                    Intent::Update {
                        name,
                        scope,
                        change,
                    } => match vault.update(&name, Some(scope), change, None) {
                        Ok(meta) => Some(Event::Saved {
                            meta,
                            verb: "saved",
                        }),
                        Err(e) => failed(e),
                    },
                    Intent::Rename {
                        name,
                        scope,
                        new_name,
                    } => {
                        let old = match vault.meta(&name, Some(scope)) {
                            Ok(m) => m,
                            Err(e) => return failed(e),
                        };
                        match vault.rename(&name, Some(scope), new_name, None) {
                            Ok(new) => Some(Event::Renamed { old, new }),
                            Err(e) => failed(e),
                        }
                    }
                    Intent::Delete { name, scope } => {
                        match vault.delete(&name, Some(scope), None, false) {
                            Ok(d) => Some(Event::Deleted(d.meta)),
                            Err(e) => failed(e),
                        }
                    }
                    Intent::LoadHistory { name, scope } => {
                        match vault.history(&name, Some(scope)) {
                            Ok((current, versions)) => Some(Event::History { current, versions }),
                            Err(e) => failed(e),
                        }
                    }
                    Intent::Restore {
                        name,
                        scope,
                        version,
                    } => match vault.restore(&name, Some(scope), version, None) {
                        Ok(meta) => Some(Event::Saved {
                            meta,
                            verb: "restored",
                        }),
                        Err(e) => failed(e),
                    },
                    _ => None,
                }
            }
        }
    }
}
