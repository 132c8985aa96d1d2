//! The TUI's state and its one pure transition: `App::update(event, now) -> intents`.
//! No I/O here: the runtime hands vault intents to the worker and feeds the answers back,
//! each naming the ticket of the intent it answers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::action::{Action, ClipOp, Intent, Ticket, Work};
use super::clipboard::ClipReport;
use super::event::Event;
use super::keymap::Keymap;
use super::views;

mod answers;
mod form_keys;
mod keys;
mod pointer;
mod popups;
mod state;
mod sync;
mod trash;
pub use state::*;

use crate::config::TuiConfig;
use crate::schema::Registry;
use crate::secret::{Scope, SecretMeta, SecretName, SecretValue};

/// Below this the TUI shows only a "terminal too small" message (lock and quit still work).
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// Below this width the list and the detail pane take turns (Enter opens, h goes back).
pub const SPLIT_WIDTH: u16 = 80;

/// How long a status message stays: information briefly, errors long enough to read.
const INFO_FOR: Duration = Duration::from_secs(6);
const ERROR_FOR: Duration = Duration::from_secs(30);

/// Timings from the config; `None` means never.
#[derive(Clone, Debug)]
pub struct Settings {
    pub auto_lock: Option<Duration>,
    pub clipboard_clear: Option<Duration>,
    pub reveal_for: Duration,
}

impl Settings {
    pub fn from_config(c: &TuiConfig) -> Settings {
        let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
        Settings {
            auto_lock: secs(c.auto_lock_minutes * 60),
            clipboard_clear: secs(c.clipboard_clear_seconds),
            reveal_for: Duration::from_secs(c.reveal_seconds.max(1)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Error,
}

#[derive(Clone, Debug)]
pub struct Status {
    pub text: String,
    pub kind: StatusKind,
    /// When it disappears.
    pub until: Instant,
}

/// Vault work in flight: why it was asked (to route its answer) and what to show meanwhile.
#[derive(Clone, Debug)]
pub struct Job {
    pub purpose: Purpose,
    pub label: String,
    pub started: Instant,
}

/// Why a job was started; its answer is handled by this, whatever is on screen by then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    Open,
    CreateVault,
    Unlock,
    Lock,
    Reload,
    Reveal {
        scope: Scope,
        name: SecretName,
        want: Want,
    },
    View {
        scope: Scope,
        name: SecretName,
        key: String,
    },
    Copy {
        scope: Scope,
        name: SecretName,
        what: CopyWhat,
    },
    Edit {
        scope: Scope,
        name: SecretName,
    },
    /// Fetch the secret again into an open form (after a conflict).
    FormReload {
        scope: Scope,
        name: SecretName,
    },
    Save {
        scope: Scope,
        name: SecretName,
        verb: &'static str,
    },
    Rename {
        scope: Scope,
        name: SecretName,
    },
    Delete {
        scope: Scope,
        name: SecretName,
    },
    Move {
        scope: Scope,
        name: SecretName,
    },
    History {
        scope: Scope,
        name: SecretName,
    },
    Restore {
        scope: Scope,
        name: SecretName,
        version: u64,
    },
    Trash,
    TrashRestore {
        id: crate::vault::TrashId,
        name: SecretName,
    },
    TrashPurge,
    SyncStatus {
        backend: String,
    },
    Sync {
        backend: String,
    },
    SyncSides {
        backend: String,
        id: crate::backend::RemoteId,
    },
    SyncResolve {
        backend: String,
        id: crate::backend::RemoteId,
    },
}

pub struct App {
    pub keymap: Keymap,
    pub settings: Settings,
    pub schemas: Registry,
    /// Where the vault lives, for the wizard and unlock screens.
    pub vault_label: String,
    pub color: bool,
    pub size: (u16, u16),
    pub screen: Screen,
    pub status: Option<Status>,
    /// Problems with the config that did not stop anything (keymap, custom schemas): kept,
    /// shown at the top of the help and counted in the tab bar.
    pub warnings: Vec<String>,
    pub last_input: Instant,
    /// The clock as of the last event (views draw spinners and countdowns from it).
    pub now: Instant,
    pub clipboard_clear_at: Option<Instant>,
    /// What was copied, for the report ("'token' of db").
    pub clipboard_label: Option<String>,
    pub jobs: BTreeMap<Ticket, Job>,
    /// The configured backends (name, flavor), for the Sync tab.
    pub backends: Vec<(String, String)>,
    next_ticket: Ticket,
    pub quit: bool,
}

fn is_ctrl_c(k: &KeyEvent) -> bool {
    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL)
}

impl App {
    pub fn new(
        keymap: Keymap,
        settings: Settings,
        schemas: Registry,
        vault_label: String,
        vault_exists: bool,
        now: Instant,
    ) -> App {
        let screen = if vault_exists {
            Screen::Unlock(Box::default())
        } else {
            Screen::Wizard(Box::default())
        };
        App {
            keymap,
            settings,
            schemas,
            vault_label,
            color: true,
            size: (SPLIT_WIDTH, 24),
            screen,
            status: None,
            warnings: Vec::new(),
            last_input: now,
            now,
            clipboard_clear_at: None,
            clipboard_label: None,
            jobs: BTreeMap::new(),
            backends: Vec::new(),
            next_ticket: 1,
            quit: false,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// List and detail side by side, or taking turns.
    pub fn narrow(&self) -> bool {
        self.size.0 < SPLIT_WIDTH
    }

    pub fn main(&self) -> Option<&Main> {
        match &self.screen {
            Screen::Main(m) => Some(m),
            _ => None,
        }
    }

    /// Work in flight (the runtime ticks faster for the spinner).
    pub fn busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// The oldest job in flight, for the spinner.
    pub fn current_job(&self) -> Option<&Job> {
        self.jobs.values().next()
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Info,
            until: self.now + INFO_FOR,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Error,
            until: self.now + ERROR_FOR,
        });
    }

