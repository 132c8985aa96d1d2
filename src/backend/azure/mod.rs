//! Azure Key Vault secrets over the REST API (api-version 7.4): a secret is the Key Vault
//! secret `<prefix>-<scope>-<escaped name>` (`names.rs`: Key Vault names are
//! case-insensitive), its value a JSON object of the values, its schema the tag
//! `sesame-schema`. Version = the Key Vault version id of the current version (random, never
//! reused). Auth follows the vault's 401 challenge (`auth.rs`).
//!
//! Key Vault has no compare-and-set on a secret write: an update or delete under
//! `Expect::Version` reads the current version and writes right after, so a write by someone
//! else in those milliseconds is overwritten (it stays in the secret's version history).
//! Creating reads first too: two creators at once both write, the later one wins.
//!
//! Deleting is Key Vault's soft delete; with `purge = true` the deleted secret is then
//! purged. A name whose secret sits deleted-but-recoverable cannot be written: a create over
//! it purges it first (`purge = true`) or recovers it and writes the new value as its next
//! version (`purge = false`, the default: nothing is destroyed that Azure would keep).
//! A value written by another tool that is not a JSON object of strings is read as one key,
//! `value`, as the aws flavor does.

mod auth;
mod names;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use zeroize::Zeroizing;

use super::cas::{may_delete, precondition};
use super::error::remote_text;
use super::fanout;
use super::http::{Http, Method, Reply, is_loopback_http, origin};
use super::options::{Options, TIMEOUT};
use super::remote::{self, check_values, foreign, json, schema_name, values_from_json, writable};
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::secret::{SecretValue, Values};
use auth::{Auth, CHECK, Tokens};

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "vault_url",
        required: true,
        credential: false,
        help: "the vault's URL, e.g. https://myvault.vault.azure.net",
    },
    OptionSpec {
        name: "tenant_id",
        required: false,
        credential: false,
        help: "Entra ID tenant (directory) id, for client credentials",
    },
    OptionSpec {
        name: "client_id",
        required: false,
        credential: false,
        help: "application (client) id, for client credentials",
    },
    OptionSpec {
        name: "client_secret",
        required: false,
        credential: true,
        help: "the application's client secret; or give token",
    },
    OptionSpec {
        name: "token",
        required: false,
        credential: true,
        help: "an access token for https://vault.azure.net (az account get-access-token)",
    },
    OptionSpec {
        name: "authority",
        required: false,
        credential: false,
        help: "token authority (default https://login.microsoftonline.com)",
    },
    OptionSpec {
        name: "prefix",
        required: false,
        credential: false,
        help: "name prefix: lower-case letters and digits (secrets are <prefix>-<scope>-<name>)",
    },
    OptionSpec {
        name: "purge",
        required: false,
        credential: false,
        help: "purge deleted secrets at once instead of leaving them recoverable (default false)",
    },
    OptionSpec {
        name: "ca_cert",
        required: false,
        credential: false,
        help: "PEM file of the CA that signed the vault's certificate (private endpoints, tests)",
    },
    OptionSpec {
        name: "list_page_size",
        required: false,
        credential: false,
        help: "secrets per list request, 1 to 25 (default 25)",
    },
    TIMEOUT,
];

const API_VERSION: &str = "api-version=7.4";
const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Key Vault's limit on a secret value ("25k bytes").
const MAX_VALUE: usize = 25_000;
/// The tag holding the schema name.
const SCHEMA_TAG: &str = "sesame-schema";
/// The one key a value that is not a JSON object of strings is read into.
const PLAIN_KEY: &str = "value";
/// How long a purge or a recovery may take to settle before the write after it gives up.
const SETTLE: Duration = Duration::from_secs(30);

pub struct AzureBackend {
    http: Http,
    /// `https://host[:port]`
    vault: String,
    prefix: String,
    purge: bool,
    page: u64,
    tokens: Tokens,
}

