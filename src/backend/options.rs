//! Backend options as data: each flavor declares its options once ([`OptionSpec`]), and
//! [`Options`] checks a given map against that declaration before any flavor reads it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::BackendError;
use crate::secret::SecretValue;

/// One option of a flavor, as `sesame backend flavors` documents it.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    pub name: &'static str,
    pub required: bool,
    /// A credential must come from the vault (a `{{name.key}}` reference), never a literal.
    pub credential: bool,
    pub help: &'static str,
}

/// An option's value: plain text from the config file, or a credential resolved from the
/// vault. `Debug` of a `Secret` prints `[redacted]`.
#[derive(Clone, Debug)]
pub enum OptionValue {
    Plain(String),
    Secret(SecretValue),
}

/// The timeout every network flavor and the exec flavor accept.
pub(crate) const TIMEOUT: OptionSpec = OptionSpec {
    name: "timeout_secs",
    required: false,
    credential: false,
    help: "seconds one request may take in all (default 30)",
};
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A flavor's options after checking: only declared names, every required one present, every
/// credential given as a resolved secret.
pub(crate) struct Options {
    flavor: &'static str,
    map: BTreeMap<String, OptionValue>,
}

impl Options {
    pub fn check(
        flavor: &'static str,
        specs: &'static [OptionSpec],
        map: BTreeMap<String, OptionValue>,
    ) -> Result<Options, BackendError> {
        for (name, value) in &map {
            let Some(spec) = specs.iter().find(|s| s.name == name) else {
                return Err(BackendError::UnknownOption {
                    flavor,
                    name: crate::error::shown(name),
                    valid: specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
                });
            };
            if spec.credential && matches!(value, OptionValue::Plain(_)) {
                return Err(BackendError::Options {
                    flavor,
                    detail: format!(
                        "option '{name}' is a credential: give it as a reference to a vault secret ({name}={{{{secret.key}}}}), never as plain text"
                    ),
                });
            }
        }
        if let Some(missing) = specs
            .iter()
            .find(|s| s.required && !map.contains_key(s.name))
        {
            return Err(BackendError::Options {
                flavor,
                detail: format!("option '{}' is required ({})", missing.name, missing.help),
            });
        }
        Ok(Options { flavor, map })
    }

    pub fn error(&self, detail: impl Into<String>) -> BackendError {
        BackendError::Options {
            flavor: self.flavor,
            detail: detail.into(),
        }
    }

    /// A non-credential option. (A non-credential given as a resolved reference is taken too.)
    pub fn text(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| match v {
            OptionValue::Plain(s) => s.as_str(),
            OptionValue::Secret(s) => s.expose(),
        })
    }

    pub fn required_text(&self, name: &str) -> Result<&str, BackendError> {
        match self.text(name) {
            Some(s) if !s.trim().is_empty() => Ok(s.trim()),
            _ => Err(self.error(format!("option '{name}' must not be empty"))),
        }
    }

    pub fn secret(&self, name: &str) -> Option<SecretValue> {
        match self.map.get(name) {
            Some(OptionValue::Secret(s)) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, BackendError> {
        self.text(name)
            .map(|s| match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(self.error(format!("option '{name}' must be true or false"))),
            })
            .transpose()
    }

    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, BackendError> {
        self.text(name)
            .map(|s| match s.trim().parse::<u64>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(self.error(format!(
                    "option '{name}' must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))),
            })
            .transpose()
    }

    pub fn timeout(&self) -> Result<Duration, BackendError> {
        Ok(self
            .number(TIMEOUT.name, 1..=3600)?
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs))
    }

    /// The `prefix` option: path segments of letters, digits, `_`, `-` and `.`, joined by
    /// `/`, always ending in `/` so that `team` and `team/` mean the same. Empty = no prefix.
    pub fn path_prefix(&self) -> Result<String, BackendError> {
        let raw = self.text("prefix").unwrap_or("").trim();
        let trimmed = raw.strip_suffix('/').unwrap_or(raw);
        if trimmed.is_empty() {
            return Ok(String::new());
        }
        let ok = trimmed.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        });
        if !ok {
            return Err(self.error(format!(
                "prefix '{}' must be path segments of letters, digits, '_', '-' and '.', joined by '/'",
                crate::error::shown(raw)
            )));
        }
        Ok(format!("{trimmed}/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec {
            name: "address",
            required: true,
            credential: false,
            help: "where",
        },
        OptionSpec {
            name: "token",
            required: false,
            credential: true,
            help: "who",
        },
        OptionSpec {
            name: "prefix",
            required: false,
            credential: false,
            help: "under",
        },
    ];

    fn opts(pairs: &[(&str, OptionValue)]) -> Result<Options, BackendError> {
        Options::check(
            "test",
            SPECS,
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn plain(s: &str) -> OptionValue {
        OptionValue::Plain(s.into())
    }

    #[test]
    fn unknown_options_list_the_valid_ones() {
        let e = opts(&[("address", plain("x")), ("adress", plain("y"))])
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "the test backend has no option 'adress' (valid options: address, token, prefix)"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn credentials_must_be_resolved_secrets_and_never_echoed() {
        let e = opts(&[("address", plain("x")), ("token", plain("s.hunter2"))])
            .err()
            .unwrap();
        assert!(e.to_string().contains("credential"), "{e}");
        assert!(!e.to_string().contains("hunter2"));
        let ok = opts(&[
            ("address", plain("x")),
            ("token", OptionValue::Secret(SecretValue::new("s.hunter2"))),
        ])
        .unwrap();
        assert_eq!(ok.secret("token").unwrap().expose(), "s.hunter2");
    }

    #[test]
    fn required_and_prefix_rules() {
        assert!(opts(&[]).err().unwrap().to_string().contains("'address'"));
        for (given, want) in [("", ""), ("team", "team/"), ("a/b.c/", "a/b.c/")] {
            let o = opts(&[("address", plain("x")), ("prefix", plain(given))]).unwrap();
            assert_eq!(o.path_prefix().unwrap(), want);
        }
        for bad in ["/abs", "a//b", "../up", "sp ace", "a/./b"] {
            let o = opts(&[("address", plain("x")), ("prefix", plain(bad))]).unwrap();
            assert!(o.path_prefix().is_err(), "{bad:?} accepted");
        }
    }
}
