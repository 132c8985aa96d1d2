//! The data model: scopes, validated names and keys, redacted values, and secrets.
//! Types carry the rules, so a bad name or a printable value cannot get this far by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// Where a secret lives. Scopes are namespaces: `db` may exist in both.
/// New secrets go to `workspace` unless told otherwise.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    User,
    #[default]
    Workspace,
}

impl Scope {
    /// Lookup order for a name given without a scope: user first, then workspace.
    pub const LOOKUP_ORDER: [Scope; 2] = [Scope::User, Scope::Workspace];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Workspace => "workspace",
        }
    }

    /// The other scope: the one a same-named secret here shadows, or is shadowed by.
    pub fn other(self) -> Scope {
        match self {
            Scope::User => Scope::Workspace,
            Scope::Workspace => Scope::User,
        }
    }

    pub(crate) fn tag(self) -> u8 {
        match self {
            Scope::User => 1,
            Scope::Workspace => 2,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "user" | "private" => Ok(Scope::User),
            "workspace" | "shared" => Ok(Scope::Workspace),
            _ => Err(Error::Input(format!(
                "unknown scope '{s}': use 'user' or 'workspace'"
            ))),
        }
    }
}

/// Longest secret name or key we accept; long enough for any real use, short enough to show.
pub const MAX_NAME_LEN: usize = 128;

/// Checks the characters shared by names and keys. References `{{scope:name.key}}` must parse
/// unambiguously, so `.`, `:`, `{`, `}` and whitespace are out; `/` is out because remote
/// stores use it as a path separator. Allowed: ASCII letters, digits, `_` and `-`, starting
/// with a letter, digit or `_`.
fn check_ident(s: &str) -> std::result::Result<(), &'static str> {
    if s.is_empty() {
        return Err("it is empty");
    }
    if s.len() > MAX_NAME_LEN {
        return Err("it is longer than 128 characters");
    }
    if s.starts_with('-') {
        return Err("it must not start with '-' (it would read as a flag)");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(
            "use only letters, digits, '_' and '-' (no '/', '.', ':', '{', '}' or spaces, so that {{name.key}} references parse)",
        );
    }
    Ok(())
}

/// A secret's name: non-empty ASCII identifier (see [`check_ident`] for why).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretName(String);

impl SecretName {
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        match check_ident(&s) {
            Ok(()) => Ok(SecretName(s)),
            Err(why) => Err(Error::InvalidName { name: s, why }),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SecretName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        SecretName::new(s)
    }
}
impl From<SecretName> for String {
    fn from(n: SecretName) -> String {
        n.0
    }
}
impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl FromStr for SecretName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SecretName::new(s)
    }
}

/// Validates a key inside a secret (same alphabet as names).
pub fn check_key(key: &str) -> Result<()> {
    check_ident(key).map_err(|why| Error::InvalidKey {
        key: key.to_string(),
        why,
    })
}

/// What to tell someone whose write left `name` in both scopes (allowed: scopes are
/// namespaces), written at `scope`: which of the two a lookup without a scope now finds.
/// Both faces say the same thing.
pub fn shadowing_note(name: &SecretName, scope: Scope) -> String {
    match scope {
        Scope::User => format!(
            "'{name}' also exists in the workspace scope: a lookup without --scope (and {{{{{name}.KEY}}}}) now gets this user one"
        ),
        Scope::Workspace => format!(
            "'{name}' also exists in the user scope, which a lookup without --scope gets first: reach this one with --scope workspace"
        ),
    }
}

/// A secret value: zeroized on drop, never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, Default, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(s: impl Into<String>) -> Self {
        SecretValue(s.into())
    }
    /// The plaintext. Call sites are the only places a value leaves this type: output the
    /// user asked for, the child environment of `run`, rendered templates, the sealed record.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The key-value pairs of a secret, in key order.
pub type Values = BTreeMap<String, SecretValue>;

/// Seconds since the Unix epoch.
pub type Timestamp = u64;

pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z). Import refuses later times;
/// readers still meet them in records written before that check, or by other tools.
pub const MAX_TIMESTAMP: Timestamp = 253_402_300_799;

