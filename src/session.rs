//! Everything needed before a vault is open: global options, the config, the schemas, and the
//! passphrase from the environment or a file. Both faces start here.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::schema::Registry;
use crate::vault::Vault;

/// Environment variables of DESIGN §3.
pub const ENV_PASSPHRASE: &str = "SESAME_PASSPHRASE";
pub const ENV_NEW_PASSPHRASE: &str = "SESAME_NEW_PASSPHRASE";

/// The global options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub vault: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
    pub headless: bool,
}

/// A loaded config and the schemas it names; no vault opened yet.
pub struct Session {
    pub options: Options,
    pub config: Config,
    pub vault_dir: PathBuf,
    pub schemas: Registry,
    /// Problems worth telling the user that did not stop anything (broken custom schema files).
    pub warnings: Vec<String>,
}

impl Session {
    pub fn load(options: Options) -> Result<Session> {
        let (config, config_dir) = Config::load(options.config.as_deref())?;
        let vault_dir = match (&options.vault, &config.vault.path) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => config::default_vault_dir()?,
        };
        let schema_dir = config_dir.map(|d| d.join("schemas"));
        let (schemas, warnings) = Registry::load(schema_dir.as_deref());
        Ok(Session {
            options,
            config,
            vault_dir,
            schemas,
            warnings,
        })
    }

    pub fn vault_exists(&self) -> bool {
        Vault::exists(&self.vault_dir)
    }

    /// Fails with "run sesame init" before anyone is asked for a passphrase.
    pub fn require_vault(&self) -> Result<()> {
        if self.vault_exists() {
            Ok(())
        } else {
            Err(Error::VaultMissing(self.vault_dir.clone()))
        }
    }

    /// The passphrase from `SESAME_PASSPHRASE` or `--passphrase-file`, if either is given.
    pub fn passphrase_without_prompt(&self) -> Result<Option<Zeroizing<String>>> {
        if let Some(p) = &self.options.passphrase_file {
            return read_passphrase_file(p).map(Some);
        }
        match std::env::var(ENV_PASSPHRASE) {
            Ok(p) => Ok(Some(Zeroizing::new(p))),
            Err(_) => Ok(None),
        }
    }

    /// Opens and unlocks the vault with the session's schemas and history limit.
    pub fn unlock(&self, passphrase: &[u8]) -> Result<Vault> {
        let mut vault = Vault::unlock(&self.vault_dir, passphrase)?;
        self.configure(&mut vault);
        Ok(vault)
    }

    /// Applies the config and schemas to a vault opened some other way (e.g. just created).
    pub fn configure(&self, vault: &mut Vault) {
        vault.set_history_limit(self.config.vault.history);
        vault.set_schemas(self.schemas.clone());
    }
}

/// Reads a passphrase file: the first line, without its line ending. An empty file is an
/// error, since an empty passphrase would protect nothing.
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        Error::Passphrase(format!(
            "cannot read the passphrase file {}: {e}",
            path.display()
        ))
    })?);
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Error::Passphrase(format!(
            "the passphrase file {} is empty",
            path.display()
        )));
    }
    Ok(Zeroizing::new(line.to_string()))
}
