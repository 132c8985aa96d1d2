//! An in-process backend: a map behind a mutex with the same compare-and-set semantics as
//! the real flavors, for fast tests of sync logic. Gone when the process exits.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::options::Options;
use super::remote::check_values;
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::secret::Values;

pub const OPTIONS: &[OptionSpec] = &[];

struct Stored {
    version: u64,
    schema: String,
    values: Values,
}

#[derive(Default)]
struct State {
    /// Versions count up across the whole map, so a deleted-and-recreated secret never
    /// reuses a version an old sync state remembers.
    counter: u64,
    secrets: BTreeMap<RemoteId, Stored>,
}

pub struct MemoryBackend {
    state: Mutex<State>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryBackend")
    }
}

const LABEL: &str = "memory backend";

impl MemoryBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<MemoryBackend, BackendError> {
        Options::check("memory", OPTIONS, options)?;
        Ok(MemoryBackend {
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a consistent map (every change is
        // one insert or remove), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn version(n: u64) -> RemoteVersion {
    RemoteVersion(n.to_string())
}

/// Checks `expect` against the current version; the one CAS rule every flavor follows.
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

impl Backend for MemoryBackend {
    fn flavor(&self) -> &'static str {
        "memory"
    }

    fn test(&self) -> Result<String, BackendError> {
        Ok(format!(
            "{LABEL}: {} secrets in this process",
            self.lock().secrets.len()
        ))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        let state = self.lock();
        Ok(Listing {
            entries: state
                .secrets
                .iter()
                .map(|(id, s)| RemoteEntry {
                    id: id.clone(),
                    version: version(s.version),
                })
                .collect(),
            foreign: Vec::new(),
        })
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        Ok(self.lock().secrets.get(id).map(|s| RemoteSecret {
            id: id.clone(),
            version: version(s.version),
            schema: Some(s.schema.clone()),
            values: s.values.clone(),
        }))
    }

    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        values: &Values,
        expect: Expect,
    ) -> Result<RemoteVersion, BackendError> {
        check_values(values).map_err(|detail| BackendError::Unsupported {
            backend: LABEL.into(),
            id: id.clone(),
            detail,
        })?;
        let mut state = self.lock();
        let current = state.secrets.get(id).map(|s| version(s.version));
        precondition(LABEL, id, current.as_ref(), &expect)?;
        state.counter += 1;
        let n = state.counter;
        state.secrets.insert(
            id.clone(),
            Stored {
                version: n,
                schema: schema.to_string(),
                values: values.clone(),
            },
        );
        Ok(version(n))
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let mut state = self.lock();
        let current = state.secrets.get(id).map(|s| version(s.version));
        precondition(LABEL, id, current.as_ref(), &expect)?;
        if state.secrets.remove(id).is_none() && expect == Expect::Any {
            return Err(BackendError::NotFound {
                backend: LABEL.into(),
                id: id.clone(),
            });
        }
        Ok(())
    }
}
