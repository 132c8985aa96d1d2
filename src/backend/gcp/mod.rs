//! GCP Secret Manager over its REST API (v1): a secret is the Secret Manager secret
//! `<prefix>-<scope>-<name>` (`names.rs`), each write adds a version whose payload is a JSON
//! object of the values, and the schema is the label `sesame-schema`.
//!
//! Version = `<n>@<createTime>`: the number of the latest version and the secret's creation
//! time, because numbers restart at 1 when a secret is deleted and created again. A secret
//! with no version, or whose latest version is disabled or destroyed, reads as absent, and a
//! create over it adds a version.
//!
//! Compare-and-set: creating is exact (the create fails with ALREADY_EXISTS). Adding a
//! version has no precondition in the API, so an update reads the latest version and adds
//! one right after: a version added by someone else in those milliseconds stays in the
//! history but is no longer the latest. Deletes and label changes send the etag read with
//! that check, which Secret Manager enforces (drongo ignores it: README, emulator gaps).

mod api;
mod auth;
mod names;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::cas::{may_delete, precondition};
use super::fanout;
use super::http::{Http, Method, percent_encode};
use super::options::{Options, TIMEOUT};
use super::remote::{self, foreign, json, values_from_json, writable};
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::secret::{SecretValue, Values};
use api::{SecretResource, VersionResource, last_segment};
use auth::{Auth, ServiceAccount};

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "project",
        required: false,
        credential: false,
        help: "project id (default: the service account's project_id)",
    },
    OptionSpec {
        name: "token",
        required: false,
        credential: true,
        help: "an OAuth access token (gcloud auth print-access-token); or give service_account",
    },
    OptionSpec {
        name: "service_account",
        required: false,
        credential: true,
        help: "a service-account key file's JSON (its key signs a JWT for each token)",
    },
    OptionSpec {
        name: "prefix",
        required: false,
        credential: false,
        help: "secret id prefix: letters, digits and '_' (secrets are <prefix>-<scope>-<name>)",
    },
    OptionSpec {
        name: "endpoint",
        required: false,
        credential: false,
        help: "API URL, for emulators (default https://secretmanager.googleapis.com)",
    },
    OptionSpec {
        name: "list_page_size",
        required: false,
        credential: false,
        help: "secrets per list request, 1 to 25000 (default 250)",
    },
    TIMEOUT,
];

const DEFAULT_ENDPOINT: &str = "https://secretmanager.googleapis.com";
/// Secret Manager's limit on one version's payload.
const MAX_PAYLOAD: usize = 65_536;

pub struct GcpBackend {
    http: Http,
    /// `<endpoint>/v1/projects/<project>`
    base: String,
    project: String,
    prefix: String,
    page: u64,
    auth: Auth,
}

/// Hand-written: the credential shows as its kind (and the account's e-mail) only.
impl std::fmt::Debug for GcpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpBackend")
            .field("base", &self.base)
            .field("prefix", &self.prefix)
            .field("auth", &self.auth.describe())
            .finish_non_exhaustive()
    }
}

/// What a secret holds right now, as one check sees it.
struct Current {
    secret: SecretResource,
    /// `None`: no live version (none at all, or the latest is disabled or destroyed).
    version: Option<RemoteVersion>,
}

fn version_token(n: &str, create_time: &str) -> RemoteVersion {
    RemoteVersion(format!("{n}@{create_time}"))
}

/// The gcp `prefix` option: `[A-Za-z0-9_]*`, one trailing `-` allowed and dropped.
fn prefix_of(o: &Options) -> Result<String, BackendError> {
    let raw = o.text("prefix").unwrap_or("").trim();
    let p = raw.strip_suffix('-').unwrap_or(raw);
    if p.len() > 100 || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(o.error(format!(
            "prefix '{}' must be at most 100 letters, digits and '_' (Secret Manager ids allow no '/' or '.', and '-' separates the prefix from the scope)",
            crate::error::shown(raw)
        )));
    }
    Ok(p.to_string())
}

