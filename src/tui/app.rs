//! The TUI's state and its one pure transition: `App::update(event, now) -> intents`.
//! No I/O here: the runtime (mod.rs) performs the intents and feeds their outcomes back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::action::{Action, Intent};
use super::event::Event;
use super::form::{Form, FormMode, Slot};
use super::keymap::Keymap;
use super::list::SecretList;
use super::views;

mod keys;
mod pointer;
mod popups;
use crate::config::TuiConfig;
use crate::schema::Registry;
use crate::secret::{
    Scope, Secret, SecretMeta, SecretName, SecretValue, Values, Version, shadowing_note,
};
use crate::vault::Change;

/// Below this the TUI shows only a "terminal too small" message.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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
    pub last_input: Instant,
    pub clipboard_clear_at: Option<Instant>,
    pub quit: bool,
}

pub enum Screen {
    Wizard(Box<Wizard>),
    Unlock(Box<Unlock>),
    Main(Box<Main>),
}

pub struct Wizard {
    pub first: MaskedInput,
    pub second: MaskedInput,
    pub on_second: bool,
    pub error: Option<String>,
    pub busy: bool,
}

pub struct Unlock {
    pub input: MaskedInput,
    pub error: Option<String>,
    pub busy: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Secrets,
    Sync,
}

impl Tab {
    pub const ALL: [Tab; 2] = [Tab::Secrets, Tab::Sync];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Secrets => "Secrets",
            Tab::Sync => "Sync",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// Values decrypted for display, dropped (and zeroized) when the time is up or the
/// selection moves.
pub struct Revealed {
    pub scope: Scope,
    pub name: SecretName,
    pub values: Values,
    pub shown: BTreeSet<String>,
    pub until: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    Key(String),
    All,
}

pub struct Main {
    pub tab: Tab,
    pub list: SecretList,
    pub damaged: usize,
    pub focus: Focus,
    /// Which key of the selected secret the detail pane points at.
    pub key_cursor: usize,
    /// The filter input is open (typing goes to it).
    pub filtering: bool,
    pub revealed: Option<Revealed>,
    pub pending_reveal: Option<Want>,
    pub popup: Option<Popup>,
}

pub enum Popup {
    Help {
        scroll: usize,
    },
    ConfirmDelete {
        scope: Scope,
        name: SecretName,
    },
    Rename {
        scope: Scope,
        name: SecretName,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
    Form(Box<Form>),
    History(HistoryView),
    ConfirmRestore {
        scope: Scope,
        name: SecretName,
        version: u64,
    },
}

/// One earlier version, with how its keys differ from the current version. No values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub version: u64,
    pub updated: u64,
    pub schema: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

pub struct HistoryView {
    pub scope: Scope,
    pub name: SecretName,
    pub current: u64,
    pub entries: Vec<HistoryEntry>,
    pub selected: usize,
}

/// Key differences of `old` against `current`: keys only the old version had are "added"
/// back by restoring it; keys only the current one has would be "removed".
pub fn diff_keys(current: &Values, old: &Values) -> (Vec<String>, Vec<String>, Vec<String>) {
    let c = crate::secret::key_changes(current, old);
    (c.added, c.removed, c.changed)
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

fn masked_input() -> MaskedInput {
    let mut t = TextArea::default();
    // A passphrase never enters an undo history (nothing to undo in a hidden input anyway).
    t.set_max_histories(0);
    t.set_mask_char('•');
    t.set_cursor_line_style(ratatui::style::Style::default());
    MaskedInput(t)
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
            Screen::Unlock(Box::new(Unlock {
                input: masked_input(),
                error: None,
                busy: false,
            }))
        } else {
            Screen::Wizard(Box::new(Wizard {
                first: masked_input(),
                second: masked_input(),
                on_second: false,
                error: None,
                busy: false,
            }))
        };
        App {
            keymap,
            settings,
            schemas,
            vault_label,
            color: true,
            size: (MIN_WIDTH, MIN_HEIGHT),
            screen,
            status: None,
            last_input: now,
            clipboard_clear_at: None,
            quit: false,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    pub fn main(&self) -> Option<&Main> {
        match &self.screen {
            Screen::Main(m) => Some(m),
            _ => None,
        }
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Info,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            kind: StatusKind::Error,
        });
    }

