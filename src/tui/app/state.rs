//! The shapes of the app's state: screens, the main screen's panes and popups. Views read
//! these; only `App::update` changes them.

use std::collections::BTreeSet;
use std::time::Instant;

use ratatui_textarea::TextArea;

use super::MaskedInput;
use crate::backend::RemoteId;
use crate::secret::{KeyChanges, Scope, SecretName, Values, Version, key_changes};
use crate::sync::merge::KeyRow;
use crate::tui::command::CommandLine;
use crate::tui::form::Form;
use crate::tui::list::SecretList;
use crate::vault::{TrashEntry, TrashId};

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

impl Wizard {
    pub fn new() -> Wizard {
        Wizard {
            first: MaskedInput::new(),
            second: MaskedInput::new(),
            on_second: false,
            error: None,
            busy: false,
        }
    }
}

impl Default for Wizard {
    fn default() -> Self {
        Wizard::new()
    }
}

pub struct Unlock {
    pub input: MaskedInput,
    pub error: Option<String>,
    /// Opening or unlocking is in flight (the spinner shows; typing waits).
    pub busy: bool,
}

impl Unlock {
    pub fn new() -> Unlock {
        Unlock {
            input: MaskedInput::new(),
            error: None,
            busy: false,
        }
    }
}

impl Default for Unlock {
    fn default() -> Self {
        Unlock::new()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Secrets,
    Trash,
    Sync,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Secrets, Tab::Trash, Tab::Sync];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Secrets => "Secrets",
            Tab::Trash => "Trash",
            Tab::Sync => "Sync",
        }
    }
    pub fn step(self, delta: isize) -> Tab {
        let all = Tab::ALL;
        let i = all.iter().position(|t| *t == self).unwrap_or(0) as isize;
        all[(i + delta).rem_euclid(all.len() as isize) as usize]
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
    pub version: u64,
    pub values: Values,
    pub shown: BTreeSet<String>,
    pub until: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    Key(String),
    All,
    /// Decrypt only (the value viewer reveals on its own key).
    Nothing,
}

/// What "copy" puts in the clipboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyWhat {
    Value(String),
    /// Every key as `KEY='value'` lines.
    Env,
    /// The `secret get --format json` document.
    Json,
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
    pub popup: Option<Popup>,
    /// The `:` line, when open.
    pub command: Option<CommandLine>,
    pub trash: TrashView,
    /// The last delete, for undo (`u`): where it went in the trash.
    pub last_deleted: Option<TrashEntry>,
    pub sync: SyncPane,
}

/// A backend as the Sync tab shows it.
#[derive(Clone, Debug)]
pub struct BackendInfo {
    pub name: String,
    pub flavor: String,
    pub conn: Conn,
}

/// What the last contact with a backend said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conn {
    NotYet,
    Checking,
    /// Listed: how many sesame secrets it holds.
    Reached(usize),
    Failed(String),
}

/// The Sync tab: the configured backends; for the chosen one, every secret's state and what
/// the last sync did to it.
#[derive(Default)]
pub struct SyncPane {
    pub backends: Vec<BackendInfo>,
    pub chosen: usize,
    /// Rows of the chosen backend (empty until its status came).
    pub rows: Vec<crate::sync::plan::Row>,
    pub foreign: usize,
    pub selected: usize,
    /// Per secret: failed or not, and what the last sync did to it.
    pub results: std::collections::BTreeMap<RemoteId, (bool, String)>,
    /// A sync in flight: its ticket, direction, and how far it has come.
    pub running: Option<(u64, crate::sync::plan::Direction, usize, usize)>,
}

impl SyncPane {
    pub fn backend(&self) -> Option<&BackendInfo> {
        self.backends.get(self.chosen)
    }
    pub fn row(&self) -> Option<&crate::sync::plan::Row> {
        self.rows.get(self.selected)
    }
}

/// One secret's conflict, settled key by key: here, the base and there side by side, masked
/// until revealed; each key takes this side, that side, or a typed value.
pub struct MergeView {
    pub backend: String,
    pub id: RemoteId,
    pub schema: String,
    pub local_version: Option<u64>,
    pub remote_version: Option<crate::backend::RemoteVersion>,
    /// The base's values were found (else every difference counts as a conflict).
    pub base_known: bool,
    pub rows: Vec<KeyRow>,
    pub selected: usize,
    /// Revealed keys (all of them after reveal-all), until when.
    pub shown: BTreeSet<String>,
    pub until: Option<Instant>,
    /// Typing a value for the selected key.
    pub editing: Option<Box<TextArea<'static>>>,
    pub error: Option<String>,
    /// The resolve in flight.
    pub saving: bool,
}

