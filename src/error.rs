//! Typed errors for the whole library, and the one place that maps them to exit codes.
//! Messages say what went wrong and what to do next; none ever contains a secret value.

use std::path::PathBuf;

/// Exit codes of DESIGN §3. clap itself exits with 2 on usage errors.
pub mod exit {
    pub const OK: i32 = 0;
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const LOCKED: i32 = 4;
    pub const VALIDATION: i32 = 5;
    pub const CONFLICT: i32 = 6;
    pub const REMOTE: i32 = 7;
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no vault at {}: run 'sesame init' to create one (or pass --vault DIR)", .0.display())]
    VaultMissing(PathBuf),
    #[error("a vault already exists at {}: nothing was changed", .0.display())]
    VaultExists(PathBuf),
    #[error("wrong passphrase for the vault at {}", .0.display())]
    WrongPassphrase(PathBuf),
    #[error(
        "the vault is locked and no passphrase was given: set SESAME_PASSPHRASE, pass --passphrase-file FILE, or run without --headless on a terminal"
    )]
    NoPassphrase,
    #[error("{0}")]
    Passphrase(String),
    #[error("the vault at {} is in use by {holder}: close it there first (the sesame agent will lift this limit)", .path.display())]
    VaultBusy { path: PathBuf, holder: String },
    #[error("the vault at {} has format version {found}, this sesame reads only version {supported}: upgrade sesame", .path.display())]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the vault at {} is damaged: {what}", .path.display())]
    CorruptVault { path: PathBuf, what: String },
    #[error(
        "the record of {what} is damaged and cannot be read (tampered with or corrupted); the rest of the vault is unaffected"
    )]
    CorruptRecord { what: String },
    #[error("unsafe key-derivation parameters ({0}): refusing to use them")]
    KdfParams(String),
    #[error("no secret named '{name}'{}", scope_hint(.scope))]
    SecretNotFound {
        name: String,
        scope: Option<crate::Scope>,
    },
    #[error("secret '{name}' has no key '{key}' (it has: {available})")]
    KeyNotFound {
        name: String,
        key: String,
        available: String,
    },
    #[error(
        "a secret named '{name}' already exists in the {scope} scope: use 'sesame secret update' or pick another name"
    )]
    SecretExists { name: String, scope: crate::Scope },
    #[error("secret '{name}' has no version {version} (see 'sesame secret history {name}')")]
    VersionNotFound { name: String, version: u64 },
    #[error("invalid secret name '{}': {why}", shown(.name))]
    InvalidName { name: String, why: &'static str },
    #[error("invalid key name '{}': {why}", shown(.key))]
    InvalidKey { key: String, why: &'static str },
    #[error("unknown schema '{0}': see 'sesame schema list'")]
    UnknownSchema(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("config file {}: {msg}", .path.display())]
    Config { path: PathBuf, msg: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("vault storage error: {0}")]
    Storage(String),
    /// Flags that do not fit together or do not apply to a command (exit 2, like clap's own).
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
    /// A remote backend failed; it knows its own exit code.
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
}

/// A rejected name as it may be shown: control characters escaped (an error stays one
/// line) and cut at 40 characters (a long "name" is more likely a pasted value).
pub(crate) fn shown(name: &str) -> String {
    let escaped: String = name.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > 40 {
        format!("{}…", escaped.chars().take(39).collect::<String>())
    } else {
        escaped
    }
}

fn scope_hint(scope: &Option<crate::Scope>) -> String {
    match scope {
        Some(s) => format!(" in the {s} scope"),
        None => " in the user or workspace scope".to_string(),
    }
}

impl Error {
    /// The process exit code for this error (DESIGN §3).
    pub fn exit_code(&self) -> i32 {
        use Error::*;
        match self {
            VaultMissing(_)
            | SecretNotFound { .. }
            | KeyNotFound { .. }
            | VersionNotFound { .. }
            | NotFound(_) => exit::NOT_FOUND,
            WrongPassphrase(_) | NoPassphrase | Passphrase(_) => exit::LOCKED,
            InvalidName { .. }
            | InvalidKey { .. }
            | UnknownSchema(_)
            | Validation(_)
            | Input(_) => exit::VALIDATION,
            SecretExists { .. } | VaultExists(_) | Conflict(_) => exit::CONFLICT,
            Usage(_) => exit::USAGE,
            Backend(e) => e.exit_code(),
            _ => exit::OTHER,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_names_print_on_one_short_line() {
        let e = Error::InvalidKey {
            key: "a\nb".into(),
            why: "bad",
        };
        assert_eq!(e.to_string(), "invalid key name 'a\\nb': bad");
        let e = Error::InvalidName {
            name: "x".repeat(100),
            why: "bad",
        };
        assert!(e.to_string().contains(&format!("{}…", "x".repeat(39))));
        assert!(!e.to_string().contains(&"x".repeat(41)));
    }
}
