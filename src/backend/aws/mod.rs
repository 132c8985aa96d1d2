//! AWS Secrets Manager over its JSON 1.1 API, signed with SigV4 (`sigv4.rs`): a secret is
//! the AWS secret `<prefix><scope>/<name>`, its SecretString a JSON object of the values,
//! its schema the tag `sesame:schema`. Version = the VersionId labelled AWSCURRENT.
//!
//! Secrets Manager has no compare-and-set on updates. Create is exact (CreateSecret fails
//! with ResourceExistsException); an update or delete under `Expect::Version` reads the
//! current VersionId with DescribeSecret and writes right after, so a write by someone else
//! in the few milliseconds between the two is overwritten (AWS keeps it as AWSPREVIOUS).
//! A SecretString written by another tool that is not a JSON object of strings is read as
//! one key, `value`, holding the whole string; pushing it back writes a JSON object.

mod api;
pub(crate) mod sigv4;

use api::Fault;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::cas::{may_delete, precondition};
use super::http::Http;
use super::options::{Options, TIMEOUT};
use super::remote::{
    self, check_values, foreign, hex, json, parse_id, schema_name, values_from_json, writable,
};
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::crypto;
use crate::secret::{SecretValue, Values};
use sigv4::Credentials;

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "region",
        required: true,
        credential: false,
        help: "AWS region, e.g. eu-west-1",
    },
    OptionSpec {
        name: "endpoint",
        required: false,
        credential: false,
        help: "API URL, for VPC endpoints and test servers (default: the region's)",
    },
    OptionSpec {
        name: "access_key_id",
        required: true,
        credential: false,
        help: "access key id (AKIA... or ASIA...)",
    },
    OptionSpec {
        name: "secret_access_key",
        required: true,
        credential: true,
        help: "secret access key",
    },
    OptionSpec {
        name: "session_token",
        required: false,
        credential: true,
        help: "session token, for temporary credentials",
    },
    OptionSpec {
        name: "prefix",
        required: false,
        credential: false,
        help: "name prefix, e.g. team/ (default: none)",
    },
    OptionSpec {
        name: "force_delete",
        required: false,
        credential: false,
        help: "delete at once, without AWS's recovery window (default false)",
    },
    OptionSpec {
        name: "recovery_window_days",
        required: false,
        credential: false,
        help: "days a deleted secret can be restored, 7 to 30 (default: AWS's, 30)",
    },
    OptionSpec {
        name: "list_page_size",
        required: false,
        credential: false,
        help: "secrets per ListSecrets request, 1 to 100 (default 100)",
    },
    TIMEOUT,
];

/// The tag holding the schema name.
const SCHEMA_TAG: &str = "sesame:schema";
/// Secrets Manager's limit on SecretString.
const MAX_SECRET_STRING: usize = 65_536;
/// The one key a non-JSON SecretString is read into.
const PLAIN_KEY: &str = "value";
const SERVICE: &str = "secretsmanager";

pub struct AwsBackend {
    http: Http,
    url: String,
    host: String,
    region: String,
    creds: Credentials,
    prefix: String,
    force_delete: bool,
    recovery_days: Option<u64>,
    page: u64,
}

