//! How the azure flavor gets its bearer token. Key Vault says what it wants in the 401 it
//! gives a request without one (`WWW-Authenticate: Bearer authorization="…",
//! resource="…"` or `scope="…"`); sesame takes only the scope from it, checks that the scope
//! belongs to the vault's own domain (a vault must not be able to ask for a token to another
//! service), and asks the configured authority for a client-credentials token for the
//! configured tenant (the challenge's authority is never followed: the client secret goes
//! only where the options say). Tokens are cached until a minute before they expire.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::backend::BackendError;
use crate::backend::error::remote_text;
use crate::backend::http::{Http, Method, origin, percent_encode};
use crate::backend::remote::json;
use crate::secret::SecretValue;

const EARLY: Duration = Duration::from_secs(60);
pub(super) const CHECK: &str = "the tenant_id, client_id and client_secret (or token) options, and the vault's access policy or RBAC role for this app";

pub(super) enum Auth {
    Token(SecretValue),
    ClientCredentials {
        /// `<authority>/<tenant>/oauth2/v2.0/token`
        token_url: String,
        client_id: String,
        secret: SecretValue,
    },
}

/// A token and the scope it was asked for.
struct Cached {
    token: SecretValue,
    until: Instant,
}

pub(super) struct Tokens {
    pub auth: Auth,
    /// The vault's host, which a challenge's scope must belong to.
    vault_host: String,
    /// The scope the last challenge named.
    scope: Mutex<Option<String>>,
    cached: Mutex<Option<Cached>>,
}

/// The parameters of a `Bearer k="v", k2="v2"` challenge.
pub(super) fn challenge_params(header: &str) -> Vec<(String, String)> {
    let rest = header.trim();
    let rest = rest
        .strip_prefix("Bearer")
        .or_else(|| rest.strip_prefix("bearer"))
        .unwrap_or(rest);
    let mut out = Vec::new();
    for part in rest.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            out.push((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ));
        }
    }
    out
}

/// The token scope a challenge asks for, if it belongs to `vault_host`: the scope's host must
/// be the vault's host or a parent domain of it (`vault.azure.net` for
/// `x.vault.azure.net`), as Azure's own SDKs check.
pub(super) fn scope_of(header: &str, vault_host: &str) -> Result<String, String> {
    let params = challenge_params(header);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let scope = match (get("scope"), get("resource")) {
        (Some(s), _) if !s.is_empty() => s,
        (_, Some(r)) if !r.is_empty() => format!("{}/.default", r.trim_end_matches('/')),
        _ => return Err("a 401 whose challenge names no scope or resource".into()),
    };
    let host = origin(&scope).map(|(_, h, _)| h).unwrap_or_default();
    let vault = vault_host.to_ascii_lowercase();
    if host.is_empty() || !(vault == host || vault.ends_with(&format!(".{host}"))) {
        return Err(format!(
            "a challenge asking for a token to '{}', which is not this vault's domain; no token was asked for",
            remote_text(&scope, 80)
        ));
    }
    Ok(scope)
}

impl Tokens {
    pub fn new(auth: Auth, vault_host: String) -> Tokens {
        Tokens {
            auth,
            vault_host,
            scope: Mutex::new(None),
            cached: Mutex::new(None),
        }
    }

    /// The token to send now, if there is one (None: ask for the challenge first).
    pub fn current(&self) -> Option<SecretValue> {
        match &self.auth {
            Auth::Token(t) => Some(t.clone()),
            Auth::ClientCredentials { .. } => {
                let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
                cached
                    .as_ref()
                    .filter(|c| Instant::now() < c.until)
                    .map(|c| c.token.clone())
            }
        }
    }

    /// After a 401 with `challenge`: a new token, unless another thread already got one
    /// other than `stale`. `Ok(None)`: no new token can help (a fixed `token` option).
    pub fn renew(
        &self,
        http: &Http,
        challenge: Option<&str>,
        stale: Option<&SecretValue>,
    ) -> Result<Option<SecretValue>, BackendError> {
        let Auth::ClientCredentials {
            token_url,
            client_id,
            secret,
        } = &self.auth
        else {
            return Ok(None);
        };
        let protocol = |detail: String| BackendError::Protocol {
            backend: http.label.clone(),
            detail,
        };
        if let Some(c) = challenge {
            let scope = scope_of(c, &self.vault_host).map_err(protocol)?;
            *self.scope.lock().unwrap_or_else(|p| p.into_inner()) = Some(scope);
        }
        let Some(scope) = self.scope.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
            return Err(protocol("a 401 without a Bearer challenge".into()));
        };
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.until
            && Some(&c.token) != stale
        {
            return Ok(Some(c.token.clone()));
        }
        let body = Zeroizing::new(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            percent_encode(client_id),
            percent_encode(secret.expose()),
            percent_encode(&scope)
        ));
        let reply = http.send(
            Method::Post,
            token_url,
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )?;
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
                // Entra's descriptions start with an AADSTS code and a sentence about the
                // request; the trace and correlation ids after the first line are dropped.
                let said = json::<TokenError>(&reply.body)
                    .map(|e| {
                        let first = e.error_description.lines().next().unwrap_or("");
                        remote_text(format!("{} {first}", e.error).trim(), 160)
                    })
                    .unwrap_or_default();
                return Err(BackendError::Refused {
                    backend: http.label.clone(),
                    detail: format!(
                        "the token endpoint {token_url} said HTTP {}{}{said}",
                        reply.status,
                        if said.is_empty() { "" } else { ": " }
                    ),
                    check: CHECK,
                });
            }
            s if s >= 500 => {
                return Err(BackendError::Unreachable {
                    backend: http.label.clone(),
                    detail: format!("the token endpoint {token_url} said HTTP {s}"),
                });
            }
            s => {
                return Err(protocol(format!(
                    "the token endpoint {token_url} said HTTP {s}"
                )));
            }
        }
        let token: TokenReply =
            json(&reply.body).map_err(|e| protocol(format!("a token answer that is {e}")))?;
        if token.access_token.is_empty() {
            return Err(protocol("a token answer with an empty access_token".into()));
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600).min(24 * 3600));
        *cached = Some(Cached {
            token: token.access_token.clone(),
            until: Instant::now() + lifetime.saturating_sub(EARLY),
        });
        Ok(Some(token.access_token))
    }

    pub fn describe(&self) -> String {
        match &self.auth {
            Auth::Token(_) => "a bearer token".into(),
            Auth::ClientCredentials { client_id, .. } => {
                format!("client credentials of app {client_id}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_name_a_scope_of_the_vaults_domain() {
        let old = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;
        assert_eq!(
            scope_of(old, "myvault.vault.azure.net").unwrap(),
            "https://vault.azure.net/.default"
        );
        let new = r#"Bearer authorization="https://login.microsoftonline.com/t", scope="https://vault.azure.net/.default""#;
        assert_eq!(
            scope_of(new, "myvault.vault.azure.net").unwrap(),
            "https://vault.azure.net/.default"
        );
        let evil = r#"Bearer authorization="https://login.microsoftonline.com/t", resource="https://management.azure.com""#;
        let e = scope_of(evil, "myvault.vault.azure.net").unwrap_err();
        assert!(e.contains("not this vault's domain"), "{e}");
        assert!(
            scope_of(
                r#"Bearer resource="https://azure.net.evil.example""#,
                "v.vault.azure.net"
            )
            .is_err()
        );
        assert!(scope_of("Basic realm=\"x\"", "v.vault.azure.net").is_err());
    }
}
