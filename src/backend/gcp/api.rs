//! The REST side of the gcp flavor: authorized requests (one retry with a fresh token after
//! a 401), Google's error envelope read into sesame's error kinds, the wire types, and the
//! paging of `secrets.list`, written against a page-fetching function so that paging is
//! tested on recorded answers (the drongo emulator answers in one page).

use serde::Deserialize;
use std::collections::BTreeMap;

use super::GcpBackend;
use super::auth::CHECK;
use crate::backend::BackendError;
use crate::backend::error::remote_text;
use crate::backend::http::{Method, Reply};
use crate::backend::remote::json;

/// A listing longer than this is a runaway server, not a project's secrets.
const MAX_PAGES: usize = 100_000;

/// Google's error envelope: `{"error": {"code", "message", "status"}}`.
pub(super) struct Fault {
    pub code: u16,
    pub status: String,
    pub message: String,
}

/// A Secret resource, as far as sesame reads it (metadata only: no payload).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecretResource {
    pub name: String,
    #[serde(default)]
    pub create_time: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub etag: Option<String>,
}

/// A SecretVersion resource.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionResource {
    pub name: String,
    #[serde(default)]
    pub state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page {
    #[serde(default)]
    pub secrets: Vec<SecretResource>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// The last segment of a resource name (`projects/p/secrets/x/versions/3` → `3`).
pub(super) fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Every page of a listing: `fetch(token)` returns one page. Stops when a page has no
/// `nextPageToken`, and refuses a server that repeats a token (it would never end).
pub(super) fn all_pages(
    mut fetch: impl FnMut(Option<&str>) -> Result<Page, BackendError>,
    protocol: impl Fn(String) -> BackendError,
) -> Result<Vec<SecretResource>, BackendError> {
    let mut secrets = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(token.as_deref())?;
        secrets.extend(page.secrets);
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(t) if Some(&t) == token.as_ref() => {
                return Err(protocol(
                    "a listing page that points to itself as the next one".into(),
                ));
            }
            Some(t) => token = Some(t),
            None => return Ok(secrets),
        }
    }
    Err(protocol(format!(
        "a listing of more than {MAX_PAGES} pages"
    )))
}

impl GcpBackend {
    /// One request with the bearer token. `Ok(Err(fault))` is an API error for the caller to
    /// judge. A 401 under a service account may be an expired token: one retry with a new one.
    pub(super) fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Result<Reply, Fault>, BackendError> {
        let token = self.auth.token(&self.http, None)?;
        let mut reply = self.send(method, url, body, token.expose())?;
        if reply.status == 401 && matches!(self.auth, super::auth::Auth::ServiceAccount(_)) {
            let fresh = self.auth.token(&self.http, Some(&token))?;
            reply = self.send(method, url, body, fresh.expose())?;
        }
        if (200..300).contains(&reply.status) {
            return Ok(Ok(reply));
        }
        Ok(Err(fault_of(&reply)))
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        token: &str,
    ) -> Result<Reply, BackendError> {
        let bearer = zeroize::Zeroizing::new(format!("Bearer {token}"));
        let headers = [
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ];
        self.http.send(method, url, &headers, body)
    }

    /// The error for an answer no caller handled specially.
    pub(super) fn fault(&self, f: Fault) -> BackendError {
        let detail = match (f.status.is_empty(), f.message.is_empty()) {
            (true, _) => format!("HTTP {}", f.code),
            (false, true) => format!("HTTP {}: {}", f.code, f.status),
            (false, false) => format!("HTTP {}: {}: {}", f.code, f.status, f.message),
        };
        match f.code {
            401 | 403 => BackendError::Refused {
                backend: self.label(),
                detail,
                check: CHECK,
            },
            429 | 500..=599 => BackendError::Unreachable {
                backend: self.label(),
                detail,
            },
            _ => self.protocol(detail),
        }
    }

    pub(super) fn protocol(&self, detail: String) -> BackendError {
        BackendError::Protocol {
            backend: self.label(),
            detail,
        }
    }

