//! The config file (TOML): where the vault lives, how much history to keep, TUI settings.
//! Unknown keys are an error that names them, so a typo never silently does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub vault: VaultConfig,
    pub tui: TuiConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaultConfig {
    /// Vault directory; `--vault` and `SESAME_VAULT` win over it.
    pub path: Option<PathBuf>,
    /// Earlier versions kept per secret.
    pub history: usize,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            path: None,
            history: crate::vault::DEFAULT_HISTORY,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    /// Lock the TUI after this many minutes without input (0 = never).
    pub auto_lock_minutes: u64,
    /// Clear a copied value from the clipboard after this many seconds (0 = never).
    pub clipboard_clear_seconds: u64,
    /// Hide revealed values again after this many seconds.
    pub reveal_seconds: u64,
    /// Key binding overrides: action name -> keys (e.g. `quit = ["q", "ctrl-c"]`).
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            auto_lock_minutes: 5,
            clipboard_clear_seconds: 30,
            reveal_seconds: 20,
            keys: BTreeMap::new(),
        }
    }
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
        toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            msg: toml_error(text, &e),
        })
    }
}

/// A TOML error of `text` (the config file, a schema file) as one line:
/// "line L, column C: message".
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim_end().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

/// 1-based line and column (in characters) of a byte offset; an offset inside a character
/// counts as that character.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[vault]\nhistroy = 3\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("histroy") && err.contains("line 2"), "{err}");
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