    /// Puts the first warning in the status bar (all of them are in the help).
    pub fn show_warnings(&mut self) {
        if let Some(w) = self.warnings.first().cloned() {
            let more = match self.warnings.len() {
                1 => String::new(),
                n => format!(" (and {} more: see ?)", n - 1),
            };
            self.error(format!("{w}{more}"));
        }
    }

    /// Starts vault work: a ticket, the job remembered, the intent for the worker.
    pub(crate) fn work(
        &mut self,
        purpose: Purpose,
        label: impl Into<String>,
        work: Work,
    ) -> Intent {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.jobs.insert(
            ticket,
            Job {
                purpose,
                label: label.into(),
                started: self.now,
            },
        );
        Intent::Work { ticket, work }
    }

    /// The first job: find the way to the vault (and unlock with a passphrase given up
    /// front). The unlock screen shows it working; `q` still quits.
    pub fn open(&mut self, passphrase: Option<SecretValue>, now: Instant) -> Intent {
        self.now = now;
        if let Screen::Unlock(u) = &mut self.screen {
            u.busy = true;
        }
        let label = if passphrase.is_some() {
            "unlocking… (deriving the key)"
        } else {
            "opening the vault…"
        };
        self.work(Purpose::Open, label, Work::Open { passphrase })
    }

    fn list_height(&self) -> usize {
        views::layout(self, Rect::new(0, 0, self.size.0, self.size.1))
            .list_inner
            .height as usize
    }

