//! The agent's wire protocol: serde enums, one request and one response per frame, framed
//! as a little-endian u32 length and the encoded message (the vault's record codec). The
//! first exchange is `Hello`, which carries the protocol version: a client that meets an
//! agent of another version stops it and starts its own.
//!
//! Values travel in these frames (over a 0600 Unix socket whose peer uid is checked); every
//! buffer that held a frame is wiped when dropped.

use std::io::{Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::backend::RemoteId;
use crate::error::ErrorKind;
use crate::secret::{Scope, Secret, SecretMeta, SecretName, SecretValue, Values, Version};
use crate::vault::{
    Agreed, Change, Deleted, ImportItem, ImportReport, Listing, SyncView, TrashEntry, TrashId,
};

/// Bumped on any change to these enums.
pub const PROTOCOL_VERSION: u32 = 4;
/// A frame larger than this is refused (an import of 100,000 secrets is ~30 MB).
pub const MAX_FRAME: usize = 512 * 1024 * 1024;

/// What a validating request brings along: the client's schemas and history limit, so the
/// agent gives the answer the client would give without it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicySpec {
    /// The directory of the client's own schemas (`<config dir>/schemas`), if any.
    pub schema_dir: Option<PathBuf>,
    pub history: usize,
    pub trash_days: u64,
}

impl Default for PolicySpec {
    /// The same defaults as [`crate::vault::Policy`]'s.
    fn default() -> Self {
        PolicySpec {
            schema_dir: None,
            history: crate::vault::DEFAULT_HISTORY,
            trash_days: crate::vault::DEFAULT_TRASH_DAYS,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    Hello {
        version: u32,
    },
    Status,
    Unlock {
        passphrase: SecretValue,
    },
    /// Lock: the agent wipes its keys and exits.
    Lock,
    List,
    Resolve {
        name: SecretName,
        scope: Option<Scope>,
    },
    Meta {
        name: SecretName,
        scope: Option<Scope>,
    },
    Get {
        name: SecretName,
        scope: Option<Scope>,
    },
    History {
        name: SecretName,
        scope: Option<Scope>,
    },
    Create {
        name: SecretName,
        scope: Scope,
        schema: String,
        values: Values,
        policy: PolicySpec,
    },
    Update {
        name: SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
        policy: PolicySpec,
    },
    Restore {
        name: SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
        policy: PolicySpec,
    },
    Rename {
        name: SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    },
    Delete {
        name: SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
        policy: PolicySpec,
    },
    TrashList,
    TrashRestore {
        id: TrashId,
        new_name: Option<SecretName>,
    },
    TrashPurge {
        id: Option<TrashId>,
    },
    SyncView {
        backend: String,
    },
    SyncRecords {
        backend: String,
        items: Vec<(RemoteId, Agreed)>,
    },
    SyncForget {
        backend: String,
    },
    SyncBase {
        backend: String,
        id: RemoteId,
    },
    Import {
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
        policy: PolicySpec,
    },
    Export {
        scope: Option<Scope>,
    },
    Generation,
}

/// The agent as `status` shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgentStatus {
    pub pid: u32,
    pub vault: PathBuf,
    pub unlocked: bool,
    /// Seconds until the agent locks itself (and exits) unless it is used.
    pub idle_lock_in: u64,
    pub generation: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// `unlocked` saves a client that only needs to know that a round trip.
    Hello {
        version: u32,
        pid: u32,
        unlocked: bool,
    },
    Status(AgentStatus),
    Done,
    Listing(std::sync::Arc<Listing>),
    Scope(Scope),
    Meta(SecretMeta),
    Secret(Secret),
    History(Secret, Vec<Version>),
    Import(ImportReport),
    Export(Vec<Secret>),
    Generation(u64),
    Deleted(Deleted),
    Trash(Vec<TrashEntry>),
    Purged(usize),
    SyncView(SyncView),
    Base(Option<Version>),
    Error {
        kind: ErrorKind,
        message: String,
    },
}

/// A reply and what the vault had to tell along the way (see `Vault::take_notices`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Response {
    pub reply: Reply,
    pub notices: Vec<String>,
}

/// Writes one framed message.
pub fn send<T: Serialize>(out: &mut impl Write, msg: &T) -> std::io::Result<()> {
    let body = crate::vault::encode_message(msg);
    let mut frame = Zeroizing::new(Vec::with_capacity(4 + body.len()));
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    out.write_all(&frame)?;
    out.flush()
}

/// Reads one framed message; `Ok(None)` at a clean end of stream.
pub fn recv<T: serde::de::DeserializeOwned>(input: &mut impl Read) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a message of {len} bytes is more than the agent protocol allows"),
        ));
    }
    let mut body = Zeroizing::new(vec![0u8; len]);
    input.read_exact(&mut body)?;
    crate::vault::decode_message(&body)
        .map(Some)
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a message that does not parse (another program on the agent's socket?)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_roundtrip_and_bad_frames_are_refused() {
        let mut buf = Vec::new();
        send(
            &mut buf,
            &Request::Get {
                name: SecretName::new("db").unwrap(),
                scope: Some(Scope::User),
            },
        )
        .unwrap();
        send(&mut buf, &Request::Lock).unwrap();
        let mut r = &buf[..];
        assert!(matches!(
            recv::<Request>(&mut r).unwrap(),
            Some(Request::Get { .. })
        ));
        assert!(matches!(
            recv::<Request>(&mut r).unwrap(),
            Some(Request::Lock)
        ));
        assert!(recv::<Request>(&mut r).unwrap().is_none());
        // A length past the limit, and garbage.
        let huge = (MAX_FRAME as u32 + 1).to_le_bytes();
        assert!(recv::<Request>(&mut &huge[..]).is_err());
        let garbage = [3u8, 0, 0, 0, 0xff, 0xff, 0xff];
        assert!(recv::<Request>(&mut &garbage[..]).is_err());
    }
}
