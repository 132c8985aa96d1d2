//! HashiCorp Vault / OpenBao, KV version 2, over its HTTP API: a secret is the KV entry
//! `<mount>/data/<prefix><scope>/<name>`, its values the entry's data (all strings).
//!
//! Version = `<n>@<created_time>`: KV v2 numbers restart at 1 when a secret is deleted and
//! created again, so the number alone could make a recreated secret look unchanged; the
//! creation time of that version tells them apart.
//!
//! The schema lives in the custom metadata key `sesame_schema`, written only for schemas
//! other than the default `arbitrary` (a secret without it reads as schema `None`, which
//! sesame takes as `arbitrary`), so pushing a default secret is one request.
//!
//! Compare-and-set is KV v2's own `options.cas` (create = `cas: 0`, update = the number
//! sesame last saw, after a metadata read confirms the time too). Three windows remain, all
//! documented in the README: a delete-and-recreate by someone else reaching the same number
//! between that read and the write would pass the check (it takes n writes in
//! milliseconds); the schema is written to the metadata endpoint after the data, only when
//! it changed (a reader in between sees the new values with the old schema); and `delete`
//! checks the version with one request and deletes the metadata (every version) with the
//! next, so a write landing in between is deleted too.

use std::collections::BTreeMap;
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::cas::{may_delete, precondition};
use super::http::{Http, Method, Reply};
use super::options::{Options, TIMEOUT};
use super::remote::{self, foreign, json, parse_id, schema_name, values_from_json, writable};
use super::{
    Backend, BackendError, Expect, Foreign, Listing, OptionSpec, OptionValue, RemoteEntry,
    RemoteId, RemoteSecret, RemoteVersion,
};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::{Scope, SecretValue, Values};

mod client;

use client::{DataOf, Metadata, number_of, version};

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "address",
        required: true,
        credential: false,
        help: "server URL, e.g. https://vault.example.com:8200",
    },
    OptionSpec {
        name: "mount",
        required: false,
        credential: false,
        help: "KV version 2 mount (default: secret)",
    },
    OptionSpec {
        name: "namespace",
        required: false,
        credential: false,
        help: "Vault Enterprise / OpenBao namespace (X-Vault-Namespace)",
    },
    OptionSpec {
        name: "token",
        required: false,
        credential: true,
        help: "a token; or give role_id and secret_id for AppRole",
    },
    OptionSpec {
        name: "role_id",
        required: false,
        credential: true,
        help: "AppRole role id (with secret_id, instead of token)",
    },
    OptionSpec {
        name: "secret_id",
        required: false,
        credential: true,
        help: "AppRole secret id",
    },
    OptionSpec {
        name: "ca_cert",
        required: false,
        credential: false,
        help: "PEM file of the CA that signed the server's certificate",
    },
    OptionSpec {
        name: "prefix",
        required: false,
        credential: false,
        help: "path under the mount, e.g. team/ (default: none)",
    },
    OptionSpec {
        name: "list_page_size",
        required: false,
        credential: false,
        help: "keys per LIST request (default 1000)",
    },
    TIMEOUT,
];

/// The custom-metadata key holding the schema name.
const SCHEMA_KEY: &str = "sesame_schema";
/// Metadata requests `list` runs at once: as many as the sync engine's pool.
const LIST_WORKERS: usize = 8;
/// A listing this long is a runaway server, not a secret store.
const MAX_LISTED: usize = 1_000_000;

enum Auth {
    Token,
    AppRole {
        role_id: SecretValue,
        secret_id: SecretValue,
    },
}

pub struct VaultBackend {
    http: Http,
    /// `<address>/v1/`
    base: String,
    mount: String,
    namespace: Option<String>,
    prefix: String,
    page: usize,
    auth: Auth,
    /// The token in use: the `token` option, or the last AppRole login (None until then).
    token: RwLock<Option<SecretValue>>,
    /// One AppRole login at a time, however many threads find the token missing or expired.
    login: Mutex<()>,
}

/// Hand-written so that no token or AppRole credential can ever be printed.
impl std::fmt::Debug for VaultBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultBackend")
            .field("base", &self.base)
            .field("mount", &self.mount)
            .field("prefix", &self.prefix)
            .field(
                "auth",
                &match self.auth {
                    Auth::Token => "token",
                    Auth::AppRole { .. } => "approle",
                },
            )
            .finish_non_exhaustive()
    }
}

