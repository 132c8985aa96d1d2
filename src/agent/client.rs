//! Talking to the agent: connecting (with the version handshake), starting one when none
//! runs, and [`Secrets`] over the socket, so a command prints exactly what a local run would
//! (errors cross as kind + message, with the same exit code).

use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::protocol::{
    AgentStatus, PROTOCOL_VERSION, PolicySpec, Reply, Request, Response, recv, send,
};
use crate::api::{Holder, Secrets};
use crate::backend::RemoteId;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::{Scope, Secret, SecretMeta, SecretName, SecretValue, Values, Version};
use crate::vault::{
    Agreed, Change, Deleted, ImportItem, ImportReport, Listing, SyncView, TrashEntry, TrashId,
};

/// How long a started agent may take to listen.
const START_WAIT: Duration = Duration::from_secs(5);

pub struct AgentClient {
    conn: Mutex<(BufReader<UnixStream>, UnixStream)>,
    pid: u32,
    /// Whether the agent was unlocked when this client said hello.
    unlocked_at_hello: bool,
    policy: PolicySpec,
    notices: Mutex<Vec<String>>,
}

/// What connecting found.
pub enum Found {
    Agent(AgentClient),
    /// No agent listens for this vault (no socket, or a stale one).
    None,
}

impl AgentClient {
    /// Connects to the agent of `vault_dir`. An agent speaking another protocol version is
    /// asked to lock (it exits) and reported as `None`, so the caller starts its own.
    pub fn connect(vault_dir: &Path, policy: PolicySpec) -> Result<Found> {
        AgentClient::connect_at(&super::socket_path(vault_dir)?, policy)
    }