impl MergeView {
    pub fn new(s: crate::sync::merge::Sides) -> MergeView {
        let rows = crate::sync::merge::key_rows(&s);
        let schema = s
            .here
            .as_ref()
            .map(|h| h.meta.schema.clone())
            .or_else(|| s.there.as_ref().and_then(|t| t.schema.clone()))
            .unwrap_or_default();
        MergeView {
            backend: String::new(),
            local_version: s.here.as_ref().map(|h| h.meta.version),
            remote_version: s.there.as_ref().map(|t| t.version.clone()),
            base_known: s.base.is_some(),
            id: s.id,
            schema,
            rows,
            selected: 0,
            shown: BTreeSet::new(),
            until: None,
            editing: None,
            error: None,
            saving: false,
        }
    }

    /// Masks revealed values again when their time is up.
    pub fn expire(&mut self, now: Instant) {
        if self.until.is_some_and(|u| now >= u) {
            self.shown.clear();
            self.until = None;
        }
    }
}

impl Drop for MergeView {
    fn drop(&mut self) {
        if let Some(t) = &mut self.editing {
            crate::tui::form::wipe(t);
        }
    }
}

/// The Trash tab: deleted secrets, newest first (metadata only).
#[derive(Default)]
pub struct TrashView {
    pub entries: Vec<TrashEntry>,
    pub selected: usize,
    /// Loaded at least once (an empty list means an empty trash, not "not asked yet").
    pub loaded: bool,
}

impl TrashView {
    pub fn selected(&self) -> Option<&TrashEntry> {
        self.entries.get(self.selected)
    }
}

pub enum Popup {
    Help {
        scroll: usize,
    },
    Confirm(Box<Confirm>),
    Rename {
        scope: Scope,
        name: SecretName,
        expected: u64,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
    Form(Box<Form>),
    History(Box<HistoryView>),
    /// One value, whole: scrollable, masked until revealed.
    Viewer {
        key: String,
        scroll: usize,
    },
    /// Copy the selected secret as...
    CopyMenu {
        key: Option<String>,
    },
    /// A sync conflict, settled key by key.
    Merge(Box<MergeView>),
    /// A trashed secret whose name is taken again: restore it under another name.
    RestoreAs {
        id: TrashId,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
}

/// A yes/no question. Only the confirm key says yes; Enter and every other key say no.
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// What yes does, in a word ("delete").
    pub yes: &'static str,
    pub on_yes: OnYes,
    /// The popup to return to on no (history, behind a restore).
    pub back: Option<Box<Popup>>,
}

pub enum OnYes {
    Delete {
        scope: Scope,
        name: SecretName,
        expected: u64,
    },
    Move {
        scope: Scope,
        name: SecretName,
        expected: u64,
    },
    Restore {
        scope: Scope,
        name: SecretName,
        version: u64,
        expected: u64,
    },
    /// Purge one trashed secret, or the whole trash.
    Purge { id: Option<TrashId> },
    /// Settle a conflict by taking one side whole (a push takes this side, a pull that).
    SyncForce {
        backend: String,
        id: RemoteId,
        direction: crate::sync::plan::Direction,
    },
}

/// One earlier version: how its keys differ from the current version, and its values
/// (masked until revealed, dropped with the popup).
pub struct HistoryEntry {
    pub version: u64,
    pub updated: u64,
    pub schema: String,
    pub diff: KeyChanges,
    pub values: Values,
}

pub struct HistoryView {
    pub scope: Scope,
    pub name: SecretName,
    pub current: u64,
    pub entries: Vec<HistoryEntry>,
    pub selected: usize,
    /// Looking at the selected version's values.
    pub viewing: bool,
    /// Which of its keys are revealed, until when.
    pub shown: BTreeSet<String>,
    pub until: Option<Instant>,
    pub key_cursor: usize,
}

impl HistoryView {
    pub fn new(current: &crate::secret::Secret, versions: Vec<Version>) -> HistoryView {
        let entries = versions
            .into_iter()
            .map(|v| HistoryEntry {
                // What restoring it would add back, take away, change.
                diff: key_changes(&current.values, &v.values),
                version: v.version,
                updated: v.updated,
                schema: v.schema,
                values: v.values,
            })
            .collect();
        HistoryView {
            scope: current.meta.scope,
            name: current.meta.name.clone(),
            current: current.meta.version,
            entries,
            selected: 0,
            viewing: false,
            shown: BTreeSet::new(),
            until: None,
            key_cursor: 0,
        }
    }

    /// Masks revealed values again when their time is up.
    pub fn expire(&mut self, now: Instant) {
        if self.until.is_some_and(|u| now >= u) {
            self.shown.clear();
            self.until = None;
        }
    }

    pub fn entry(&self) -> Option<&HistoryEntry> {
        self.entries.get(self.selected)
    }
}
