//! What can go wrong with a remote, typed so that sync can tell a conflict from an outage,
//! and each variant's exit code. No variant ever carries a secret value or a credential.

use super::RemoteId;
use crate::error::exit;

/// `backend` fields name the store as the user would recognise it (`vault at
/// http://127.0.0.1:8200`, `exec plugin ./bw-plugin`); remote-supplied text in `detail` is
/// cut and escaped by [`remote_text`] before it gets here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Network failure, timeout, a 5xx, a sealed server, a plugin that died or hung.
    #[error(
        "{backend} is unreachable ({detail}): check that it is running and reachable, then retry"
    )]
    Unreachable { backend: String, detail: String },
    /// Authentication or authorization failed (401/403, a bad signature, a wrong passphrase).
    #[error("{backend} refused access ({detail}): check {check}")]
    Refused {
        backend: String,
        detail: String,
        check: &'static str,
    },
    /// The compare-and-set precondition did not hold; nothing was written.
    #[error("{backend}: {id} {detail}; nothing was written (sync again to see what changed)")]
    Conflict {
        backend: String,
        id: RemoteId,
        detail: String,
    },
    /// The remote holds data for this secret that sesame will not take as it is.
    #[error("{backend}: remote secret {id} is not usable: {detail}")]
    Malformed {
        backend: String,
        id: RemoteId,
        detail: String,
    },
    /// The secret does not fit this store (e.g. AWS's 64 KiB SecretString limit).
    #[error("{backend}: {id} cannot be stored there: {detail}")]
    Unsupported {
        backend: String,
        id: RemoteId,
        detail: String,
    },
    #[error("{backend}: no secret {id} there")]
    NotFound { backend: String, id: RemoteId },
    /// The remote answered, but not in a way sesame understands (outside any one secret).
    #[error("{backend} gave an answer sesame cannot use ({detail})")]
    Protocol { backend: String, detail: String },
    /// An option value is missing or wrong.
    #[error("{flavor} backend: {detail}")]
    Options {
        flavor: &'static str,
        detail: String,
    },
    #[error("the {flavor} backend has no option '{name}' (valid options: {valid})")]
    UnknownOption {
        flavor: &'static str,
        name: String,
        valid: String,
    },
    #[error("no backend flavor '{name}' (known flavors: {valid})")]
    UnknownFlavor { name: String, valid: String },
}

impl BackendError {
    /// A secret the remote holds that sesame cannot take as it is (`detail` names the key
    /// and the reason, never a value).
    pub fn malformed(backend: String, id: &RemoteId, detail: impl Into<String>) -> Self {
        BackendError::Malformed {
            backend,
            id: id.clone(),
            detail: detail.into(),
        }
    }

    /// A compare-and-set precondition that did not hold; nothing was written.
    pub fn conflict(backend: String, id: &RemoteId, detail: impl Into<String>) -> Self {
        BackendError::Conflict {
            backend,
            id: id.clone(),
            detail: detail.into(),
        }
    }

    /// The process exit code (DESIGN §3): remote trouble 7, conflict 6, not found 3,
    /// bad data or options 5, an unknown option or flavor is a usage error (2).
    pub fn exit_code(&self) -> i32 {
        use BackendError::*;
        match self {
            Unreachable { .. } | Refused { .. } | Protocol { .. } => exit::REMOTE,
            Conflict { .. } => exit::CONFLICT,
            NotFound { .. } => exit::NOT_FOUND,
            Malformed { .. } | Unsupported { .. } | Options { .. } => exit::VALIDATION,
            UnknownOption { .. } | UnknownFlavor { .. } => exit::USAGE,
        }
    }

    /// True for failures that say nothing about one secret: the caller may stop asking.
    pub fn is_remote_down(&self) -> bool {
        matches!(
            self,
            BackendError::Unreachable { .. } | BackendError::Refused { .. }
        )
    }
}

/// Text that came from a remote (an error message, a name), made safe to show: one line,
/// control characters escaped, at most `max` characters. Only ever called on text that
/// cannot hold a value (error bodies of known shape, names).
pub(crate) fn remote_text(s: &str, max: usize) -> String {
    let escaped: String = s.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > max {
        format!(
            "{}…",
            escaped
                .chars()
                .take(max.saturating_sub(1))
                .collect::<String>()
        )
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_text_is_one_short_line() {
        assert_eq!(remote_text("a\nb\u{1b}[2J", 80), "a\\nb\\u{1b}[2J");
        let long = remote_text(&"x".repeat(500), 100);
        assert_eq!(long.chars().count(), 100);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn exit_codes_follow_design() {
        let id = RemoteId::new(crate::Scope::Workspace, "db".parse().unwrap());
        let b = || "memory".to_string();
        assert_eq!(
            BackendError::Unreachable {
                backend: b(),
                detail: String::new()
            }
            .exit_code(),
            7
        );
        assert_eq!(
            BackendError::Conflict {
                backend: b(),
                id: id.clone(),
                detail: String::new()
            }
            .exit_code(),
            6
        );
        assert_eq!(BackendError::NotFound { backend: b(), id }.exit_code(), 3);
        assert_eq!(
            BackendError::UnknownOption {
                flavor: "vault",
                name: "x".into(),
                valid: String::new()
            }
            .exit_code(),
            2
        );
    }
}