    pub(super) fn answer<T: serde::de::DeserializeOwned>(
        &self,
        reply: &Reply,
        what: &str,
    ) -> Result<T, BackendError> {
        json::<T>(&reply.body).map_err(|e| self.protocol(format!("a {what} answer that is {e}")))
    }
}

/// Google's messages describe the request (resource names, field names), never a payload;
/// they are cut and escaped all the same.
fn fault_of(reply: &Reply) -> Fault {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        message: String,
        #[serde(default)]
        status: String,
    }
    let (status, message) = match json::<Envelope>(&reply.body) {
        Ok(e) => (
            remote_text(&e.error.status, 40),
            remote_text(&e.error.message, 160),
        ),
        Err(_) => (String::new(), String::new()),
    };
    Fault {
        code: reply.status,
        status,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(detail: String) -> BackendError {
        BackendError::Protocol {
            backend: "gcp".into(),
            detail,
        }
    }

    /// Recorded from Secret Manager's documented `secrets.list` answers: three pages, the
    /// last without `nextPageToken` (drongo never pages, so this path is tested here).
    const PAGES: [&str; 3] = [
        r#"{"secrets": [
            {"name": "projects/p/secrets/team-workspace-a", "createTime": "2024-05-01T10:00:00.123456Z",
             "labels": {"sesame-schema": "arbitrary"}, "etag": "\"1616f4b2a0d2f0\"",
             "replication": {"automatic": {}}}],
           "nextPageToken": "CiB0ZWFtLXdvcmtzcGFjZS1h", "totalSize": 3}"#,
        r#"{"secrets": [{"name": "projects/p/secrets/team-workspace-b", "createTime": "2024-05-01T10:00:01Z"}],
           "nextPageToken": "CiB0ZWFtLXdvcmtzcGFjZS1i"}"#,
        r#"{"secrets": [{"name": "projects/p/secrets/team-user-c", "createTime": "2024-05-01T10:00:02Z"}]}"#,
    ];

    #[test]
    fn listing_follows_page_tokens_to_the_end() {
        let mut asked: Vec<Option<String>> = Vec::new();
        let secrets = all_pages(
            |token| {
                asked.push(token.map(str::to_string));
                Ok(serde_json::from_str(PAGES[asked.len() - 1]).unwrap())
            },
            protocol,
        )
        .unwrap();
        assert_eq!(
            asked,
            [
                None,
                Some("CiB0ZWFtLXdvcmtzcGFjZS1h".into()),
                Some("CiB0ZWFtLXdvcmtzcGFjZS1i".into())
            ]
        );
        let names: Vec<&str> = secrets.iter().map(|s| last_segment(&s.name)).collect();
        assert_eq!(
            names,
            ["team-workspace-a", "team-workspace-b", "team-user-c"]
        );
        assert_eq!(secrets[0].labels["sesame-schema"], "arbitrary");
        assert_eq!(secrets[0].etag.as_deref(), Some("\"1616f4b2a0d2f0\""));
    }

    #[test]
    fn a_page_pointing_to_itself_is_refused() {
        let e = all_pages(
            |_| Ok(serde_json::from_str(r#"{"secrets": [], "nextPageToken": "same"}"#).unwrap()),
            protocol,
        )
        .unwrap_err();
        assert!(e.to_string().contains("points to itself"), "{e}");
        // An empty project answers `{}`.
        assert!(
            all_pages(|_| Ok(serde_json::from_str("{}").unwrap()), protocol)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn error_envelopes_are_read_and_cut() {
        let reply = Reply {
            status: 403,
            body: zeroize::Zeroizing::new(
                br#"{"error": {"code": 403, "message": "Permission 'secretmanager.secrets.list' denied\non resource", "status": "PERMISSION_DENIED"}}"#.to_vec(),
            ),
            challenge: None,
        };
        let f = fault_of(&reply);
        assert_eq!((f.code, f.status.as_str()), (403, "PERMISSION_DENIED"));
        assert!(f.message.contains("denied\\non"), "{}", f.message);
        let garbage = Reply {
            status: 502,
            body: zeroize::Zeroizing::new(b"<html>bad gateway</html>".to_vec()),
            challenge: None,
        };
        assert_eq!(fault_of(&garbage).status, "");
    }
}
