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

    /// The built-in map with the config's overrides; unknown actions or keys are reported
    /// (and skipped) rather than fatal, so a typo never locks the user out of the TUI.
    pub fn build(overrides: &BTreeMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut problems = Vec::new();
        let mut raw: BTreeMap<String, Vec<String>> = match toml::from_str(DEFAULT_KEYMAP) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("built-in keymap: {e}"));
                BTreeMap::new()
            }
        };
        for (action, keys) in overrides {
            raw.insert(action.clone(), keys.clone());
        }
        let mut keys: BTreeMap<Action, Vec<KeyCombo>> = BTreeMap::new();
        for (name, list) in &raw {
            let Some(action) = Action::from_name(name) else {
                problems.push(format!(
                    "[tui.keys]: unknown action '{name}' (see '?' for the list)"
                ));
                continue;
            };
            let combos = keys.entry(action).or_default();
            for k in list {
                match KeyCombo::parse(k) {
                    Ok(c) => combos.push(c),
                    Err(e) => problems.push(format!("[tui.keys] {name}: {e}")),
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

    /// The first of `candidates` that `ev` is bound to: each context lists the actions that
    /// mean something there, so one key can do different things in different places.
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
            .unwrap_or_else(|| "-".into())
    }
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
        assert!(problems[0].contains("frobnicate"));
    }
}
