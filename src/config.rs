//! The config file (TOML): where the vault lives, how much history to keep, TUI settings.
//! Unknown keys are an error that names them, so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::position::{line_col, toml_error};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub vault: VaultConfig,
    pub tui: TuiConfig,
    pub agent: AgentConfig,
    /// Remote stores, by name (`sesame backend add` writes them).
    pub backends: BTreeMap<String, BackendConfig>,
    /// The file this came from, for messages that point into it.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// One remote store (DESIGN §6). Credentials in `options` are references to vault secrets
/// (`token = "{{bao.token}}"`), never literal values.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    pub flavor: String,
    /// User-scope secrets are synced too (else only the workspace scope).
    #[serde(default)]
    pub include_user_scope: bool,
    /// Every vault write is also written here (the backup store).
    #[serde(default)]
    pub backup: bool,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// The agent (DESIGN §7).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// Start the agent with the first command that unlocks (else only `sesame unlock` or
    /// `sesame agent start` start it; a running one is always used unless --no-agent).
    pub auto_start: bool,
    /// The agent locks itself (wipes its keys and exits) after this many minutes unused.
    #[serde(deserialize_with = "idle_lock_minutes")]
    pub idle_lock_minutes: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            auto_start: true,
            idle_lock_minutes: 10,
        }
    }
}

/// The agent's idle lock: at least a minute, at most a day (it exists to lock).
pub const MAX_IDLE_LOCK_MINUTES: u64 = 24 * 60;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaultConfig {
    /// Vault directory; `--vault` and `SESAME_VAULT` win over it. Absolute, or `~/...`.
    #[serde(deserialize_with = "vault_path")]
    pub path: Option<PathBuf>,
    /// Earlier versions kept per secret, 1 to [`MAX_HISTORY`]. `0` is refused: it would
    /// read as "no limit" next to the timers' `0 = never`, yet erase every earlier version.
    #[serde(deserialize_with = "history")]
    pub history: usize,
    /// Days a deleted secret stays in the trash before it is purged (0 = no trash: a delete
    /// purges at once).
    #[serde(deserialize_with = "trash_days")]
    pub trash_days: u64,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            path: None,
            history: crate::vault::DEFAULT_HISTORY,
            trash_days: crate::vault::DEFAULT_TRASH_DAYS,
        }
    }
}

/// The most earlier versions a secret may keep: each is a full copy of its values.
pub const MAX_HISTORY: usize = 1000;
/// Timer bounds: past these a number is a mistake (and `Instant + Duration` would overflow).
pub const MAX_AUTO_LOCK_MINUTES: u64 = 7 * 24 * 60;
pub const MAX_CLIPBOARD_CLEAR_SECONDS: u64 = 24 * 60 * 60;
pub const MAX_REVEAL_SECONDS: u64 = 60 * 60;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    /// Lock the TUI after this many minutes without input (0 = never).
    #[serde(deserialize_with = "auto_lock_minutes")]
    pub auto_lock_minutes: u64,
    /// Clear a copied value from the clipboard after this many seconds (0 = never).
    #[serde(deserialize_with = "clipboard_clear_seconds")]
    pub clipboard_clear_seconds: u64,
    /// Hide revealed values again after this many seconds (1 or more: there is no "never").
    #[serde(deserialize_with = "reveal_seconds")]
    pub reveal_seconds: u64,
    /// Key binding overrides: action name -> keys (e.g. `quit = ["q", "ctrl-c"]`).
    pub keys: BTreeMap<String, Vec<String>>,
    /// The line of each override in the file, so a keymap problem can point at it.
    #[serde(skip)]
    pub key_lines: BTreeMap<String, usize>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            auto_lock_minutes: 5,
            clipboard_clear_seconds: 30,
            reveal_seconds: 20,
            keys: BTreeMap::new(),
            key_lines: BTreeMap::new(),
        }
    }
}

// Each bounded value is checked as it is read, so the TOML parser's error carries the
// value's line and column ("line 3, column 11: history = 0 ...").

/// `value` if it lies in `min..=max`, else an error naming `key` and what it means.
fn bounded<'de, D: serde::Deserializer<'de>>(
    d: D,
    key: &str,
    min: u64,
    max: u64,
    meaning: &str,
) -> std::result::Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{key} = {v} is out of range: use {min} to {max} ({meaning})"
        )))
    }
}

