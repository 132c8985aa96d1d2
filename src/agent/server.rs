//! The agent process: binds the vault's socket (replacing a stale one left by a killed agent),
//! serves each connection on its own thread, and locks itself (wipes its keys and exits)
//! when told to or after the idle timeout. Every write is durable before its reply is sent,
//! so an agent killed with -9 loses nothing it acknowledged.

use std::collections::HashMap;
use std::io::BufReader;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use super::protocol::{
    AgentStatus, PROTOCOL_VERSION, PolicySpec, Reply, Request, Response, recv, send,
};
use crate::api::Policy;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::Registry;
use crate::vault::Vault;

/// An agent never unlocked gives up after this long (a start whose unlock never came).
const UNUSED_EXIT: Duration = Duration::from_secs(60);

/// A client's schemas as loaded, and the newest mtime of their directory when they were.
type LoadedSchemas = (Registry, Option<SystemTime>);

struct Agent {
    vault_dir: PathBuf,
    socket: PathBuf,
    idle_lock: Duration,
    vault: RwLock<Option<Arc<Vault>>>,
    last_use: Mutex<Instant>,
    /// Schemas loaded per client schema directory, with the newest mtime they were read at.
    schemas: Mutex<HashMap<Option<PathBuf>, LoadedSchemas>>,
}

/// Runs the agent for `vault_dir` until it locks. Returns when another agent already serves
/// this vault (nothing to do).
pub fn serve(vault_dir: &Path, idle_lock: Duration) -> Result<()> {
    crate::hardening::no_dumps();
    crate::vault::set_holder_role(crate::vault::AGENT_ROLE);
    let socket = super::socket_path(vault_dir)?;
    let Some(listener) = bind(&socket)? else {
        return Ok(());
    };
    let agent = Arc::new(Agent {
        vault_dir: vault_dir.to_path_buf(),
        socket: socket.clone(),
        idle_lock,
        vault: RwLock::new(None),
        last_use: Mutex::new(Instant::now()),
        schemas: Mutex::new(HashMap::new()),
    });
    {
        let agent = agent.clone();
        std::thread::spawn(move || watchdog(&agent));
    }
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        // Only our own user may talk to the agent.
        if super::peer_uid(&stream).ok() != Some(super::euid()) {
            continue;
        }
        let agent = agent.clone();
        std::thread::spawn(move || {
            let _ = agent.serve_connection(stream);
        });
    }
    Ok(())
}

/// Binds the socket: a live agent already there means this one is not needed (`None`); a
/// socket nobody answers on is stale (its agent was killed) and is replaced.
fn bind(socket: &Path) -> Result<Option<UnixListener>> {
    crate::vault::restrict_umask();
    match UnixListener::bind(socket) {
        Ok(l) => Ok(Some(secure(socket, l)?)),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            if UnixStream::connect(socket).is_ok() {
                return Ok(None);
            }
            std::fs::remove_file(socket).map_err(|e| {
                Error::io(
                    format!("cannot remove the stale socket {}", socket.display()),
                    e,
                )
            })?;
            let l = UnixListener::bind(socket)
                .map_err(|e| Error::io(format!("cannot listen on {}", socket.display()), e))?;
            Ok(Some(secure(socket, l)?))
        }
        Err(e) => Err(Error::io(
            format!("cannot listen on {}", socket.display()),
            e,
        )),
    }
}

fn secure(socket: &Path, l: UnixListener) -> Result<UnixListener> {
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("cannot secure {}", socket.display()), e))?;
    Ok(l)
}

/// Locks the agent when it has been idle too long (or was never unlocked).
fn watchdog(agent: &Agent) {
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let idle = agent
            .last_use
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default();
        let unlocked = agent.vault.read().map(|v| v.is_some()).unwrap_or(false);
        if (unlocked && idle >= agent.idle_lock) || (!unlocked && idle >= UNUSED_EXIT) {
            agent.lock_and_exit();
        }
    }
}

impl Agent {
    fn serve_connection(&self, stream: UnixStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut writer = stream;
        while let Some(req) = recv::<Request>(&mut reader)? {
            let lock = matches!(req, Request::Lock);
            let response = self.handle(req);
            send(&mut writer, &response)?;
            if lock {
                self.lock_and_exit();
            }
        }
        Ok(())
    }

    fn handle(&self, req: Request) -> Response {
        if let Ok(mut t) = self.last_use.lock() {
            *t = Instant::now();
        }
        let vault = self.vault.read().ok().and_then(|v| v.clone());
        let reply = match self.reply(req, vault.as_deref()) {
            Ok(r) => r,
            Err(e) => Reply::Error {
                kind: e.kind(),
                message: e.to_string(),
            },
        };
        // Read again: an unlock has just put the vault in place.
        let notices = self
            .vault
            .read()
            .ok()
            .and_then(|v| v.as_ref().map(|v| v.take_notices()))
            .unwrap_or_default();
        Response { reply, notices }
    }

