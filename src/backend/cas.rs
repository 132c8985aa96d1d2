//! The compare-and-set rules every flavor applies, written once: what an `Expect` means
//! against the version a remote holds right now.

use super::{BackendError, Expect, RemoteId, RemoteVersion};

/// Checks `expect` against `current` (None: the secret is absent).
pub(crate) fn precondition(
    backend: &str,
    id: &RemoteId,
    current: Option<&RemoteVersion>,
    expect: &Expect,
) -> Result<(), BackendError> {
    let conflict = |detail: String| {
        Err(BackendError::Conflict {
            backend: backend.to_string(),
            id: id.clone(),
            detail,
        })
    };
    match (expect, current) {
        (Expect::Any, _) | (Expect::Absent, None) => Ok(()),
        (Expect::Absent, Some(v)) => conflict(format!("already exists (version {v})")),
        (Expect::Version(want), Some(v)) if want == v => Ok(()),
        (Expect::Version(want), Some(v)) => conflict(format!(
            "is at version {v}, not the version {want} sesame last saw"
        )),
        (Expect::Version(want), None) => conflict(format!(
            "was deleted there since sesame last saw version {want}"
        )),
    }
}

/// The same for a delete: `Ok(true)` when there is something to delete; `Ok(false)` when the
/// secret is absent as `Absent` expected (nothing to do); `Any` on an absent secret is
/// `NotFound`.
pub(crate) fn may_delete(
    backend: &str,
    id: &RemoteId,
    current: Option<&RemoteVersion>,
    expect: &Expect,
) -> Result<bool, BackendError> {
    precondition(backend, id, current, expect)?;
    match (current, expect) {
        (Some(_), _) => Ok(true),
        (None, Expect::Any) => Err(BackendError::NotFound {
            backend: backend.to_string(),
            id: id.clone(),
        }),
        (None, _) => Ok(false),
    }
}