fn history<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
    bounded(
        d,
        "history",
        1,
        MAX_HISTORY as u64,
        "earlier versions kept per secret; 0 would erase them all on the next update",
    )
    .map(|v| v as usize)
}

fn trash_days<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    bounded(
        d,
        "trash_days",
        0,
        3650,
        "days a deleted secret stays in the trash; 0 keeps no trash",
    )
}

fn idle_lock_minutes<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    bounded(
        d,
        "idle_lock_minutes",
        1,
        MAX_IDLE_LOCK_MINUTES,
        "the agent locks itself after this many minutes unused",
    )
}

fn auto_lock_minutes<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    bounded(
        d,
        "auto_lock_minutes",
        0,
        MAX_AUTO_LOCK_MINUTES,
        "0 = never",
    )
}

fn clipboard_clear_seconds<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<u64, D::Error> {
    bounded(
        d,
        "clipboard_clear_seconds",
        0,
        MAX_CLIPBOARD_CLEAR_SECONDS,
        "0 = never",
    )
}

fn reveal_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    bounded(
        d,
        "reveal_seconds",
        1,
        MAX_REVEAL_SECONDS,
        "a revealed value is always hidden again",
    )
}

fn vault_path<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<PathBuf>, D::Error> {
    let raw = String::deserialize(d)?;
    expand_path(&raw, std::env::var_os("HOME").as_deref())
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A path from the config file: absolute, or `~` / `~/...` under `home`. Refused, rather
/// than guessed: `~user/...`, `$VARIABLES` (not expanded: a literal `$HOME` dir is as likely
/// as not a mistake), and relative paths (relative to whichever directory sesame runs in).
pub fn expand_path(
    raw: &str,
    home: Option<&std::ffi::OsStr>,
) -> std::result::Result<PathBuf, String> {
    let key = "path";
    if raw.is_empty() {
        return Err(format!(
            "{key} is empty: remove it for the default, or give a directory"
        ));
    }
    if raw.contains('$') {
        return Err(format!(
            "{key} holds '$': variables are not expanded in the config file; write ~/... or an absolute path"
        ));
    }
    let expanded = if raw == "~" || raw.starts_with("~/") {
        let home = home.filter(|h| !h.is_empty()).ok_or_else(|| {
            format!("{key} starts with '~' but HOME is not set: write an absolute path")
        })?;
        Path::new(home).join(raw.trim_start_matches('~').trim_start_matches('/'))
    } else if raw.starts_with('~') {
        return Err(format!(
            "{key} starts with '~name': only ~ (your home) is expanded; write an absolute path"
        ));
    } else {
        PathBuf::from(raw)
    };
    if !expanded.is_absolute() {
        return Err(format!(
            "{key} is relative, so it would depend on the directory sesame runs in: write ~/... or an absolute path"
        ));
    }
    Ok(expanded)
}

/// Platform directories (`directories`), overridable for tests through the usual flags.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sesame")
}

/// `~/.local/share/sesame/vault` on Linux.
pub fn default_vault_dir() -> Result<PathBuf> {
    project_dirs()
        .map(|d| d.data_dir().join("vault"))
        .ok_or_else(|| {
            Error::Other("cannot find a home directory for the vault: pass --vault DIR".into())
        })
}

/// `~/.config/sesame/config.toml` on Linux.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Loads `path` if given, else the default file. A file that does not exist means the
    /// defaults (so `SESAME_CONFIG` may name a file not written yet, e.g. before `init`);
    /// one that exists but cannot be read or parsed is an error.
    /// Returns the config and the directory it belongs to (for `schemas/`).
    pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
        let Some(path) = path.map(Path::to_path_buf).or_else(default_config_path) else {
            return Ok((Config::default(), None));
        };
        let dir = path.parent().map(Path::to_path_buf);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Config::parse(&text, &path)?, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Config::default(), dir)),
            Err(e) => Err(Error::io(
                format!("cannot read the config file {}", path.display()),
                e,
            )),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            msg: toml_error(text, &e),
        })?;
        config.path = Some(path.to_path_buf());
        config.tui.key_lines = key_lines(text);
        // Backend names appear in messages, the TUI and sync-state keys: the alphabet
        // `backend add` allows, also for a hand-edited file.
        for name in config.backends.keys() {
            if let Err(e) = crate::secret::SecretName::new(name.as_str()) {
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    msg: format!(
                        "[backends.\"{}\"]: {}",
                        crate::error::shown(name),
                        e.to_string().replace("secret name", "backend name")
                    ),
                });
            }
        }
        Ok(config)
    }
}

