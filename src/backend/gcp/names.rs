//! Where a sesame id lives in Secret Manager, and back.
//!
//! Secret ids allow `[a-zA-Z0-9_-]{1,255}`, case-sensitive: sesame's names
//! (`[A-Za-z0-9_-]{1,128}`, not starting with `-`) fit as they are, so the id is
//! `<prefix>-<scope>-<name>` (`<scope>-<name>` without a prefix) and reading one back strips
//! the known prefix, then `user-` or `workspace-`. Neither scope word is a prefix of the other
//! and the prefix has no `-`, so the mapping is injective and reversible (property-tested).
//!
//! Labels hold lower-case letters, digits, `_` and `-`, at most 63 characters. The schema
//! name goes in the label `sesame-schema`, escaped: lower-case letters, digits and `_` as
//! they are, `-` as `--`, an upper-case letter as `-` and the letter in lower case.

use crate::backend::RemoteId;
use crate::backend::remote::parse_id;
use crate::secret::Scope;

/// The label holding the schema name.
pub(super) const SCHEMA_LABEL: &str = "sesame-schema";
/// Secret Manager's limits.
#[cfg(test)]
const MAX_ID: usize = 255;
const MAX_LABEL: usize = 63;

/// The secret id of `id` under `prefix` (already checked: `[A-Za-z0-9_]*`).
pub(super) fn secret_id(prefix: &str, id: &RemoteId) -> String {
    if prefix.is_empty() {
        format!("{}-{}", id.scope, id.name)
    } else {
        format!("{prefix}-{}-{}", id.scope, id.name)
    }
}

/// What the secret id `raw` is: `None` when it is not under `prefix` at all (another
/// tool's, or another prefix's), `Some(Err(why))` when it is under the prefix but not a
/// sesame id.
pub(super) fn parse(prefix: &str, raw: &str) -> Option<Result<RemoteId, String>> {
    let rest = if prefix.is_empty() {
        raw
    } else {
        raw.strip_prefix(prefix)?.strip_prefix('-')?
    };
    for scope in [Scope::User, Scope::Workspace] {
        let word = scope.to_string();
        if let Some(name) = rest
            .strip_prefix(word.as_str())
            .and_then(|r| r.strip_prefix('-'))
        {
            return Some(parse_id(&word, name));
        }
    }
    // Without a prefix every secret of the project passes through here: only what starts
    // like a sesame id is ours to report.
    if prefix.is_empty() {
        return None;
    }
    Some(Err(
        "it does not start with user- or workspace- after the prefix".into(),
    ))
}

/// A schema name as a label value; `None` when it does not fit in 63 characters.
pub(super) fn label_value(schema: &str) -> Option<String> {
    let mut out = String::with_capacity(schema.len());
    for c in schema.chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' => out.push(c),
            '-' => out.push_str("--"),
            'A'..='Z' => {
                out.push('-');
                out.push(c.to_ascii_lowercase());
            }
            _ => return None,
        }
    }
    (out.len() <= MAX_LABEL).then_some(out)
}

/// The schema name a label value stands for; `None` when it is not one [`label_value`]
/// makes.
pub(super) fn schema_of_label(label: &str) -> Option<String> {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars();
    while let Some(c) = chars.next() {
        match c {
            'a'..='z' | '0'..='9' | '_' => out.push(c),
            '-' => match chars.next()? {
                '-' => out.push('-'),
                l @ 'a'..='z' => out.push(l.to_ascii_uppercase()),
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(scope: Scope, name: &str) -> RemoteId {
        RemoteId::new(scope, name.parse().unwrap())
    }

    #[test]
    fn ids_and_what_is_not_ours() {
        let db = id(Scope::Workspace, "db");
        assert_eq!(secret_id("team", &db), "team-workspace-db");
        assert_eq!(secret_id("", &db), "workspace-db");
        assert_eq!(parse("team", "team-workspace-db"), Some(Ok(db.clone())));
        assert_eq!(parse("", "workspace-db"), Some(Ok(db)));
        assert_eq!(parse("team", "teams-workspace-db"), None);
        assert_eq!(parse("team", "other"), None);
        assert_eq!(parse("", "my-app-key"), None);
        assert!(parse("team", "team-shared-db").unwrap().is_err());
        assert!(parse("team", "team-user--x").unwrap().is_err());
        let longest = id(Scope::Workspace, &"n".repeat(128));
        assert!(secret_id(&"p".repeat(100), &longest).len() <= MAX_ID);
    }

    #[test]
    fn labels() {
        assert_eq!(label_value("basic_auth").unwrap(), "basic_auth");
        assert_eq!(label_value("My-Schema").unwrap(), "-my---schema");
        assert_eq!(schema_of_label("-my---schema").unwrap(), "My-Schema");
        assert_eq!(label_value(&"x".repeat(64)), None);
        assert_eq!(schema_of_label("a-"), None);
        assert_eq!(schema_of_label("-1"), None);
        assert_eq!(schema_of_label("A"), None);
    }

    proptest! {
        /// Every (prefix, scope, name) maps to a valid secret id and back to itself, and two
        /// different ids never share a secret id.
        #[test]
        fn secret_ids_round_trip_and_are_injective(
            prefix in "[A-Za-z0-9_]{0,20}",
            a in "[A-Za-z0-9_][A-Za-z0-9_-]{0,127}",
            b in "[A-Za-z0-9_][A-Za-z0-9_-]{0,127}",
            sa: bool,
            sb: bool,
        ) {
            let scope = |s: bool| if s { Scope::User } else { Scope::Workspace };
            let (ia, ib) = (id(scope(sa), &a), id(scope(sb), &b));
            let (ra, rb) = (secret_id(&prefix, &ia), secret_id(&prefix, &ib));
            prop_assert!(ra.len() <= MAX_ID);
            prop_assert!(ra.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
            prop_assert_eq!(parse(&prefix, &ra), Some(Ok(ia.clone())));
            prop_assert_eq!(ia == ib, ra == rb);
        }

        /// Schema names round-trip through labels, which only ever hold the label alphabet.
        #[test]
        fn labels_round_trip(a in "[A-Za-z0-9_][A-Za-z0-9_-]{0,40}", b in "[A-Za-z0-9_][A-Za-z0-9_-]{0,40}") {
            if let (Some(la), Some(lb)) = (label_value(&a), label_value(&b)) {
                prop_assert!(la.len() <= MAX_LABEL);
                prop_assert!(la.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-'));
                prop_assert_eq!(schema_of_label(&la), Some(a.clone()));
                prop_assert_eq!(a == b, la == lb);
            }
        }
    }
}
