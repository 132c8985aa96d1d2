//! Remote secret stores: one `Backend` trait that sync and backup run against, and one
//! module per flavor (DESIGN §6). Everything a remote sends back is untrusted input.
//!
//! A backend sees a secret as its scope and name, a schema name and its values; where the
//! flavor puts them is its own business (each module's header says). Every write carries a
//! compare-and-set precondition ([`Expect`]) so that sync never overwrites a change it has not
//! seen; where a store has no true compare-and-set the module says how small the race is.

pub mod aws;
pub mod azure;
mod cas;
mod error;
pub mod exec;
mod fanout;
pub mod folder;
pub mod gcp;
mod http;
pub mod memory;
mod options;
mod remote;
pub mod vault;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::{Scope, SecretName, Values};

pub use error::BackendError;
pub use options::{OptionSpec, OptionValue};
pub use remote::{MAX_KEYS, MAX_VALUE_LEN};

/// Where a secret lives remotely: sesame's scope and name (the flavor maps them to its layout).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RemoteId {
    pub scope: Scope,
    pub name: SecretName,
}

impl RemoteId {
    pub fn new(scope: Scope, name: SecretName) -> RemoteId {
        RemoteId { scope, name }
    }
}

/// `workspace/db`: the form every message uses.
impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.scope, self.name)
    }
}

/// Opaque token the remote assigns on every write (KV v2 version number, AWS VersionId, a
/// content hash for folder, whatever an exec plugin returns). Compared for equality only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemoteVersion(pub String);

impl fmt::Display for RemoteVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of `list`: enough to plan a sync without fetching values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEntry {
    pub id: RemoteId,
    pub version: RemoteVersion,
}

/// A remote name under the backend's prefix that is not a valid sesame id (another tool's
/// secret, a nested folder, a file that does not open). Reported, never a crash, never touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Foreign {
    /// The remote name as it may be shown: control characters escaped, cut to 40 characters.
    pub raw: String,
    pub why: String,
}

/// What `list` found, sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<RemoteEntry>,
    pub foreign: Vec<Foreign>,
}

/// A secret as read from a remote. `schema` is `None` when the remote records none (written
/// by another tool, or a flavor that does not record the default): it means `arbitrary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSecret {
    pub id: RemoteId,
    pub version: RemoteVersion,
    pub schema: Option<String>,
    pub values: Values,
}

/// Compare-and-set precondition of a write: what the caller believes the remote holds now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The secret does not exist (create). For `delete`: nothing to do if it is absent.
    Absent,
    /// The secret exists at exactly this version.
    Version(RemoteVersion),
    /// No precondition (`--force`): create or overwrite; `delete` of an absent secret is
    /// `NotFound`.
    Any,
}

/// One remote store. Implementations are shared by the sync engine's worker threads, hence
/// `Send + Sync`; each serializes internally what must be serialized. `Debug` is written by
/// hand in every flavor and never prints a credential.
pub trait Backend: Send + Sync + fmt::Debug {
    /// The flavor name (`vault`, `aws`, ...), as in `sesame backend flavors`.
    fn flavor(&self) -> &'static str;
    /// Connection and auth check; `Ok` is one line saying what was reached.
    fn test(&self) -> Result<String, BackendError>;
    fn list(&self) -> Result<Listing, BackendError>;
    /// `Ok(None)` when the secret does not exist (or its current version is deleted).
    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError>;
    /// Creates or updates under `expect`; returns the new version. `Conflict` when the
    /// precondition does not hold, and then nothing was written.
    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        values: &Values,
        expect: Expect,
    ) -> Result<RemoteVersion, BackendError>;
    /// Removes the secret entirely (all versions, where the store keeps them).
    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError>;
}

/// One flavor as `sesame backend flavors` shows it, with its options as data.
pub struct Flavor {
    pub name: &'static str,
    pub summary: &'static str,
    pub options: &'static [OptionSpec],
}

/// Every flavor this build knows, in the order `backend flavors` lists them.
pub const FLAVORS: &[Flavor] = &[
    Flavor {
        name: "vault",
        summary: "HashiCorp Vault / OpenBao, KV version 2",
        options: vault::OPTIONS,
    },
    Flavor {
        name: "aws",
        summary: "AWS Secrets Manager",
        options: aws::OPTIONS,
    },
    Flavor {
        name: "gcp",
        summary: "GCP Secret Manager",
        options: gcp::OPTIONS,
    },
    Flavor {
        name: "azure",
        summary: "Azure Key Vault secrets",
        options: azure::OPTIONS,
    },
    Flavor {
        name: "folder",
        summary: "one encrypted file per secret in a directory (shared drive, git repo)",
        options: folder::OPTIONS,
    },
    Flavor {
        name: "exec",
        summary: "any program that speaks the plugin protocol (README: Writing a backend plugin)",
        options: exec::OPTIONS,
    },
    Flavor {
        name: "memory",
        summary: "in this process only, gone on exit (for tests)",
        options: memory::OPTIONS,
    },
];

/// Builds a backend of `flavor` from its options. Credential options arrive resolved (as
/// `OptionValue::Secret`); unknown options are refused with the list of valid ones.
pub fn open(
    flavor: &str,
    options: BTreeMap<String, OptionValue>,
) -> Result<Box<dyn Backend>, BackendError> {
    Ok(match flavor {
        "vault" => Box::new(vault::VaultBackend::new(options)?),
        "aws" => Box::new(aws::AwsBackend::new(options)?),
        "gcp" => Box::new(gcp::GcpBackend::new(options)?),
        "azure" => Box::new(azure::AzureBackend::new(options)?),
        "folder" => Box::new(folder::FolderBackend::new(options)?),
        "exec" => Box::new(exec::ExecBackend::new(options)?),
        "memory" => Box::new(memory::MemoryBackend::new(options)?),
        other => {
            return Err(BackendError::UnknownFlavor {
                name: crate::error::shown(other),
                valid: FLAVORS
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    })
}