impl GcpBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<GcpBackend, BackendError> {
        let o = Options::check("gcp", OPTIONS, options)?;
        let auth = match (o.secret("token"), o.secret("service_account")) {
            (Some(t), None) => Auth::Token(t),
            (None, Some(sa)) => Auth::ServiceAccount(Box::new(
                ServiceAccount::parse(sa.expose()).map_err(|e| o.error(e))?,
            )),
            (Some(_), Some(_)) => return Err(o.error("give token or service_account, not both")),
            (None, None) => {
                return Err(o.error(
                    "give token={{secret.key}} or service_account={{secret.key}} (a key file's JSON)",
                ));
            }
        };
        let project = match (o.text("project").map(str::trim), &auth) {
            (Some(p), _) if !p.is_empty() => p.to_string(),
            (_, Auth::ServiceAccount(sa)) if sa.project_id.is_some() => {
                sa.project_id.clone().unwrap_or_default()
            }
            _ => return Err(o.error("option 'project' is required (the project id)")),
        };
        if !project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
        {
            return Err(o.error("project must be a project id such as my-project-123"));
        }
        let endpoint = o
            .text("endpoint")
            .map(|e| e.trim().trim_end_matches('/').to_string())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.into());
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
            || endpoint["https://".len() - 1..].contains(['?', '#', '@'])
        {
            return Err(o.error("endpoint must be an http(s):// URL with no query"));
        }
        Ok(GcpBackend {
            http: Http::new(
                format!("gcp secretmanager at {endpoint} (project {project})"),
                o.timeout()?,
                None,
                "gcp",
            )?,
            base: format!("{endpoint}/v1/projects/{project}"),
            project,
            prefix: prefix_of(&o)?,
            page: o.number("list_page_size", 1..=25_000)?.unwrap_or(250),
            auth,
        })
    }

    fn label(&self) -> String {
        self.http.label.clone()
    }

    fn url(&self, id: &RemoteId, tail: &str) -> String {
        format!(
            "{}/secrets/{}{tail}",
            self.base,
            names::secret_id(&self.prefix, id)
        )
    }

    fn malformed(&self, id: &RemoteId, detail: String) -> BackendError {
        BackendError::malformed(self.label(), id, detail)
    }

    fn conflict(&self, id: &RemoteId, detail: &str) -> BackendError {
        BackendError::conflict(self.label(), id, detail)
    }

    /// The latest version's number, or None when there is no live one.
    fn latest(&self, secret_url: &str) -> Result<Option<String>, BackendError> {
        match self.call(Method::Get, &format!("{secret_url}/versions/latest"), None)? {
            Ok(reply) => {
                let v: VersionResource = self.answer(&reply, "versions.get")?;
                Ok((v.state.is_empty() || v.state == "ENABLED")
                    .then(|| last_segment(&v.name).to_string()))
            }
            Err(f) if f.code == 404 => Ok(None),
            Err(f) => Err(self.fault(f)),
        }
    }

    /// The secret and its live version; None when the secret does not exist.
    fn current(&self, id: &RemoteId) -> Result<Option<Current>, BackendError> {
        let url = self.url(id, "");
        let secret: SecretResource = match self.call(Method::Get, &url, None)? {
            Ok(reply) => self.answer(&reply, "secrets.get")?,
            Err(f) if f.code == 404 => return Ok(None),
            Err(f) => return Err(self.fault(f)),
        };
        let version = self
            .latest(&url)?
            .map(|n| version_token(&n, &secret.create_time));
        Ok(Some(Current { secret, version }))
    }

    /// The payload for `values`, within Secret Manager's size limit.
    fn payload(&self, id: &RemoteId, values: &Values) -> Result<Zeroizing<Vec<u8>>, BackendError> {
        let json = Zeroizing::new(serde_json::to_string(values).expect("strings serialize"));
        if json.len() > MAX_PAYLOAD {
            return Err(BackendError::Unsupported {
                backend: self.label(),
                id: id.clone(),
                detail: format!(
                    "its JSON is {} bytes; a Secret Manager version holds at most {MAX_PAYLOAD}",
                    json.len()
                ),
            });
        }
        let body = serde_json::json!({ "payload": { "data": STANDARD.encode(json.as_bytes()) } });
        Ok(Zeroizing::new(
            serde_json::to_vec(&body).expect("serializes"),
        ))
    }

    fn schema_label(&self, id: &RemoteId, schema: &str) -> Result<String, BackendError> {
        names::label_value(schema).ok_or_else(|| BackendError::Unsupported {
            backend: self.label(),
            id: id.clone(),
            detail: format!(
                "its schema name '{schema}' does not fit in a Secret Manager label (63 characters once upper case and '-' are escaped)"
            ),
        })
    }

    /// `secrets.create` with the schema label. `Ok(false)`: it exists already.
    fn create_secret(&self, id: &RemoteId, label: &str) -> Result<bool, BackendError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "replication": { "automatic": {} },
            "labels": { names::SCHEMA_LABEL: label },
        }))
        .expect("serializes");
        let url = format!(
            "{}/secrets?secretId={}",
            self.base,
            percent_encode(&names::secret_id(&self.prefix, id))
        );
        match self.call(Method::Post, &url, Some(&body))? {
            Ok(_) => Ok(true),
            Err(f) if f.code == 409 => Ok(false),
            Err(f) => Err(self.fault(f)),
        }
    }

    /// `secrets.addVersion`; returns the new version's number.
    fn add_version(&self, id: &RemoteId, payload: &[u8]) -> Result<String, BackendError> {
        match self.call(Method::Post, &self.url(id, ":addVersion"), Some(payload))? {
            Ok(reply) => {
                let v: VersionResource = self.answer(&reply, "addVersion")?;
                Ok(last_segment(&v.name).to_string())
            }
            Err(f) if f.code == 404 => Err(self.conflict(id, "was deleted during the write")),
            Err(f) => Err(self.fault(f)),
        }
    }

    /// Sets the schema label (keeping other tools' labels) under the etag last read.
    fn set_label(
        &self,
        id: &RemoteId,
        secret: &SecretResource,
        label: &str,
    ) -> Result<(), BackendError> {
        let body = serde_json::to_vec(&patch_body(secret, label)).expect("serializes");
        match self.call(
            Method::Patch,
            &self.url(id, "?updateMask=labels"),
            Some(&body),
        )? {
            Ok(_) => Ok(()),
            Err(f) if matches!(f.code, 404 | 409 | 412) || f.status == "ABORTED" => Err(self
                .conflict(
                    id,
                    "changed while its schema label was written (the values were written)",
                )),
            Err(f) => Err(self.fault(f)),
        }
    }
}