/// Hand-written: the credential shows as its kind and the app id only.
impl std::fmt::Debug for AzureBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureBackend")
            .field("vault", &self.vault)
            .field("prefix", &self.prefix)
            .field("auth", &self.tokens.describe())
            .finish_non_exhaustive()
    }
}

/// A secret bundle (GET/PUT/recover answers), as far as sesame reads it.
#[derive(Deserialize)]
struct Bundle {
    #[serde(default)]
    value: Option<SecretValue>,
    id: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A Key Vault error answer: `{"error": {"code", "message"}}`, cut and escaped.
struct Fault {
    status: u16,
    code: String,
    message: String,
}

fn fault_of(reply: &Reply) -> Fault {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let (code, message) = match json::<Envelope>(&reply.body) {
        Ok(e) => (
            remote_text(&e.error.code, 40),
            remote_text(&e.error.message, 160),
        ),
        Err(_) => (String::new(), String::new()),
    };
    Fault {
        status: reply.status,
        code,
        message,
    }
}

/// The last path segment of a Key Vault id URL (`…/secrets/name/version` → `version`).
fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// The Key Vault `prefix` option: lower-case letters and digits (upper case is lowered), one
/// trailing `-` allowed and dropped.
fn prefix_of(o: &Options) -> Result<String, BackendError> {
    let raw = o.text("prefix").unwrap_or("").trim();
    let p = raw.strip_suffix('-').unwrap_or(raw).to_ascii_lowercase();
    if p.len() > 40 || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(o.error(format!(
            "prefix '{}' must be at most 40 letters and digits (Key Vault names allow only letters, digits and '-', and '-' separates the prefix from the scope)",
            crate::error::shown(raw)
        )));
    }
    Ok(p)
}