impl VaultBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<VaultBackend, BackendError> {
        let o = Options::check("vault", OPTIONS, options)?;
        let address = o
            .required_text("address")?
            .trim_end_matches('/')
            .to_string();
        if !(address.starts_with("http://") || address.starts_with("https://")) {
            return Err(o.error("address must start with http:// or https://"));
        }
        let mount = o
            .text("mount")
            .unwrap_or("secret")
            .trim_matches('/')
            .to_string();
        if mount.is_empty()
            || !mount
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b))
        {
            return Err(o.error("mount must be a path of letters, digits, '_', '-', '.' and '/'"));
        }
        let (auth, token) = match (
            o.secret("token"),
            o.secret("role_id"),
            o.secret("secret_id"),
        ) {
            (Some(t), None, None) => (Auth::Token, Some(t)),
            (None, Some(role_id), Some(secret_id)) => (Auth::AppRole { role_id, secret_id }, None),
            _ => {
                return Err(o.error(
                    "give either the token option, or both role_id and secret_id (AppRole)",
                ));
            }
        };
        let ca = o.text("ca_cert").map(std::path::Path::new);
        Ok(VaultBackend {
            http: Http::new(format!("vault at {address}"), o.timeout()?, ca, "vault")?,
            base: format!("{address}/v1/"),
            mount,
            namespace: o.text("namespace").map(|s| s.trim().to_string()),
            prefix: o.path_prefix()?,
            page: o.number("list_page_size", 1..=100_000)?.unwrap_or(1000) as usize,
            auth,
            token: RwLock::new(token),
            login: Mutex::new(()),
        })
    }

    fn label(&self) -> String {
        self.http.label.clone()
    }

    fn path(&self, kind: &str, id: &RemoteId) -> String {
        format!(
            "{}/{kind}/{}{}/{}",
            self.mount, self.prefix, id.scope, id.name
        )
    }
}