/// Hand-written: only the key id of the credentials shows.
impl std::fmt::Debug for AwsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsBackend")
            .field("url", &self.url)
            .field("region", &self.region)
            .field("creds", &self.creds)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Described {
    #[serde(default)]
    version_ids_to_stages: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    deleted_date: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

fn current_of(stages: &BTreeMap<String, Vec<String>>) -> Option<RemoteVersion> {
    stages
        .iter()
        .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
        .map(|(v, _)| RemoteVersion(v.clone()))
}

/// A fresh idempotency token (AWS wants 32 to 64 characters); it becomes the VersionId.
fn request_token() -> String {
    hex(&crypto::random_array::<16>())
}

impl AwsBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<AwsBackend, BackendError> {
        let o = Options::check("aws", OPTIONS, options)?;
        let region = o.required_text("region")?.to_string();
        if !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(o.error("region must look like eu-west-1"));
        }
        let url = match o.text("endpoint") {
            Some(e) => e.trim().trim_end_matches('/').to_string(),
            None => format!("https://{SERVICE}.{region}.amazonaws.com"),
        };
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .filter(|h| !h.is_empty() && !h.contains(['/', '@', '?', '#']))
            .ok_or_else(|| o.error("endpoint must be http(s)://host[:port] with no path"))?
            .to_string();
        let force_delete = o.bool("force_delete")?.unwrap_or(false);
        let recovery_days = o.number("recovery_window_days", 7..=30)?;
        if force_delete && recovery_days.is_some() {
            return Err(o.error("give force_delete or recovery_window_days, not both"));
        }
        let creds = Credentials {
            access_key_id: o.required_text("access_key_id")?.to_string(),
            secret_access_key: o.secret("secret_access_key").expect("required credential"),
            session_token: o.secret("session_token"),
        };
        Ok(AwsBackend {
            http: Http::new(
                format!("aws secretsmanager at {url}"),
                o.timeout()?,
                None,
                "aws",
            )?,
            url,
            host,
            region,
            creds,
            prefix: o.path_prefix()?,
            force_delete,
            recovery_days,
            page: o.number("list_page_size", 1..=100)?.unwrap_or(100),
        })
    }

    fn label(&self) -> String {
        self.http.label.clone()
    }

    fn secret_id(&self, id: &RemoteId) -> String {
        format!("{}{}/{}", self.prefix, id.scope, id.name)
    }

    /// DescribeSecret: None when absent or scheduled for deletion (which sesame treats as
    /// absent, as ListSecrets does).
    fn describe(&self, id: &RemoteId) -> Result<Option<Described>, BackendError> {
        Ok(self.describe_any(id)?.filter(|d| d.deleted_date.is_none()))
    }

    fn describe_any(&self, id: &RemoteId) -> Result<Option<Described>, BackendError> {
        let body = serde_json::to_vec(&serde_json::json!({ "SecretId": self.secret_id(id) }))
            .expect("serializes");
        match self.call("DescribeSecret", &body)? {
            Ok(reply) => Ok(Some(self.answer(&reply, "DescribeSecret")?)),
            Err(f) if f.kind == "ResourceNotFoundException" => Ok(None),
            Err(f) => Err(self.fault(f)),
        }
    }

    fn conflict(&self, id: &RemoteId, detail: String) -> BackendError {
        BackendError::conflict(self.label(), id, detail)
    }

    /// The SecretString for `values`, within AWS's size limit.
    fn secret_string(
        &self,
        id: &RemoteId,
        values: &Values,
    ) -> Result<Zeroizing<String>, BackendError> {
        let s = Zeroizing::new(serde_json::to_string(values).expect("strings serialize"));
        if s.len() > MAX_SECRET_STRING {
            return Err(BackendError::Unsupported {
                backend: self.label(),
                id: id.clone(),
                detail: format!(
                    "its JSON is {} bytes; Secrets Manager holds at most {MAX_SECRET_STRING}",
                    s.len()
                ),
            });
        }
        Ok(s)
    }

    fn create(
        &self,
        id: &RemoteId,
        schema: &str,
        secret: &str,
    ) -> Result<RemoteVersion, BackendError> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Create<'a> {
            name: String,
            secret_string: &'a str,
            client_request_token: String,
            tags: [Tag; 1],
        }
        let body = Zeroizing::new(
            serde_json::to_vec(&Create {
                name: self.secret_id(id),
                secret_string: secret,
                client_request_token: request_token(),
                tags: [Tag {
                    key: SCHEMA_TAG.into(),
                    value: schema.into(),
                }],
            })
            .expect("serializes"),
        );
        match self.call("CreateSecret", &body)? {
            Ok(reply) => Ok(RemoteVersion(
                self.answer::<VersionAnswer>(&reply, "CreateSecret")?
                    .version_id,
            )),
            // A name scheduled for deletion cannot be taken again until the recovery window
            // ends: AWS says InvalidRequestException (moto: ResourceExistsException).
            Err(f)
                if f.kind == "ResourceExistsException"
                    || (f.kind == "InvalidRequestException" && f.message.contains("deletion")) =>
            {
                let scheduled = self
                    .describe_any(id)?
                    .is_some_and(|d| d.deleted_date.is_some());
                Err(self.conflict(
                    id,
                    if scheduled {
                        "is scheduled for deletion in AWS: restore it there, or delete it for good (force_delete)".into()
                    } else {
                        "already exists".into()
                    },
                ))
            }
            Err(f) => Err(self.fault(f)),
        }
    }

    fn update(
        &self,
        id: &RemoteId,
        secret: &str,
    ) -> Result<Result<RemoteVersion, Fault>, BackendError> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct PutValue<'a> {
            secret_id: String,
            secret_string: &'a str,
            client_request_token: String,
        }
        let body = Zeroizing::new(
            serde_json::to_vec(&PutValue {
                secret_id: self.secret_id(id),
                secret_string: secret,
                client_request_token: request_token(),
            })
            .expect("serializes"),
        );
        Ok(match self.call("PutSecretValue", &body)? {
            Ok(reply) => Ok(RemoteVersion(
                self.answer::<VersionAnswer>(&reply, "PutSecretValue")?
                    .version_id,
            )),
            Err(f) => Err(f),
        })
    }

    fn tag_schema(&self, id: &RemoteId, schema: &str) -> Result<(), BackendError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "SecretId": self.secret_id(id),
            "Tags": [Tag { key: SCHEMA_TAG.into(), value: schema.into() }],
        }))
        .expect("serializes");
        self.call("TagResource", &body)?
            .map_err(|f| self.fault(f))?;
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionAnswer {
    version_id: String,
}