impl AzureBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<AzureBackend, BackendError> {
        let o = Options::check("azure", OPTIONS, options)?;
        let vault = o
            .required_text("vault_url")?
            .trim_end_matches('/')
            .to_string();
        let vault_host = match origin(&vault) {
            Some(("https", host, _)) if !vault["https://".len()..].contains(['/', '?', '#']) => {
                host
            }
            _ => {
                return Err(
                    o.error("vault_url must be https://<name>.vault.azure.net (a host, no path)")
                );
            }
        };
        let auth = match (o.secret("token"), o.secret("client_secret")) {
            (Some(t), None) => Auth::Token(t),
            (None, Some(secret)) => {
                let tenant = o.required_text("tenant_id").map_err(|_| {
                    o.error("client_secret needs tenant_id (the directory id) and client_id")
                })?;
                let client_id = o.required_text("client_id").map_err(|_| {
                    o.error("client_secret needs client_id (the application id) and tenant_id")
                })?;
                if !tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
                {
                    return Err(o.error("tenant_id must be a directory id or domain"));
                }
                let authority = o
                    .text("authority")
                    .map(|a| a.trim().trim_end_matches('/').to_string())
                    .unwrap_or_else(|| DEFAULT_AUTHORITY.into());
                if !(authority.starts_with("https://") || is_loopback_http(&authority))
                    || origin(&authority).is_none()
                {
                    return Err(o.error(
                        "authority must be an https:// URL (the client secret is sent there)",
                    ));
                }
                Auth::ClientCredentials {
                    token_url: format!("{authority}/{tenant}/oauth2/v2.0/token"),
                    client_id: client_id.to_string(),
                    secret,
                }
            }
            (Some(_), Some(_)) => return Err(o.error("give client_secret or token, not both")),
            (None, None) => {
                return Err(o.error(
                    "give client_secret={{secret.key}} (with tenant_id and client_id) or token={{secret.key}}",
                ));
            }
        };
        let ca = o
            .text("ca_cert")
            .map(|p| std::path::PathBuf::from(p.trim()));
        Ok(AzureBackend {
            http: Http::new(
                format!("azure key vault at {vault}"),
                o.timeout()?,
                ca.as_deref(),
                "azure",
            )?,
            prefix: prefix_of(&o)?,
            purge: o.bool("purge")?.unwrap_or(false),
            page: o.number("list_page_size", 1..=25)?.unwrap_or(25),
            tokens: Tokens::new(auth, vault_host),
            vault,
        })
    }

    fn label(&self) -> String {
        self.http.label.clone()
    }

    /// One request with a bearer token. Without a token yet, the challenge is fetched with
    /// a body-less request first, so a value never travels before Key Vault said whom to
    /// ask. `Ok(Err(fault))` is an API error for the caller to judge.
    fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Result<Reply, Fault>, BackendError> {
        let token = match self.tokens.current() {
            Some(t) => t,
            None => {
                let probe = self.send(Method::Get, &self.list_url(1), None, None)?;
                self.renewed(&probe, None)?
            }
        };
        let mut reply = self.send(method, url, body, Some(&token))?;
        if reply.status == 401 {
            let fresh = self.renewed(&reply, Some(&token))?;
            reply = self.send(method, url, body, Some(&fresh))?;
        }
        if (200..300).contains(&reply.status) {
            return Ok(Ok(reply));
        }
        Ok(Err(fault_of(&reply)))
    }

    /// A new token after `reply` (a 401), or the refusal to report.
    fn renewed(
        &self,
        reply: &Reply,
        stale: Option<&SecretValue>,
    ) -> Result<SecretValue, BackendError> {
        if reply.status != 401 {
            return Err(match fault_of(reply) {
                f if (200..300).contains(&f.status) => BackendError::Protocol {
                    backend: self.label(),
                    detail: "a request without a token was let through (is this a Key Vault?)"
                        .into(),
                },
                f => self.fault(f),
            });
        }
        match self
            .tokens
            .renew(&self.http, reply.challenge.as_deref(), stale)?
        {
            Some(t) => Ok(t),
            None => Err(self.fault(fault_of(reply))),
        }
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        token: Option<&SecretValue>,
    ) -> Result<Reply, BackendError> {
        let bearer = token.map(|t| Zeroizing::new(format!("Bearer {}", t.expose())));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
        self.http.send(method, url, &headers, body)
    }

    fn fault(&self, f: Fault) -> BackendError {
        let detail = match (f.code.is_empty(), f.message.is_empty()) {
            (true, _) => format!("HTTP {}", f.status),
            (false, true) => format!("HTTP {}: {}", f.status, f.code),
            (false, false) => format!("HTTP {}: {}: {}", f.status, f.code, f.message),
        };
        match f.status {
            401 | 403 => BackendError::Refused {
                backend: self.label(),
                detail,
                check: CHECK,
            },
            429 | 500..=599 => BackendError::Unreachable {
                backend: self.label(),
                detail,
            },
            _ => BackendError::Protocol {
                backend: self.label(),
                detail,
            },
        }
    }

    fn protocol(&self, detail: String) -> BackendError {
        BackendError::Protocol {
            backend: self.label(),
            detail,
        }
    }

    fn malformed(&self, id: &RemoteId, detail: String) -> BackendError {
        BackendError::malformed(self.label(), id, detail)
    }

    fn conflict(&self, id: &RemoteId, detail: &str) -> BackendError {
        BackendError::conflict(self.label(), id, detail)
    }

    fn name(&self, id: &RemoteId) -> Result<String, BackendError> {
        names::secret_name(&self.prefix, id).map_err(|len| BackendError::Unsupported {
            backend: self.label(),
            id: id.clone(),
            detail: format!(
                "its Key Vault name would be {len} characters, more than the {} Key Vault allows (upper case, '_' and '-' take two characters each, as Key Vault names ignore case)",
                names::MAX_NAME
            ),
        })
    }

    fn list_url(&self, page: u64) -> String {
        format!("{}/secrets?{API_VERSION}&maxresults={page}", self.vault)
    }

    fn secret_url(&self, name: &str, tail: &str) -> String {
        format!("{}/secrets/{name}{tail}?{API_VERSION}", self.vault)
    }

    fn deleted_url(&self, name: &str, tail: &str) -> String {
        format!("{}/deletedsecrets/{name}{tail}?{API_VERSION}", self.vault)
    }

    /// The current bundle of `name`; None when there is none.
    fn bundle(&self, name: &str) -> Result<Option<Bundle>, BackendError> {
        match self.call(Method::Get, &self.secret_url(name, ""), None)? {
            Ok(reply) => json::<Bundle>(&reply.body)
                .map(Some)
                .map_err(|e| self.protocol(format!("a secret answer that is {e}"))),
            Err(f) if f.status == 404 => Ok(None),
            Err(f) => Err(self.fault(f)),
        }
    }

    /// Writes a new version. `Ok(Err(fault))` for the caller to judge (409: the name is
    /// deleted but recoverable).
    fn set(
        &self,
        name: &str,
        value: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Result<RemoteVersion, Fault>, BackendError> {
        let body = Zeroizing::new(
            serde_json::to_vec(&serde_json::json!({
                "value": value,
                "contentType": "application/json",
                "tags": tags,
            }))
            .expect("serializes"),
        );
        Ok(
            match self.call(Method::Put, &self.secret_url(name, ""), Some(&body))? {
                Ok(reply) => {
                    let b: Bundle = json(&reply.body)
                        .map_err(|e| self.protocol(format!("a set-secret answer that is {e}")))?;
                    Ok(RemoteVersion(last_segment(&b.id).to_string()))
                }
                Err(f) => Err(f),
            },
        )
    }

    /// A write over a name that may be deleted-but-recoverable: on Key Vault's 409, purge
    /// or recover (module doc) and write again once that has settled.
    fn set_over_deleted(
        &self,
        name: &str,
        value: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<RemoteVersion, BackendError> {
        let fault = match self.set(name, value, tags)? {
            Ok(v) => return Ok(v),
            Err(f) if f.status == 409 => f,
            Err(f) => return Err(self.fault(f)),
        };
        let deleted = match self.call(Method::Get, &self.deleted_url(name, ""), None)? {
            Ok(_) => true,
            Err(f) if f.status == 404 => false,
            Err(f) => return Err(self.fault(f)),
        };
        if !deleted {
            return Err(self.fault(fault));
        }
        if self.purge {
            self.purge_deleted(name)?;
        } else {
            match self.call(Method::Post, &self.deleted_url(name, "/recover"), None)? {
                Ok(_) => {}
                Err(f) if f.status == 404 || f.status == 409 => {}
                Err(f) => return Err(self.fault(f)),
            }
        }
        // Both settle asynchronously in Key Vault: retry the write while it answers 409.
        let until = Instant::now() + SETTLE;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.set(name, value, tags)? {
                Ok(v) => return Ok(v),
                Err(f) if f.status == 409 && Instant::now() < until => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(f) => return Err(self.fault(f)),
            }
        }
    }

    /// Purges a deleted secret, waiting while Key Vault is still deleting it (409, or a
    /// 404 for a few seconds while the deleted secret does not show yet). A 404 that lasts
    /// is a vault without soft delete, or a purge by someone else: nothing left to purge.
    fn purge_deleted(&self, name: &str) -> Result<(), BackendError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let waited = start.elapsed();
            match self.call(Method::Delete, &self.deleted_url(name, ""), None)? {
                Ok(_) => return Ok(()),
                Err(f) if f.status == 404 && waited >= Duration::from_secs(3) => return Ok(()),
                Err(f) if (f.status == 409 || f.status == 404) && waited < SETTLE => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(f) => return Err(self.fault(f)),
            }
        }
    }

    fn value_of(&self, id: &RemoteId, values: &Values) -> Result<Zeroizing<String>, BackendError> {
        let s = Zeroizing::new(serde_json::to_string(values).expect("strings serialize"));
        if s.len() > MAX_VALUE {
            return Err(BackendError::Unsupported {
                backend: self.label(),
                id: id.clone(),
                detail: format!(
                    "its JSON is {} bytes; a Key Vault secret holds at most {MAX_VALUE}",
                    s.len()
                ),
            });
        }
        Ok(s)
    }
}

