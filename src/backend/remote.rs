//! The checks every flavor applies to what a remote sends back: names, keys, values, schema
//! names and JSON documents, with limits checked before use. Messages never quote a value.

use serde::de::DeserializeOwned;

use super::{BackendError, Foreign, Listing, RemoteId};
use crate::error::shown;
use crate::secret::{Scope, SecretName, SecretValue, Values, check_key};

/// Largest value taken from a remote: the same 1 MiB that `--KEY=@FILE` accepts locally.
pub const MAX_VALUE_LEN: usize = 1 << 20;
/// Most keys in one remote secret.
pub const MAX_KEYS: usize = 1000;
/// Largest response body or plugin line read from a remote, before any parsing.
pub(crate) const MAX_BODY: usize = 16 << 20;

/// Parses a JSON document from a remote. The error names the place, never the content:
/// serde's own messages quote the offending value, which may be a secret.
pub(crate) fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "not valid JSON",
        };
        format!("{what} at line {} column {}", e.line(), e.column())
    })
}

/// Values of a secret as a JSON object from a remote: every key a valid sesame key, every
/// value a string within limits. The error says which key and why, without the value.
pub(crate) fn values_from_json(
    obj: serde_json::Map<String, serde_json::Value>,
) -> Result<Values, String> {
    if obj.len() > MAX_KEYS {
        return Err(format!(
            "it has {} keys, more than the {MAX_KEYS} sesame accepts",
            obj.len()
        ));
    }
    let mut values = Values::new();
    for (key, value) in obj {
        match value {
            serde_json::Value::String(s) => {
                values.insert(key, SecretValue::new(s));
            }
            other => {
                let kind = match other {
                    serde_json::Value::Null => "null",
                    serde_json::Value::Bool(_) => "a boolean",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Array(_) => "an array",
                    _ => "an object",
                };
                return Err(format!(
                    "the value of key '{}' is {kind}, not a string",
                    shown(&key)
                ));
            }
        }
    }
    check_values(&values)?;
    Ok(values)
}

/// The same rules for values that arrive typed (plugin answers, folder files).
pub(crate) fn check_values(values: &Values) -> Result<(), String> {
    if values.is_empty() {
        return Err("it has no keys (a secret is a group of key-value pairs)".into());
    }
    if values.len() > MAX_KEYS {
        return Err(format!(
            "it has {} keys, more than the {MAX_KEYS} sesame accepts",
            values.len()
        ));
    }
    for (key, value) in values {
        check_key(key).map_err(|e| e.to_string())?;
        if value.len() > MAX_VALUE_LEN {
            return Err(format!(
                "the value of key '{key}' is {} bytes, more than the 1 MiB sesame accepts",
                value.len()
            ));
        }
    }
    Ok(())
}

/// Values about to be written, checked by the rules above: a remote must never receive what
/// sesame would refuse when reading it back.
pub(crate) fn writable(backend: &str, id: &RemoteId, values: &Values) -> Result<(), BackendError> {
    check_values(values).map_err(|detail| BackendError::Unsupported {
        backend: backend.to_string(),
        id: id.clone(),
        detail,
    })
}

/// A schema name read from remote metadata: the same alphabet as names.
pub(crate) fn schema_name(s: &str) -> Result<String, String> {
    SecretName::new(s)
        .map(|n| n.as_str().to_string())
        .map_err(|_| format!("its schema name '{}' is not a valid schema name", shown(s)))
}

/// A remote `(scope, name)` pair as a sesame id; `Err` says why not (for [`Foreign`]).
pub(crate) fn parse_id(scope: &str, name: &str) -> Result<RemoteId, String> {
    let scope = match scope {
        "user" => Scope::User,
        "workspace" => Scope::Workspace,
        other => return Err(format!("'{}' is not a sesame scope", shown(other))),
    };
    let name = SecretName::new(name).map_err(|e| match e {
        crate::Error::InvalidName { why, .. } => format!("not a valid sesame name: {why}"),
        other => other.to_string(),
    })?;
    Ok(RemoteId { scope, name })
}

pub(crate) fn foreign(raw: &str, why: impl Into<String>) -> Foreign {
    Foreign {
        raw: shown(raw),
        why: why.into(),
    }
}

/// Lists come back in id order whatever order the remote used.
pub(crate) fn sorted(mut listing: Listing) -> Listing {
    listing.entries.sort_by(|a, b| a.id.cmp(&b.id));
    listing.entries.dedup_by(|a, b| a.id == b.id);
    listing.foreign.sort_by(|a, b| a.raw.cmp(&b.raw));
    listing
}

/// Lower-case hex, for hashes and random tokens.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn odd_values_are_refused_without_quoting_them() {
        let e = values_from_json(obj(r#"{"pin": 1234}"#)).unwrap_err();
        assert_eq!(e, "the value of key 'pin' is a number, not a string");
        let e = values_from_json(obj(r#"{"bad key\n": "hunter2"}"#)).unwrap_err();
        assert!(e.contains("bad key\\n") && !e.contains("hunter2"), "{e}");
        let big = format!(r#"{{"k": "{}"}}"#, "x".repeat(10 << 20));
        assert!(values_from_json(obj(&big)).unwrap_err().contains("1 MiB"));
        assert!(values_from_json(obj("{}")).unwrap_err().contains("no keys"));
        let ok = values_from_json(obj(r#"{"k": "line\nbreak ✓ \u001b"}"#)).unwrap();
        assert_eq!(ok["k"].expose(), "line\nbreak ✓ \u{1b}");
    }

    #[test]
    fn json_errors_never_quote_the_document() {
        let e = json::<Values>(br#"{"password": 123456789}"#).unwrap_err();
        assert!(!e.contains("123456789"), "{e}");
        assert!(e.starts_with("JSON of an unexpected shape"), "{e}");
        assert!(
            json::<Values>(b"hunter2")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever a remote sends as a secret's JSON, reading it never panics, and a
            /// refusal never quotes a value (values here are longer than any key, so a match is
            /// not an accident of a short key or number).
            #[test]
            fn remote_documents_never_panic_or_leak(
                doc in prop::collection::btree_map("\\PC{0,12}", prop_oneof![
                    "[a-zA-Z0-9 ]{13,24}".prop_map(serde_json::Value::from),
                    any::<i64>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                    Just(serde_json::json!(["x"])),
                ], 0..6),
                raw in "\\PC{0,64}",
            ) {
                let _ = json::<serde_json::Value>(raw.as_bytes());
                let obj: serde_json::Map<String, serde_json::Value> =
                    doc.clone().into_iter().collect();
                if let Err(e) = values_from_json(obj) {
                    for v in doc.values() {
                        if let Some(s) = v.as_str() {
                            prop_assert!(!e.contains(s), "{} quotes {}", e, s);
                        }
                    }
                }
                for k in doc.keys() {
                    let _ = parse_id("workspace", k);
                    let _ = schema_name(k);
                }
            }
        }
    }

    #[test]
    fn ids_parse_or_say_why() {
        assert_eq!(parse_id("user", "db").unwrap().to_string(), "user/db");
        assert!(parse_id("team", "db").unwrap_err().contains("scope"));
        assert!(parse_id("workspace", "a b").unwrap_err().contains("name"));
    }
}
