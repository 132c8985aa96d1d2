//! What the user means (actions, bound to keys by the keymap) and what the app asks the
//! outside world to do (intents: vault work for the worker thread, clipboard writes for the
//! terminal).

use crate::backend::{RemoteId, RemoteVersion};
use crate::secret::{Scope, SecretName, SecretValue, Values};
use crate::sync::plan::Direction;
use crate::vault::{Change, TrashId};

/// Everything a key can be bound to. The names are the keys of `assets/keymap.toml` and of
/// `[tui.keys]` in the config file, and the commands of the `:` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Lock,
    NextTab,
    PrevTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    FocusDetail,
    FocusList,
    Filter,
    NamesOnly,
    Sort,
    ToggleGroup,
    NextScope,
    PrevScope,
    Command,
    Reveal,
    RevealAll,
    View,
    Copy,
    CopyAs,
    New,
    Edit,
    Rename,
    MoveScope,
    Delete,
    Undo,
    History,
    Restore,
    Purge,
    Save,
    Cancel,
    NextField,
    PrevField,
    AddKey,
    RemoveKey,
    ToggleMask,
    Newline,
    Reload,
    Confirm,
    Push,
    PushAll,
    Pull,
    PullAll,
}

impl Action {
    /// Every action with its config name and a one-line description for `?` and `:`.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (Action::Quit, "quit", "quit sesame"),
        (Action::Help, "help", "show this help"),
        (
            Action::Lock,
            "lock",
            "lock the vault now (works at any size)",
        ),
        (
            Action::NextTab,
            "next_tab",
            "next tab (Secrets, Trash, Sync)",
        ),
        (Action::PrevTab, "prev_tab", "previous tab"),
        (Action::Up, "up", "move up"),
        (Action::Down, "down", "move down"),
        (Action::PageUp, "page_up", "one page up"),
        (Action::PageDown, "page_down", "one page down"),
        (Action::Top, "top", "first item"),
        (Action::Bottom, "bottom", "last item"),
        (
            Action::FocusDetail,
            "focus_detail",
            "open the secret's keys (a collapsed group: expand it)",
        ),
        (Action::FocusList, "focus_list", "back to the list"),
        (
            Action::Filter,
            "filter",
            "search names, keys, schemas (ranked)",
        ),
        (
            Action::NamesOnly,
            "names_only",
            "search names only / names, keys and schemas",
        ),
        (Action::Sort, "sort", "sort by name, updated, version"),
        (
            Action::ToggleGroup,
            "toggle_group",
            "collapse / expand the scope group",
        ),
        (Action::NextScope, "next_scope", "jump to the next scope"),
        (
            Action::PrevScope,
            "prev_scope",
            "jump to the previous scope",
        ),
        (Action::Command, "command", "command line (tab completes)"),
        (Action::Reveal, "reveal", "reveal / hide the selected value"),
        (Action::RevealAll, "reveal_all", "reveal / hide all values"),
        (
            Action::View,
            "view",
            "view the whole value (multi-line, scrollable)",
        ),
        (Action::Copy, "copy", "copy the selected value (OSC 52)"),
        (
            Action::CopyAs,
            "copy_as",
            "copy the secret as .env, JSON, or a reference",
        ),
        (Action::New, "new", "create a secret"),
        (
            Action::Edit,
            "edit",
            "edit the secret (values, keys, schema)",
        ),
        (Action::Rename, "rename", "rename the secret"),
        (
            Action::MoveScope,
            "move_scope",
            "move the secret to the other scope",
        ),
        (
            Action::Delete,
            "delete",
            "delete the secret (to the trash); purge in the trash",
        ),
        (
            Action::Undo,
            "undo",
            "undo the last delete (from the trash)",
        ),
        (
            Action::History,
            "history",
            "earlier versions; view, restore",
        ),
        (
            Action::Restore,
            "restore",
            "restore the version / the trashed secret",
        ),
        (Action::Purge, "purge", "empty the whole trash (asks first)"),
        (Action::Save, "save", "save the form"),
        (Action::Cancel, "cancel", "close / clear / go back"),
        (Action::NextField, "next_field", "next field (form)"),
        (Action::PrevField, "prev_field", "previous field (form)"),
        (Action::AddKey, "add_key", "add a key (form)"),
        (Action::RemoveKey, "remove_key", "remove the key (form)"),
        (
            Action::ToggleMask,
            "toggle_mask",
            "show / hide values (form)",
        ),
        (Action::Newline, "newline", "a line break in a value (form)"),
        (
            Action::Reload,
            "reload",
            "reload the secret into the form (after a conflict)",
        ),
        (Action::Confirm, "confirm", "answer yes in a confirm popup"),
        (
            Action::Push,
            "push",
            "sync: push the selected secret (a conflict asks first)",
        ),
        (
            Action::PushAll,
            "push_all",
            "sync: push every change here (conflicts are left alone)",
        ),
        (
            Action::Pull,
            "pull",
            "sync: pull the selected secret (a conflict asks first)",
        ),
        (
            Action::PullAll,
            "pull_all",
            "sync: pull every change there (conflicts are left alone)",
        ),
    ];

    pub fn name(self) -> &'static str {
        Action::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("?")
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
    }

    pub fn description(self) -> &'static str {
        Action::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, _, d)| *d)
            .unwrap_or("")
    }
}