    /// Marks the unlock screen busy before the runtime derives the key (so "unlocking…"
    /// is on screen while it works).
    pub fn start_unlock(&mut self) {
        if let Screen::Unlock(u) = &mut self.screen {
            u.busy = true;
        }
    }

    fn list_height(&self) -> usize {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        views::layout(area).list_inner.height as usize
    }

    /// The pure transition.
    pub fn update(&mut self, event: Event, now: Instant) -> Vec<Intent> {
        let mut out = Vec::new();
        match event {
            Event::Key(k) => {
                self.last_input = now;
                if self.too_small() {
                    if is_ctrl_c(&k) || self.keymap.is(&k, Action::Quit) {
                        self.quit(&mut out);
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
            Event::Unlocked(listing) => {
                let damaged = listing.damaged.len() + listing.problems.len();
                let problem = listing.problems.first().cloned();
                let count = listing.secrets.len();
                self.screen = Screen::Main(Box::new(Main {
                    tab: Tab::Secrets,
                    list: SecretList::new(listing.secrets),
                    damaged,
                    focus: Focus::List,
                    key_cursor: 0,
                    filtering: false,
                    revealed: None,
                    pending_reveal: None,
                    popup: None,
                }));
                if let Some(p) = problem {
                    self.error(p);
                } else if damaged > 0 {
                    self.error(format!(
                        "{damaged} damaged record(s) could not be read; the rest of the vault is fine (sesame recover brings back their last good copies)"
                    ));
                } else if count == 0 {
                    self.info(format!(
                        "vault unlocked: empty so far. Press {} to create your first secret",
                        self.keymap.short(Action::New)
                    ));
                } else {
                    self.info(format!("vault unlocked: {count} secrets"));
                }
                self.last_input = now;
            }
            Event::UnlockFailed(msg) => match &mut self.screen {
                Screen::Unlock(u) => {
                    u.busy = false;
                    u.error = Some(msg);
                    u.input = masked_input();
                }
                Screen::Wizard(w) => {
                    w.busy = false;
                    w.error = Some(msg);
                }
                Screen::Main(_) => self.error(msg),
            },
            Event::Revealed(secret) => self.on_revealed(secret, now),
            Event::Copied { key, name } => {
                let clear = match self.settings.clipboard_clear {
                    Some(d) => {
                        self.clipboard_clear_at = Some(now + d);
                        format!(" (clears in {} s)", d.as_secs())
                    }
                    None => String::new(),
                };
                self.info(format!("copied '{key}' of {name} to the clipboard{clear}"));
            }
            Event::LoadedForEdit(secret) => {
                if let Screen::Main(m) = &mut self.screen {
                    m.popup = Some(Popup::Form(Box::new(Form::edit(&self.schemas, &secret))));
                }
            }
            Event::Saved { meta, verb } => {
                let mut msg = format!(
                    "{verb} {} ({}), version {}",
                    meta.name, meta.scope, meta.version
                );
                if let Screen::Main(m) = &mut self.screen {
                    close_popup(m);
                    m.revealed = None;
                    if verb == "created" && m.list.contains(meta.scope.other(), &meta.name) {
                        msg = format!("{msg}; {}", shadowing_note(&meta.name, meta.scope));
                    }
                    m.list.upsert(meta);
                }
                self.info(msg);
            }
            Event::Renamed { old, new } => {
                let mut msg = format!("renamed {} to {} ({})", old.name, new.name, new.scope);
                if let Screen::Main(m) = &mut self.screen {
                    close_popup(m);
                    m.revealed = None;
                    if m.list.contains(new.scope.other(), &new.name) {
                        msg = format!("{msg}; {}", shadowing_note(&new.name, new.scope));
                    }
                    m.list.remove(old.scope, &old.name);
                    m.list.upsert(new);
                }
                self.info(msg);
            }
            Event::Deleted(meta) => {
                if let Screen::Main(m) = &mut self.screen {
                    m.popup = None;
                    m.revealed = None;
                    m.list.remove(meta.scope, &meta.name);
                    m.key_cursor = 0;
                }
                self.info(format!("deleted {} ({})", meta.name, meta.scope));
            }
            Event::History { current, versions } => {
                if let Screen::Main(m) = &mut self.screen {
                    let entries = versions
                        .iter()
                        .map(|v: &Version| {
                            let (added, removed, changed) = diff_keys(&current.values, &v.values);
                            HistoryEntry {
                                version: v.version,
                                updated: v.updated,
                                schema: v.schema.clone(),
                                added,
                                removed,
                                changed,
                            }
                        })
                        .collect();
                    m.popup = Some(Popup::History(HistoryView {
                        scope: current.meta.scope,
                        name: current.meta.name.clone(),
                        current: current.meta.version,
                        entries,
                        selected: 0,
                    }));
                }
            }
            Event::Failed(msg) => {
                let mut shown = false;
                if let Screen::Main(m) = &mut self.screen {
                    m.pending_reveal = None;
                    match &mut m.popup {
                        Some(Popup::Form(f)) => {
                            f.busy = false;
                            f.error = Some(msg.clone());
                            shown = true;
                        }
                        Some(Popup::Rename { error, .. }) => {
                            *error = Some(msg.clone());
                            shown = true;
                        }
                        Some(Popup::ConfirmDelete { .. }) | Some(Popup::ConfirmRestore { .. }) => {
                            m.popup = None;
                        }
                        _ => {}
                    }
                }
                if !shown {
                    self.error(msg);
                }
            }
        }
        if let Screen::Main(m) = &mut self.screen {
            let h = {
                let area = Rect::new(0, 0, self.size.0, self.size.1);
                views::layout(area).list_inner.height as usize
            };
            m.list.ensure_visible(h);
        }
        self.sync_cursors();
        out
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
            out.push(Intent::ClearClipboard);
        }
        out.push(Intent::Quit);
    }

    fn lock(&mut self, reason: &str, out: &mut Vec<Intent>) {
        if let Screen::Main(m) = &mut self.screen
            && let Some(Popup::Form(f)) = &mut m.popup
        {
            f.wipe();
        }
        self.screen = Screen::Unlock(Box::new(Unlock {
            input: masked_input(),
            error: None,
            busy: false,
        }));
        self.info(reason.to_string());
        out.push(Intent::Lock);
    }

    fn on_tick(&mut self, now: Instant, out: &mut Vec<Intent>) {
        if let Some(at) = self.clipboard_clear_at
            && now >= at
        {
            self.clipboard_clear_at = None;
            out.push(Intent::ClearClipboard);
            self.info("clipboard cleared");
        }
        if let Screen::Main(m) = &mut self.screen
            && m.revealed.as_ref().is_some_and(|r| now >= r.until)
        {
            m.revealed = None;
        }
        if let (Screen::Main(_), Some(idle)) = (&self.screen, self.settings.auto_lock)
            && now.duration_since(self.last_input) >= idle
        {
            let mins = idle.as_secs().div_ceil(60);
            self.lock(&format!("locked after {mins} min without input"), out);
        }
    }

    fn on_revealed(&mut self, secret: Secret, now: Instant) {
        let until = now + self.settings.reveal_for;
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(want) = m.pending_reveal.take() else {
            return;
        };
        // Ignore a late answer for a secret no longer selected.
        if m.list
            .selected()
            .is_none_or(|s| s.name != secret.meta.name || s.scope != secret.meta.scope)
        {
            return;
        }
        let keys = secret.meta.keys.clone();
        let mut r = Revealed {
            scope: secret.meta.scope,
            name: secret.meta.name.clone(),
            values: secret.values,
            shown: BTreeSet::new(),
            until,
        };
        toggle(&mut r, &want, &keys);
        m.revealed = Some(r);
    }
}

fn toggle(r: &mut Revealed, want: &Want, keys: &[String]) {
    match want {
        Want::All => {
            if r.shown.len() == keys.len() {
                r.shown.clear();
            } else {
                r.shown = keys.iter().cloned().collect();
            }
        }
        Want::Key(k) => {
            if !r.shown.remove(k) {
                r.shown.insert(k.clone());
            }
        }
    }
}

fn close_popup(m: &mut Main) {
    if let Some(Popup::Form(f)) = &mut m.popup {
        f.wipe();
    }
    m.popup = None;
}

/// Metadata for a list row, for views and tests.
pub fn selected_meta(app: &App) -> Option<&SecretMeta> {
    app.main().and_then(|m| m.list.selected())
}
