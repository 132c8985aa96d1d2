//! Settling one conflict key by key (the TUI's conflict view): the three sides of a secret
//! (here, the base agreed at the last sync, there), a default pick per key, and the write of
//! the merged values to both sides, each under compare-and-set on the version the user saw.
//!
//! Only a keyed hash of the base is remembered (no old values are kept for sync's sake):
//! its values are found in the secret's own history when still there, else the view says
//! the base is unknown and every key that differs is a conflict.

use crate::api::Secrets;
use crate::backend::{Backend, Expect, RemoteId, RemoteSecret, RemoteVersion};
use crate::error::{Error, Result};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::{Secret, SecretValue, Values, Version};
use crate::vault::Change;

/// What each side holds now, and the base if the vault still has its values.
#[derive(Debug)]
pub struct Sides {
    pub id: RemoteId,
    pub here: Option<Secret>,
    pub base: Option<Version>,
    pub there: Option<RemoteSecret>,
}

/// Reads the three sides of `id`.
pub fn sides(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    backend_name: &str,
    id: &RemoteId,
) -> Result<Sides> {
    let here = match vault.get(&id.name, Some(id.scope)) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == crate::error::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let there = backend.get(id)?;
    let base = vault.sync_base(backend_name, id)?;
    Ok(Sides {
        id: id.clone(),
        here,
        base,
        there,
    })
}

/// Which value a key of the merged secret takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    Here,
    There,
    /// Typed by the user.
    Edited(SecretValue),
}

/// One key across the three sides. `None`: the key is absent on that side.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub key: String,
    pub here: Option<SecretValue>,
    pub base: Option<SecretValue>,
    pub there: Option<SecretValue>,
    pub pick: Pick,
    /// Both sides changed this key differently (or the base is unknown and they differ):
    /// the default pick is only a suggestion here.
    pub conflict: bool,
}

impl KeyRow {
    /// The merged value (`None`: the key is left out).
    pub fn chosen(&self) -> Option<&SecretValue> {
        match &self.pick {
            Pick::Here => self.here.as_ref(),
            Pick::There => self.there.as_ref(),
            Pick::Edited(v) => Some(v),
        }
    }
}

/// Every key of either side, with the pick a three-way merge makes by itself: the side that
/// changed the key since the base wins; when both changed it (differently), this side is
/// suggested and the row is marked a conflict.
pub fn key_rows(s: &Sides) -> Vec<KeyRow> {
    let empty = Values::new();
    let here = s.here.as_ref().map_or(&empty, |x| &x.values);
    let there = s.there.as_ref().map_or(&empty, |x| &x.values);
    let base = s.base.as_ref().map(|b| &b.values);
    let mut keys: Vec<&String> = here.keys().chain(there.keys()).collect();
    if let Some(b) = base {
        keys.extend(b.keys());
    }
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let h = here.get(k).cloned();
            let t = there.get(k).cloned();
            let b = base.and_then(|b| b.get(k).cloned());
            let (pick, conflict) = if h == t {
                (Pick::Here, false)
            } else if base.is_some() && h == b {
                (Pick::There, false)
            } else if base.is_some() && t == b {
                (Pick::Here, false)
            } else {
                (Pick::Here, true)
            };
            KeyRow {
                key: k.clone(),
                here: h,
                base: b,
                there: t,
                pick,
                conflict,
            }
        })
        .collect()
}

/// The merged values: each key's chosen value, keys chosen absent left out.
pub fn merged(rows: &[KeyRow]) -> Values {
    rows.iter()
        .filter_map(|r| r.chosen().map(|v| (r.key.clone(), v.clone())))
        .collect()
}

