//! The HTTP side of the vault flavor: requests carrying the token, AppRole login, error
//! mapping, metadata reads, LIST paging, and the KV version 2 wire types.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Auth, LIST_WORKERS, MAX_LISTED, VaultBackend};
use crate::backend::error::remote_text;
use crate::backend::http::{Method, Reply, percent_encode};
use crate::backend::remote::json;
use crate::backend::{BackendError, RemoteId, RemoteVersion};
use crate::secret::SecretValue;

impl VaultBackend {
    /// One request with the token (logging in first for AppRole). A 403 under AppRole may be
    /// an expired token: log in again once and retry.
    pub(super) fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Reply, BackendError> {
        let token = self.current_token()?;
        let reply = self.send(method, path, body, Some(&token))?;
        if reply.status == 403 && matches!(self.auth, Auth::AppRole { .. }) {
            let fresh = self.app_role_login(Some(&token))?;
            return self.send(method, path, body, Some(&fresh));
        }
        Ok(reply)
    }

    pub(super) fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        token: Option<&SecretValue>,
    ) -> Result<Reply, BackendError> {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(t) = token {
            headers.push(("x-vault-token", t.expose()));
        }
        if let Some(ns) = &self.namespace {
            headers.push(("x-vault-namespace", ns));
        }
        let url = format!("{}{path}", self.base);
        self.http.send(method, &url, &headers, body)
    }

    pub(super) fn current_token(&self) -> Result<SecretValue, BackendError> {
        if let Some(t) = self
            .token
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return Ok(t.clone());
        }
        self.app_role_login(None)
    }

    /// Logs in with AppRole unless another thread already replaced `stale` meanwhile.
    pub(super) fn app_role_login(
        &self,
        stale: Option<&SecretValue>,
    ) -> Result<SecretValue, BackendError> {
        let Auth::AppRole { role_id, secret_id } = &self.auth else {
            unreachable!("only AppRole logs in");
        };
        let _one_at_a_time = self.login.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = self
            .token
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && Some(t) != stale
        {
            return Ok(t.clone());
        }
        #[derive(Serialize)]
        struct Login<'a> {
            role_id: &'a SecretValue,
            secret_id: &'a SecretValue,
        }
        let body = Zeroizing::new(
            serde_json::to_vec(&Login { role_id, secret_id }).expect("strings serialize"),
        );
        let reply = self.send(Method::Post, "auth/approle/login", Some(&body), None)?;
        if reply.status != 200 {
            let e = self.failure(&reply, "the role_id and secret_id options");
            // A wrong role or secret id is a 400, but it is a refusal all the same.
            return Err(match e {
                BackendError::Protocol { detail, .. } if reply.status == 400 => {
                    BackendError::Refused {
                        backend: self.label(),
                        detail,
                        check: "the role_id and secret_id options",
                    }
                }
                e => e,
            });
        }
        #[derive(Deserialize)]
        struct LoginReply {
            auth: LoginAuth,
        }
        #[derive(Deserialize)]
        struct LoginAuth {
            client_token: SecretValue,
        }
        let token = json::<LoginReply>(&reply.body)
            .map_err(|detail| self.protocol(format!("AppRole login answer: {detail}")))?
            .auth
            .client_token;
        *self.token.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// The error for a status sesame did not expect. Vault's error bodies are
    /// `{"errors": [...]}` messages about the request, never its values; cut and escaped.
    pub(super) fn failure(&self, reply: &Reply, check: &'static str) -> BackendError {
        #[derive(Deserialize)]
        struct Errors {
            errors: Vec<String>,
        }
        let said = json::<Errors>(&reply.body)
            .map(|e| remote_text(&e.errors.join("; "), 160))
            .unwrap_or_default();
        let detail = if said.is_empty() {
            format!("HTTP {}", reply.status)
        } else {
            format!("HTTP {}: {said}", reply.status)
        };
        match reply.status {
            401 | 403 => BackendError::Refused {
                backend: self.label(),
                detail,
                check,
            },
            500..=599 => BackendError::Unreachable {
                backend: self.label(),
                detail,
            },
            _ => self.protocol(detail),
        }
    }

    pub(super) fn protocol(&self, detail: String) -> BackendError {
        BackendError::Protocol {
            backend: self.label(),
            detail,
        }
    }

    pub(super) fn malformed(&self, id: &RemoteId, detail: String) -> BackendError {
        BackendError::malformed(self.label(), id, detail)
    }

    pub(super) const CHECK: &'static str =
        "the token (or role_id/secret_id) option and that its policy allows the mount and prefix";

    /// The secret's metadata, or None when there is none.
    pub(super) fn metadata(&self, id: &RemoteId) -> Result<Option<Metadata>, BackendError> {
        let reply = self.call(Method::Get, &self.path("metadata", id), None)?;
        match reply.status {
            200 => json::<DataOf<Metadata>>(&reply.body)
                .map(|d| Some(d.data))
                .map_err(|e| self.malformed(id, format!("its metadata is {e}"))),
            404 => Ok(None),
            _ => Err(self.failure(&reply, Self::CHECK)),
        }
    }

    /// All keys of one LIST folder, page by page. OpenBao pages with `limit`/`after`;
    /// HashiCorp Vault ignores both and returns everything, which ends the loop too.
    pub(super) fn list_folder(&self, folder: &str) -> Result<Vec<String>, BackendError> {
        let mut keys: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!(
                "{}/metadata/{folder}?list=true&limit={}",
                self.mount, self.page
            );
            if let Some(a) = &after {
                path.push_str("&after=");
                path.push_str(&percent_encode(a));
            }
            let reply = self.call(Method::Get, &path, None)?;
            match reply.status {
                200 => {}
                404 => return Ok(keys),
                _ => return Err(self.failure(&reply, Self::CHECK)),
            }
            let page = json::<DataOf<Keys>>(&reply.body)
                .map_err(|e| self.protocol(format!("a LIST answer that is {e}")))?
                .data
                .keys;
            let n = page.len();
            let fresh: Vec<String> = page
                .into_iter()
                .filter(|k| after.as_ref().is_none_or(|a| k > a))
                .collect();
            let ignores_after = fresh.len() < n;
            keys.extend(fresh);
            if keys.len() > MAX_LISTED {
                return Err(self.protocol(format!("more than {MAX_LISTED} keys in one LIST")));
            }
            if n != self.page || ignores_after {
                return Ok(keys);
            }
            after = keys.last().cloned();
        }
    }

    /// Current live version of each id, fetched by `LIST_WORKERS` threads at once.
    pub(super) fn versions(
        &self,
        ids: Vec<RemoteId>,
    ) -> Result<Vec<(RemoteId, Probe)>, BackendError> {
        let next = AtomicUsize::new(0);
        let results = Mutex::new(Vec::with_capacity(ids.len()));
        let first_error: Mutex<Option<BackendError>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..LIST_WORKERS.min(ids.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(id) = ids.get(i) else { return };
                        let outcome = match self.metadata(id) {
                            Ok(meta) => Ok(meta.and_then(|m| m.live_version())),
                            Err(BackendError::Malformed { detail, .. }) => Err(detail),
                            Err(e) => {
                                first_error.lock().unwrap().get_or_insert(e);
                                next.store(usize::MAX / 2, Ordering::Relaxed);
                                return;
                            }
                        };
                        results.lock().unwrap().push((id.clone(), outcome));
                    }
                });
            }
        });
        if let Some(e) = first_error.into_inner().unwrap() {
            return Err(e);
        }
        Ok(results.into_inner().unwrap())
    }
}