impl Backend for AwsBackend {
    fn flavor(&self) -> &'static str {
        "aws"
    }

    fn test(&self) -> Result<String, BackendError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "MaxResults": 1,
            "Filters": [{ "Key": "name", "Values": [format!("{}workspace/", self.prefix)] }],
        }))
        .expect("serializes");
        self.call("ListSecrets", &body)?
            .map_err(|f| self.fault(f))?;
        Ok(format!(
            "{} ({}): credentials accepted, secrets listable",
            self.label(),
            self.region
        ))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default)]
            secret_list: Vec<Listed>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            name: String,
            #[serde(default)]
            secret_versions_to_stages: BTreeMap<String, Vec<String>>,
        }
        let scopes = [
            format!("{}user/", self.prefix),
            format!("{}workspace/", self.prefix),
        ];
        let mut listing = Listing::default();
        let mut token: Option<String> = None;
        let mut pages = 0usize;
        loop {
            let mut request = serde_json::json!({
                "MaxResults": self.page,
                "Filters": [{ "Key": "name", "Values": scopes }],
            });
            if let Some(t) = &token {
                request["NextToken"] = t.clone().into();
            }
            let body = serde_json::to_vec(&request).expect("serializes");
            let reply = self
                .call("ListSecrets", &body)?
                .map_err(|f| self.fault(f))?;
            let page: Page = self.answer(&reply, "ListSecrets")?;
            for s in page.secret_list {
                // AWS matches name filters case-insensitively: keep exact prefixes only.
                let Some((scope, rest)) = scopes.iter().find_map(|p| {
                    s.name
                        .strip_prefix(p.as_str())
                        .map(|rest| (&p[self.prefix.len()..p.len() - 1], rest))
                }) else {
                    continue;
                };
                match (
                    parse_id(scope, rest),
                    current_of(&s.secret_versions_to_stages),
                ) {
                    (Ok(id), Some(version)) => listing.entries.push(RemoteEntry { id, version }),
                    (Ok(_), None) => listing
                        .foreign
                        .push(foreign(&s.name, "it has no AWSCURRENT version")),
                    (Err(why), _) => listing.foreign.push(foreign(&s.name, why)),
                }
            }
            pages += 1;
            match page.next_token {
                Some(t) if !t.is_empty() && pages < 100_000 => token = Some(t),
                _ => break,
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        let Some(described) = self.describe(id)? else {
            return Ok(None);
        };
        let malformed = |detail: String| BackendError::Malformed {
            backend: self.label(),
            id: id.clone(),
            detail,
        };
        let Some(current) = current_of(&described.version_ids_to_stages) else {
            return Err(malformed("it has no AWSCURRENT version".into()));
        };
        let body = serde_json::to_vec(&serde_json::json!({
            "SecretId": self.secret_id(id),
            "VersionId": current.0,
        }))
        .expect("serializes");
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Value {
            secret_string: Option<SecretValue>,
            version_id: String,
        }
        let value: Value = match self.call("GetSecretValue", &body)? {
            Ok(reply) => json(&reply.body).map_err(|e| malformed(format!("the answer is {e}")))?,
            // Deleted between the two calls.
            Err(f) if f.kind == "ResourceNotFoundException" => return Ok(None),
            Err(f) => return Err(self.fault(f)),
        };
        let Some(text) = value.secret_string else {
            return Err(malformed(
                "it holds SecretBinary, which sesame does not read".into(),
            ));
        };
        let values = match serde_json::from_str::<serde_json::Value>(text.expose()) {
            Ok(serde_json::Value::Object(obj))
                if obj.values().all(serde_json::Value::is_string) =>
            {
                values_from_json(obj).map_err(malformed)?
            }
            // Written by another tool: one key holding the whole string (module doc).
            _ => {
                let mut v = Values::new();
                v.insert(PLAIN_KEY.into(), text);
                check_values(&v).map_err(malformed)?;
                v
            }
        };
        let schema = described
            .tags
            .iter()
            .find(|t| t.key == SCHEMA_TAG)
            .map(|t| schema_name(&t.value))
            .transpose()
            .map_err(malformed)?;
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: RemoteVersion(value.version_id),
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
        let secret = self.secret_string(id, values)?;
        if expect == Expect::Absent {
            return self.create(id, schema, &secret);
        }
        let described = self.describe(id)?;
        let current = described
            .as_ref()
            .and_then(|d| current_of(&d.version_ids_to_stages));
        precondition(&self.label(), id, current.as_ref(), &expect)?;
        let Some(described) = described else {
            return self.create(id, schema, &secret); // Expect::Any on an absent secret
        };
        let version = match self.update(id, &secret)? {
            Ok(v) => v,
            Err(f) if f.kind == "ResourceNotFoundException" => {
                return Err(self.conflict(id, "was deleted during the write".into()));
            }
            Err(f) => return Err(self.fault(f)),
        };
        let tagged = described
            .tags
            .iter()
            .any(|t| t.key == SCHEMA_TAG && t.value == schema);
        if !tagged {
            self.tag_schema(id, schema)?;
        }
        Ok(version)
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let current = self
            .describe(id)?
            .and_then(|d| current_of(&d.version_ids_to_stages));
        if !may_delete(&self.label(), id, current.as_ref(), &expect)? {
            return Ok(());
        }
        let mut request = serde_json::json!({ "SecretId": self.secret_id(id) });
        if self.force_delete {
            request["ForceDeleteWithoutRecovery"] = true.into();
        } else if let Some(days) = self.recovery_days {
            request["RecoveryWindowInDays"] = days.into();
        }
        let body = serde_json::to_vec(&request).expect("serializes");
        match self.call("DeleteSecret", &body)? {
            Ok(_) => Ok(()),
            Err(f) if f.kind == "ResourceNotFoundException" => {
                Err(self.conflict(id, "was deleted by someone else meanwhile".into()))
            }
            Err(f) => Err(self.fault(f)),
        }
    }
}
