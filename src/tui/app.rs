//! The TUI's state and its one pure transition: `App::update(event, now) -> intents`.
//! No I/O here: the runtime (mod.rs) performs the intents and feeds their outcomes back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui_textarea::TextArea;

use super::action::{Action, Intent};
use super::event::Event;
use super::form::{Form, FormMode, Slot};
use super::keymap::Keymap;
use super::list::SecretList;
use super::views;
use crate::config::TuiConfig;
use crate::schema::Registry;
use crate::secret::{Scope, Secret, SecretMeta, SecretName, SecretValue, Values, Version};
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
    pub first: TextArea<'static>,
    pub second: TextArea<'static>,
    pub on_second: bool,
    pub error: Option<String>,
    pub busy: bool,
}

pub struct Unlock {
    pub input: TextArea<'static>,
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
    let added = old
        .keys()
        .filter(|k| !current.contains_key(*k))
        .cloned()
        .collect();
    let removed = current
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    let changed = old
        .iter()
        .filter(|(k, v)| current.get(*k).is_some_and(|c| c != *v))
        .map(|(k, _)| k.clone())
        .collect();
    (added, removed, changed)
}

/// A rough passphrase strength hint: (label, advice).
pub fn strength(p: &str) -> (&'static str, &'static str) {
    let len = p.chars().count();
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let words = p.split_whitespace().count();
    match (len, classes, words) {
        (0, _, _) => ("", "use a long passphrase: four or more random words"),
        (l, _, w) if l >= 20 && w >= 4 => ("strong", "four or more words: good"),
        (l, c, _) if l >= 16 && c >= 3 => ("strong", "long and varied: good"),
        (l, c, _) if l >= 12 && c >= 2 => ("fair", "longer is better: add a word or two"),
        _ => (
            "weak",
            "too short to resist guessing: use four or more random words",
        ),
    }
}

