//! AWS Signature Version 4 with HMAC-SHA256, checked against AWS's published test suite
//! (tests/fixtures/sigv4). The secret key only ever enters an HMAC; nothing here prints it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::super::http::percent_encode;
use super::super::remote::hex;
use crate::secret::SecretValue;

/// What a request is signed with. `Debug` is written by hand: only the key id shows.
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretValue,
    pub session_token: Option<SecretValue>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// One request as it will be sent: every header listed here is signed.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// Already a canonical path (`/` for the JSON protocols sesame uses).
    pub path: &'a str,
    /// Query parameters, not yet encoded.
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload: &'a [u8],
}

pub(crate) struct Signed {
    // The intermediate forms are kept for the test-suite check, which compares all three.
    #[cfg_attr(not(test), allow(dead_code))]
    pub canonical_request: String,
    #[cfg_attr(not(test), allow(dead_code))]
    pub string_to_sign: String,
    pub authorization: String,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// Signs `req` at `amz_date` (`YYYYMMDDTHHMMSSZ`, also sent as X-Amz-Date).
pub(crate) fn sign(
    req: &Request,
    creds: &Credentials,
    region: &str,
    service: &str,
    amz_date: &str,
) -> Signed {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            // Trim, and fold runs of spaces to one, as the canonical form requires.
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), value)
        })
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    let mut names: Vec<&str> = Vec::new();
    for (k, v) in &headers {
        if names.last() == Some(&k.as_str()) {
            // A repeated header: values joined by commas on one line.
            canonical_headers.pop();
            canonical_headers.push(',');
            canonical_headers.push_str(v);
            canonical_headers.push('\n');
        } else {
            canonical_headers.push_str(&format!("{k}:{v}\n"));
            names.push(k);
        }
    }
    let signed_headers = names.join(";");
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method,
        req.path,
        sha256_hex(req.payload)
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let secret = Zeroizing::new(format!("AWS4{}", creds.secret_access_key.expose()));
    let k_date = hmac(secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&*k_date, region.as_bytes());
    let k_service = hmac(&*k_region, service.as_bytes());
    let k_signing = hmac(&*k_service, b"aws4_request");
    let signature = hex(&*hmac(&*k_signing, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    );
    Signed {
        canonical_request,
        string_to_sign,
        authorization,
    }
}

/// `YYYYMMDDTHHMMSSZ` for a time.
pub(crate) fn amz_date(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The suite's example key (published by AWS; not a real credential).
    fn suite_credentials(session_token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SecretValue::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: session_token.map(SecretValue::new),
        }
    }

    const CASES: &[&str] = &[
        "get-vanilla",
        "get-vanilla-query-order-key-case",
        "get-vanilla-query-unreserved",
        "get-vanilla-utf8-query",
        "get-unreserved",
        "get-header-value-trim",
        "post-vanilla",
        "post-vanilla-query",
        "post-header-key-sort",
        "post-header-value-case",
        "post-sts-header-before",
    ];

    fn fixture(name: &str, ext: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/sigv4/{name}.{ext}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// A suite `.req` file: request line, `Name:value` headers, blank line, body.
    struct SuiteRequest {
        method: String,
        path: String,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    fn parse_req(text: &str) -> SuiteRequest {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let mut parts = lines.next().unwrap().split(' ');
        let method = parts.next().unwrap().to_string();
        let target = parts.next().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        SuiteRequest {
            method,
            path: path.to_string(),
            query,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn aws_published_test_suite() {
        for name in CASES {
            let r = parse_req(&fixture(name, "req"));
            let token = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"))
                .map(|(_, v)| v.as_str());
            let signed = sign(
                &Request {
                    method: &r.method,
                    path: &r.path,
                    query: &r.query,
                    headers: &r.headers,
                    payload: &r.body,
                },
                &suite_credentials(token),
                "us-east-1",
                "service",
                "20150830T123600Z",
            );
            assert_eq!(
                signed.canonical_request,
                fixture(name, "creq"),
                "{name}: canonical request"
            );
            assert_eq!(
                signed.string_to_sign,
                fixture(name, "sts"),
                "{name}: string to sign"
            );
            assert_eq!(
                signed.authorization,
                fixture(name, "authz"),
                "{name}: authorization"
            );
        }
    }

    #[test]
    fn dates_and_debug() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
        let dbg = format!("{:?}", suite_credentials(Some("tok")));
        assert!(!dbg.contains("EXAMPLEKEY") && !dbg.contains("tok"), "{dbg}");
    }
}
