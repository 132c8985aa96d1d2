//! An in-process backend: a map behind a mutex with the same compare-and-set semantics as
//! the real flavors, for fast tests of sync logic. Gone when the process exits.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::cas::{may_delete, precondition};
use super::options::Options;
use super::remote::writable;
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
        writable(LABEL, id, values)?;
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
        if may_delete(LABEL, id, current.as_ref(), &expect)? {
            state.secrets.remove(id);
        }
        Ok(())
    }
}