    fn reply(&self, req: Request, vault: Option<&Vault>) -> Result<Reply> {
        let need = || {
            vault.ok_or_else(|| {
                Error::relayed(
                    ErrorKind::Locked,
                    "the agent is locked: run 'sesame unlock', or any command that asks for the passphrase",
                )
            })
        };
        // A vault borrowed with a policy, for the operations that validate.
        let local = |spec: &PolicySpec| -> Result<LocalRef<'_>> {
            Ok(LocalRef {
                vault: need()?,
                policy: self.policy(spec),
            })
        };
        Ok(match req {
            Request::Hello { .. } => Reply::Hello {
                version: PROTOCOL_VERSION,
                pid: std::process::id(),
                unlocked: vault.is_some(),
            },
            Request::Status => Reply::Status(AgentStatus {
                pid: std::process::id(),
                vault: self.vault_dir.clone(),
                unlocked: vault.is_some(),
                idle_lock_in: self
                    .idle_lock
                    .saturating_sub(
                        self.last_use
                            .lock()
                            .map(|t| t.elapsed())
                            .unwrap_or_default(),
                    )
                    .as_secs(),
                generation: vault.map_or(0, Vault::generation),
            }),
            Request::Unlock { passphrase } => {
                if vault.is_none() {
                    // Its notices (a migration, permissions tightened) reach this client.
                    let v = Vault::unlock(&self.vault_dir, passphrase.expose().as_bytes())?;
                    *self.vault.write().map_err(|_| poisoned())? = Some(Arc::new(v));
                }
                Reply::Done
            }
            Request::Lock => Reply::Done,
            Request::List => Reply::Listing(need()?.list_shared()?),
            Request::Resolve { name, scope } => Reply::Scope(need()?.resolve(&name, scope)?),
            Request::Meta { name, scope } => Reply::Meta(need()?.meta(&name, scope)?),
            Request::Get { name, scope } => Reply::Secret(need()?.get(&name, scope)?),
            Request::History { name, scope } => {
                let (s, v) = need()?.history(&name, scope)?;
                Reply::History(s, v)
            }
            Request::Create {
                name,
                scope,
                schema,
                values,
                policy,
            } => {
                let l = local(&policy)?;
                Reply::Meta(l.vault.create(&l.policy, name, scope, &schema, values)?)
            }
            Request::Update {
                name,
                scope,
                change,
                expected,
                policy,
            } => {
                let l = local(&policy)?;
                Reply::Meta(l.vault.update(&l.policy, &name, scope, change, expected)?)
            }
            Request::Restore {
                name,
                scope,
                version,
                expected,
                policy,
            } => {
                let l = local(&policy)?;
                Reply::Meta(
                    l.vault
                        .restore(&l.policy, &name, scope, version, expected)?,
                )
            }
            Request::Rename {
                name,
                scope,
                new_name,
                expected,
            } => Reply::Meta(need()?.rename(&name, scope, new_name, expected)?),
            Request::Delete {
                name,
                scope,
                expected,
                purge,
                policy,
            } => {
                let l = local(&policy)?;
                Reply::Deleted(l.vault.delete(&l.policy, &name, scope, expected, purge)?)
            }
            Request::TrashList => Reply::Trash(need()?.trash_list()?),
            Request::TrashRestore { id, new_name } => {
                Reply::Meta(need()?.trash_restore(&id, new_name)?)
            }
            Request::TrashPurge { id } => Reply::Purged(need()?.trash_purge(id.as_ref())?),
            Request::SyncView { backend } => Reply::SyncView(need()?.sync_view(&backend)?),
            Request::SyncRecords { backend, items } => {
                need()?.sync_records(&backend, items)?;
                Reply::Done
            }
            Request::SyncForget { backend } => Reply::Purged(need()?.sync_forget(&backend)?),
            Request::SyncBase { backend, id } => Reply::Base(need()?.sync_base(&backend, &id)?),
            Request::Import {
                items,
                overwrite,
                dry_run,
                policy,
            } => {
                let l = local(&policy)?;
                Reply::Import(l.vault.import(&l.policy, items, overwrite, dry_run)?)
            }
            Request::Export { scope } => Reply::Export(need()?.export(scope)?),
            Request::Generation => Reply::Generation(need()?.generation()),
        })
    }

    /// The client's policy: its schemas (loaded here from its schema directory, reloaded
    /// when a file there changes) and its history limit.
    fn policy(&self, spec: &PolicySpec) -> Policy {
        let stamp = spec.schema_dir.as_deref().and_then(newest_mtime);
        let mut cache = self.schemas.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = cache
            .get(&spec.schema_dir)
            .is_some_and(|(_, s)| *s == stamp);
        if !fresh {
            let (registry, _) = Registry::load(spec.schema_dir.as_deref());
            cache.insert(spec.schema_dir.clone(), (registry, stamp));
        }
        Policy {
            schemas: cache[&spec.schema_dir].0.clone(),
            schema_dir: spec.schema_dir.clone(),
            history: spec.history,
            trash_days: spec.trash_days,
        }
    }

    /// Wipes the keys (the vault's `Drop` zeroizes them, after a snapshot of what changed),
    /// removes the socket, and exits.
    fn lock_and_exit(&self) -> ! {
        let _ = std::fs::remove_file(&self.socket);
        if let Some(v) = self.vault.write().ok().and_then(|mut v| v.take()) {
            let _ = v.snapshot_if_due(true);
            drop(v);
        }
        std::process::exit(0)
    }
}

struct LocalRef<'a> {
    vault: &'a Vault,
    policy: Policy,
}

fn poisoned() -> Error {
    Error::Other("the agent's state is unusable after an internal error: run 'sesame lock'".into())
}

/// The newest modification time of a directory and the files in it (a schema added, edited
/// or removed changes it).
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let own = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .chain(own)
        .max()
}