impl Backend for AzureBackend {
    fn flavor(&self) -> &'static str {
        "azure"
    }

    fn test(&self) -> Result<String, BackendError> {
        self.call(Method::Get, &self.list_url(1), None)?
            .map_err(|f| self.fault(f))?;
        Ok(format!(
            "{} with {}: secrets listable",
            self.label(),
            self.tokens.describe()
        ))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            #[serde(default)]
            value: Vec<Item>,
            #[serde(default)]
            next_link: Option<String>,
        }
        #[derive(Deserialize)]
        struct Item {
            id: String,
            #[serde(default)]
            attributes: Attributes,
            #[serde(default)]
            managed: bool,
        }
        #[derive(Deserialize, Default)]
        struct Attributes {
            #[serde(default)]
            enabled: Option<bool>,
        }
        let home = origin(&self.vault);
        let mut url = self.list_url(self.page);
        let mut items: Vec<Item> = Vec::new();
        for pages in 0.. {
            if pages > 100_000 {
                return Err(self.protocol("a listing of more than 100000 pages".into()));
            }
            let reply = self
                .call(Method::Get, &url, None)?
                .map_err(|f| self.fault(f))?;
            let page: Page = json(&reply.body)
                .map_err(|e| self.protocol(format!("a list answer that is {e}")))?;
            items.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                None => break,
                // The token goes wherever nextLink points: only to the vault itself.
                Some(link) if origin(&link).is_some() && origin(&link) == home => url = link,
                Some(link) => {
                    return Err(self.protocol(format!(
                        "a nextLink to another host ({}); sesame sends its token only to the vault",
                        remote_text(&link, 80)
                    )));
                }
            }
        }
        let mut listing = Listing::default();
        let mut ours: Vec<(RemoteId, String)> = Vec::new();
        for item in &items {
            let raw = last_segment(&item.id);
            match names::parse(&self.prefix, raw) {
                None => {}
                Some(Err(why)) => listing.foreign.push(foreign(raw, why)),
                Some(Ok(_)) if item.managed => listing
                    .foreign
                    .push(foreign(raw, "it backs a Key Vault certificate (managed)")),
                Some(Ok(_)) if item.attributes.enabled == Some(false) => listing
                    .foreign
                    .push(foreign(raw, "it is disabled in Key Vault")),
                Some(Ok(id)) => ours.push((id, raw.to_string())),
            }
        }
        let versions = fanout::each(&ours, |(_, raw)| {
            Ok(self
                .bundle(raw)?
                .map(|b| RemoteVersion(last_segment(&b.id).to_string())))
        })?;
        for ((id, _), version) in ours.into_iter().zip(versions) {
            // None: deleted between the listing and the read.
            if let Some(version) = version {
                listing.entries.push(RemoteEntry { id, version });
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        let Some(bundle) = self.bundle(&self.name(id)?)? else {
            return Ok(None);
        };
        let text = bundle.value.unwrap_or_default();
        let values = match serde_json::from_str::<serde_json::Value>(text.expose()) {
            Ok(serde_json::Value::Object(obj))
                if obj.values().all(serde_json::Value::is_string) =>
            {
                values_from_json(obj).map_err(|e| self.malformed(id, e))?
            }
            // Written by another tool: one key holding the whole value (module doc).
            _ => {
                let mut v = Values::new();
                v.insert(PLAIN_KEY.into(), text);
                check_values(&v).map_err(|e| self.malformed(id, e))?;
                v
            }
        };
        let schema = bundle
            .tags
            .get(SCHEMA_TAG)
            .map(|s| schema_name(s))
            .transpose()
            .map_err(|e| self.malformed(id, e))?;
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: RemoteVersion(last_segment(&bundle.id).to_string()),
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
        let name = self.name(id)?;
        let value = self.value_of(id, values)?;
        let current = self.bundle(&name)?;
        let version = current
            .as_ref()
            .map(|b| RemoteVersion(last_segment(&b.id).to_string()));
        precondition(&self.label(), id, version.as_ref(), &expect)?;
        // Other tools' tags stay; ours is set.
        let mut tags = current.map(|b| b.tags).unwrap_or_default();
        tags.insert(SCHEMA_TAG.into(), schema.into());
        if version.is_none() {
            return self.set_over_deleted(&name, &value, &tags);
        }
        self.set(&name, &value, &tags)?.map_err(|f| self.fault(f))
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let name = self.name(id)?;
        let current = self
            .bundle(&name)?
            .map(|b| RemoteVersion(last_segment(&b.id).to_string()));
        if !may_delete(&self.label(), id, current.as_ref(), &expect)? {
            return Ok(());
        }
        match self.call(Method::Delete, &self.secret_url(&name, ""), None)? {
            Ok(_) => {}
            Err(f) if f.status == 404 => {
                return Err(self.conflict(id, "was deleted by someone else meanwhile"));
            }
            Err(f) => return Err(self.fault(f)),
        }
        if self.purge {
            self.purge_deleted(&name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(pairs: &[(&str, OptionValue)]) -> Result<AzureBackend, BackendError> {
        AzureBackend::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn plain(s: &str) -> OptionValue {
        OptionValue::Plain(s.into())
    }

    fn secret(s: &str) -> OptionValue {
        OptionValue::Secret(SecretValue::new(s))
    }

    #[test]
    fn options_are_checked_and_never_echo_credentials() {
        let url = ("vault_url", plain("https://v.vault.azure.net"));
        let e = open(std::slice::from_ref(&url)).unwrap_err();
        assert!(e.to_string().contains("client_secret="), "{e}");
        let e = open(&[url.clone(), ("client_secret", secret("hunter2"))]).unwrap_err();
        assert!(e.to_string().contains("tenant_id") && !e.to_string().contains("hunter2"));
        let e = open(&[url.clone(), ("token", plain("hunter2"))]).unwrap_err();
        assert!(e.to_string().contains("credential") && !e.to_string().contains("hunter2"));
        let e = open(&[
            ("vault_url", plain("http://v.vault.azure.net")),
            ("token", secret("t")),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
        let e = open(&[
            url.clone(),
            ("token", secret("t")),
            ("prefix", plain("a_b")),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("prefix 'a_b'"), "{e}");
        let e = open(&[
            url.clone(),
            ("client_secret", secret("hunter2")),
            ("tenant_id", plain("t")),
            ("client_id", plain("c")),
            ("authority", plain("http://login.example")),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("authority"), "{e}");
        let ok = open(&[
            url,
            ("client_secret", secret("hunter2")),
            ("tenant_id", plain("t")),
            ("client_id", plain("app-1")),
            ("prefix", plain("Team-")),
        ])
        .unwrap();
        assert_eq!(ok.prefix, "team");
        let debug = format!("{ok:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("app-1"),
            "{debug}"
        );
    }

    #[test]
    fn ids_end_in_the_version() {
        assert_eq!(
            last_segment("https://v.vault.azure.net/secrets/db/4387e9f3d6e14c459867679a90fd0f79"),
            "4387e9f3d6e14c459867679a90fd0f79"
        );
        assert_eq!(last_segment("https://v.vault.azure.net/secrets/db"), "db");
    }
}
