//! The backup store (DESIGN §6): a backend marked `backup = true` receives every write made
//! to the vault, through any face. The mirror lives here, in the vault API layer: a
//! [`Mirrored`] wraps the vault a command or the TUI opened (local or through the agent) and,
//! after each write the vault accepted, writes the same secret to the backup store.
//!
//! The local write is never rolled back or lost because of the backup: a failed backup write
//! becomes a warning and leaves a marker (`backup-pending` in the vault dir: an empty file,
//! no name in it). What is pending is what the sync state says differs between the vault and
//! the store; the next command that opens the vault pushes exactly that and removes the
//! marker. Reads are not mirrored and cost nothing extra, except a read of a damaged record,
//! which is served from the backup store with a warning.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::api::{Holder, Secrets};
use crate::backend::{Backend, BackendError, Expect, RemoteId};
use crate::config::{BackendConfig, Config};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::{Scope, Secret, SecretMeta, SecretName, Values, Version};
use crate::sync::apply::Outcome;
use crate::sync::plan::{self, Direction, Filter, State};
use crate::vault::{
    Agreed, Change, Deleted, ImportItem, ImportReport, Listing, SyncView, TrashEntry, TrashId,
};

/// The marker a failed backup write leaves in the vault dir.
pub const PENDING_FILE: &str = "backup-pending";

/// The backup store of a config, if one is marked: its name and settings.
pub fn configured(config: &Config) -> Option<(&str, &BackendConfig)> {
    config
        .backends
        .iter()
        .find(|(_, b)| b.backup)
        .map(|(n, b)| (n.as_str(), b))
}

/// Whether a backup write failed and waits for the next command.
pub fn pending(vault_dir: &Path) -> bool {
    vault_dir.join(PENDING_FILE).symlink_metadata().is_ok()
}

/// A vault whose every write is also written to the backup store.
pub struct Mirrored {
    inner: Box<dyn Secrets>,
    name: String,
    cfg: BackendConfig,
    marker: PathBuf,
    /// Opened on the first write (reads never pay for it); an error is kept as its message.
    backend: OnceLock<std::result::Result<Box<dyn Backend>, String>>,
    notices: Mutex<Vec<String>>,
    /// The store failed once in this process: later writes are left for the next command
    /// without trying (an import of thousands must not wait out a timeout for each).
    down: std::sync::atomic::AtomicBool,
}

impl Mirrored {
    pub fn new(inner: Box<dyn Secrets>, name: &str, cfg: &BackendConfig, vault_dir: &Path) -> Self {
        Mirrored {
            inner,
            name: name.to_string(),
            cfg: cfg.clone(),
            marker: vault_dir.join(PENDING_FILE),
            backend: OnceLock::new(),
            notices: Mutex::new(Vec::new()),
            down: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn inner(&self) -> &dyn Secrets {
        &*self.inner
    }

    /// The backup store, opened with its credentials resolved from the vault.
    pub fn backend(&self) -> Result<&dyn Backend> {
        match self.backend.get_or_init(|| {
            crate::sync::open(&self.name, &self.cfg, &*self.inner).map_err(|e| e.to_string())
        }) {
            Ok(b) => Ok(&**b),
            Err(why) => Err(Error::relayed(ErrorKind::Remote, why)),
        }
    }

    fn notice(&self, text: String) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(text);
    }

    /// Whether the store already failed in this process (then nothing more is tried).
    fn is_down(&self) -> bool {
        if !self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let _ = crate::vault::replace_file(&self.marker, b"");
        true
    }

    /// A backup write that failed: said, and left for the next command.
    fn failed(&self, what: &str, e: &Error) {
        let _ = crate::vault::replace_file(&self.marker, b"");
        if self.down.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return; // said once per process
        }
        self.notice(format!(
            "backup store '{}': {what} was not written there ({e}); it, and what this command writes after it, is kept here and will be written by the next command (sesame backend show {})",
            self.name, self.name
        ));
    }

    /// Writes the vault's current copy of a secret to the backup store; `false` when it is
    /// left for the next command.
    fn put(&self, scope: Scope, name: &SecretName) -> bool {
        if self.is_down() {
            return false;
        }
        let id = RemoteId::new(scope, name.clone());
        match self.try_put(&id) {
            Ok(()) => true,
            Err(e) => {
                self.failed(&format!("'{name}' ({scope})"), &e);
                false
            }
        }
    }

