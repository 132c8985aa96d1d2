//! The one HTTP client of the network flavors: a keep-alive `ureq` agent per backend, with
//! timeouts, an optional private CA, and response bodies capped before they are read.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::BackendError;
use super::remote::MAX_BODY;

/// Connecting must be quick; a stopped server is reported at once, not after the overall
/// timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The sync engine calls from a pool of 8 threads: keep that many connections warm per host.
const IDLE_PER_HOST: usize = 16;

/// A response: status and body. The body may hold secret values, so it is wiped on drop.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
    /// The `WWW-Authenticate` header of a 401 (Azure Key Vault's challenge), if any.
    pub challenge: Option<String>,
}

pub(crate) struct Http {
    agent: ureq::Agent,
    /// How messages name the backend (`vault at https://...`).
    pub label: String,
}

#[derive(Clone, Copy)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Http {
    pub fn new(
        label: String,
        timeout: Duration,
        ca_cert: Option<&Path>,
        flavor: &'static str,
    ) -> Result<Http, BackendError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = ca_cert {
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(read_ca(
                path, flavor,
            )?)));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
            .timeout_global(Some(timeout))
            .max_idle_connections_per_host(IDLE_PER_HOST)
            .max_idle_connections(IDLE_PER_HOST * 2)
            // A secret store never redirects its API; following one could send the token
            // elsewhere.
            .max_redirects(0)
            .user_agent(concat!("sesame/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build();
        Ok(Http {
            agent: config.into(),
            label,
        })
    }

    /// Sends one request and reads at most `MAX_BODY` bytes of the answer. Transport
    /// failures become `Unreachable`; the status is the caller's to judge.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, BackendError> {
        let result = match method {
            Method::Get | Method::Delete => {
                let mut req = match method {
                    Method::Get => self.agent.get(url),
                    _ => self.agent.delete(url),
                };
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.call()
            }
            Method::Post | Method::Put | Method::Patch => {
                let mut req = match method {
                    Method::Post => self.agent.post(url),
                    Method::Put => self.agent.put(url),
                    _ => self.agent.patch(url),
                };
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.send(body.unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let challenge = (status == 401)
            .then(|| response.headers().get("www-authenticate"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY as u64)
            .read_to_vec()
            .map_err(|e| self.transport(e))?;
        Ok(Reply {
            status,
            body: Zeroizing::new(body),
            challenge,
        })
    }

    fn transport(&self, e: ureq::Error) -> BackendError {
        let detail = match &e {
            ureq::Error::BodyExceedsLimit(_) => {
                return BackendError::Protocol {
                    backend: self.label.clone(),
                    detail: format!("an answer larger than {} MiB", MAX_BODY >> 20),
                };
            }
            ureq::Error::Timeout(_) => "no answer in time".to_string(),
            ureq::Error::HostNotFound => "host not found".to_string(),
            ureq::Error::ConnectionFailed => "connection failed".to_string(),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                "connection refused".to_string()
            }
            // rustls' certificate errors reach us wrapped in io errors too.
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => tls_hint(&e),
            ureq::Error::Io(io) if io.to_string().contains("certificate") => tls_hint(&e),
            // ureq's messages name the failure, never headers or bodies.
            other => other.to_string(),
        };
        BackendError::Unreachable {
            backend: self.label.clone(),
            detail,
        }
    }
}

fn tls_hint(e: &ureq::Error) -> String {
    format!("TLS failed: {e}; for a private CA set the ca_cert option to its PEM file")
}

fn read_ca(
    path: &Path,
    flavor: &'static str,
) -> Result<Vec<ureq::tls::Certificate<'static>>, BackendError> {
    let bad = |detail: String| BackendError::Options { flavor, detail };
    let pem = std::fs::read(path)
        .map_err(|e| bad(format!("cannot read ca_cert {}: {e}", path.display())))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(bad(format!(
            "ca_cert {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as both Vault's
/// query strings and AWS SigV4's canonical form want it.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `http://127.0.0.1...` or `http://localhost...`: a test endpoint on this machine, the only
/// place a credential may travel without TLS.
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// `(scheme, host, port)` of an http(s) URL, for same-origin checks; None if it is not one.
pub(crate) fn origin(url: &str) -> Option<(&str, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (h, p.parse().ok()?)
        }
        _ => (authority, default),
    };
    Some((scheme, host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_loopback() {
        assert_eq!(
            origin("https://v.vault.azure.net/secrets?x=1"),
            Some(("https", "v.vault.azure.net".into(), 443))
        );
        assert_eq!(
            origin("https://127.0.0.1:8443/a"),
            Some(("https", "127.0.0.1".into(), 8443))
        );
        assert_eq!(origin("https://user@evil.example/"), None);
        assert_eq!(origin("ftp://x/"), None);
        assert!(is_loopback_http("http://127.0.0.1:9/token"));
        assert!(!is_loopback_http("http://127.0.0.1.evil.example/token"));
        assert!(!is_loopback_http("https://127.0.0.1/token"));
    }
}
