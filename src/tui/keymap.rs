//! Key bindings as data: the default map is `assets/keymap.toml`, embedded at build time;
//! `[tui.keys]` in the config file replaces the keys of any action it names.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// One key with its modifiers, normalised so that `G` and `shift-g` are the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyCombo {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyCombo {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Terminals report `G` with or without SHIFT; the character already says it.
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyCombo { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> KeyCombo {
        KeyCombo::new(ev.code, ev.modifiers)
    }

    /// Parses `q`, `G`, `ctrl-c`, `shift-tab`, `pagedown`, `f1`, `space`, ...
    pub fn parse(s: &str) -> Result<KeyCombo, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").or(lower.strip_prefix("c-")) {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-").or(lower.strip_prefix("m-")) {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
            if rest.is_empty() {
                // "ctrl--" style: the key is the dash itself.
                rest = "-";
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                    KeyCode::Char(c.to_ascii_uppercase())
                } else if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => return Err(format!("unknown key '{s}'")),
            },
        };
        Ok(KeyCombo::new(code, mods))
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// Where keys mean something, and the actions live there. One key may serve different
/// actions in different places, never two in one place: [`check`] refuses that. The app's
/// key handlers pick from these same lists.
pub mod context {
    use super::Action::{self, *};

    pub const LIST: &[Action] = &[
        Quit,
        Help,
        Lock,
        NextTab,
        PrevTab,
        Filter,
        NamesOnly,
        Sort,
        ToggleGroup,
        NextScope,
        PrevScope,
        Command,
        Up,
        Down,
        PageUp,
        PageDown,
        Top,
        Bottom,
        FocusDetail,
        FocusList,
        Reveal,
        RevealAll,
        Copy,
        CopyAs,
        New,
        Edit,
        Rename,
        MoveScope,
        Delete,
        Undo,
        History,
        Cancel,
    ];
    pub const DETAIL: &[Action] = &[
        Quit,
        Help,
        Lock,
        NextTab,
        PrevTab,
        Filter,
        NamesOnly,
        Sort,
        ToggleGroup,
        NextScope,
        PrevScope,
        Command,
        Up,
        Down,
        PageUp,
        PageDown,
        Top,
        Bottom,
        View,
        FocusList,
        Reveal,
        RevealAll,
        Copy,
        CopyAs,
        New,
        Edit,
        Rename,
        MoveScope,
        Delete,
        Undo,
        History,
        Cancel,
    ];
    /// While typing a search: printable keys are text, ctrl-u clears the line (as in a
    /// shell), page keys page; these take the others.
    pub const FILTER: &[Action] = &[Cancel, NamesOnly, Up, Down];
    /// A form: printable keys are text unless bound here (which [`super::check`] warns of).
    pub const FORM: &[Action] = &[
        Save, Cancel, NextField, PrevField, AddKey, RemoveKey, ToggleMask, Newline, Reload,
    ];
    pub const CONFIRM: &[Action] = &[Confirm, Cancel];
    pub const HISTORY: &[Action] = &[Up, Down, PageUp, PageDown, View, Cancel, Quit, History];
    pub const VERSION: &[Action] = &[Restore, Reveal, RevealAll, Up, Down, Cancel];
    pub const VIEWER: &[Action] = &[
        Up, Down, PageUp, PageDown, Top, Bottom, Reveal, Copy, Cancel, View, Quit,
    ];
    pub const TRASH: &[Action] = &[
        Quit, Help, Lock, NextTab, PrevTab, Command, Up, Down, PageUp, PageDown, Top, Bottom,
        Restore, Undo, Delete, Purge, Cancel,
    ];
    pub const SYNC: &[Action] = &[
        Quit, Help, Lock, NextTab, PrevTab, Command, Up, Down, PageUp, PageDown, Top, Bottom,
        NextScope, PrevScope, Reload, View, Push, PushAll, Pull, PullAll, Cancel,
    ];
    /// The conflict view: pick here (left) or there (right) per key, or type a value.
    pub const MERGE: &[Action] = &[
        Up,
        Down,
        FocusList,
        FocusDetail,
        Edit,
        Reveal,
        RevealAll,
        Save,
        Cancel,
    ];
    pub const HELP: &[Action] = &[Up, Down, PageUp, PageDown, Top, Bottom, Cancel, Help, Quit];

    /// Every context, named for messages; `true` where printable keys are typed text.
    pub const ALL: &[(&str, &[Action], bool)] = &[
        ("the list", LIST, false),
        ("the keys pane", DETAIL, false),
        ("the search", FILTER, true),
        ("a form", FORM, true),
        ("a confirmation", CONFIRM, false),
        ("the history", HISTORY, false),
        ("an earlier version", VERSION, false),
        ("the value viewer", VIEWER, false),
        ("the trash", TRASH, false),
        ("the sync tab", SYNC, false),
        ("the conflict view", MERGE, false),
        ("the help", HELP, false),
    ];
}

