//! References meet the vault: checking them against what exists (metadata only, no value is
//! decrypted) and resolving them to values (each secret fetched once). Used by `render`,
//! `check`, `register-missing`, `run --env-file`, and backend options. Every problem is
//! collected with its place, never only the first.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::api::Secrets;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::{Reference, SyntaxError};
use crate::secret::{Scope, SecretMeta, SecretName, Values};
use crate::vault::Listing;

/// How much `check` asks of a reference (DESIGN §3; env `SESAME_SECRET_VALIDATION_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[clap(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// Only that references parse.
    None,
    /// And that every referenced secret exists.
    SecretExists,
    /// And that it has the referenced key.
    SecretAndKeyExists,
}

pub const ENV_LEVEL: &str = "SESAME_SECRET_VALIDATION_LEVEL";

impl Level {
    /// The level from `SESAME_SECRET_VALIDATION_LEVEL`, else the strictest; an unknown value
    /// is an error naming the valid ones.
    pub fn from_env() -> Result<Level> {
        match std::env::var(ENV_LEVEL) {
            Err(_) => Ok(Level::SecretAndKeyExists),
            Ok(v) => match v.trim().to_ascii_uppercase().as_str() {
                "NONE" => Ok(Level::None),
                "SECRET_EXISTS" => Ok(Level::SecretExists),
                "SECRET_AND_KEY_EXISTS" | "" => Ok(Level::SecretAndKeyExists),
                _ => Err(Error::Usage(format!(
                    "{ENV_LEVEL} = '{}' is not a level: use NONE, SECRET_EXISTS or SECRET_AND_KEY_EXISTS",
                    crate::error::shown(&v)
                ))),
            },
        }
    }
}

/// What is wrong with one reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Syntax,
    MissingSecret,
    MissingKey,
}

/// One problem, where it is: `FILE:LINE:COL: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The reference as written canonically (empty for a syntax error).
    pub reference: String,
    pub kind: Kind,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Problems of a text that did not parse.
pub fn syntax_problems(file: &str, errors: &[SyntaxError]) -> Vec<Problem> {
    errors
        .iter()
        .map(|e| Problem {
            file: file.to_string(),
            line: e.line,
            column: e.col,
            reference: String::new(),
            kind: Kind::Syntax,
            message: e.message.clone(),
        })
        .collect()
}

/// The secrets a listing shows, by scope and name (metadata only).
pub struct Known<'a> {
    by_name: BTreeMap<(Scope, &'a SecretName), &'a SecretMeta>,
}

impl<'a> Known<'a> {
    pub fn new(listing: &'a Listing) -> Known<'a> {
        Known {
            by_name: listing
                .secrets
                .iter()
                .map(|m| ((m.scope, &m.name), m))
                .collect(),
        }
    }

    /// The secret a reference points at: its pinned scope, else user first, then workspace.
    pub fn find(&self, r: &Reference) -> Option<&'a SecretMeta> {
        let order: &[Scope] = match r.scope {
            Some(ref s) => std::slice::from_ref(s),
            None => &Scope::LOOKUP_ORDER,
        };
        order
            .iter()
            .find_map(|s| self.by_name.get(&(*s, &r.name)).copied())
    }
}

/// Checks references against what exists, to `level`, without decrypting any value.
pub fn check<'r>(
    file: &str,
    refs: impl IntoIterator<Item = &'r Reference>,
    known: &Known<'_>,
    level: Level,
) -> Vec<Problem> {
    if level == Level::None {
        return Vec::new();
    }
    refs.into_iter()
        .filter_map(|r| {
            let problem = |kind, message| {
                Some(Problem {
                    file: file.to_string(),
                    line: r.line,
                    column: r.col,
                    reference: r.to_string(),
                    kind,
                    message,
                })
            };
            match known.find(r) {
                None => problem(Kind::MissingSecret, missing_secret(r)),
                Some(m) if level == Level::SecretAndKeyExists && !m.keys.contains(&r.key) => {
                    problem(Kind::MissingKey, missing_key(r, m.scope, &m.keys))
                }
                Some(_) => None,
            }
        })
        .collect()
}

fn missing_secret(r: &Reference) -> String {
    match r.scope {
        Some(s) => format!("{r}: no secret named '{}' in the {s} scope", r.name),
        None => format!(
            "{r}: no secret named '{}' in the user or workspace scope",
            r.name
        ),
    }
}

fn missing_key(r: &Reference, scope: Scope, keys: &[String]) -> String {
    format!(
        "{r}: secret '{}' ({scope}) has no key '{}' (it has: {})",
        r.name,
        r.key,
        crate::error::list_capped(keys)
    )
}

/// A secret as a reference names it: its pinned scope (if any) and its name.
type Named = (Option<Scope>, SecretName);

