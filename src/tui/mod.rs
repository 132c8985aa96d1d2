//! The terminal UI (`sesame` with no subcommand). `App` holds the state and decides (pure);
//! this module runs the loop. Three threads meet on one channel: input (crossterm), the
//! worker (vault work, `worker.rs`) and the UI thread, which updates the app with each
//! event, hands vault intents to the worker, writes the clipboard and draws. No storage or
//! crypto lives here: it all goes through `api::Secrets`.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod command;
pub mod event;
pub mod form;
pub mod keymap;
pub mod list;
pub mod memory;
pub mod search;
pub mod terminal;
pub mod text;
pub mod views;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::api::AgentUse;
use crate::error::Result;
use crate::session::Session;
use action::{ClipOp, Intent, Work};
use app::{App, Settings};
use clipboard::Clipboard;
use event::Event;
use keymap::Keymap;
use worker::Worker;

/// How often the clock ticks when nothing happens (auto-lock, reveal and clipboard timers).
const TICK: Duration = Duration::from_millis(250);
/// While work is in flight, for the spinner.
const BUSY_TICK: Duration = Duration::from_millis(100);

/// Builds the app for a session: keymap with the config's overrides (refused when broken),
/// timings, colours, and the warnings to keep showing.
pub fn new_app(session: &Session, now: Instant) -> Result<App> {
    let warnings = keymap::check(&session.config)?;
    let (keymap, _) = Keymap::build(&session.config.tui.keys);
    let mut app = App::new(
        keymap,
        Settings::from_config(&session.config.tui),
        session.schemas().clone(),
        session.vault_dir.display().to_string(),
        session.vault_exists(),
        now,
    );
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    app.backends = session
        .config
        .backends
        .iter()
        .map(|(name, b)| (name.clone(), b.flavor.clone()))
        .collect();
    app.warnings = warnings;
    app.warnings
        .extend(session.schema_warnings().iter().cloned());
    Ok(app)
}

/// Runs the TUI until the user quits. The terminal is restored on every way out.
pub fn run(session: Session, agent: AgentUse) -> Result<()> {
    // The TUI holds the unlocked vault for minutes: no core dump or same-user ptrace may
    // copy its keys or revealed values out.
    let unhardened = crate::hardening::no_dumps();
    memory::one_arena();
    let now = Instant::now();
    let mut app = new_app(&session, now)?;
    if !unhardened.is_empty() {
        app.warnings.push(format!(
            "could not disable {} for this process",
            unhardened.join(" and ")
        ));
    }
    let passphrase = if session.vault_exists() {
        match session.passphrase_without_prompt() {
            Ok(p) => p.map(|p| crate::secret::SecretValue::new(p.as_str())),
            Err(e) => {
                app.warnings.push(e.to_string());
                None
            }
        }
    } else {
        None
    };
    let mut first = Vec::new();
    if session.vault_exists() {
        first.push(app.open(passphrase, now));
    }
    app.show_warnings();

    let (tx, rx) = std::sync::mpsc::channel();
    let worker = Worker::spawn(Arc::new(session), agent, tx.clone());
    let mut term = terminal::setup()?;
    let stop = Arc::new(AtomicBool::new(false));
    let input = spawn_input(tx.clone(), stop.clone());
    let mut rt = Runtime {
        worker: &worker,
        clipboard: Clipboard::detect(),
        events: tx,
    };
    let result = rt.event_loop(&mut term, &mut app, rx, first);
    stop.store(true, Ordering::SeqCst);
    let _ = input.join();
    terminal::restore();
    let _ = term.show_cursor();
    // The worker finishes its job (a save is never cut short) and locks a vault opened here.
    worker.shutdown(Duration::from_secs(10));
    result
}

/// Reads the terminal on a thread of its own, so a key or a resize is seen while the UI
/// thread waits for the worker.
fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("sesame-input".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match event::read(Duration::from_millis(50)) {
                    Ok(Some(ev)) => {
                        if tx.send(ev).is_err() {
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
        })
        .expect("spawn the input thread")
}

struct Runtime<'a> {
    worker: &'a Worker,
    clipboard: Clipboard,
    /// For the clipboard's reports (they come back as events like everything else).
    events: Sender<Event>,
}

impl Runtime<'_> {
    fn event_loop(
        &mut self,
        term: &mut terminal::Term,
        app: &mut App,
        rx: Receiver<Event>,
        first: Vec<Intent>,
    ) -> Result<()> {
        let io = |e| crate::Error::io("terminal error", e);
        let size = term.size().map_err(io)?;
        app.update(Event::Resize(size.width, size.height), Instant::now());
        self.perform(first, app, term.backend_mut());
        loop {
            if app.quit {
                return Ok(());
            }
            term.draw(|f| views::draw(f, app)).map_err(io)?;
            let tick = if app.busy() { BUSY_TICK } else { TICK };
            let mut events = Vec::new();
            match rx.recv_timeout(tick) {
                Ok(e) => events.push(e),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            // Drain what is already queued (key repeat, paste) before the next frame.
            while events.len() < 64 {
                match rx.try_recv() {
                    Ok(e) => events.push(e),
                    Err(_) => break,
                }
            }
            events.push(Event::Tick);
            for ev in events {
                let intents = app.update(ev, Instant::now());
                self.perform(intents, app, term.backend_mut());
                if app.quit {
                    break;
                }
            }
        }
    }

    /// Hands vault work to the worker and does the terminal's part itself.
    fn perform(&mut self, intents: Vec<Intent>, app: &mut App, out: &mut impl std::io::Write) {
        for intent in intents {
            match intent {
                Intent::Quit => {}
                Intent::Work { ticket, work } => {
                    let lock = matches!(work, Work::Lock);
                    self.worker.send(ticket, work);
                    if lock {
                        // The app dropped its list and values already.
                        memory::release();
                    }
                }
                Intent::Clipboard(op) => {
                    let report = match op {
                        ClipOp::Set(value) => self.clipboard.set(out, &value),
                        ClipOp::Clear => self.clipboard.clear(out),
                    };
                    if app.quit {
                        continue; // nobody will read it
                    }
                    let _ = self.events.send(Event::Clipboard(report));
                }
            }
        }
    }
}