    /// The pure transition.
    pub fn update(&mut self, event: Event, now: Instant) -> Vec<Intent> {
        self.now = now;
        let mut out = Vec::new();
        match event {
            Event::Key(k) => {
                self.last_input = now;
                if self.too_small() {
                    // Quit and lock work at any size; the rest waits for room to show it.
                    if is_ctrl_c(&k) || self.keymap.is(&k, Action::Quit) {
                        self.quit(&mut out);
                    } else if self.keymap.is(&k, Action::Lock) && self.main().is_some() {
                        self.lock("locked", &mut out);
                    }
                } else {
                    self.on_key(k, now, &mut out);
                }
            }
            Event::Mouse(m) => {
                self.last_input = now;
                if !self.too_small() {
                    self.on_mouse(m);
                }
            }
            Event::Paste(text) => {
                self.last_input = now;
                self.on_paste(text.expose());
            }
            Event::Resize(w, h) => self.size = (w, h),
            Event::Tick => self.on_tick(now, &mut out),
            Event::Done { ticket, result } => {
                // An answer nobody waits for any more (the screen was locked meanwhile) is
                // dropped here, values and all (they are zeroized on drop).
                if let Some(job) = self.jobs.remove(&ticket) {
                    self.on_done(ticket, job, result, now, &mut out);
                }
            }
            Event::Changed(listing) => self.on_changed(listing),
            Event::Lost(why) => {
                if matches!(self.screen, Screen::Main(_)) {
                    self.lock_screen();
                }
                self.jobs.clear();
                self.error(why);
            }
            Event::Clipboard(report) => self.on_clipboard(report, now),
            Event::Progress {
                ticket,
                done,
                total,
            } => self.on_progress(ticket, done, total),
            Event::Notice(text) => {
                // Added to what the answer it came with said (a purge's message, a save's),
                // kept on screen as long as an error.
                if matches!(self.screen, Screen::Main(_)) {
                    let text = match self.status.take() {
                        Some(st) if now < st.until => format!("{} · {text}", st.text),
                        _ => text,
                    };
                    self.error(text);
                }
            }
        }
        self.load_trash_if_needed(&mut out);
        self.load_sync_if_needed(&mut out);
        if let Screen::Main(_) = &self.screen {
            let h = self.list_height();
            let area = Rect::new(0, 0, self.size.0, self.size.1);
            if let Screen::Main(m) = &mut self.screen {
                m.list.ensure_visible(h);
                // The viewer scrolls to the value's last line, no further.
                if let Some(Popup::Viewer { key, scroll }) = &mut m.popup {
                    let max = m
                        .revealed
                        .as_ref()
                        .filter(|r| r.shown.contains(key.as_str()))
                        .and_then(|r| r.values.get(key.as_str()))
                        .map_or(0, |v| views::viewer::max_scroll(v.expose(), area));
                    *scroll = (*scroll).min(max);
                }
            }
        }
        self.sync_cursors();
        out
    }

    fn on_clipboard(&mut self, report: ClipReport, now: Instant) {
        match report {
            ClipReport::Set { how } => {
                let label = self.clipboard_label.clone().unwrap_or_default();
                let clear = match self.settings.clipboard_clear {
                    Some(d) => {
                        self.clipboard_clear_at = Some(now + d);
                        format!("; clears in {} s", d.as_secs())
                    }
                    None => String::new(),
                };
                self.info(format!("copied {label} to the clipboard ({how}{clear})"));
            }
            ClipReport::Cleared(text) => self.info(text),
            ClipReport::Failed(text) => {
                self.clipboard_clear_at = None;
                self.error(text)
            }
        }
    }

    /// Shows the text cursor only in the input that has the focus.
    fn sync_cursors(&mut self) {
        let on = ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
        let off = ratatui::style::Style::default();
        match &mut self.screen {
            Screen::Wizard(w) => {
                w.first.set_cursor_style(if w.on_second { off } else { on });
                w.second
                    .set_cursor_style(if w.on_second { on } else { off });
            }
            Screen::Main(m) => {
                if let Some(Popup::Form(f)) = &mut m.popup {
                    f.sync_cursors();
                }
            }
            Screen::Unlock(_) => {}
        }
    }

    fn quit(&mut self, out: &mut Vec<Intent>) {
        self.quit = true;
        // A copied value must not outlive sesame in the clipboard, waiting for a timer that
        // will never fire.
        if self.clipboard_clear_at.take().is_some() {
            out.push(Intent::Clipboard(ClipOp::Clear));
        }
        out.push(Intent::Quit);
    }

    /// Leaves the main screen for the unlock screen, dropping every value and name.
    fn lock_screen(&mut self) {
        if let Screen::Main(m) = &mut self.screen
            && let Some(Popup::Form(f)) = &mut m.popup
        {
            f.wipe();
        }
        self.screen = Screen::Unlock(Box::default());
    }

