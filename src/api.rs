//! One vault API for every face: the CLI, the TUI, references, sync and the agent all reach
//! the vault through [`Secrets`]. Two implementations: [`Local`], a vault opened in this
//! process, and the agent client (`agent::client`), which asks the agent that holds it.
//!
//! Mutations take the version the caller last saw (`expected`) and refuse with a conflict
//! (exit 6) when it moved: a compare-and-set, so no writer silently overwrites another.
//! Writes are serialized inside the vault, whichever process or thread makes them.

use crate::backend::RemoteId;
use crate::error::Result;
use crate::secret::{Scope, Secret, SecretMeta, SecretName, Values, Version};
pub use crate::vault::Policy;
use crate::vault::{
    Agreed, Change, Deleted, ImportItem, ImportReport, Listing, SyncView, TrashEntry, TrashId,
    Vault,
};

/// Where the vault is held, for messages and `agent status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// This process opened the vault itself.
    ThisProcess,
    /// The agent with this pid holds it.
    Agent { pid: u32 },
}

pub trait Secrets: Send + Sync {
    fn holder(&self) -> Holder;
    /// Every secret's metadata (no values), with what did not check out.
    fn list(&self) -> Result<Listing>;
    /// The scope `name` resolves to (user first, then workspace, unless `scope` is given).
    fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope>;
    fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta>;
    fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret>;
    /// The current secret and its earlier versions, newest first.
    fn history(&self, name: &SecretName, scope: Option<Scope>) -> Result<(Secret, Vec<Version>)>;
    fn create(
        &self,
        name: SecretName,
        scope: Scope,
        schema: &str,
        values: Values,
    ) -> Result<SecretMeta>;
    fn update(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
    ) -> Result<SecretMeta>;
    fn restore(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
    ) -> Result<SecretMeta>;
    fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    ) -> Result<SecretMeta>;
    /// Moves a secret into the trash (or, with `purge`, removes it for good).
    fn delete(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
    ) -> Result<Deleted>;
    /// The trashed secrets, oldest deletion first.
    fn trash_list(&self) -> Result<Vec<TrashEntry>>;
    /// Brings one back (under `new_name` if given); a conflict if its name is taken again.
    fn trash_restore(&self, id: &TrashId, new_name: Option<SecretName>) -> Result<SecretMeta>;
    /// Purges one, or all (`None`); returns how many.
    fn trash_purge(&self, id: Option<&TrashId>) -> Result<usize>;
    fn import(
        &self,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport>;
    fn export(&self, scope: Option<Scope>) -> Result<Vec<Secret>>;
    /// Grows with every write to the vault, from any process: a face that shows the vault
    /// polls it to know when to reload.
    fn generation(&self) -> Result<u64>;
    /// What the vault had to tell since the last call (drained).
    fn take_notices(&self) -> Vec<String>;
    /// Every live secret with its content hash, and the bases remembered for `backend`.
    fn sync_view(&self, backend: &str) -> Result<SyncView>;
    /// Remembers what `backend` and the vault agree on for each id (`None`: forget it), in
    /// one write.
    fn sync_records(&self, backend: &str, items: Vec<(RemoteId, Agreed)>) -> Result<()>;
    /// Forgets all that is remembered for `backend`; returns how much.
    fn sync_forget(&self, backend: &str) -> Result<usize>;
    /// The values agreed on at the last sync of `id`, if the vault still has them.
    fn sync_base(&self, backend: &str, id: &RemoteId) -> Result<Option<Version>>;
    /// Puts every value out of reach: the agent wipes its keys and exits; a vault opened
    /// here writes a snapshot of what changed (the caller then drops it, which wipes its
    /// keys). Nothing can be read through this handle afterwards.
    fn lock(&self) -> Result<()>;
}

/// The vault opened in this process.
pub struct Local {
    vault: Vault,
    policy: Policy,
}

impl Local {
    pub fn new(vault: Vault, policy: Policy) -> Local {
        Local { vault, policy }
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn vault_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }

    pub fn into_vault(self) -> Vault {
        self.vault
    }
}

