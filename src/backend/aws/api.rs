//! Signed calls to the Secrets Manager JSON API and the reading of its error answers:
//! which error types are refusals, outages or conflicts, and which messages are safe to show.

use std::time::SystemTime;

use serde::Deserialize;

use super::{AwsBackend, SERVICE, sigv4};
use crate::backend::BackendError;
use crate::backend::error::remote_text;
use crate::backend::http::{Method, Reply};
use crate::backend::remote::json;

/// An error answer: `__type` (without the `namespace#`) and, when safe to show, its message.
pub(super) struct Fault {
    pub status: u16,
    pub kind: String,
    pub message: String,
}

/// Error types whose messages describe the request, never its content: shown to the user.
/// Others (notably ValidationException, which may quote a field) show only their type.
const SAFE_MESSAGES: &[&str] = &[
    "ResourceNotFoundException",
    "ResourceExistsException",
    "InvalidRequestException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
    "ThrottlingException",
    "InternalServiceError",
];

const REFUSALS: &[&str] = &[
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
];

/// `<Code>X</Code>` of an XML error body, if it is a plain identifier.
fn xml_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let code = &text[start..start + text[start..].find("</Code>")?];
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| code.to_string())
}

impl AwsBackend {
    /// One signed API call. `Ok(Err(fault))` is an AWS error answer for the caller to judge.
    pub(super) fn call(
        &self,
        action: &str,
        body: &[u8],
    ) -> Result<Result<Reply, Fault>, BackendError> {
        let target = format!("secretsmanager.{action}");
        let date = sigv4::amz_date(SystemTime::now());
        let mut headers = vec![
            (
                "content-type".to_string(),
                "application/x-amz-json-1.1".to_string(),
            ),
            ("host".to_string(), self.host.clone()),
            ("x-amz-date".to_string(), date.clone()),
            ("x-amz-target".to_string(), target),
        ];
        if let Some(t) = &self.creds.session_token {
            headers.push(("x-amz-security-token".into(), t.expose().to_string()));
        }
        let signed = sigv4::sign(
            &sigv4::Request {
                method: "POST",
                path: "/",
                query: &[],
                headers: &headers,
                payload: body,
            },
            &self.creds,
            &self.region,
            SERVICE,
            &date,
        );
        let mut send: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        send.push(("authorization", &signed.authorization));
        let reply = self
            .http
            .send(Method::Post, &format!("{}/", self.url), &send, Some(body))?;
        if reply.status == 200 {
            return Ok(Ok(reply));
        }
        #[derive(Deserialize)]
        struct ErrorBody {
            #[serde(rename = "__type", default)]
            kind: String,
            #[serde(alias = "Message", default)]
            message: String,
        }
        let parsed = json::<ErrorBody>(&reply.body).ok();
        let kind = match &parsed {
            Some(e) => e.kind.rsplit('#').next().unwrap_or("").to_string(),
            // Some endpoints (and moto's auth checks) answer in XML: take its <Code>.
            None => xml_code(&reply.body).unwrap_or_default(),
        };
        let message = match &parsed {
            Some(e) if SAFE_MESSAGES.contains(&kind.as_str()) => remote_text(&e.message, 160),
            _ => String::new(),
        };
        Ok(Err(Fault {
            status: reply.status,
            kind,
            message,
        }))
    }

    /// The error for an answer no caller handled specially.
    pub(super) fn fault(&self, f: Fault) -> BackendError {
        let detail = match (f.kind.is_empty(), f.message.is_empty()) {
            (true, _) => format!("HTTP {}", f.status),
            (false, true) => format!("HTTP {}: {}", f.status, f.kind),
            (false, false) => format!("HTTP {}: {}: {}", f.status, f.kind, f.message),
        };
        if REFUSALS.contains(&f.kind.as_str()) || f.status == 401 || f.status == 403 {
            BackendError::Refused {
                backend: self.label(),
                detail,
                check: "the access_key_id, secret_access_key and session_token options, the IAM policy, and this machine's clock",
            }
        } else if f.status >= 500 || f.kind == "ThrottlingException" {
            BackendError::Unreachable {
                backend: self.label(),
                detail,
            }
        } else {
            BackendError::Protocol {
                backend: self.label(),
                detail,
            }
        }
    }

    pub(super) fn answer<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, BackendError> {
        json::<T>(&reply.body).map_err(|e| BackendError::Protocol {
            backend: self.label(),
            detail: format!("a {what} answer that is {e}"),
        })
    }
}