/// A problem with one `[tui.keys]` entry (or the built-in map).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The action name as written.
    pub action: String,
    pub message: String,
}

/// Action -> keys, in the order written (the first key is the one hints show).
#[derive(Clone, Debug)]
pub struct Keymap {
    keys: BTreeMap<Action, Vec<KeyCombo>>,
    by_key: HashMap<KeyCombo, Vec<Action>>,
}

impl Keymap {
    /// The built-in map.
    pub fn default_map() -> Keymap {
        let (map, problems) = Keymap::build(&BTreeMap::new());
        debug_assert!(problems.is_empty(), "{problems:?}");
        map
    }

    /// The built-in map with the config's overrides (an override replaces that action's
    /// keys). Unknown actions and keys are returned as problems and skipped; [`check`] turns
    /// them into a refusal before the TUI or a command starts.
    pub fn build(overrides: &BTreeMap<String, Vec<String>>) -> (Keymap, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut raw: BTreeMap<String, Vec<String>> = match toml::from_str(DEFAULT_KEYMAP) {
            Ok(m) => m,
            Err(e) => {
                problems.push(Problem {
                    action: String::new(),
                    message: format!("the built-in keymap does not parse: {e}"),
                });
                BTreeMap::new()
            }
        };
        for (action, keys) in overrides {
            raw.insert(action.clone(), keys.clone());
        }
        let mut keys: BTreeMap<Action, Vec<KeyCombo>> = BTreeMap::new();
        for (name, list) in &raw {
            let Some(action) = Action::from_name(name) else {
                problems.push(Problem {
                    action: name.clone(),
                    message: format!(
                        "unknown action '{}' (the actions are listed under '?' in the TUI)",
                        crate::error::shown(name)
                    ),
                });
                continue;
            };
            let combos = keys.entry(action).or_default();
            for k in list {
                match KeyCombo::parse(k) {
                    Ok(c) if !combos.contains(&c) => combos.push(c),
                    Ok(_) => {}
                    Err(e) => problems.push(Problem {
                        action: name.clone(),
                        message: e,
                    }),
                }
            }
        }
        let mut by_key: HashMap<KeyCombo, Vec<Action>> = HashMap::new();
        for (action, combos) in &keys {
            for c in combos {
                by_key.entry(*c).or_default().push(*action);
            }
        }
        (Keymap { keys, by_key }, problems)
    }

    /// Is `ev` bound to `action`?
    pub fn is(&self, ev: &KeyEvent, action: Action) -> bool {
        self.by_key
            .get(&KeyCombo::from_event(ev))
            .is_some_and(|a| a.contains(&action))
    }

    /// The action of `candidates` (a context's list) that `ev` is bound to. [`check`] makes
    /// sure there is at most one.
    pub fn pick(&self, ev: &KeyEvent, candidates: &[Action]) -> Option<Action> {
        let bound = self.by_key.get(&KeyCombo::from_event(ev))?;
        candidates.iter().copied().find(|a| bound.contains(a))
    }

    pub fn keys(&self, action: Action) -> &[KeyCombo] {
        self.keys.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The keys of an action for hints and help: `j/↓`.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "(unbound)".into();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key only, for the status bar where space is short.
    pub fn short(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| format!(":{}", action.name()))
    }

    /// Key clashes: `(context, key, actions)` for every key bound to two actions that are
    /// live in the same context.
    pub fn conflicts(&self) -> Vec<(&'static str, KeyCombo, Vec<Action>)> {
        let mut out = Vec::new();
        // In the order a user reads them (by name), sorted once: formatting a key per
        // comparison made this most of a CLI command's start-up.
        let mut keys: Vec<&KeyCombo> = self.by_key.keys().collect();
        keys.sort_by_cached_key(|k| k.to_string());
        for (ctx, actions, _) in context::ALL {
            for &key in &keys {
                let live: Vec<Action> = self.by_key[key]
                    .iter()
                    .copied()
                    .filter(|a| actions.contains(a))
                    .collect();
                if live.len() > 1 {
                    out.push((*ctx, *key, live));
                }
            }
        }
        out
    }
}

