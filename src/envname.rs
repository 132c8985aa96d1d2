//! Keys as environment variable names: the one rule behind `--format env` and, later,
//! `sesame run`. Upper case, `-` becomes `_`; a result that is not a shell variable name is
//! refused rather than mapped (a guessed name is a name nobody asked for), and two keys that
//! would become the same variable are an error, never "the last one wins".

use std::collections::BTreeMap;

use crate::error::{Error, Result, shown};

/// The variable `key` becomes: `api-key` → `API_KEY`. Refused unless the result is a POSIX
/// shell name (`[A-Z_][A-Z0-9_]*`): `1ABC=x` is not an assignment, and `eval` would run it.
pub fn env_var_name(key: &str) -> Result<String> {
    let name = key.to_ascii_uppercase().replace('-', "_");
    let valid = name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(name)
    } else {
        let why = if name.starts_with(|c: char| c.is_ascii_digit()) {
            "it starts with a digit"
        } else if name.is_empty() {
            "it is empty"
        } else {
            "it holds characters a variable name cannot"
        };
        Err(Error::Validation(format!(
            "'{}' cannot be an environment variable name ({why}): rename it, or use --format json",
            shown(key)
        )))
    }
}

/// Variables for many keys at once, in order: each item is `(key, what)` where `what` says
/// where the key comes from in an error ("key 'a-b' of 'db'"). Two keys that become the same
/// variable are refused, naming both.
pub fn env_var_names<'a>(
    items: impl IntoIterator<Item = (&'a str, String)>,
) -> Result<Vec<String>> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (key, what) in items {
        let var = env_var_name(key).map_err(|e| Error::Validation(format!("{what}: {e}")))?;
        if let Some(first) = seen.get(&var) {
            return Err(Error::Validation(format!(
                "{first} and {what} would both be ${var}: rename one, or use --format json"
            )));
        }
        seen.insert(var.clone(), what);
        out.push(var);
    }
    Ok(out)
}

/// `NAME='value'`: single quotes keep everything literal in a POSIX shell and in dotenv
/// files; an embedded `'` is written as `'\''`.
pub fn env_line(name: &str, value: &str) -> String {
    format!("{name}='{}'\n", value.replace('\'', "'\\''"))
}

/// A secret as `.env` lines, one per key (`--format env`, the TUI's copy as .env).
pub fn dotenv(secret: &crate::secret::Secret) -> Result<String> {
    let name = &secret.meta.name;
    let vars = env_var_names(
        secret
            .values
            .keys()
            .map(|k| (k.as_str(), format!("key '{k}' of '{name}'"))),
    )?;
    Ok(vars
        .iter()
        .zip(secret.values.values())
        .map(|(var, v)| env_line(var, v.expose()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_or_are_refused() {
        assert_eq!(env_var_name("api-key").unwrap(), "API_KEY");
        assert_eq!(env_var_name("_x9").unwrap(), "_X9");
        for bad in ["1abc", "", "a.b", "é", "a b", "9"] {
            let e = env_var_name(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::VALIDATION, "{bad:?}");
            assert!(!e.to_string().contains('\n'));
        }
        assert!(
            env_var_name("1abc")
                .unwrap_err()
                .to_string()
                .contains("starts with a digit")
        );
    }

    #[test]
    fn collisions_name_both_keys() {
        let items = [
            ("api-key", "key 'api-key'".to_string()),
            ("API_KEY", "key 'API_KEY'".to_string()),
        ];
        let msg = env_var_names(items).unwrap_err().to_string();
        assert!(
            msg.contains("'api-key'") && msg.contains("'API_KEY'") && msg.contains("$API_KEY"),
            "{msg}"
        );
        let ok = env_var_names([("a", "a".to_string()), ("b", "b".to_string())]).unwrap();
        assert_eq!(ok, ["A", "B"]);
    }

    proptest::proptest! {
        #[test]
        fn every_accepted_name_is_a_shell_name(key in "\\PC{0,12}|[a-zA-Z0-9_-]{0,12}") {
            if let Ok(name) = env_var_name(&key) {
                let mut chars = name.chars();
                let first = chars.next().unwrap();
                proptest::prop_assert!(first == '_' || first.is_ascii_uppercase());
                proptest::prop_assert!(chars.all(|c| c == '_' || c.is_ascii_uppercase() || c.is_ascii_digit()));
            }
        }
    }
}