/// What the metadata of one listed key said: its live version (None: every version is
/// deleted), or why it cannot be used.
pub(super) type Probe = Result<Option<RemoteVersion>, String>;

#[derive(Deserialize)]
pub(super) struct DataOf<T> {
    pub data: T,
}

#[derive(Deserialize)]
pub(super) struct Keys {
    keys: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct Metadata {
    pub current_version: u64,
    #[serde(default)]
    versions: BTreeMap<String, VersionState>,
}

#[derive(Deserialize)]
pub(super) struct VersionState {
    #[serde(default)]
    created_time: String,
    #[serde(default)]
    deletion_time: String,
    #[serde(default)]
    destroyed: bool,
}

impl VersionState {
    /// A version is gone once destroyed or past its deletion time (`delete_version_after`
    /// sets a deletion time in the future on live versions).
    pub(super) fn is_deleted(&self) -> bool {
        if self.destroyed {
            return true;
        }
        if self.deletion_time.is_empty() {
            return false;
        }
        match humantime::parse_rfc3339_weak(self.deletion_time.trim_end_matches('Z')) {
            Ok(t) => t <= std::time::SystemTime::now(),
            Err(_) => true,
        }
    }
}

impl Metadata {
    /// The current version's token, or None when there is none or it is deleted.
    pub(super) fn live_version(&self) -> Option<RemoteVersion> {
        let n = self.current_version;
        let state = self.versions.get(&n.to_string())?;
        (n > 0 && !state.is_deleted()).then(|| version(n, &state.created_time))
    }
}

/// The version token: KV's number and that version's creation time (module doc).
pub(super) fn version(n: u64, created_time: &str) -> RemoteVersion {
    RemoteVersion(format!("{n}@{created_time}"))
}

/// The KV number of a token sesame made; None for anything else.
pub(super) fn number_of(v: &RemoteVersion) -> Option<u64> {
    v.0.split_once('@')?.0.parse().ok()
}