impl Backend for VaultBackend {
    fn flavor(&self) -> &'static str {
        "vault"
    }

    fn test(&self) -> Result<String, BackendError> {
        let reply = self.call(Method::Get, "auth/token/lookup-self", None)?;
        if reply.status != 200 {
            return Err(self.failure(&reply, Self::CHECK));
        }
        let path = format!("{}/metadata/{}?list=true&limit=1", self.mount, self.prefix);
        let reply = self.call(Method::Get, &path, None)?;
        match reply.status {
            200 | 404 => Ok(format!(
                "{}: signed in; {}/{} is readable",
                self.label(),
                self.mount,
                self.prefix
            )),
            _ => Err(self.failure(&reply, Self::CHECK)),
        }
    }

    fn list(&self) -> Result<Listing, BackendError> {
        let mut ids = Vec::new();
        let mut listing = Listing::default();
        for scope in Scope::LOOKUP_ORDER {
            let folder = format!("{}{scope}/", self.prefix);
            for key in self.list_folder(&folder)? {
                let raw = format!("{folder}{key}");
                if key.ends_with('/') {
                    listing.foreign.push(foreign(
                        &raw,
                        "a folder: sesame secrets are not nested, so it is left alone",
                    ));
                    continue;
                }
                match parse_id(scope.as_str(), &key) {
                    Ok(id) => ids.push(id),
                    Err(why) => listing.foreign.push(foreign(&raw, why)),
                }
            }
        }
        for (id, outcome) in self.versions(ids)? {
            match outcome {
                Ok(Some(v)) => listing.entries.push(RemoteEntry { id, version: v }),
                Ok(None) => {} // deleted (every version gone): absent, as `get` says
                Err(why) => listing.foreign.push(Foreign {
                    raw: id.to_string(),
                    why,
                }),
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        let reply = self.call(Method::Get, &self.path("data", id), None)?;
        match reply.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.failure(&reply, Self::CHECK)),
        }
        #[derive(Deserialize)]
        struct Read {
            data: Option<serde_json::Value>,
            metadata: ReadMeta,
        }
        #[derive(Deserialize)]
        struct ReadMeta {
            version: u64,
            #[serde(default)]
            created_time: String,
            custom_metadata: Option<BTreeMap<String, String>>,
        }
        let read = json::<DataOf<Read>>(&reply.body)
            .map_err(|e| self.malformed(id, format!("the answer is {e}")))?
            .data;
        let values = match read.data {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::Object(obj)) => {
                values_from_json(obj).map_err(|e| self.malformed(id, e))?
            }
            Some(_) => return Err(self.malformed(id, "its data is not a JSON object".into())),
        };
        let schema = read
            .metadata
            .custom_metadata
            .as_ref()
            .and_then(|m| m.get(SCHEMA_KEY))
            .map(|s| schema_name(s))
            .transpose()
            .map_err(|e| self.malformed(id, e))?;
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: version(read.metadata.version, &read.metadata.created_time),
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
        let mut cas = match &expect {
            Expect::Absent => Some(0),
            Expect::Version(_) => {
                // The number alone could match a recreated secret: check the whole token.
                let current = self.metadata(id)?.and_then(|m| m.live_version());
                precondition(&self.label(), id, current.as_ref(), &expect)?;
                current.as_ref().and_then(number_of)
            }
            Expect::Any => None,
        };
        let written = loop {
            let reply = self.write(id, values, cas)?;
            if reply.status == 200 || reply.status == 204 {
                break json::<DataOf<Written>>(&reply.body)
                    .map_err(|e| self.protocol(format!("a write answer that is {e}")))?
                    .data;
            }
            let cas_failed = reply.status == 400
                && String::from_utf8_lossy(&reply.body).contains("check-and-set");
            if !cas_failed {
                return Err(self.failure(&reply, Self::CHECK));
            }
            // Absent also holds when every version was deleted by another tool (the metadata
            // outlives them): then the true precondition is "still at that deleted version".
            let meta = self.metadata(id)?;
            let current = meta.as_ref().and_then(Metadata::live_version);
            if expect == Expect::Absent
                && current.is_none()
                && cas == Some(0)
                && let Some(m) = meta
            {
                cas = Some(m.current_version);
                continue;
            }
            precondition(&self.label(), id, current.as_ref(), &expect)?;
            // The precondition holds now but did not at write time: it changed in between.
            return Err(BackendError::Conflict {
                backend: self.label(),
                id: id.clone(),
                detail: "changed during the write".into(),
            });
        };
        // The default schema is not recorded (reading no schema means `arbitrary`), so the
        // common create costs one request, not two.
        let want = (schema != DEFAULT_SCHEMA).then_some(schema);
        let mut custom = written.custom_metadata.unwrap_or_default();
        if custom.get(SCHEMA_KEY).map(String::as_str) != want {
            match want {
                Some(s) => custom.insert(SCHEMA_KEY.into(), s.into()),
                None => custom.remove(SCHEMA_KEY),
            };
            #[derive(Serialize)]
            struct Meta<'a> {
                custom_metadata: &'a BTreeMap<String, String>,
            }
            let body = serde_json::to_vec(&Meta {
                custom_metadata: &custom,
            })
            .expect("strings serialize");
            let reply = self.call(Method::Post, &self.path("metadata", id), Some(&body))?;
            if reply.status != 200 && reply.status != 204 {
                return Err(self.failure(&reply, Self::CHECK));
            }
        }
        Ok(version(written.version, &written.created_time))
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let current = self.metadata(id)?.and_then(|m| m.live_version());
        if !may_delete(&self.label(), id, current.as_ref(), &expect)? {
            return Ok(());
        }
        let reply = self.call(Method::Delete, &self.path("metadata", id), None)?;
        match reply.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.failure(&reply, Self::CHECK)),
        }
    }
}

#[derive(Deserialize)]
struct Written {
    version: u64,
    #[serde(default)]
    created_time: String,
    custom_metadata: Option<BTreeMap<String, String>>,
}

impl VaultBackend {
    fn write(
        &self,
        id: &RemoteId,
        values: &Values,
        cas: Option<u64>,
    ) -> Result<Reply, BackendError> {
        #[derive(Serialize)]
        struct Cas {
            cas: u64,
        }
        #[derive(Serialize)]
        struct Write<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            options: Option<Cas>,
            data: &'a Values,
        }
        let body = Zeroizing::new(
            serde_json::to_vec(&Write {
                options: cas.map(|cas| Cas { cas }),
                data: values,
            })
            .expect("strings serialize"),
        );
        self.call(Method::Post, &self.path("data", id), Some(&body))
    }
}
