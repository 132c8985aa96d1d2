//! Where a sesame id lives in Key Vault, and back.
//!
//! Secret names allow `[0-9a-zA-Z-]{1,127}` and Key Vault compares them without regard to
//! case, so sesame's names (upper and lower case, `_`) are escaped into lower case, digits
//! and `-`: a lower-case letter or digit stands for itself, and `-` starts a pair: `-` and a
//! letter is that letter in upper case, `-0` is `_`, `-1` is `-`. The name is then
//! `<prefix>-<scope>-<escaped>` (`<scope>-<escaped>` without a prefix); the prefix is lower-
//! case letters and digits, so it never swallows a `-`. Reading a name back lower-cases it
//! first, so whatever case Key Vault returns, it decodes to the same id: the mapping is
//! injective under case folding and reversible (property-tested). Names that do not fit in
//! 127 characters once escaped are refused.

use crate::backend::RemoteId;
use crate::backend::remote::parse_id;
use crate::secret::Scope;

/// Key Vault's limit on a secret name.
pub(super) const MAX_NAME: usize = 127;

/// The escaped form of a sesame name (module doc).
pub(super) fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => {
                out.push('-');
                out.push(c.to_ascii_lowercase());
            }
            '_' => out.push_str("-0"),
            '-' => out.push_str("-1"),
            // Not in sesame's alphabet: SecretName refuses it before it gets here.
            other => out.push(other),
        }
    }
    out
}

/// The sesame name an escaped form stands for, read without regard to case.
pub(super) fn unescape(escaped: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "'{}' is not a name sesame escaped",
            crate::error::shown(escaped)
        )
    };
    let lower = escaped.to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut chars = lower.chars();
    while let Some(c) = chars.next() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            '-' => match chars.next().ok_or_else(bad)? {
                l @ 'a'..='z' => out.push(l.to_ascii_uppercase()),
                '0' => out.push('_'),
                '1' => out.push('-'),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// The Key Vault name of `id` under `prefix`; `Err(length)` when it is longer than
/// Key Vault allows.
pub(super) fn secret_name(prefix: &str, id: &RemoteId) -> Result<String, usize> {
    let name = if prefix.is_empty() {
        format!("{}-{}", id.scope, escape(id.name.as_str()))
    } else {
        format!("{prefix}-{}-{}", id.scope, escape(id.name.as_str()))
    };
    if name.len() > MAX_NAME {
        Err(name.len())
    } else {
        Ok(name)
    }
}

/// What the Key Vault name `raw` is: `None` when it is not under `prefix`, `Some(Err(why))`
/// when it is but is not a sesame id.
pub(super) fn parse(prefix: &str, raw: &str) -> Option<Result<RemoteId, String>> {
    let lower = raw.to_ascii_lowercase();
    let rest = if prefix.is_empty() {
        lower.as_str()
    } else {
        lower.strip_prefix(prefix)?.strip_prefix('-')?
    };
    for scope in [Scope::User, Scope::Workspace] {
        let word = scope.to_string();
        if let Some(escaped) = rest
            .strip_prefix(word.as_str())
            .and_then(|r| r.strip_prefix('-'))
        {
            return Some(unescape(escaped).and_then(|name| parse_id(&word, &name)));
        }
    }
    if prefix.is_empty() {
        return None;
    }
    Some(Err(
        "it does not start with user- or workspace- after the prefix".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(scope: Scope, name: &str) -> RemoteId {
        RemoteId::new(scope, name.parse().unwrap())
    }

    #[test]
    fn escapes() {
        assert_eq!(escape("db"), "db");
        assert_eq!(escape("DB"), "-d-b");
        assert_eq!(escape("a-b_C9"), "a-1b-0-c9");
        let db = id(Scope::Workspace, "My_db");
        assert_eq!(secret_name("team", &db).unwrap(), "team-workspace--my-0db");
        assert_eq!(parse("team", "TEAM-WORKSPACE--MY-0DB"), Some(Ok(db)));
        assert_eq!(parse("team", "teams-workspace-db"), None);
        assert_eq!(parse("", "my-app-key"), None);
        assert!(parse("team", "team-workspace-a-2").unwrap().is_err());
        assert!(parse("team", "team-workspace-a-").unwrap().is_err());
        assert!(parse("team", "team-other-a").unwrap().is_err());
        assert_eq!(
            secret_name("", &id(Scope::Workspace, &"n".repeat(128))),
            Err(138)
        );
    }

    /// Flips the case of the characters where `mask` says so: what Key Vault may hand back.
    fn recase(s: &str, mask: &[bool]) -> String {
        s.chars()
            .zip(mask.iter().cycle())
            .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
            .collect()
    }

    proptest! {
        /// Every id maps to a valid Key Vault name (or is refused as too long), reads back as
        /// itself in any case, and two ids never share a name once case is folded.
        #[test]
        fn names_round_trip_and_are_injective_under_case_folding(
            prefix in "[a-z0-9]{0,12}",
            a in "[A-Za-z0-9_][A-Za-z0-9_-]{0,127}",
            b in "[A-Za-z0-9_][A-Za-z0-9_-]{0,127}",
            sa: bool,
            sb: bool,
            mask in prop::collection::vec(any::<bool>(), 1..16),
        ) {
            let scope = |s: bool| if s { Scope::User } else { Scope::Workspace };
            let (ia, ib) = (id(scope(sa), &a), id(scope(sb), &b));
            if let (Ok(na), Ok(nb)) = (secret_name(&prefix, &ia), secret_name(&prefix, &ib)) {
                prop_assert!(na.len() <= MAX_NAME);
                prop_assert!(na.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
                prop_assert_eq!(parse(&prefix, &recase(&na, &mask)), Some(Ok(ia.clone())));
                prop_assert_eq!(ia == ib, na.eq_ignore_ascii_case(&nb));
            }
            // Unescaping never panics on anything Key Vault could list.
            let _ = unescape(&b);
        }
    }
}