/// Checks the keymap of `config` once, for both faces: unknown actions, keys that do not
/// parse, and one key bound to two actions in one place are refused, naming the config
/// line; what works but may surprise (an action left without a key, a letter bound in a
/// form where it could no longer be typed) comes back as warnings for the TUI to show.
pub fn check(config: &crate::config::Config) -> crate::error::Result<Vec<String>> {
    let overrides = &config.tui.keys;
    if overrides.is_empty() {
        // The built-in map has no conflicts (a test says so) and draws no warnings.
        return Ok(Vec::new());
    }
    let (map, problems) = Keymap::build(overrides);
    let at = |action: &str| match config.tui.key_lines.get(action) {
        Some(line) => format!("line {line}: [tui.keys] {}", crate::error::shown(action)),
        None => format!("[tui.keys] {}", crate::error::shown(action)),
    };
    let mut errors: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", at(&p.action), p.message))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (ctx, key, actions) in map.conflicts() {
        // Name the entry the user wrote (an override clashing with a built-in key).
        let mine: Vec<&Action> = actions
            .iter()
            .filter(|a| overrides.contains_key(a.name()))
            .collect();
        let blame = mine.first().map(|a| a.name()).unwrap_or(actions[0].name());
        let others: Vec<&str> = actions
            .iter()
            .map(|a| a.name())
            .filter(|n| *n != blame)
            .collect();
        if !seen.insert((blame, key.to_string())) {
            continue;
        }
        errors.push(format!(
            "{}: '{key}' is also {}'s key in {ctx}; give one of them another key",
            at(blame),
            others.join(" and ")
        ));
    }
    if !errors.is_empty() {
        let msg = format!("the keymap is not usable: {}", errors.join("; "));
        return Err(match &config.path {
            Some(path) => crate::error::Error::Config {
                path: path.clone(),
                msg,
            },
            None => crate::error::Error::Other(msg),
        });
    }
    let mut warnings = Vec::new();
    for name in overrides.keys() {
        let Some(action) = Action::from_name(name) else {
            continue;
        };
        if map.keys(action).is_empty() {
            warnings.push(format!(
                "{}: '{name}' has no key now; type :{name} to use it",
                at(name)
            ));
        }
        for (ctx, actions, typing) in context::ALL {
            if !typing || !actions.contains(&action) {
                continue;
            }
            for k in map.keys(action) {
                if matches!(k.code, KeyCode::Char(_))
                    && !k.mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                {
                    warnings.push(format!(
                        "{}: '{k}' cannot be typed in {ctx} any more",
                        at(name)
                    ));
                }
            }
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        let k = KeyCombo::parse("ctrl-c").unwrap();
        assert_eq!(k, KeyCombo::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(
            KeyCombo::parse("G").unwrap(),
            KeyCombo::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
        );
        assert_eq!(
            KeyCombo::parse("shift-tab").unwrap(),
            KeyCombo::new(KeyCode::BackTab, KeyModifiers::SHIFT)
        );
        assert_eq!(KeyCombo::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(KeyCombo::parse("hyper-x").is_err());
    }

    #[test]
    fn default_map_is_clean_and_overrides_replace() {
        let (_, problems) = Keymap::build(&BTreeMap::new());
        assert!(problems.is_empty(), "{problems:?}");
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
        o.insert("frobnicate".to_string(), vec!["x".to_string()]);
        let (map, problems) = Keymap::build(&o);
        assert_eq!(map.label(Action::Quit), "ctrl-q");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("frobnicate"));
    }

    #[test]
    fn the_default_map_has_no_conflicts() {
        assert_eq!(Keymap::default_map().conflicts(), Vec::new());
    }

    fn config(text: &str) -> crate::config::Config {
        crate::config::Config::parse(text, std::path::Path::new("/c.toml")).unwrap()
    }

    #[test]
    fn check_refuses_conflicts_and_typos_with_the_line() {
        let err = check(&config(
            "[tui]\nauto_lock_minutes = 1\n[tui.keys]\ncopy = [\"d\"]\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("/c.toml"), "{err}");
        assert!(err.contains("line 4: [tui.keys] copy"), "{err}");
        assert!(
            err.contains("'d' is also delete's key in the list"),
            "{err}"
        );
        let err = check(&config(
            "[tui.keys]\nquit = [\"hyper-q\"]\nfrob = [\"x\"]\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2: [tui.keys] quit: unknown key 'hyper-q'"),
            "{err}"
        );
        assert!(
            err.contains("line 3: [tui.keys] frob: unknown action"),
            "{err}"
        );
        assert!(!err.contains('\n'));
    }

    #[test]
    fn check_warns_of_what_works_but_surprises() {
        let w = check(&config("[tui.keys]\nsave = [\"s\"]\nhistory = []\n")).unwrap();
        assert!(
            w.iter()
                .any(|w| w.contains("'s' cannot be typed in a form")),
            "{w:?}"
        );
        assert!(w.iter().any(|w| w.contains("type :history")), "{w:?}");
        assert!(check(&config("")).unwrap().is_empty());
    }
}