/// RFC 3339 in UTC. Total: a time past [`MAX_TIMESTAMP`] (a record from before import
/// checked times, or milliseconds where seconds were meant) is shown as what it is rather
/// than taking a listing, an export or the TUI down with it.
pub fn format_time(t: Timestamp) -> String {
    if t > MAX_TIMESTAMP {
        return format!("invalid time ({t} s, past year 9999)");
    }
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))
        .to_string()
}

/// Everything about a secret except its values: what lists and the TUI hold in memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub name: SecretName,
    pub scope: Scope,
    pub schema: String,
    pub keys: Vec<String>,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub version: u64,
}

/// A whole secret: metadata plus values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    pub meta: SecretMeta,
    pub values: Values,
}

impl Secret {
    pub fn get(&self, key: &str) -> Result<&SecretValue> {
        self.values.get(key).ok_or_else(|| Error::KeyNotFound {
            name: self.meta.name.to_string(),
            key: key.to_string(),
            available: self.meta.keys.join(", "),
        })
    }
}

/// The shape `secret get --format json|yaml` prints (DESIGN §3), and the TUI copies.
#[derive(Serialize)]
pub struct SecretDoc<'a> {
    pub name: &'a str,
    pub scope: Scope,
    pub schema: &'a str,
    pub created: String,
    pub updated: String,
    pub version: u64,
    pub values: &'a Values,
}

impl Secret {
    pub fn doc(&self) -> SecretDoc<'_> {
        let m = &self.meta;
        SecretDoc {
            name: m.name.as_str(),
            scope: m.scope,
            schema: &m.schema,
            created: format_time(m.created),
            updated: format_time(m.updated),
            version: m.version,
            values: &self.values,
        }
    }
}

/// How the keys of one version differ from another's: names only (values are compared,
/// never returned). Both faces show it (`secret history`, the TUI's history view).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyChanges {
    /// Keys only `newer` has.
    pub added: Vec<String>,
    /// Keys only `older` has.
    pub removed: Vec<String>,
    /// Keys both have, with different values.
    pub changed: Vec<String>,
}

pub fn key_changes(older: &Values, newer: &Values) -> KeyChanges {
    let mut c = KeyChanges::default();
    for (k, v) in newer {
        match older.get(k) {
            None => c.added.push(k.clone()),
            Some(o) if o != v => c.changed.push(k.clone()),
            Some(_) => {}
        }
    }
    c.removed = older
        .keys()
        .filter(|k| !newer.contains_key(*k))
        .cloned()
        .collect();
    c
}

/// One earlier version of a secret, kept for `history` and restore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: u64,
    pub schema: String,
    pub updated: Timestamp,
    pub values: Values,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_reference_syntax() {
        for bad in ["", "a.b", "a/b", "a b", "{x}", "a:b", "-x", "é"] {
            assert!(SecretName::new(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["db", "mlflow_prod", "a-b", "_x", "X9"] {
            assert!(SecretName::new(good).is_ok(), "{good:?} refused");
        }
        assert!(SecretName::new("a".repeat(129)).is_err());
    }

    #[test]
    fn value_debug_is_redacted() {
        let v = SecretValue::new("hunter2");
        assert_eq!(format!("{v:?}"), "[redacted]");
        let mut m = Values::new();
        m.insert("password".into(), v);
        assert!(!format!("{m:?}").contains("hunter2"));
    }

    #[test]
    fn format_time_is_total() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(MAX_TIMESTAMP), "9999-12-31T23:59:59Z");
        for t in [MAX_TIMESTAMP + 1, 1_700_000_000_000, u64::MAX] {
            let shown = format_time(t);
            assert!(shown.starts_with("invalid time") && shown.contains(&t.to_string()));
        }
    }

    #[test]
    fn scope_parses_and_prints() {
        assert_eq!("USER".parse::<Scope>().unwrap(), Scope::User);
        assert_eq!(Scope::default(), Scope::Workspace);
        assert!("team".parse::<Scope>().is_err());
    }
}