impl Secrets for Local {
    fn holder(&self) -> Holder {
        Holder::ThisProcess
    }
    fn list(&self) -> Result<Listing> {
        self.vault.list()
    }
    fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope> {
        self.vault.resolve(name, scope)
    }
    fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        self.vault.meta(name, scope)
    }
    fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret> {
        self.vault.get(name, scope)
    }
    fn history(&self, name: &SecretName, scope: Option<Scope>) -> Result<(Secret, Vec<Version>)> {
        self.vault.history(name, scope)
    }
    fn create(
        &self,
        name: SecretName,
        scope: Scope,
        schema: &str,
        values: Values,
    ) -> Result<SecretMeta> {
        self.vault.create(&self.policy, name, scope, schema, values)
    }
    fn update(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        self.vault
            .update(&self.policy, name, scope, change, expected)
    }
    fn restore(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        self.vault
            .restore(&self.policy, name, scope, version, expected)
    }
    fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        self.vault.rename(name, scope, new_name, expected)
    }
    fn delete(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
    ) -> Result<Deleted> {
        self.vault
            .delete(&self.policy, name, scope, expected, purge)
    }
    fn trash_list(&self) -> Result<Vec<TrashEntry>> {
        self.vault.trash_list()
    }
    fn trash_restore(&self, id: &TrashId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        self.vault.trash_restore(id, new_name)
    }
    fn trash_purge(&self, id: Option<&TrashId>) -> Result<usize> {
        self.vault.trash_purge(id)
    }
    fn import(
        &self,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        self.vault.import(&self.policy, items, overwrite, dry_run)
    }
    fn export(&self, scope: Option<Scope>) -> Result<Vec<Secret>> {
        self.vault.export(scope)
    }
    fn generation(&self) -> Result<u64> {
        Ok(self.vault.generation())
    }
    fn take_notices(&self) -> Vec<String> {
        self.vault.take_notices()
    }
    fn lock(&self) -> Result<()> {
        self.vault.snapshot_if_due(true).map(|_| ())
    }
    fn sync_view(&self, backend: &str) -> Result<SyncView> {
        self.vault.sync_view(backend)
    }
    fn sync_records(&self, backend: &str, items: Vec<(RemoteId, Agreed)>) -> Result<()> {
        self.vault.sync_records(backend, items)
    }
    fn sync_forget(&self, backend: &str) -> Result<usize> {
        self.vault.sync_forget(backend)
    }
    fn sync_base(&self, backend: &str, id: &RemoteId) -> Result<Option<Version>> {
        self.vault.sync_base(backend, id)
    }
}

/// Whether a face may use the agent: not at all (`--no-agent`, `SESAME_NO_AGENT`), only one
/// already running (`agent.auto_start = false`), or one it starts when none runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentUse {
    Off,
    IfRunning,
    Start,
}

/// The way to the vault, as found before any passphrase is asked for.
pub enum Door {
    /// An unlocked agent: no passphrase needed.
    Open(Box<dyn Secrets>),
    /// A passphrase is needed; [`Lock::unlock`] may be retried after a wrong one.
    Locked(Box<Lock>),
}

/// What unlocking will do: unlock a running agent, start one and unlock it, or open the
/// vault in this process.
pub struct Lock {
    vault_dir: std::path::PathBuf,
    policy: Option<Policy>,
    spec: crate::agent::protocol::PolicySpec,
    agent: Option<crate::agent::client::AgentClient>,
    start: Option<std::time::Duration>,
}

/// Finds the way to the vault of `session`, without asking for anything.
pub fn door(session: &crate::session::Session, agent: AgentUse) -> Result<Door> {
    use crate::agent::client::{AgentClient, Found};
    session.require_vault()?;
    let spec = session.policy_spec();
    let idle = std::time::Duration::from_secs(session.config.agent.idle_lock_minutes * 60);
    let mut lock = Lock {
        vault_dir: session.vault_dir.clone(),
        policy: None,
        spec: spec.clone(),
        agent: None,
        start: None,
    };
    if agent == AgentUse::Off {
        lock.policy = Some(session.policy());
        return Ok(Door::Locked(Box::new(lock)));
    }
    match AgentClient::connect(&session.vault_dir, spec)? {
        Found::Agent(c) => {
            if c.was_unlocked() {
                return Ok(Door::Open(Box::new(c)));
            }
            lock.agent = Some(c);
        }
        Found::None if agent == AgentUse::Start => lock.start = Some(idle),
        Found::None => lock.policy = Some(session.policy()),
    }
    Ok(Door::Locked(Box::new(lock)))
}

impl Lock {
    /// Unlocks with `passphrase`. A wrong one leaves the lock usable for another try.
    pub fn unlock(&mut self, passphrase: &[u8]) -> Result<Box<dyn Secrets>> {
        use crate::agent::client::AgentClient;
        if let Some(idle) = self.start.take() {
            self.agent = Some(AgentClient::start(
                &self.vault_dir,
                idle,
                self.spec.clone(),
            )?);
        }
        if let Some(agent) = &self.agent {
            let text = std::str::from_utf8(passphrase).map_err(|_| {
                crate::error::Error::Passphrase("the passphrase is not valid UTF-8".into())
            })?;
            agent.unlock(text)?;
            let agent = self.agent.take().expect("present");
            return Ok(Box::new(agent));
        }
        let vault = Vault::unlock(&self.vault_dir, passphrase)?;
        let policy = self.policy.clone().unwrap_or_default();
        Ok(Box::new(Local::new(vault, policy)))
    }
}