    fn try_put(&self, id: &RemoteId) -> Result<()> {
        let s = self.inner.get(&id.name, Some(id.scope))?;
        let version = self
            .backend()?
            .put(id, &s.meta.schema, &s.values, Expect::Any)?;
        self.inner.sync_records(
            &self.name,
            vec![(id.clone(), Some((version, s.meta.schema, s.values)))],
        )
    }

    /// Removes a secret from the backup store (it was deleted or renamed here).
    fn remove(&self, scope: Scope, name: &SecretName) -> bool {
        if self.is_down() {
            return false;
        }
        let id = RemoteId::new(scope, name.clone());
        let done = self
            .backend()
            .and_then(|b| match b.delete(&id, Expect::Any) {
                Ok(()) | Err(BackendError::NotFound { .. }) => self
                    .inner
                    .sync_records(&self.name, vec![(id.clone(), None)]),
                Err(e) => Err(e.into()),
            });
        if let Err(e) = done {
            self.failed(&format!("the deletion of '{name}' ({scope})"), &e);
            return false;
        }
        true
    }

    /// Runs a vault write, then mirrors it (`mirror` says whether the store took it). The
    /// marker is set *before* the vault write and cleared once the store has the result, so
    /// a process killed anywhere in between (kill -9 after the vault's commit, before the
    /// store's) still leaves the next command something to look for. A marker that was
    /// there before stays: an earlier write is still pending.
    fn write<T>(
        &self,
        write: impl FnOnce() -> Result<T>,
        mirror: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        let had = self.marker.symlink_metadata().is_ok();
        if !had {
            // Durable before the vault's write (a power cut must not keep the write and lose
            // the mark), and a rename: a symlink planted at the mark's path is replaced, not
            // followed.
            let _ = crate::vault::replace_file(&self.marker, b"");
        }
        let done = write();
        let stored = match &done {
            Ok(v) => mirror(v),
            Err(_) => true, // nothing was written here: nothing for the store
        };
        if stored && !had {
            let _ = std::fs::remove_file(&self.marker);
        }
        done
    }

    /// Writes what earlier commands could not (the marker says there is some): every secret
    /// that differs between the vault and the store, this side taken. Returns how many were
    /// written; the marker goes when nothing is left.
    pub fn drain(&self) -> Result<usize> {
        if self.marker.symlink_metadata().is_err() {
            return Ok(0);
        }
        let drained = self.try_drain();
        if drained.is_err() {
            // Still unreachable: this command's own writes are queued without trying.
            self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        drained
    }

    fn try_drain(&self) -> Result<usize> {
        let backend = self.backend()?;
        let filter = Filter {
            include_user_scope: true,
            names: Vec::new(),
        };
        let st = crate::sync::status(&*self.inner, backend, &self.name, &filter)?;
        let p = plan::plan(&st.rows, Direction::Push, true);
        let reports = crate::sync::apply::apply(
            &*self.inner,
            backend,
            &self.name,
            &p.actions,
            8,
            &|_, _, _| {},
        );
        let failed = reports
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Conflict(_)))
            .count();
        if failed > 0 {
            return Err(Error::relayed(
                ErrorKind::Remote,
                &format!("{failed} of {} failed again", reports.len()),
            ));
        }
        let _ = std::fs::remove_file(&self.marker);
        Ok(reports.len())
    }

    /// The secrets the store does not hold as the vault does (what a drain would write).
    pub fn pending_rows(&self) -> Result<Vec<plan::Row>> {
        let filter = Filter {
            include_user_scope: true,
            names: Vec::new(),
        };
        let st = crate::sync::status(&*self.inner, self.backend()?, &self.name, &filter)?;
        Ok(st
            .rows
            .into_iter()
            .filter(|r| {
                matches!(
                    r.state,
                    State::LocalOnly
                        | State::ChangedHere
                        | State::DeletedHere
                        | State::Conflict
                        | State::Unknown
                )
            })
            .collect())
    }
}

