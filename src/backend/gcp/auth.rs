//! How the gcp flavor gets its bearer token: the `token` option as it is, or a
//! service-account key (the JSON file Google hands out) signing an RS256 JWT that is
//! exchanged at the key's `token_uri` for an access token, cached until a minute before it
//! expires. The private key is parsed once and never printed.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::backend::BackendError;
use crate::backend::error::remote_text;
use crate::backend::http::{Http, Method, is_loopback_http, percent_encode};
use crate::backend::remote::json;
use crate::secret::SecretValue;

/// What a service-account token may do: Secret Manager needs the cloud-platform scope.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// A token is renewed this long before Google says it expires.
const EARLY: Duration = Duration::from_secs(60);
/// Lifetime asked for in the JWT (Google's maximum).
const JWT_LIFETIME: u64 = 3600;
pub(super) const CHECK: &str = "the token or service_account option, and that the account may use Secret Manager in this project";

pub(super) enum Auth {
    Token(SecretValue),
    ServiceAccount(Box<ServiceAccount>),
}

pub(super) struct ServiceAccount {
    pub email: String,
    pub project_id: Option<String>,
    key_id: Option<String>,
    key: RsaKeyPair,
    pub token_uri: String,
    cached: Mutex<Option<(SecretValue, Instant)>>,
}

/// The fields sesame reads from a service-account key file.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type", default)]
    kind: String,
    client_email: String,
    private_key: SecretValue,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default = "default_token_uri")]
    token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl ServiceAccount {
    /// Reads a key file's JSON. Errors name the field, never the content.
    pub fn parse(text: &str) -> Result<ServiceAccount, String> {
        let file: KeyFile = json(text.as_bytes())
            .map_err(|e| format!("service_account is not a service-account key file ({e})"))?;
        if file.kind != "service_account" {
            return Err(format!(
                "service_account has type '{}', not 'service_account' (use a key file from IAM > Service accounts > Keys)",
                remote_text(&file.kind, 40)
            ));
        }
        let token_uri = file.token_uri.trim().to_string();
        if !(token_uri.starts_with("https://") || is_loopback_http(&token_uri)) {
            return Err(
                "service_account's token_uri must be https:// (plain http only on 127.0.0.1 or localhost, for tests)".into(),
            );
        }
        let pem = ureq::tls::parse_pem(file.private_key.expose().as_bytes())
            .find_map(|item| match item {
                Ok(ureq::tls::PemItem::PrivateKey(k)) => Some(k),
                _ => None,
            })
            .ok_or("service_account's private_key holds no PEM private key")?;
        // Google's key files hold PKCS#8; a PKCS#1 `RSA PRIVATE KEY` is taken too.
        let key = RsaKeyPair::from_pkcs8(pem.der())
            .or_else(|_| RsaKeyPair::from_der(pem.der()))
            .map_err(|_| "service_account's private_key is not a usable RSA key".to_string())?;
        Ok(ServiceAccount {
            email: file.client_email,
            project_id: file.project_id.filter(|p| !p.is_empty()),
            key_id: file.private_key_id.filter(|k| !k.is_empty()),
            key,
            token_uri,
            cached: Mutex::new(None),
        })
    }

    /// The signed JWT assertion for a token request at `now` (seconds since the epoch).
    pub fn assertion(&self, now: u64) -> Zeroizing<String> {
        let mut header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            header["kid"] = kid.clone().into();
        }
        let claims = serde_json::json!({
            "iss": self.email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + JWT_LIFETIME,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing with a valid key pair does not fail");
        Zeroizing::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// A cached token that is still good, else a new one from `token_uri`. `stale` is a
    /// token the API just refused: it is not handed out again.
    pub fn token(
        &self,
        http: &Http,
        stale: Option<&SecretValue>,
    ) -> Result<SecretValue, BackendError> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, until)) = cached.as_ref()
            && Instant::now() < *until
            && Some(t) != stale
        {
            return Ok(t.clone());
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let body = Zeroizing::new(format!(
            "grant_type={}&assertion={}",
            percent_encode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            self.assertion(now).as_str()
        ));
        let reply = http.send(
            Method::Post,
            &self.token_uri,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )?;
        let refused = |detail: String| BackendError::Refused {
            backend: http.label.clone(),
            detail,
            check: "the service_account option (is the key still valid? was it deleted in IAM?)",
        };
        #[derive(Deserialize)]
        struct TokenReply {
            access_token: SecretValue,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        #[derive(Deserialize)]
        struct TokenError {
            #[serde(default)]
            error: String,
            #[serde(default)]
            error_description: String,
        }
        match reply.status {
            200 => {}
            400 | 401 | 403 => {
                let said = json::<TokenError>(&reply.body)
                    .map(|e| {
                        remote_text(format!("{} {}", e.error, e.error_description).trim(), 160)
                    })
                    .unwrap_or_default();
                return Err(refused(format!(
                    "the token endpoint {} said HTTP {}{}{said}",
                    self.token_uri,
                    reply.status,
                    if said.is_empty() { "" } else { ": " }
                )));
            }
            s if s >= 500 => {
                return Err(BackendError::Unreachable {
                    backend: http.label.clone(),
                    detail: format!("the token endpoint {} said HTTP {s}", self.token_uri),
                });
            }
            s => {
                return Err(BackendError::Protocol {
                    backend: http.label.clone(),
                    detail: format!("the token endpoint {} said HTTP {s}", self.token_uri),
                });
            }
        }
        let token: TokenReply = json(&reply.body).map_err(|e| BackendError::Protocol {
            backend: http.label.clone(),
            detail: format!("a token answer that is {e}"),
        })?;
        if token.access_token.is_empty() {
            return Err(BackendError::Protocol {
                backend: http.label.clone(),
                detail: "a token answer with an empty access_token".into(),
            });
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(JWT_LIFETIME).min(24 * 3600));
        *cached = Some((
            token.access_token.clone(),
            Instant::now() + lifetime.saturating_sub(EARLY),
        ));
        Ok(token.access_token)
    }
}

impl Auth {
    pub fn token(
        &self,
        http: &Http,
        stale: Option<&SecretValue>,
    ) -> Result<SecretValue, BackendError> {
        match self {
            Auth::Token(t) => Ok(t.clone()),
            Auth::ServiceAccount(sa) => sa.token(http, stale),
        }
    }

    /// How `Debug` and `test` name the credential (never the credential itself).
    pub fn describe(&self) -> String {
        match self {
            Auth::Token(_) => "bearer token".into(),
            Auth::ServiceAccount(sa) => format!("service account {}", sa.email),
        }
    }
}