/// Changes the config file at `path` in place with `f`, keeping the user's comments, order
/// and formatting (a missing file starts empty). The result must parse as a config, or
/// nothing is written; it is written atomically, private to the user.
pub fn edit(
    path: &Path,
    f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<()>,
) -> Result<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::io(
                format!("cannot read the config file {}", path.display()),
                e,
            ));
        }
    };
    // A file that does not parse is the user's to fix: not overwritten.
    Config::parse(&text, path)?;
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| Error::Config {
                path: path.to_path_buf(),
                msg: e.message().replace('\n', " "),
            })?;
    f(&mut doc)?;
    let new = doc.to_string();
    let config = Config::parse(&new, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    crate::vault::replace_file(path, new.as_bytes())?;
    Ok(config)
}

/// The line of each `[tui.keys]` entry in a config file that parsed (by its value's span).
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        tui: Option<RawTui>,
    }
    #[derive(Deserialize)]
    struct RawTui {
        #[serde(default)]
        keys: BTreeMap<String, toml::Spanned<toml::Value>>,
    }
    let Ok(raw) = toml::from_str::<Raw>(text) else {
        return BTreeMap::new();
    };
    raw.tui
        .map(|t| t.keys)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, line_col(text, v.span().start).0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_written_backend_name_outside_the_alphabet_is_refused_escaped() {
        let err = Config::parse(
            "[backends.\"evil\\u001b]52;c;x\\u0007\"]\nflavor = \"memory\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("backend name"), "{err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err}");
        assert!(
            Config::parse(
                "[backends.team-1]\nflavor = \"memory\"\n",
                Path::new("c.toml")
            )
            .is_ok()
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[vault]\nhistroy = 3\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("histroy") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn values_that_mean_two_things_or_nothing_are_refused_with_key_and_line() {
        for (text, needles) in [
            (
                "[vault]\nhistory = 0\n",
                &["line 2", "history = 0", "1 to 1000"][..],
            ),
            ("[vault]\nhistory = 5000\n", &["line 2", "history"]),
            (
                "\n[tui]\nreveal_seconds = 0\n",
                &["line 3", "reveal_seconds"],
            ),
            (
                "[tui]\nauto_lock_minutes = 18446744073709551615\n",
                &["line 2", "auto_lock_minutes"],
            ),
            (
                "[tui]\nclipboard_clear_seconds = 100000000\n",
                &["line 2", "clipboard_clear_seconds"],
            ),
            (
                "[vault]\npath = \"relative/vault\"\n",
                &["line 2", "relative"],
            ),
            ("[vault]\npath = \"$HOME/vault\"\n", &["line 2", "'$'"]),
            ("[vault]\npath = \"~bob/vault\"\n", &["line 2", "~name"]),
            ("[vault]\npath = \"\"\n", &["line 2", "empty"]),
        ] {
            let err = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(!err.contains('\n'), "{err}");
            for n in needles {
                assert!(err.contains(n), "{n:?} not in {err:?} (from {text:?})");
            }
        }
        let c = Config::parse(
            "[tui]\nauto_lock_minutes = 0\nreveal_seconds = 1\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!((c.tui.auto_lock_minutes, c.tui.reveal_seconds), (0, 1));
    }

    #[test]
    fn tilde_expands_to_home() {
        let home = std::ffi::OsStr::new("/home/me");
        assert_eq!(
            expand_path("~/v", Some(home)).unwrap(),
            Path::new("/home/me/v")
        );
        assert_eq!(expand_path("~", Some(home)).unwrap(), Path::new("/home/me"));
        assert_eq!(expand_path("/srv/v", None).unwrap(), Path::new("/srv/v"));
        assert!(expand_path("~/v", None).unwrap_err().contains("HOME"));
    }

    #[test]
    fn defaults_and_values() {
        let c = Config::parse(
            "[vault]\nhistory = 3\n[tui]\nauto_lock_minutes = 1\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!(c.vault.history, 3);
        assert_eq!(c.tui.auto_lock_minutes, 1);
        assert_eq!(c.tui.clipboard_clear_seconds, 30);
        assert_eq!(Config::default().vault.history, 10);
    }
}