impl Secrets for Mirrored {
    fn holder(&self) -> Holder {
        self.inner.holder()
    }
    fn list(&self) -> Result<Listing> {
        self.inner.list()
    }
    fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope> {
        self.inner.resolve(name, scope)
    }
    fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        self.inner.meta(name, scope)
    }
    /// A record that cannot be read here (damaged) is read from the backup store instead.
    fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret> {
        let e = match self.inner.get(name, scope) {
            Ok(s) => return Ok(s),
            Err(e) if matches!(e.kind(), ErrorKind::CorruptRecord | ErrorKind::Tampered) => e,
            Err(e) => return Err(e),
        };
        let meta = match self.inner.meta(name, scope) {
            Ok(m) => m,
            Err(_) => return Err(e),
        };
        let id = RemoteId::new(meta.scope, meta.name.clone());
        match self.backend().ok().and_then(|b| b.get(&id).ok().flatten()) {
            Some(r) => {
                self.notice(format!(
                    "'{name}' ({}) could not be read here ({e}): served from the backup store '{}'; 'sesame recover' repairs the vault",
                    meta.scope, self.name
                ));
                Ok(Secret {
                    meta: SecretMeta {
                        keys: r.values.keys().cloned().collect(),
                        schema: r.schema.unwrap_or(meta.schema.clone()),
                        ..meta
                    },
                    values: r.values,
                })
            }
            None => Err(e),
        }
    }
    fn history(&self, name: &SecretName, scope: Option<Scope>) -> Result<(Secret, Vec<Version>)> {
        self.inner.history(name, scope)
    }
    fn create(
        &self,
        name: SecretName,
        scope: Scope,
        schema: &str,
        values: Values,
    ) -> Result<SecretMeta> {
        self.write(
            || self.inner.create(name, scope, schema, values),
            |meta| self.put(meta.scope, &meta.name),
        )
    }
    fn update(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        let before = self.inner.meta(name, scope).ok().map(|m| m.version);
        self.write(
            || self.inner.update(name, scope, change, expected),
            // An update that changed nothing wrote nothing.
            |meta| before == Some(meta.version) || self.put(meta.scope, &meta.name),
        )
    }
    fn restore(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        self.write(
            || self.inner.restore(name, scope, version, expected),
            |meta| self.put(meta.scope, &meta.name),
        )
    }
    fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
        expected: Option<u64>,
    ) -> Result<SecretMeta> {
        self.write(
            || self.inner.rename(name, scope, new_name, expected),
            |meta| self.put(meta.scope, &meta.name) & self.remove(meta.scope, name),
        )
    }
    fn delete(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        expected: Option<u64>,
        purge: bool,
    ) -> Result<Deleted> {
        let scope = self.inner.resolve(name, scope)?;
        self.write(
            || self.inner.delete(name, Some(scope), expected, purge),
            |_| self.remove(scope, name),
        )
    }
    fn trash_list(&self) -> Result<Vec<TrashEntry>> {
        self.inner.trash_list()
    }
    fn trash_restore(&self, id: &TrashId, new_name: Option<SecretName>) -> Result<SecretMeta> {
        self.write(
            || self.inner.trash_restore(id, new_name),
            |meta| self.put(meta.scope, &meta.name),
        )
    }
    fn trash_purge(&self, id: Option<&TrashId>) -> Result<usize> {
        self.inner.trash_purge(id)
    }
    fn import(
        &self,
        items: Vec<ImportItem>,
        overwrite: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        if dry_run {
            return self.inner.import(items, overwrite, dry_run);
        }
        self.write(
            || self.inner.import(items, overwrite, false),
            |report| {
                // Every one is tried (or queued once the store is down).
                report
                    .created
                    .iter()
                    .chain(&report.updated)
                    .fold(true, |all, (scope, name)| self.put(*scope, name) & all)
            },
        )
    }
    fn export(&self, scope: Option<Scope>) -> Result<Vec<Secret>> {
        self.inner.export(scope)
    }
    fn generation(&self) -> Result<u64> {
        self.inner.generation()
    }
    fn take_notices(&self) -> Vec<String> {
        let mut out = self.inner.take_notices();
        out.append(&mut self.notices.lock().unwrap_or_else(|p| p.into_inner()));
        out
    }
    fn sync_view(&self, backend: &str) -> Result<SyncView> {
        self.inner.sync_view(backend)
    }
    fn sync_records(&self, backend: &str, items: Vec<(RemoteId, Agreed)>) -> Result<()> {
        self.inner.sync_records(backend, items)
    }
    fn sync_forget(&self, backend: &str) -> Result<usize> {
        self.inner.sync_forget(backend)
    }
    fn sync_base(&self, backend: &str, id: &RemoteId) -> Result<Option<Version>> {
        self.inner.sync_base(backend, id)
    }
    fn lock(&self) -> Result<()> {
        self.inner.lock()
    }
}
