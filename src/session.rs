//! Everything needed before a vault is open: global options, the config, the schemas, and the
//! passphrase from the environment or a file. Both faces start here.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::agent::protocol::PolicySpec;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::passphrase;
use crate::schema::Registry;
use crate::vault::{Policy, Vault};

/// Environment variables of DESIGN §3 (the passphrase ones live in `passphrase`).
pub const ENV_VAULT: &str = "SESAME_VAULT";
pub const ENV_CONFIG: &str = "SESAME_CONFIG";

/// The global options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub vault: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
    pub headless: bool,
}

/// A loaded config; the schemas it names are loaded on first use (a `secret get` through
/// the agent never needs them). No vault opened yet.
pub struct Session {
    pub options: Options,
    pub config: Config,
    pub vault_dir: PathBuf,
    /// `<config dir>/schemas`, where the user's own schemas live.
    pub schema_dir: Option<PathBuf>,
    /// The schemas, and the problems loading them found that did not stop anything (broken
    /// custom schema files).
    schemas: std::sync::OnceLock<(Registry, Vec<String>)>,
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
        Ok(Session {
            options,
            config,
            vault_dir,
            schema_dir,
            schemas: std::sync::OnceLock::new(),
        })
    }

    /// The built-in schemas and the user's own (loaded once, on first use).
    pub fn schemas(&self) -> &Registry {
        &self.loaded_schemas().0
    }

    /// What loading the user's schemas found wrong (each file is skipped, with its line).
    pub fn schema_warnings(&self) -> &[String] {
        &self.loaded_schemas().1
    }

    fn loaded_schemas(&self) -> &(Registry, Vec<String>) {
        self.schemas
            .get_or_init(|| Registry::load(self.schema_dir.as_deref()))
    }

    /// What writes are checked against: these schemas and the configured history limit.
    pub fn policy(&self) -> Policy {
        Policy {
            schemas: self.schemas().clone(),
            schema_dir: self.schema_dir.clone(),
            history: self.config.vault.history,
            trash_days: self.config.vault.trash_days,
        }
    }

    /// The same, for the agent: it loads the schemas from `schema_dir` itself.
    pub fn policy_spec(&self) -> PolicySpec {
        PolicySpec {
            schema_dir: self.schema_dir.clone(),
            history: self.config.vault.history,
            trash_days: self.config.vault.trash_days,
        }
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

    /// The passphrase from `--passphrase-file` or `SESAME_PASSPHRASE`, if either is given.
    pub fn passphrase_without_prompt(&self) -> Result<Option<Zeroizing<String>>> {
        if let Some(p) = &self.options.passphrase_file {
            return passphrase::from_file(p).map(Some);
        }
        passphrase::from_env(passphrase::ENV_PASSPHRASE)
    }

    /// Opens and unlocks the vault in this process.
    pub fn unlock(&self, passphrase: &[u8]) -> Result<Vault> {
        Vault::unlock(&self.vault_dir, passphrase)
    }
}

/// A directory or file named by an environment variable (`SESAME_VAULT`, `SESAME_CONFIG`):
/// `None` when unset; set but empty is a usage error of its own (an empty value is a
/// mistake in a script, never a path).
pub fn path_from_env(name: &str) -> Result<Option<PathBuf>> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Err(Error::Usage(format!(
            "{name} is set but empty: set it to a path, or unset it for the default"
        ))),
        Some(v) => Ok(Some(PathBuf::from(v))),
    }
}