/// The body of a labels-only `secrets.patch`: every label the secret has, ours replaced,
/// and the etag it was read with (Secret Manager refuses the change if it moved).
fn patch_body(secret: &SecretResource, label: &str) -> serde_json::Value {
    let mut labels = secret.labels.clone();
    labels.insert(names::SCHEMA_LABEL.into(), label.into());
    let mut body = serde_json::json!({ "labels": labels });
    if let Some(etag) = &secret.etag {
        body["etag"] = etag.clone().into();
    }
    body
}

/// The query of a `secrets.delete` under an etag.
fn delete_query(secret: &SecretResource) -> String {
    secret
        .etag
        .as_ref()
        .map(|e| format!("?etag={}", percent_encode(e)))
        .unwrap_or_default()
}

impl Backend for GcpBackend {
    fn flavor(&self) -> &'static str {
        "gcp"
    }

    fn test(&self) -> Result<String, BackendError> {
        let url = format!("{}/secrets?pageSize=1", self.base);
        self.call(Method::Get, &url, None)?
            .map_err(|f| self.fault(f))?;
        Ok(format!(
            "{} with {}: secrets listable in project {}",
            self.label(),
            self.auth.describe(),
            self.project
        ))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        let filter = if self.prefix.is_empty() {
            String::new()
        } else {
            format!(
                "&filter={}",
                percent_encode(&format!("name:{}", self.prefix))
            )
        };
        let secrets = api::all_pages(
            |token| {
                let mut url = format!("{}/secrets?pageSize={}{filter}", self.base, self.page);
                if let Some(t) = token {
                    url.push_str("&pageToken=");
                    url.push_str(&percent_encode(t));
                }
                let reply = self
                    .call(Method::Get, &url, None)?
                    .map_err(|f| self.fault(f))?;
                self.answer(&reply, "secrets.list")
            },
            |d| self.protocol(d),
        )?;
        let mut listing = Listing::default();
        let mut ours: Vec<(RemoteId, String)> = Vec::new();
        for s in &secrets {
            let raw = last_segment(&s.name);
            match names::parse(&self.prefix, raw) {
                None => {}
                Some(Ok(id)) => ours.push((id, s.create_time.clone())),
                Some(Err(why)) => listing.foreign.push(foreign(raw, why)),
            }
        }
        let versions = fanout::each(&ours, |(id, created)| {
            Ok(self
                .latest(&self.url(id, ""))?
                .map(|n| version_token(&n, created)))
        })?;
        for ((id, _), version) in ours.into_iter().zip(versions) {
            // No live version: absent (module doc).
            if let Some(version) = version {
                listing.entries.push(RemoteEntry { id, version });
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        let url = self.url(id, "");
        let secret: SecretResource = match self.call(Method::Get, &url, None)? {
            Ok(reply) => self.answer(&reply, "secrets.get")?,
            Err(f) if f.code == 404 => return Ok(None),
            Err(f) => return Err(self.fault(f)),
        };
        #[derive(Deserialize)]
        struct Accessed {
            name: String,
            payload: Payload,
        }
        #[derive(Deserialize)]
        struct Payload {
            #[serde(default)]
            data: SecretValue,
        }
        let accessed: Accessed =
            match self.call(Method::Get, &format!("{url}/versions/latest:access"), None)? {
                Ok(reply) => json(&reply.body)
                    .map_err(|e| self.malformed(id, format!("its payload answer is {e}")))?,
                // No version, or the latest is disabled or destroyed: absent.
                Err(f) if f.code == 404 || f.status == "FAILED_PRECONDITION" => return Ok(None),
                Err(f) => return Err(self.fault(f)),
            };
        let bytes = Zeroizing::new(
            STANDARD
                .decode(accessed.payload.data.expose())
                .map_err(|_| self.malformed(id, "its payload is not base64".into()))?,
        );
        let values = match json::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(obj)) => {
                values_from_json(obj).map_err(|e| self.malformed(id, e))?
            }
            Ok(_) => {
                return Err(self.malformed(
                    id,
                    "its payload is JSON but not an object of keys and values".into(),
                ));
            }
            Err(e) => {
                return Err(self.malformed(
                    id,
                    format!("its payload is {e} (sesame writes a JSON object of the values)"),
                ));
            }
        };
        let schema = match secret.labels.get(names::SCHEMA_LABEL) {
            None => None,
            Some(label) => Some(
                names::schema_of_label(label)
                    .and_then(|s| remote::schema_name(&s).ok())
                    .ok_or_else(|| {
                        self.malformed(
                            id,
                            format!(
                                "its label {} = '{}' is not a schema name sesame wrote",
                                names::SCHEMA_LABEL,
                                crate::error::shown(label)
                            ),
                        )
                    })?,
            ),
        };
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: version_token(last_segment(&accessed.name), &secret.create_time),
            schema,
            values,
        }))
    }

    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        values: &Values,
        expect: Expect,
    ) -> Result<RemoteVersion, BackendError> {
        writable(&self.label(), id, values)?;
        let payload = self.payload(id, values)?;
        let label = self.schema_label(id, schema)?;
        if expect == Expect::Absent && self.create_secret(id, &label)? {
            let n = self.add_version(id, &payload)?;
            // Read back for the creation time the version token carries.
            let created = self
                .current(id)?
                .ok_or_else(|| self.conflict(id, "was deleted during the write"))?;
            return Ok(version_token(&n, &created.secret.create_time));
        }
        let current = self.current(id)?;
        precondition(
            &self.label(),
            id,
            current.as_ref().and_then(|c| c.version.as_ref()),
            &expect,
        )?;
        let current = match current {
            Some(c) => c,
            None => {
                // Expect::Any on an absent secret (Absent created it above unless it
                // appeared meanwhile).
                if !self.create_secret(id, &label)? {
                    return Err(self.conflict(id, "was created by someone else meanwhile"));
                }
                self.current(id)?
                    .ok_or_else(|| self.conflict(id, "was deleted during the write"))?
            }
        };
        let n = self.add_version(id, &payload)?;
        if current.secret.labels.get(names::SCHEMA_LABEL) != Some(&label) {
            self.set_label(id, &current.secret, &label)?;
        }
        Ok(version_token(&n, &current.secret.create_time))
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let current = self.current(id)?;
        if !may_delete(
            &self.label(),
            id,
            current.as_ref().and_then(|c| c.version.as_ref()),
            &expect,
        )? {
            return Ok(());
        }
        let secret = current.expect("may_delete says it exists").secret;
        let url = self.url(id, &delete_query(&secret));
        match self.call(Method::Delete, &url, None)? {
            Ok(_) => Ok(()),
            Err(f) if f.code == 404 => {
                Err(self.conflict(id, "was deleted by someone else meanwhile"))
            }
            Err(f) if matches!(f.code, 409 | 412) || f.status == "ABORTED" => Err(self.conflict(
                id,
                "changed meanwhile (its etag moved); nothing was deleted",
            )),
            Err(f) => Err(self.fault(f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(labels: &[(&str, &str)], etag: Option<&str>) -> SecretResource {
        SecretResource {
            name: "projects/p/secrets/team-workspace-db".into(),
            create_time: "2024-05-01T10:00:00Z".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            etag: etag.map(str::to_string),
        }
    }

    /// drongo ignores etags and update masks; what Secret Manager receives is checked here.
    #[test]
    fn label_changes_and_deletes_carry_the_etag() {
        let s = secret(
            &[("team", "payments"), ("sesame-schema", "arbitrary")],
            Some("\"abc\""),
        );
        assert_eq!(
            patch_body(&s, "basic_auth"),
            serde_json::json!({
                "labels": {"team": "payments", "sesame-schema": "basic_auth"},
                "etag": "\"abc\"",
            })
        );
        assert_eq!(delete_query(&s), "?etag=%22abc%22");
        assert_eq!(delete_query(&secret(&[], None)), "");
    }

    #[test]
    fn options_are_checked_and_never_echo_credentials() {
        let open = |pairs: &[(&str, OptionValue)]| {
            GcpBackend::new(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )
        };
        let token = || OptionValue::Secret(SecretValue::new("ya29.hunter2"));
        let plain = |s: &str| OptionValue::Plain(s.into());
        let e = open(&[("project", plain("p"))]).unwrap_err();
        assert!(e.to_string().contains("service_account"), "{e}");
        let e = open(&[("token", token())]).unwrap_err();
        assert!(e.to_string().contains("'project' is required"), "{e}");
        let e = open(&[("project", plain("p")), ("token", plain("ya29.hunter2"))]).unwrap_err();
        assert!(e.to_string().contains("credential") && !e.to_string().contains("hunter2"));
        let e = open(&[
            ("project", plain("p")),
            ("token", token()),
            ("prefix", plain("a/b")),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("prefix 'a/b'"), "{e}");
        let e = open(&[
            ("project", plain("p")),
            (
                "service_account",
                OptionValue::Secret(SecretValue::new("{\"private_key\": \"hunter2\"")),
            ),
        ])
        .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let ok = open(&[
            ("project", plain("p")),
            ("token", token()),
            ("prefix", plain("team-")),
        ])
        .unwrap();
        assert_eq!(ok.prefix, "team");
        let debug = format!("{ok:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("bearer token"),
            "{debug}"
        );
    }
}
