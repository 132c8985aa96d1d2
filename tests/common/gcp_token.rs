//! A stand-in for Google's OAuth token endpoint (`token_uri` of a service-account key):
//! checks the JWT grant the way Google does (RS256 signature against the account's public
//! key, issuer, audience, scope, lifetime) and hands out opaque tokens, counting requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::http_fake::{FakeServer, Request, Response};

pub const CLIENT_EMAIL: &str = "sesame-test@test-project.iam.gserviceaccount.com";

pub fn private_key_pem() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gcp-test-sa-key.pem"
    ))
    .expect("test key")
}

fn public_key_der() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gcp-test-sa-key.pub.der"
    ))
    .expect("test public key")
}

pub struct TokenServer {
    pub server: FakeServer,
    pub token_uri: String,
    /// Tokens handed out so far.
    pub issued: Arc<AtomicUsize>,
}

impl TokenServer {
    /// A token endpoint whose tokens last `expires_in` seconds.
    pub fn start(expires_in: u64) -> TokenServer {
        let issued = Arc::new(AtomicUsize::new(0));
        let count = issued.clone();
        let public = public_key_der();
        let uri = Arc::new(std::sync::OnceLock::<String>::new());
        let uri_in = uri.clone();
        let server = FakeServer::start(
            None,
            Arc::new(move |req: &Request| {
                let aud = uri_in.get().cloned().unwrap_or_default();
                match check_grant(req, &public, &aud) {
                    Ok(()) => {
                        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                        Response::json(
                            200,
                            &serde_json::json!({
                                "access_token": format!("ya29.test-token-{n}"),
                                "expires_in": expires_in,
                                "token_type": "Bearer",
                            }),
                        )
                    }
                    Err(why) => Response::json(
                        400,
                        &serde_json::json!({"error": "invalid_grant", "error_description": why}),
                    ),
                }
            }),
        );
        let token_uri = format!("http://127.0.0.1:{}/token", server.port);
        uri.set(token_uri.clone()).unwrap();
        TokenServer {
            server,
            token_uri,
            issued,
        }
    }

    /// A service-account key file for this endpoint.
    pub fn key_file(&self, project: &str) -> String {
        serde_json::json!({
            "type": "service_account",
            "project_id": project,
            "private_key_id": "0123456789abcdef",
            "private_key": private_key_pem(),
            "client_email": CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": self.token_uri,
        })
        .to_string()
    }
}

fn check_grant(req: &Request, public: &[u8], aud: &str) -> Result<(), String> {
    if req.method != "POST" || req.path() != "/token" {
        return Err("not the token endpoint".into());
    }
    if req.form("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err("unsupported grant_type".into());
    }
    let jwt = req.form("assertion").ok_or("no assertion")?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not a JWT".into());
    };
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "bad base64".to_string())
    };
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| "bad header")?;
    if header["alg"] != "RS256" {
        return Err("alg must be RS256".into());
    }
    let signed = &jwt[..jwt.rfind('.').unwrap()];
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public)
        .verify(signed.as_bytes(), &decode(signature)?)
        .map_err(|_| "Invalid JWT Signature.".to_string())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(claims)?).map_err(|_| "bad claims")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    if claims["iss"] != CLIENT_EMAIL
        || claims["aud"] != aud
        || claims["scope"] != "https://www.googleapis.com/auth/cloud-platform"
        || iat > now + 60
        || exp <= now
        || exp - iat > 3600
    {
        return Err(format!("bad claims: {claims}"));
    }
    Ok(())
}
