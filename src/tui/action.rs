//! What the user means (actions, bound to keys by the keymap) and what the app asks the
//! outside world to do (intents, run by the runtime against the vault and the terminal).

use crate::secret::{Scope, SecretName, SecretValue, Values};
use crate::vault::Change;

/// Everything a key can be bound to. The names are the keys of `assets/keymap.toml` and of
/// `[tui.keys]` in the config file.
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
    Reveal,
    RevealAll,
    Copy,
    New,
    Edit,
    Rename,
    Delete,
    History,
    Restore,
    Save,
    Cancel,
    NextField,
    PrevField,
    AddKey,
    RemoveKey,
    ToggleMask,
    Confirm,
}

impl Action {
    /// Every action with its config name and a one-line description for `?`.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (Action::Quit, "quit", "quit sesame"),
        (Action::Help, "help", "show this help"),
        (Action::Lock, "lock", "lock the vault now"),
        (Action::NextTab, "next_tab", "next tab (Secrets, Sync)"),
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
            "go to the keys of the secret",
        ),
        (Action::FocusList, "focus_list", "back to the list"),
        (
            Action::Filter,
            "filter",
            "fuzzy filter names, keys, schemas",
        ),
        (Action::Reveal, "reveal", "reveal / hide the selected value"),
        (Action::RevealAll, "reveal_all", "reveal / hide all values"),
        (Action::Copy, "copy", "copy the selected value (OSC 52)"),
        (Action::New, "new", "create a secret"),
        (Action::Edit, "edit", "edit the secret"),
        (Action::Rename, "rename", "rename the secret"),
        (Action::Delete, "delete", "delete the secret"),
        (Action::History, "history", "earlier versions; restore one"),
        (Action::Restore, "restore", "restore the version (history)"),
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
        (Action::Confirm, "confirm", "answer yes in a confirm popup"),
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

/// A side effect the pure `App::update` asks for. The runtime performs it and feeds the
/// outcome back as an [`super::event::Event`].
#[derive(Debug)]
pub enum Intent {
    Quit,
    /// Create a new vault at the session's dir.
    CreateVault(SecretValue),
    Unlock(SecretValue),
    /// Drop the open vault (its keys are zeroized on drop).
    Lock,
    /// Decrypt one secret's values so they can be shown (reveal) for a while.
    Reveal {
        name: SecretName,
        scope: Scope,
    },
    /// Decrypt one secret and copy one of its values to the clipboard.
    Copy {
        name: SecretName,
        scope: Scope,
        key: String,
    },
    ClearClipboard,
    /// Decrypt one secret to edit it in the form.
    LoadForEdit {
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
    },
    Rename {
        name: SecretName,
        scope: Scope,
        new_name: SecretName,
    },
    Delete {
        name: SecretName,
        scope: Scope,
    },
    LoadHistory {
        name: SecretName,
        scope: Scope,
    },
    Restore {
        name: SecretName,
        scope: Scope,
        version: u64,
    },
}