/// Writes `values` to both sides as the settled content of `id`, and remembers it as the
/// new base. There first, under the remote version the user saw (`None`: it was absent);
/// then here, from the local version the user saw. Either precondition failing is a
/// conflict with nothing overwritten on that side; a remote written whose local write is
/// then refused is no loss either: the next status shows it as a conflict again.
#[allow(clippy::too_many_arguments)]
pub fn resolve(
    vault: &dyn Secrets,
    backend: &dyn Backend,
    backend_name: &str,
    id: &RemoteId,
    schema: &str,
    values: &Values,
    local_version: Option<u64>,
    remote_version: Option<RemoteVersion>,
) -> Result<()> {
    if values.is_empty() {
        return Err(Error::Validation(format!(
            "{id}: the merge leaves no key; to delete it on both sides, push (deleted here) or pull (deleted there) instead"
        )));
    }
    let schema = if schema.is_empty() {
        DEFAULT_SCHEMA
    } else {
        schema
    };
    let expect = match remote_version {
        Some(v) => Expect::Version(v),
        None => Expect::Absent,
    };
    let version = backend.put(id, schema, values, expect)?;
    match local_version {
        Some(v) => {
            let change = Change {
                set: values.clone(),
                remove: Vec::new(),
                schema: Some(schema.to_string()),
                replace: true,
            };
            vault.update(&id.name, Some(id.scope), change, Some(v))?;
        }
        None => {
            vault.create(id.name.clone(), id.scope, schema, values.clone())?;
        }
    }
    vault.sync_records(
        backend_name,
        vec![(
            id.clone(),
            Some((version, schema.to_string(), values.clone())),
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{Scope, SecretMeta, SecretName};

    fn vals(kv: &[(&str, &str)]) -> Values {
        kv.iter()
            .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
            .collect()
    }

    fn sides(
        here: Option<&[(&str, &str)]>,
        base: Option<&[(&str, &str)]>,
        there: Option<&[(&str, &str)]>,
    ) -> Sides {
        let id = RemoteId::new(Scope::Workspace, SecretName::new("db").unwrap());
        Sides {
            id: id.clone(),
            here: here.map(|h| Secret {
                meta: SecretMeta {
                    name: SecretName::new("db").unwrap(),
                    scope: Scope::Workspace,
                    schema: "arbitrary".into(),
                    keys: h.iter().map(|(k, _)| k.to_string()).collect(),
                    created: 0,
                    updated: 0,
                    version: 3,
                },
                values: vals(h),
            }),
            base: base.map(|b| Version {
                version: 1,
                schema: "arbitrary".into(),
                updated: 0,
                values: vals(b),
            }),
            there: there.map(|t| RemoteSecret {
                id,
                version: RemoteVersion("2".into()),
                schema: None,
                values: vals(t),
            }),
        }
    }

    fn picks(rows: &[KeyRow]) -> Vec<(String, Pick, bool)> {
        rows.iter()
            .map(|r| (r.key.clone(), r.pick.clone(), r.conflict))
            .collect()
    }

    #[test]
    fn the_side_that_changed_a_key_wins_and_both_changing_it_is_a_conflict() {
        let s = sides(
            Some(&[
                ("user", "admin"),
                ("pass", "here"),
                ("host", "h2"),
                ("same", "x"),
            ]),
            Some(&[
                ("user", "admin"),
                ("pass", "old"),
                ("host", "h1"),
                ("gone", "g"),
                ("same", "y"),
            ]),
            Some(&[
                ("user", "root"),
                ("pass", "there"),
                ("host", "h1"),
                ("gone", "g"),
                ("same", "x"),
            ]),
        );
        let rows = key_rows(&s);
        assert_eq!(
            picks(&rows),
            vec![
                ("gone".into(), Pick::Here, false), // deleted here, unchanged there
                ("host".into(), Pick::Here, false), // changed here only
                ("pass".into(), Pick::Here, true),  // changed on both sides
                ("same".into(), Pick::Here, false), // both made the same change
                ("user".into(), Pick::There, false), // changed there only
            ]
        );
        let m = merged(&rows);
        assert_eq!(
            m,
            vals(&[
                ("host", "h2"),
                ("pass", "here"),
                ("same", "x"),
                ("user", "root")
            ])
        );
    }

    #[test]
    fn without_a_base_every_difference_is_a_conflict_and_edits_are_taken() {
        let s = sides(
            Some(&[("a", "1"), ("b", "2")]),
            None,
            Some(&[("a", "1"), ("b", "3"), ("c", "4")]),
        );
        let mut rows = key_rows(&s);
        assert_eq!(
            picks(&rows),
            vec![
                ("a".into(), Pick::Here, false),
                ("b".into(), Pick::Here, true),
                ("c".into(), Pick::Here, true),
            ]
        );
        rows[1].pick = Pick::Edited(SecretValue::new("23"));
        rows[2].pick = Pick::There;
        assert_eq!(merged(&rows), vals(&[("a", "1"), ("b", "23"), ("c", "4")]));
    }
}