fn masked_input() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_mask_char('•');
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
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
                self.on_paste(&text);
            }
            Event::Resize(w, h) => self.size = (w, h),
            Event::Tick => self.on_tick(now, &mut out),
            Event::Unlocked(listing) => {
                let damaged = listing.damaged.len();
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
                if damaged > 0 {
                    self.error(format!(
                        "{damaged} damaged record(s) could not be read; the rest of the vault is fine"
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
                let msg = format!(
                    "{verb} {} ({}), version {}",
                    meta.name, meta.scope, meta.version
                );
                if let Screen::Main(m) = &mut self.screen {
                    close_popup(m);
                    m.revealed = None;
                    m.list.upsert(meta);
                }
                self.info(msg);
            }
            Event::Renamed { old, new } => {
                let msg = format!("renamed {} to {} ({})", old.name, new.name, new.scope);
                if let Screen::Main(m) = &mut self.screen {
                    close_popup(m);
                    m.revealed = None;
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

    fn on_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        match &mut self.screen {
            Screen::Wizard(w) => {
                if w.busy {
                    return;
                }
                if is_ctrl_c(&k) || k.code == KeyCode::Esc {
                    return self.quit(out);
                }
                match k.code {
                    KeyCode::Enter | KeyCode::Tab if !w.on_second => {
                        if text_of(&w.first).is_empty() {
                            w.error = Some("the passphrase must not be empty".into());
                        } else {
                            w.on_second = true;
                            w.error = None;
                        }
                    }
                    KeyCode::BackTab => w.on_second = false,
                    KeyCode::Enter => {
                        let (a, b) = (text_of(&w.first), text_of(&w.second));
                        if a != b {
                            w.error = Some("the two passphrases differ: type them again".into());
                            w.first = masked_input();
                            w.second = masked_input();
                            w.on_second = false;
                        } else {
                            w.busy = true;
                            w.error = None;
                            w.first = masked_input();
                            w.second = masked_input();
                            out.push(Intent::CreateVault(SecretValue::new(a)));
                        }
                    }
                    _ => {
                        let t = if w.on_second {
                            &mut w.second
                        } else {
                            &mut w.first
                        };
                        t.input(k);
                    }
                }
            }
            Screen::Unlock(u) => {
                if u.busy {
                    return;
                }
                if is_ctrl_c(&k) || k.code == KeyCode::Esc {
                    return self.quit(out);
                }
                if k.code == KeyCode::Enter {
                    let p = text_of(&u.input);
                    if p.is_empty() {
                        u.error = Some("type the vault's passphrase, then Enter".into());
                    } else {
                        u.input = masked_input();
                        u.busy = true;
                        u.error = None;
                        out.push(Intent::Unlock(SecretValue::new(p)));
                    }
                } else {
                    u.input.input(k);
                }
            }
            Screen::Main(_) => self.on_main_key(k, now, out),
        }
    }

    fn on_main_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(1).max(1) as isize;
        let km = self.keymap.clone();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            let status = self.on_popup_key(k, out);
            if let Some(s) = status {
                self.status = Some(s);
            }
            return;
        }
        if m.filtering {
            // Typing goes to the filter; only a few keys mean something else.
            match k.code {
                KeyCode::Esc => {
                    m.filtering = false;
                    m.list.set_query("");
                }
                KeyCode::Enter => m.filtering = false,
                KeyCode::Backspace => {
                    let mut q = m.list.query().to_string();
                    q.pop();
                    m.list.set_query(&q);
                }
                KeyCode::Up => m.list.move_by(-1),
                KeyCode::Down => m.list.move_by(1),
                KeyCode::PageUp => m.list.move_by(-page),
                KeyCode::PageDown => m.list.move_by(page),
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    m.list.set_query("")
                }
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return self.quit(out);
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    let mut q = m.list.query().to_string();
                    q.push(c);
                    m.list.set_query(&q);
                }
                _ => {}
            }
            m.key_cursor = 0;
            m.revealed = None;
            return;
        }
        let Some(action) = km.pick(
            &k,
            &[
                Action::Quit,
                Action::Help,
                Action::Lock,
                Action::NextTab,
                Action::PrevTab,
                Action::Filter,
                Action::Up,
                Action::Down,
                Action::PageUp,
                Action::PageDown,
                Action::Top,
                Action::Bottom,
                Action::FocusDetail,
                Action::FocusList,
                Action::Reveal,
                Action::RevealAll,
                Action::Copy,
                Action::New,
                Action::Edit,
                Action::Rename,
                Action::Delete,
                Action::History,
                Action::Cancel,
            ],
        ) else {
            if is_ctrl_c(&k) {
                self.quit(out);
            }
            return;
        };
        match action {
            Action::Quit => self.quit(out),
            Action::Lock => self.lock("locked", out),
            Action::Help => m.popup = Some(Popup::Help { scroll: 0 }),
            Action::NextTab | Action::PrevTab => {
                m.tab = if m.tab == Tab::Secrets {
                    Tab::Sync
                } else {
                    Tab::Secrets
                };
            }
            _ if m.tab == Tab::Sync => {}
            Action::Filter => {
                m.filtering = true;
                m.focus = Focus::List;
            }
            Action::Cancel => {
                if m.focus == Focus::Detail {
                    m.focus = Focus::List;
                } else if !m.list.query().is_empty() {
                    m.list.set_query("");
                } else {
                    m.revealed = None;
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => {
                if m.focus == Focus::Detail {
                    let n = m.list.selected().map(|s| s.keys.len()).unwrap_or(0);
                    m.key_cursor = match action {
                        Action::Up => m.key_cursor.saturating_sub(1),
                        Action::Down => (m.key_cursor + 1).min(n.saturating_sub(1)),
                        Action::Top | Action::PageUp => 0,
                        _ => n.saturating_sub(1),
                    };
                } else {
                    let before = m.list.selected_row();
                    match action {
                        Action::Up => m.list.move_by(-1),
                        Action::Down => m.list.move_by(1),
                        Action::PageUp => m.list.move_by(-page),
                        Action::PageDown => m.list.move_by(page),
                        Action::Top => m.list.top(),
                        _ => m.list.bottom(),
                    }
                    if m.list.selected_row() != before {
                        m.key_cursor = 0;
                        m.revealed = None;
                    }
                }
            }
            Action::FocusDetail if m.list.selected().is_some() => {
                m.focus = Focus::Detail;
            }
            Action::FocusList => m.focus = Focus::List,
            Action::Reveal | Action::RevealAll => {
                let Some(meta) = m.list.selected() else {
                    return;
                };
                let want = if action == Action::RevealAll || meta.keys.is_empty() {
                    Want::All
                } else {
                    Want::Key(meta.keys[m.key_cursor.min(meta.keys.len() - 1)].clone())
                };
                let (scope, name) = (meta.scope, meta.name.clone());
                let keys = meta.keys.clone();
                match &mut m.revealed {
                    Some(r) if r.scope == scope && r.name == name && now < r.until => {
                        toggle(r, &want, &keys);
                        r.until = now + self.settings.reveal_for;
                    }
                    _ => {
                        m.pending_reveal = Some(want);
                        out.push(Intent::Reveal { name, scope });
                    }
                }
            }
            Action::Copy => {
                let Some(meta) = m.list.selected() else {
                    return;
                };
                if let Some(key) = meta
                    .keys
                    .get(m.key_cursor.min(meta.keys.len().saturating_sub(1)))
                {
                    out.push(Intent::Copy {
                        name: meta.name.clone(),
                        scope: meta.scope,
                        key: key.clone(),
                    });
                } else {
                    self.error("this secret has no keys to copy");
                }
            }
            Action::New => {
                // New secrets default to the shared scope (DESIGN §1); ←/→ changes it.
                m.revealed = None;
                m.popup = Some(Popup::Form(Box::new(Form::create(
                    &self.schemas,
                    Scope::default(),
                ))));
            }
            Action::Edit | Action::Rename | Action::Delete | Action::History => {
                let Some(meta) = m.list.selected() else {
                    self.error("no secret selected");
                    return;
                };
                let (name, scope) = (meta.name.clone(), meta.scope);
                match action {
                    Action::Edit => out.push(Intent::LoadForEdit { name, scope }),
                    Action::Rename => {
                        m.popup = Some(Popup::Rename {
                            input: Box::new(plain_input(name.as_str())),
                            scope,
                            name,
                            error: None,
                        })
                    }
                    Action::Delete => m.popup = Some(Popup::ConfirmDelete { scope, name }),
                    _ => out.push(Intent::LoadHistory { name, scope }),
                }
            }
            _ => {}
        }
    }

    /// Keys while a popup is open. Returns a status to show, if any.
    fn on_popup_key(&mut self, k: KeyEvent, out: &mut Vec<Intent>) -> Option<Status> {
        let km = &self.keymap;
        let Screen::Main(m) = &mut self.screen else {
            return None;
        };
        let popup = m.popup.as_mut()?;
        match popup {
            Popup::Help { scroll } => match km.pick(
                &k,
                &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
            ) {
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Down) => *scroll += 1,
                Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                Some(Action::PageDown) => *scroll += 10,
                _ => m.popup = None,
            },
            Popup::ConfirmDelete { scope, name } => {
                if km.is(&k, Action::Confirm) {
                    out.push(Intent::Delete {
                        name: name.clone(),
                        scope: *scope,
                    });
                }
                m.popup = None;
            }
            Popup::ConfirmRestore {
                scope,
                name,
                version,
            } => {
                if km.is(&k, Action::Confirm) {
                    out.push(Intent::Restore {
                        name: name.clone(),
                        scope: *scope,
                        version: *version,
                    });
                }
                m.popup = None;
            }
            Popup::History(h) => match km.pick(
                &k,
                &[
                    Action::Restore,
                    Action::Up,
                    Action::Down,
                    Action::Cancel,
                    Action::Quit,
                    Action::History,
                ],
            ) {
                Some(Action::Up) => h.selected = h.selected.saturating_sub(1),
                Some(Action::Down) => {
                    h.selected = (h.selected + 1).min(h.entries.len().saturating_sub(1))
                }
                Some(Action::Restore) => {
                    if let Some(e) = h.entries.get(h.selected) {
                        m.popup = Some(Popup::ConfirmRestore {
                            scope: h.scope,
                            name: h.name.clone(),
                            version: e.version,
                        });
                    }
                }
                Some(_) => m.popup = None,
                None => {}
            },
            Popup::Rename {
                scope,
                name,
                input,
                error,
            } => {
                if km.is(&k, Action::Cancel) {
                    m.popup = None;
                } else if k.code == KeyCode::Enter {
                    match SecretName::new(text_of(input)) {
                        Ok(new_name) => out.push(Intent::Rename {
                            name: name.clone(),
                            scope: *scope,
                            new_name,
                        }),
                        Err(e) => *error = Some(e.to_string()),
                    }
                } else {
                    input.input(k);
                    *error = SecretName::new(text_of(input)).err().map(|e| e.to_string());
                }
            }
            Popup::Form(form) => {
                if form.busy {
                    return None;
                }
                let multiline = form.focused_is_multiline();
                let nav = if multiline {
                    // Arrows edit inside a text area; only Tab moves between fields.
                    km.pick(
                        &k,
                        &[
                            Action::Save,
                            Action::Cancel,
                            Action::AddKey,
                            Action::RemoveKey,
                            Action::ToggleMask,
                        ],
                    )
                    .or(match k.code {
                        KeyCode::Tab => Some(Action::NextField),
                        KeyCode::BackTab => Some(Action::PrevField),
                        _ => None,
                    })
                } else {
                    km.pick(
                        &k,
                        &[
                            Action::Save,
                            Action::Cancel,
                            Action::NextField,
                            Action::PrevField,
                            Action::AddKey,
                            Action::RemoveKey,
                            Action::ToggleMask,
                        ],
                    )
                };
                match nav {
                    Some(Action::Cancel) => {
                        form.wipe();
                        m.popup = None;
                        return Some(Status {
                            text: "cancelled: nothing was saved".into(),
                            kind: StatusKind::Info,
                        });
                    }
                    Some(Action::NextField) => form.focus_step(1),
                    Some(Action::PrevField) => form.focus_step(-1),
                    Some(Action::AddKey) => {
                        if form.allow_unknown {
                            form.add_key_row();
                            form.focus = Slot::Key(form.rows.len() - 1);
                        } else {
                            form.error = Some(format!(
                                "schema '{}' has a fixed set of keys",
                                form.schema_name()
                            ));
                        }
                    }
                    Some(Action::RemoveKey) => {
                        if let Err(e) = form.remove_focused_key() {
                            form.error = Some(e);
                        } else {
                            form.changed(&self.schemas);
                        }
                    }
                    Some(Action::ToggleMask) => form.toggle_mask(),
                    Some(Action::Save) => match form.collect(&self.schemas) {
                        Err(e) => form.error = Some(format!("not saved: {e}")),
                        Ok((name, values)) => {
                            form.busy = true;
                            form.error = None;
                            out.push(match &form.mode {
                                FormMode::Create => Intent::Create {
                                    name,
                                    scope: form.scope,
                                    schema: form.schema_name().to_string(),
                                    values,
                                },
                                FormMode::Edit { scope, .. } => Intent::Update {
                                    name,
                                    scope: *scope,
                                    change: Change {
                                        set: values,
                                        remove: Vec::new(),
                                        schema: None,
                                        replace: true,
                                    },
                                },
                            });
                        }
                    },
                    _ => match form.focus {
                        Slot::Scope => {
                            if matches!(
                                k.code,
                                KeyCode::Left
                                    | KeyCode::Right
                                    | KeyCode::Char(' ')
                                    | KeyCode::Char('h')
                                    | KeyCode::Char('l')
                            ) {
                                form.toggle_scope();
                            } else if k.code == KeyCode::Enter {
                                form.focus_step(1);
                            }
                        }
                        Slot::Schema => match k.code {
                            KeyCode::Left | KeyCode::Char('h') => {
                                form.cycle_schema(&self.schemas, -1)
                            }
                            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => {
                                form.cycle_schema(&self.schemas, 1)
                            }
                            KeyCode::Enter => form.focus_step(1),
                            _ => {}
                        },
                        _ => {
                            if k.code == KeyCode::Enter && !multiline {
                                form.focus_step(1);
                            } else if let Some(t) = form.focused_input() {
                                t.input(k);
                                form.changed(&self.schemas);
                            }
                        }
                    },
                }
            }
        }
        None
    }

    fn on_paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match &mut self.screen {
            Screen::Unlock(u) => {
                u.input.insert_str(text.trim_end_matches('\n'));
            }
            Screen::Wizard(w) => {
                let t = if w.on_second {
                    &mut w.second
                } else {
                    &mut w.first
                };
                t.insert_str(text.trim_end_matches('\n'));
            }
            Screen::Main(m) => match &mut m.popup {
                Some(Popup::Form(f)) => {
                    let multi = matches!(f.focus, Slot::Value(_));
                    let text = if multi {
                        text.as_str()
                    } else {
                        text.trim_end_matches('\n')
                    };
                    if let Some(t) = f.focused_input() {
                        t.insert_str(text);
                        f.changed(&self.schemas);
                    }
                }
                Some(Popup::Rename { input, .. }) => {
                    input.insert_str(text.trim());
                }
                None if m.filtering => {
                    let q = format!("{}{}", m.list.query(), text.trim());
                    m.list.set_query(&q);
                }
                _ => {}
            },
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

    fn on_mouse(&mut self, ev: MouseEvent) {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let lay = views::layout(area);
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            if let (MouseEventKind::Down(MouseButton::Left), Some(Popup::Help { .. })) =
                (ev.kind, &m.popup)
            {
                m.popup = None;
            }
            return;
        }
        let pos = Position::new(ev.column, ev.row);
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if lay.tabs.contains(pos) {
                    if let Some(t) = views::tab_at(lay.tabs, ev.column) {
                        m.tab = t;
                    }
                } else if m.tab == Tab::Secrets && lay.list_inner.contains(pos) {
                    let before = m.list.selected_row();
                    m.list
                        .click(m.list.offset() + (ev.row - lay.list_inner.y) as usize);
                    m.focus = Focus::List;
                    if m.list.selected_row() != before {
                        m.key_cursor = 0;
                        m.revealed = None;
                    }
                } else if m.tab == Tab::Secrets
                    && lay.detail.contains(pos)
                    && let Some(meta) = m.list.selected()
                {
                    m.focus = Focus::Detail;
                    let first = views::detail::KEYS_TOP + lay.detail.y + 1;
                    if ev.row >= first {
                        let i = (ev.row - first) as usize;
                        if i < meta.keys.len() {
                            m.key_cursor = i;
                        }
                    }
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp if m.tab == Tab::Secrets => {
                let d = if ev.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                let before = m.list.selected_row();
                m.list.move_by(d);
                if m.list.selected_row() != before {
                    m.key_cursor = 0;
                    m.revealed = None;
                }
            }
            _ => {}
        }
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
