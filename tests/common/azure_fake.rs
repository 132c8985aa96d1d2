//! A FAKE Azure Key Vault, written from Microsoft's public REST reference (Key Vault
//! secrets, api-version 7.4; Entra ID client-credentials tokens), because no emulator
//! exists. It is not Azure: it implements what the azure flavor uses, the way the reference
//! describes it, and nothing more.
//!
//! - HTTPS only, under a CA made at start with rcgen (its PEM is `ca_file`).
//! - A request without a valid bearer token gets 401 with
//!   `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://127.0.0.1"`.
//! - `POST /<tenant>/oauth2/v2.0/token` (client_credentials) hands out tokens for the scope
//!   `https://127.0.0.1/.default` to the one configured app.
//! - Secrets: GET/PUT/DELETE `/secrets/{name}`, GET `/secrets/{name}/{version}`,
//!   GET `/secrets/{name}/versions`, GET `/secrets` paged by `nextLink` (at most
//!   `page_size` per page, 5 by default, so paging is exercised); names match
//!   `^[0-9a-zA-Z-]{1,127}$` without regard to case; values are at most 25,000 bytes.
//! - Soft delete: a deleted secret goes to `/deletedsecrets/{name}` (GET, DELETE = purge,
//!   POST `/recover`); its name cannot be set until purged or recovered (409 Conflict).
//! - Every request needs `api-version=7.4`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::http_fake::{FakeServer, Request, Response};
use super::servers::random_hex;

pub const TENANT: &str = "00000000-0000-0000-0000-00000000abcd";
pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
const MAX_VALUE: usize = 25_000;

#[derive(Clone)]
struct Version {
    id: String,
    value: String,
    tags: BTreeMap<String, String>,
    content_type: Option<String>,
    created: u64,
}

#[derive(Clone, Default)]
struct Secret {
    /// The name as first created (Key Vault keeps its case).
    name: String,
    versions: Vec<Version>,
}

#[derive(Default)]
struct State {
    /// Keyed by lower-case name.
    secrets: BTreeMap<String, Secret>,
    deleted: BTreeMap<String, (Secret, u64)>,
    tokens: Vec<String>,
}

/// Fault switches a test can flip.
#[derive(Default)]
pub struct Faults {
    /// nextLink points to another host.
    pub foreign_next_link: AtomicBool,
    /// Every answer to /secrets is a body that is not JSON.
    pub garbage: AtomicBool,
    /// The challenge asks for a token to another service.
    pub foreign_scope: AtomicBool,
}

pub struct AzureFake {
    pub server: FakeServer,
    pub url: String,
    /// PEM of the CA that signed the server's certificate.
    pub ca_file: PathBuf,
    pub client_secret: String,
    pub faults: Arc<Faults>,
    /// Tokens handed out so far.
    pub issued: Arc<AtomicUsize>,
    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &serde_json::json!({ "error": { "code": code, "message": message } }),
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl AzureFake {
    pub fn start() -> AzureFake {
        AzureFake::with_page_size(5)
    }

    pub fn with_page_size(page_size: usize) -> AzureFake {
        let dir = tempfile::tempdir().expect("temp dir");
        let (tls, ca_pem) = tls_config();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write CA");
        let state = Arc::new(Mutex::new(State::default()));
        let faults = Arc::new(Faults::default());
        let issued = Arc::new(AtomicUsize::new(0));
        let client_secret = format!("secret-{}", random_hex());
        let base = Arc::new(std::sync::OnceLock::<String>::new());
        let handler = {
            let (state, faults, issued, secret, base) = (
                state.clone(),
                faults.clone(),
                issued.clone(),
                client_secret.clone(),
                base.clone(),
            );
            Arc::new(move |req: &Request| {
                let base = base.get().cloned().unwrap_or_default();
                let ctx = Ctx {
                    base: &base,
                    state: &state,
                    faults: &faults,
                    issued: &issued,
                    client_secret: &secret,
                    page_size,
                };
                ctx.handle(req)
            })
        };
        let server = FakeServer::start(Some(Arc::new(tls)), handler);
        let url = format!("https://127.0.0.1:{}", server.port);
        base.set(url.clone()).unwrap();
        AzureFake {
            server,
            url,
            ca_file,
            client_secret,
            faults,
            issued,
            state,
            _dir: dir,
        }
    }

    /// Writes a secret as another tool would (no checks but the name's).
    pub fn put_raw(&self, name: &str, value: &str, tags: &[(&str, &str)]) {
        let mut st = self.state.lock().unwrap();
        let secret = st
            .secrets
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Secret {
                name: name.into(),
                versions: vec![],
            });
        secret.versions.push(Version {
            id: random_hex() + &random_hex(),
            value: value.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            content_type: None,
            created: now(),
        });
    }