/// Names one piece of vault work; its outcome comes back as `Event::Done` with the same
/// ticket, so an answer is always matched to the question (never to whatever is open).
pub type Ticket = u64;

/// A side effect the pure `App::update` asks for.
#[derive(Debug)]
pub enum Intent {
    Quit,
    /// Vault work for the worker thread.
    Work {
        ticket: Ticket,
        work: Work,
    },
    /// Set or clear the clipboard (the runtime writes to the terminal).
    Clipboard(ClipOp),
}

#[derive(Debug)]
pub enum ClipOp {
    Set(SecretValue),
    Clear,
}

/// What the worker does against the vault (`api::Secrets`), one job at a time, in order.
#[derive(Debug)]
pub enum Work {
    /// Find the way to the vault: an unlocked agent lists at once; otherwise a passphrase
    /// given up front (env, file) unlocks, else the answer asks for one.
    Open {
        passphrase: Option<SecretValue>,
    },
    /// Create a new vault at the session's dir, then open it.
    CreateVault(SecretValue),
    Unlock(SecretValue),
    /// Put every value out of reach (after the jobs queued before it).
    Lock,
    /// Every secret's metadata again.
    List,
    /// Decrypt one secret (to reveal, view, copy, edit or move it).
    Get {
        name: SecretName,
        scope: Scope,
    },
    Create {
        name: SecretName,
        scope: Scope,
        schema: String,
        values: Values,
    },
    Update {
        name: SecretName,
        scope: Scope,
        change: Change,
        expected: u64,
    },
    Rename {
        name: SecretName,
        scope: Scope,
        new_name: SecretName,
        expected: u64,
    },
    Delete {
        name: SecretName,
        scope: Scope,
        expected: u64,
    },
    /// Create the secret in the other scope, then delete it here (there is no vault "move":
    /// it is a new secret there, with a history of its own).
    Move {
        name: SecretName,
        scope: Scope,
        expected: u64,
    },
    History {
        name: SecretName,
        scope: Scope,
    },
    Restore {
        name: SecretName,
        scope: Scope,
        version: u64,
        expected: u64,
    },
    /// What the trash holds.
    TrashList,
    /// Bring a trashed secret back (under another name if given).
    TrashRestore {
        id: TrashId,
        new_name: Option<SecretName>,
    },
    /// Purge one trashed secret, or all (`None`), for good.
    TrashPurge {
        id: Option<TrashId>,
    },
    /// Every secret's state between the vault and a configured backend.
    SyncStatus {
        backend: String,
    },
    /// Push or pull every change (`only: None`) or one secret's; `force` settles a conflict
    /// by taking this side (push) or that side (pull). Progress comes as events.
    Sync {
        backend: String,
        direction: Direction,
        only: Option<RemoteId>,
        force: bool,
    },
    /// The three sides of one secret, for the conflict view.
    SyncSides {
        backend: String,
        id: RemoteId,
    },
    /// Writes merged values to both sides, each from the version the user saw.
    SyncResolve {
        backend: String,
        id: RemoteId,
        schema: String,
        values: Values,
        local_version: Option<u64>,
        remote_version: Option<RemoteVersion>,
    },
}