    /// [`AgentClient::connect`] to the socket at `socket`.
    pub fn connect_at(socket: &Path, policy: PolicySpec) -> Result<Found> {
        let socket = socket.to_path_buf();
        // The directory is ours and private (`socket_dir`); the socket must be too.
        if let Ok(m) = std::fs::symlink_metadata(&socket) {
            use std::os::unix::fs::MetadataExt;
            if m.uid() != super::euid() || m.mode() & 0o077 != 0 {
                return Err(Error::Other(format!(
                    "the agent socket {} is not private to you (owner uid {}, mode {:04o}): refusing to use it; remove it and try again",
                    socket.display(),
                    m.uid(),
                    m.mode() & 0o7777
                )));
            }
        }
        let stream = match UnixStream::connect(&socket) {
            Ok(s) => s,
            Err(_) => return Ok(Found::None),
        };
        if super::peer_uid(&stream).ok() != Some(super::euid()) {
            return Err(Error::Other(format!(
                "the socket {} is served by another user's process: refusing to talk to it",
                socket.display()
            )));
        }
        let reader = BufReader::new(
            stream
                .try_clone()
                .map_err(|e| Error::io("cannot use the agent's socket", e))?,
        );
        let mut client = AgentClient {
            conn: Mutex::new((reader, stream)),
            pid: 0,
            unlocked_at_hello: false,
            policy,
            notices: Mutex::new(Vec::new()),
        };
        match client.call(Request::Hello {
            version: PROTOCOL_VERSION,
        }) {
            Ok(Reply::Hello {
                version,
                pid,
                unlocked,
            }) if version == PROTOCOL_VERSION => {
                client.pid = pid;
                client.unlocked_at_hello = unlocked;
                Ok(Found::Agent(client))
            }
            // Another version (or something that is not our agent): retire it.
            _ => {
                let _ = client.call(Request::Lock);
                let start = Instant::now();
                while socket.exists() && start.elapsed() < START_WAIT {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(Found::None)
            }
        }
    }

    /// Starts an agent for `vault_dir` in the background and connects to it.
    pub fn start(vault_dir: &Path, idle_lock: Duration, policy: PolicySpec) -> Result<AgentClient> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the sesame executable to start the agent", e))?;
        let mut cmd = std::process::Command::new(exe);
        cmd.arg("--vault")
            .arg(vault_dir)
            .args(["agent", "serve", "--idle-lock-seconds"])
            .arg(idle_lock.as_secs().to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .env_remove(crate::agent::ENV_NO_AGENT);
        // SAFETY: setsid only detaches the child from our terminal and process group; it is
        // async-signal-safe, as pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io("cannot start the sesame agent", e))?;
        let start = Instant::now();
        loop {
            if let Found::Agent(c) = AgentClient::connect(vault_dir, policy.clone())? {
                // Reap it when it exits on its own; it is a session leader of its own now.
                std::thread::spawn(move || child.wait());
                return Ok(c);
            }
            if let Ok(Some(status)) = child.try_wait() {
                // It exited at once: another agent won the race, or it could not start.
                if let Found::Agent(c) = AgentClient::connect(vault_dir, policy.clone())? {
                    return Ok(c);
                }
                return Err(Error::Other(format!(
                    "the sesame agent did not start ({status}): run with --no-agent, or 'sesame agent serve' to see why"
                )));
            }
            if start.elapsed() > START_WAIT {
                return Err(Error::Other(
                    "the sesame agent did not answer within 5 s: run with --no-agent, or 'sesame agent stop' and try again".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the agent held an unlocked vault when this client connected.
    pub fn was_unlocked(&self) -> bool {
        self.unlocked_at_hello
    }

    pub fn status(&self) -> Result<AgentStatus> {
        match self.call(Request::Status)? {
            Reply::Status(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }

    /// Unlocks the agent's vault (the agent derives the key; the passphrase crosses the
    /// socket once). Unlocking an unlocked agent does nothing.
    pub fn unlock(&self, passphrase: &str) -> Result<()> {
        self.done(Request::Unlock {
            passphrase: SecretValue::new(passphrase),
        })
    }

    /// Locks the agent: it wipes its keys and exits.
    pub fn lock_agent(&self) -> Result<()> {
        self.done(Request::Lock)
    }

    fn done(&self, req: Request) -> Result<()> {
        match self.call(req)? {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// One request, one response; errors come back as the agent's kind and message.
    fn call(&self, req: Request) -> Result<Reply> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let lost = |e: std::io::Error| {
            Error::relayed(
                ErrorKind::Io,
                &format!(
                    "lost the connection to the sesame agent ({e}): try again, or run with --no-agent"
                ),
            )
        };
        send(&mut conn.1, &req).map_err(lost)?;
        let response: Response = recv(&mut conn.0).map_err(lost)?.ok_or_else(|| {
            Error::relayed(
                ErrorKind::Io,
                "the sesame agent closed the connection (it locked itself, or was stopped): try again",
            )
        })?;
        if !response.notices.is_empty() {
            self.notices
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(response.notices);
        }
        match response.reply {
            Reply::Error { kind, message } => Err(Error::relayed(kind, &message)),
            other => Ok(other),
        }
    }
}

fn unexpected(r: &Reply) -> Error {
    let what = format!("{r:?}");
    let what: String = what.split(['(', ' ', '{']).next().unwrap_or("").to_string();
    Error::Other(format!(
        "the sesame agent answered with an unexpected '{what}': run 'sesame agent stop' and try again"
    ))
}

impl Secrets for AgentClient {
    fn holder(&self) -> Holder {
        Holder::Agent { pid: self.pid }
    }
    fn list(&self) -> Result<Listing> {
        match self.call(Request::List)? {
            Reply::Listing(l) => Ok(std::sync::Arc::try_unwrap(l).unwrap_or_else(|l| (*l).clone())),
            other => Err(unexpected(&other)),
        }
    }
    fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope> {
        match self.call(Request::Resolve {
            name: name.clone(),
            scope,
        })? {
            Reply::Scope(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }
    fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        meta(self.call(Request::Meta {
            name: name.clone(),
            scope,
        })?)
    }
    fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret> {
        match self.call(Request::Get {
            name: name.clone(),
            scope,
        })? {
            Reply::Secret(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }
    fn history(&self, name: &SecretName, scope: Option<Scope>) -> Result<(Secret, Vec<Version>)> {
        match self.call(Request::History {
            name: name.clone(),
            scope,
        })? {
            Reply::History(s, v) => Ok((s, v)),
            other => Err(unexpected(&other)),
        }
    }
    fn create(
        &self,
        name: SecretName,
        scope: Scope,
        schema: &str,
        values: Values,
    ) -> Result<SecretMeta> {
        meta(self.call(Request::Create {
            name,
            scope,
            schema: schema.to_string(),
            values,
            policy: self.policy.clone(),
        })?)
    }
    fn update(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        meta(self.call(Request::Update {
            name: name.clone(),
            scope,
            change,
            expected,
            policy: self.policy.clone(),
        })?)
    }
    fn restore(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        meta(self.call(Request::Restore {
            name: name.clone(),
            scope,
            version,
            expected,
            policy: self.policy.clone(),
        })?)
    }
    fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        meta(self.call(Request::Rename {
            name: name.clone(),
            scope,
            new_name,
            expected,
        })?)
    }
    fn delete(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
    ) -> Result<Deleted> {
        match self.call(Request::Delete {
            name: name.clone(),
            scope,
            expected,
            purge,
            policy: self.policy.clone(),
        })? {
            Reply::Deleted(d) => Ok(d),
            other => Err(unexpected(&other)),
        }
    }
    fn trash_list(&self) -> Result<Vec<TrashEntry>> {
        match self.call(Request::TrashList)? {
            Reply::Trash(t) => Ok(t),
            other => Err(unexpected(&other)),
        }
    }
    fn trash_restore(&self, id: &TrashId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        meta(self.call(Request::TrashRestore {
            id: id.clone(),
            new_name,
        })?)
    }
    fn trash_purge(&self, id: Option<&TrashId>) -> Result<usize> {
        match self.call(Request::TrashPurge { id: id.cloned() })? {
            Reply::Purged(n) => Ok(n),
            other => Err(unexpected(&other)),
        }
    }
    fn import(
        &self,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        match self.call(Request::Import {
            items,
            overwrite,
            dry_run,
            policy: self.policy.clone(),
        })? {
            Reply::Import(r) => Ok(r),
            other => Err(unexpected(&other)),
        }
    }
    fn export(&self, scope: Option<Scope>) -> Result<Vec<Secret>> {
        match self.call(Request::Export { scope })? {
            Reply::Export(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }
    fn generation(&self) -> Result<u64> {
        match self.call(Request::Generation)? {
            Reply::Generation(g) => Ok(g),
            other => Err(unexpected(&other)),
        }
    }
    fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }
    fn lock(&self) -> Result<()> {
        self.lock_agent()
    }
    fn sync_view(&self, backend: &str) -> Result<SyncView> {
        match self.call(Request::SyncView {
            backend: backend.to_string(),
        })? {
            Reply::SyncView(v) => Ok(v),
            other => Err(unexpected(&other)),
        }
    }
    fn sync_records(&self, backend: &str, items: Vec<(RemoteId, Agreed)>) -> Result<()> {
        self.done(Request::SyncRecords {
            backend: backend.to_string(),
            items,
        })
    }
    fn sync_forget(&self, backend: &str) -> Result<usize> {
        match self.call(Request::SyncForget {
            backend: backend.to_string(),
        })? {
            Reply::Purged(n) => Ok(n),
            other => Err(unexpected(&other)),
        }
    }
    fn sync_base(&self, backend: &str, id: &RemoteId) -> Result<Option<Version>> {
        match self.call(Request::SyncBase {
            backend: backend.to_string(),
            id: id.clone(),
        })? {
            Reply::Base(v) => Ok(v),
            other => Err(unexpected(&other)),
        }
    }
}

fn meta(r: Reply) -> Result<SecretMeta> {
    match r {
        Reply::Meta(m) => Ok(m),
        other => Err(unexpected(&other)),
    }
}

/// The socket path of `vault_dir`'s agent, for messages.
pub fn socket_for(vault_dir: &Path) -> Option<PathBuf> {
    super::socket_path(vault_dir).ok()
}

/// Asks the agent of `vault_dir`, if one runs, to lock (wipe its keys and exit), and waits
/// for it to go. Returns whether one was running.
pub fn stop(vault_dir: &Path) -> Result<bool> {
    let Found::Agent(c) = AgentClient::connect(vault_dir, PolicySpec::default())? else {
        return Ok(false);
    };
    let socket = super::socket_path(vault_dir)?;
    // The agent answers, then exits; a closed connection means the same.
    let _ = c.lock_agent();
    let start = Instant::now();
    while socket.exists() && start.elapsed() < START_WAIT {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(true)
}
