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
        "the vault is locked and {}: set SESAME_PASSPHRASE or pass --passphrase-file FILE ('-' reads it from stdin)",
        if *.headless { "--headless forbids asking for the passphrase" } else { "there is no terminal to ask for the passphrase on" }
    )]
    NoPassphrase { headless: bool },
    #[error("{0}")]
    Passphrase(String),
    #[error("the vault at {} is in use by {holder}", .path.display())]
    VaultBusy { path: PathBuf, holder: String },
    #[error("the vault at {} has format version {found}, this sesame reads only version {supported}: upgrade sesame", .path.display())]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the vault at {} is damaged: {what}. Nothing was changed: run 'sesame verify' for a report and 'sesame recover' to rebuild it", .path.display())]
    CorruptVault { path: PathBuf, what: String },
    #[error(
        "the record of {what} is damaged and cannot be read (tampered with or corrupted); the rest of the vault is unaffected ('sesame recover' brings back its last good copy)"
    )]
    CorruptRecord { what: String },
    #[error(
        "{what} failed the vault's integrity check (a record was replaced by an older copy, removed or added behind sesame's back), so it was not used: run 'sesame verify', then 'sesame recover'"
    )]
    Tampered { what: String },
    #[error("{0}")]
    ReadOnly(String),
    #[error("unsafe key-derivation parameters ({0}): refusing to use them")]
    KdfParams(String),
    #[error("no secret named '{name}'{}", scope_hint(.scope))]
    SecretNotFound {
        name: String,
        scope: Option<crate::Scope>,
    },
    #[error("secret '{name}' has no key '{}' (it has: {})", shown(.key), capped_list(.available))]
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
    /// An error that happened elsewhere (in the agent) and crossed the socket: its kind
    /// decides the exit code, its message is printed as it was written there.
    #[error("{message}")]
    Relayed { kind: ErrorKind, message: String },
    /// Not a failure of sesame's: the command it ran (`sesame run`) ended with this exit
    /// code, which sesame passes on without a message.
    #[error("")]
    Exit(i32),
    /// A remote backend failed; it knows its own exit code.
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
}

/// What kind of failure an error is: what callers match on (a conflict, a locked vault, a
/// missing secret...) and what decides the exit code. It crosses the agent's socket with the
/// message, so a command prints and exits exactly as it would without the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    VaultMissing,
    VaultExists,
    WrongPassphrase,
    /// No passphrase could be had, or the agent is locked.
    Locked,
    Passphrase,
    Busy,
    UnsupportedVersion,
    Damaged,
    CorruptRecord,
    Tampered,
    ReadOnly,
    KdfParams,
    NotFound,
    Exists,
    Invalid,
    /// A compare-and-set refused (the secret changed since it was read), or names clash.
    Conflict,
    Config,
    Io,
    Storage,
    Usage,
    /// A remote backend was unreachable or refused.
    Remote,
    Other,
}

impl ErrorKind {
    /// The process exit code for this kind (DESIGN §3).
    pub fn exit_code(self) -> i32 {
        use ErrorKind::*;
        match self {
            VaultMissing | NotFound => exit::NOT_FOUND,
            WrongPassphrase | Locked | Passphrase => exit::LOCKED,
            Invalid => exit::VALIDATION,
            Exists | VaultExists | Conflict => exit::CONFLICT,
            Usage => exit::USAGE,
            Remote => exit::REMOTE,
            _ => exit::OTHER,
        }
    }
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

/// How many names a message lists before it says "and N more": a secret may have 40,000
/// keys, and an error stays one readable line.
pub const LIST_CAP: usize = 10;

/// `items` joined with ", ", at most [`LIST_CAP`] of them, then "and N more".
pub fn list_capped<S: AsRef<str>>(items: &[S]) -> String {
    let mut out: Vec<&str> = items.iter().take(LIST_CAP).map(AsRef::as_ref).collect();
    let more;
    if items.len() > LIST_CAP {
        more = format!("and {} more", items.len() - LIST_CAP);
        out.push(&more);
    }
    out.join(", ")
}

/// A list already joined with ", " (as some errors carry it), capped like [`list_capped`].
fn capped_list(joined: &str) -> String {
    let items: Vec<&str> = joined.split(", ").collect();
    list_capped(&items)
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
        match self {
            Error::Exit(code) => *code,
            _ => self.kind().exit_code(),
        }
    }

    /// What kind of failure this is (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use Error::*;
        match self {
            VaultMissing(_) => ErrorKind::VaultMissing,
            VaultExists(_) => ErrorKind::VaultExists,
            WrongPassphrase(_) => ErrorKind::WrongPassphrase,
            NoPassphrase { .. } => ErrorKind::Locked,
            Passphrase(_) => ErrorKind::Passphrase,
            VaultBusy { .. } => ErrorKind::Busy,
            UnsupportedVersion { .. } => ErrorKind::UnsupportedVersion,
            CorruptVault { .. } => ErrorKind::Damaged,
            CorruptRecord { .. } => ErrorKind::CorruptRecord,
            Tampered { .. } => ErrorKind::Tampered,
            ReadOnly(_) => ErrorKind::ReadOnly,
            KdfParams(_) => ErrorKind::KdfParams,
            SecretNotFound { .. } | KeyNotFound { .. } | VersionNotFound { .. } | NotFound(_) => {
                ErrorKind::NotFound
            }
            SecretExists { .. } => ErrorKind::Exists,
            InvalidName { .. }
            | InvalidKey { .. }
            | UnknownSchema(_)
            | Validation(_)
            | Input(_) => ErrorKind::Invalid,
            Conflict(_) => ErrorKind::Conflict,
            Config { .. } => ErrorKind::Config,
            Io { .. } => ErrorKind::Io,
            Storage(_) => ErrorKind::Storage,
            Usage(_) => ErrorKind::Usage,
            Other(_) | Exit(_) => ErrorKind::Other,
            Relayed { kind, .. } => *kind,
            Backend(e) => match e.exit_code() {
                exit::REMOTE => ErrorKind::Remote,
                exit::CONFLICT => ErrorKind::Conflict,
                exit::NOT_FOUND => ErrorKind::NotFound,
                exit::VALIDATION => ErrorKind::Invalid,
                exit::USAGE => ErrorKind::Usage,
                _ => ErrorKind::Other,
            },
        }
    }

    /// An error from elsewhere (the agent), with its kind and message.
    pub fn relayed(kind: ErrorKind, message: &str) -> Error {
        Error::Relayed {
            kind,
            message: message.to_string(),
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

thread_local! {
    static EXPECTING_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `None` without the panic hook printing anything. For
/// code that may panic on damaged input it does not own (sled reading a damaged file): the
/// caller reports the damage itself, in one line.
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    let was = EXPECTING_PANIC.replace(true);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
    EXPECTING_PANIC.set(was);
    out
}

/// True inside [`catch_quietly`]: panic hooks stay silent there.
pub fn panic_is_expected() -> bool {
    EXPECTING_PANIC.get()
}

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

    #[test]
    fn long_key_lists_are_capped() {
        let keys: Vec<String> = (0..40_000).map(|i| format!("k{i}")).collect();
        let e = Error::KeyNotFound {
            name: "big".into(),
            key: "nope".into(),
            available: keys.join(", "),
        };
        let msg = e.to_string();
        assert!(msg.ends_with("k9, and 39990 more)"), "{msg}");
        assert_eq!(list_capped(&["a", "b"]), "a, b");
    }
}