    /// Names of the live secrets and of the deleted ones, as created.
    pub fn names(&self) -> (Vec<String>, Vec<String>) {
        let st = self.state.lock().unwrap();
        (
            st.secrets.values().map(|s| s.name.clone()).collect(),
            st.deleted.values().map(|(s, _)| s.name.clone()).collect(),
        )
    }

    /// How many versions the secret `name` has (live or deleted).
    pub fn version_count(&self, name: &str) -> usize {
        let st = self.state.lock().unwrap();
        let key = name.to_ascii_lowercase();
        st.secrets
            .get(&key)
            .or_else(|| st.deleted.get(&key).map(|(s, _)| s))
            .map_or(0, |s| s.versions.len())
    }
}

struct Ctx<'a> {
    base: &'a str,
    state: &'a Mutex<State>,
    faults: &'a Faults,
    issued: &'a AtomicUsize,
    client_secret: &'a str,
    page_size: usize,
}

impl Ctx<'_> {
    fn handle(&self, req: &Request) -> Response {
        let path = req.path().to_string();
        if path == format!("/{TENANT}/oauth2/v2.0/token") {
            return self.token(req);
        }
        if path.ends_with("/oauth2/v2.0/token") {
            return Response::json(
                400,
                &serde_json::json!({"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."}),
            );
        }
        if req.query("api-version").as_deref() != Some("7.4") {
            return error(
                400,
                "BadParameter",
                "The specified version of the API is not recognized or missing (api-version=7.4).",
            );
        }
        let authorized = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| self.state.lock().unwrap().tokens.iter().any(|k| k == t));
        if !authorized {
            let resource = if self.faults.foreign_scope.load(Ordering::SeqCst) {
                "https://management.azure.com"
            } else {
                "https://127.0.0.1"
            };
            return error(
                401,
                "Unauthorized",
                "AKV10000: Request is missing a Bearer or PoP token.",
            )
            .with_header(
                "www-authenticate",
                &format!(
                    "Bearer authorization=\"{}/{TENANT}\", resource=\"{resource}\"",
                    self.base
                ),
            );
        }
        if self.faults.garbage.load(Ordering::SeqCst) {
            return Response::raw(200, "<html>not json</html>");
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["secrets"]) => self.list(req),
            ("GET", ["secrets", name]) => self.get(name, None),
            ("GET", ["secrets", name, "versions"]) => self.versions(name),
            ("GET", ["secrets", name, version]) => self.get(name, Some(version)),
            ("PUT", ["secrets", name]) => self.set(name, req),
            ("DELETE", ["secrets", name]) => self.delete(name),
            ("GET", ["deletedsecrets", name]) => self.get_deleted(name),
            ("DELETE", ["deletedsecrets", name]) => self.purge(name),
            ("POST", ["deletedsecrets", name, "recover"]) => self.recover(name),
            _ => error(
                400,
                "BadParameter",
                "The request URI is not valid for this api-version.",
            ),
        }
    }

    fn token(&self, req: &Request) -> Response {
        if req.method != "POST" || req.form("grant_type").as_deref() != Some("client_credentials") {
            return Response::json(
                400,
                &serde_json::json!({"error": "unsupported_grant_type", "error_description": "AADSTS70003: The app requested an unsupported grant type."}),
            );
        }
        if req.form("client_id").as_deref() != Some(CLIENT_ID) {
            return Response::json(
                400,
                &serde_json::json!({"error": "unauthorized_client", "error_description": "AADSTS700016: Application was not found in the directory."}),
            );
        }
        if req.form("client_secret").as_deref() != Some(self.client_secret) {
            return Response::json(
                401,
                &serde_json::json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0000\r\nCorrelation ID: 0000"}),
            );
        }
        if req.form("scope").as_deref() != Some("https://127.0.0.1/.default") {
            return Response::json(
                400,
                &serde_json::json!({"error": "invalid_scope", "error_description": "AADSTS1002012: The provided value for scope is not valid."}),
            );
        }
        let token = format!("eyJ0eXAi.fake-{}", random_hex());
        self.state.lock().unwrap().tokens.push(token.clone());
        self.issued.fetch_add(1, Ordering::SeqCst);
        Response::json(
            200,
            &serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}),
        )
    }

    fn bundle(&self, secret: &Secret, v: &Version) -> serde_json::Value {
        let mut b = serde_json::json!({
            "value": v.value,
            "id": format!("{}/secrets/{}/{}", self.base, secret.name, v.id),
            "attributes": {
                "enabled": true, "created": v.created, "updated": v.created,
                "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
            },
            "tags": v.tags,
        });
        if let Some(ct) = &v.content_type {
            b["contentType"] = ct.clone().into();
        }
        b
    }

    fn not_found(name: &str) -> Response {
        error(
            404,
            "SecretNotFound",
            &format!(
                "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command."
            ),
        )
    }

    fn get(&self, name: &str, version: Option<&str>) -> Response {
        let st = self.state.lock().unwrap();
        let Some(secret) = st.secrets.get(&name.to_ascii_lowercase()) else {
            return Self::not_found(name);
        };
        let v = match version {
            None | Some("") => secret.versions.last(),
            Some(id) => secret.versions.iter().find(|v| v.id == id),
        };
        match v {
            Some(v) => Response::json(200, &self.bundle(secret, v)),
            None => Self::not_found(name),
        }
    }

    fn versions(&self, name: &str) -> Response {
        let st = self.state.lock().unwrap();
        let Some(secret) = st.secrets.get(&name.to_ascii_lowercase()) else {
            return Self::not_found(name);
        };
        let items: Vec<serde_json::Value> = secret
            .versions
            .iter()
            .map(|v| {
                let mut b = self.bundle(secret, v);
                b.as_object_mut().unwrap().remove("value");
                b
            })
            .collect();
        Response::json(200, &serde_json::json!({"value": items, "nextLink": null}))
    }

    fn list(&self, req: &Request) -> Response {
        let st = self.state.lock().unwrap();
        let max: usize = req
            .query("maxresults")
            .and_then(|m| m.parse().ok())
            .unwrap_or(25);
        if !(1..=25).contains(&max) {
            return error(400, "BadParameter", "maxresults must be between 1 and 25.");
        }
        let page = max.min(self.page_size);
        let skip: usize = req
            .query("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let all: Vec<&Secret> = st.secrets.values().collect();
        let items: Vec<serde_json::Value> = all
            .iter()
            .skip(skip)
            .take(page)
            .map(|s| {
                let v = s.versions.last().unwrap();
                serde_json::json!({
                    "id": format!("{}/secrets/{}", self.base, s.name),
                    "attributes": {"enabled": true, "created": v.created, "updated": v.created,
                                   "recoveryLevel": "Recoverable+Purgeable"},
                    "tags": v.tags,
                })
            })
            .collect();
        let next = if skip + page < all.len() {
            let host = if self.faults.foreign_next_link.load(Ordering::SeqCst) {
                "https://evil.example".to_string()
            } else {
                self.base.to_string()
            };
            serde_json::Value::from(format!(
                "{host}/secrets?api-version=7.4&$skiptoken={}&maxresults={max}",
                skip + page
            ))
        } else {
            serde_json::Value::Null
        };
        Response::json(200, &serde_json::json!({"value": items, "nextLink": next}))
    }

    fn set(&self, name: &str, req: &Request) -> Response {
        if !valid_name(name) {
            return error(
                400,
                "BadParameter",
                "The request URI contains an invalid name: secret names must match ^[0-9a-zA-Z-]+$ and be at most 127 characters.",
            );
        }
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return error(400, "BadParameter", "The request body is not valid JSON.");
        };
        let Some(value) = body["value"].as_str() else {
            return error(400, "BadParameter", "Property 'value' is required.");
        };
        if value.len() > MAX_VALUE {
            return error(
                400,
                "BadParameter",
                "The secret value exceeds the maximum size of 25k bytes.",
            );
        }
        let key = name.to_ascii_lowercase();
        let mut st = self.state.lock().unwrap();
        if st.deleted.contains_key(&key) {
            return error(
                409,
                "Conflict",
                &format!(
                    "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
                ),
            );
        }
        let tags: BTreeMap<String, String> =
            serde_json::from_value(body["tags"].clone()).unwrap_or_default();
        let secret = st.secrets.entry(key).or_insert_with(|| Secret {
            name: name.into(),
            versions: vec![],
        });
        secret.versions.push(Version {
            id: random_hex() + &random_hex(),
            value: value.into(),
            tags,
            content_type: body["contentType"].as_str().map(str::to_string),
            created: now(),
        });
        let (secret, v) = (secret.clone(), secret.versions.last().unwrap().clone());
        Response::json(200, &self.bundle(&secret, &v))
    }

    fn deleted_bundle(&self, secret: &Secret, deleted: u64) -> serde_json::Value {
        let v = secret.versions.last().unwrap();
        let mut b = self.bundle(secret, v);
        let obj = b.as_object_mut().unwrap();
        obj.remove("value");
        obj.insert(
            "recoveryId".into(),
            format!("{}/deletedsecrets/{}", self.base, secret.name).into(),
        );
        obj.insert("deletedDate".into(), deleted.into());
        obj.insert("scheduledPurgeDate".into(), (deleted + 90 * 86400).into());
        b
    }

    fn delete(&self, name: &str) -> Response {
        let mut st = self.state.lock().unwrap();
        let key = name.to_ascii_lowercase();
        let Some(secret) = st.secrets.remove(&key) else {
            return Self::not_found(name);
        };
        let when = now();
        let body = self.deleted_bundle(&secret, when);
        st.deleted.insert(key, (secret, when));
        Response::json(200, &body)
    }

    fn get_deleted(&self, name: &str) -> Response {
        let st = self.state.lock().unwrap();
        match st.deleted.get(&name.to_ascii_lowercase()) {
            Some((s, when)) => Response::json(200, &self.deleted_bundle(s, *when)),
            None => error(
                404,
                "SecretNotFound",
                &format!("Deleted Secret not found: {name}"),
            ),
        }
    }

    fn purge(&self, name: &str) -> Response {
        let mut st = self.state.lock().unwrap();
        match st.deleted.remove(&name.to_ascii_lowercase()) {
            Some(_) => Response::empty(204),
            None => error(
                404,
                "SecretNotFound",
                &format!("Deleted Secret not found: {name}"),
            ),
        }
    }

    fn recover(&self, name: &str) -> Response {
        let mut st = self.state.lock().unwrap();
        let key = name.to_ascii_lowercase();
        let Some((secret, _)) = st.deleted.remove(&key) else {
            return error(
                404,
                "SecretNotFound",
                &format!("Deleted Secret not found: {name}"),
            );
        };
        let v = secret.versions.last().unwrap().clone();
        let body = self.bundle(&secret, &v);
        st.secrets.insert(key, secret);
        Response::json(200, &body)
    }
}

/// A CA and a certificate for 127.0.0.1 and localhost signed by it; returns the server
/// configuration and the CA's PEM.
fn tls_config() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sesame test CA (azure fake)");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &issuer).expect("server cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server certificate");
    (config, ca_cert.pem())
}