/// Values for references, fetched from the vault once per secret.
#[derive(Default)]
pub struct Resolved {
    /// Each named secret: the scope it resolved to and its values, or `None` if missing.
    secrets: BTreeMap<Named, Option<(Scope, Values)>>,
}

impl Resolved {
    /// Fetches every secret `refs` name. A secret that does not exist is remembered as
    /// missing (reported by [`Resolved::problems`]); any other failure stops.
    pub fn fetch<'r>(
        vault: &dyn Secrets,
        refs: impl IntoIterator<Item = &'r Reference>,
    ) -> Result<Resolved> {
        let mut out = Resolved::default();
        for r in refs {
            let id = (r.scope, r.name.clone());
            if out.secrets.contains_key(&id) {
                continue;
            }
            let found = match vault.get(&r.name, r.scope) {
                Ok(s) => Some((s.meta.scope, s.values)),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            out.secrets.insert(id, found);
        }
        Ok(out)
    }

    /// The value of `r`, if its secret and key exist.
    pub fn value(&self, r: &Reference) -> Option<Zeroizing<String>> {
        let (_, values) = self.secrets.get(&(r.scope, r.name.clone()))?.as_ref()?;
        values
            .get(&r.key)
            .map(|v| Zeroizing::new(v.expose().to_string()))
    }

    /// Why each of `refs` has no value (missing secret or key), with its place.
    pub fn problems<'r>(
        &self,
        file: &str,
        refs: impl IntoIterator<Item = &'r Reference>,
    ) -> Vec<Problem> {
        refs.into_iter()
            .filter_map(|r| {
                let (kind, message) = match self.secrets.get(&(r.scope, r.name.clone())) {
                    None | Some(None) => (Kind::MissingSecret, missing_secret(r)),
                    Some(Some((scope, values))) if !values.contains_key(&r.key) => {
                        let keys: Vec<String> = values.keys().cloned().collect();
                        (Kind::MissingKey, missing_key(r, *scope, &keys))
                    }
                    Some(Some(_)) => return None,
                };
                Some(Problem {
                    file: file.to_string(),
                    line: r.line,
                    column: r.col,
                    reference: r.to_string(),
                    kind,
                    message,
                })
            })
            .collect()
    }
}

/// A text file as a template: refused if it looks binary (a NUL byte, or not UTF-8), since
/// replacing text inside binary data would mangle it.
pub fn text_of(bytes: Vec<u8>, origin: &str) -> Result<Zeroizing<String>> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::Validation(format!(
            "{origin} looks binary (a NUL byte at offset {at}): references are replaced in text files only"
        )));
    }
    String::from_utf8(bytes).map(Zeroizing::new).map_err(|e| {
        Error::Validation(format!(
            "{origin} is not UTF-8 text (at byte {}): references are replaced in text files only",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::parse;

    fn meta(scope: Scope, name: &str, keys: &[&str]) -> SecretMeta {
        SecretMeta {
            name: SecretName::new(name).unwrap(),
            scope,
            schema: "arbitrary".into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            created: 0,
            updated: 0,
            version: 1,
        }
    }

    #[test]
    fn each_level_checks_what_it_says_with_user_first_lookup() {
        let listing = Listing {
            secrets: vec![
                meta(Scope::User, "db", &["token"]),
                meta(Scope::Workspace, "db", &["password"]),
                meta(Scope::Workspace, "api", &["key"]),
            ],
            ..Listing::default()
        };
        let known = Known::new(&listing);
        let t = parse("{{db.password}} {{workspace:db.password}} {{api.nope}} {{gone.x}}").unwrap();
        let at = |level| {
            check("f", t.references(), &known, level)
                .iter()
                .map(|p| format!("{}:{:?}", p.column, p.kind))
                .collect::<Vec<_>>()
        };
        assert!(at(Level::None).is_empty());
        assert_eq!(at(Level::SecretExists), ["56:MissingSecret"]);
        // {{db.password}} finds the user `db` first, which has no `password`.
        assert_eq!(
            at(Level::SecretAndKeyExists),
            ["1:MissingKey", "43:MissingKey", "56:MissingSecret"]
        );
        let p = &check("f.tmpl", t.references(), &known, Level::SecretAndKeyExists)[0];
        assert_eq!(
            p.to_string(),
            "f.tmpl:1:1: {{db.password}}: secret 'db' (user) has no key 'password' (it has: token)"
        );
    }

    #[test]
    fn binary_text_is_refused() {
        assert!(
            text_of(b"a\0b".to_vec(), "x")
                .unwrap_err()
                .to_string()
                .contains("offset 1")
        );
        assert!(text_of(vec![0xff, 0xfe], "x").is_err());
        assert_eq!(text_of(b"ok".to_vec(), "x").unwrap().as_str(), "ok");
    }
}