    /// Locks now. Work already queued finishes first (the worker takes jobs in order, so a
    /// save is never cut short), but its answers are dropped: nothing lands on the locked
    /// screen.
    fn lock(&mut self, reason: &str, out: &mut Vec<Intent>) {
        let in_flight = self.jobs.len();
        self.lock_screen();
        self.jobs.clear();
        let lock = self.work(Purpose::Lock, "locking…", Work::Lock);
        out.push(lock);
        if in_flight > 0 {
            self.info(format!(
                "{reason}; {in_flight} job(s) in flight finish first, their results are not shown"
            ));
        } else {
            self.info(reason.to_string());
        }
    }

    fn on_tick(&mut self, now: Instant, out: &mut Vec<Intent>) {
        if self.status.as_ref().is_some_and(|s| now >= s.until) {
            self.status = None;
        }
        if let Some(at) = self.clipboard_clear_at
            && now >= at
        {
            self.clipboard_clear_at = None;
            out.push(Intent::Clipboard(ClipOp::Clear));
        }
        if let Screen::Main(m) = &mut self.screen {
            if m.revealed.as_ref().is_some_and(|r| now >= r.until) {
                m.revealed = None;
            }
            match &mut m.popup {
                Some(Popup::History(h)) => h.expire(now),
                Some(Popup::Merge(v)) => v.expire(now),
                _ => {}
            }
        }
        if let (Screen::Main(_), Some(idle)) = (&self.screen, self.settings.auto_lock)
            && now.duration_since(self.last_input) >= idle
        {
            let mins = idle.as_secs().div_ceil(60);
            self.lock(&format!("locked after {mins} min without input"), out);
        }
    }

    /// The Trash tab shows what the vault has now: loaded when opened and after changes.
    fn load_trash_if_needed(&mut self, out: &mut Vec<Intent>) {
        let want =
            matches!(&self.screen, Screen::Main(m) if m.tab == Tab::Trash && !m.trash.loaded);
        let asked = self.jobs.values().any(|j| j.purpose == Purpose::Trash);
        if want && !asked {
            let i = self.work(Purpose::Trash, "reading the trash…", Work::TrashList);
            out.push(i);
        }
    }

    /// Another process changed the vault: the new list, keeping query, sort and selection.
    fn on_changed(&mut self, listing: crate::vault::Listing) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let before = m.list.len();
        let selected = m
            .list
            .selected()
            .map(|s| (s.scope, s.name.clone(), s.version));
        m.list.replace(listing.secrets);
        m.damaged = listing.damaged.len() + listing.problems.len();
        // A revealed secret that changed shows stale values: drop them.
        let now_sel = m
            .list
            .selected()
            .map(|s| (s.scope, s.name.clone(), s.version));
        if now_sel != selected {
            m.revealed = None;
            m.key_cursor = 0;
        }
        let after = m.list.len();
        let what = match after.cmp(&before) {
            std::cmp::Ordering::Greater => format!("{} new", after - before),
            std::cmp::Ordering::Less => format!("{} gone", before - after),
            std::cmp::Ordering::Equal => "changed".to_string(),
        };
        self.info(format!(
            "the vault changed elsewhere ({what}): list reloaded"
        ));
    }
}

/// A hidden text input for a passphrase, wiped when dropped or replaced.
pub struct MaskedInput(TextArea<'static>);

impl std::ops::Deref for MaskedInput {
    type Target = TextArea<'static>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for MaskedInput {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for MaskedInput {
    fn drop(&mut self) {
        crate::tui::form::wipe(&mut self.0);
    }
}

impl MaskedInput {
    pub fn new() -> MaskedInput {
        let mut t = TextArea::default();
        // A passphrase never enters an undo history (nothing to undo in a hidden input anyway).
        t.set_max_histories(0);
        // Views draw a fixed mark instead (no length shown); the mask char is a backstop.
        t.set_mask_char('•');
        t.set_cursor_line_style(ratatui::style::Style::default());
        MaskedInput(t)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for MaskedInput {
    fn default() -> Self {
        MaskedInput::new()
    }
}

fn plain_input(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

/// Metadata for a list row, for views and tests.
pub fn selected_meta(app: &App) -> Option<&SecretMeta> {
    app.main().and_then(|m| m.list.selected())
}
