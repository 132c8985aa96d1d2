//! Schemas: named templates of typed fields that a secret's values are checked against.
//! Built-ins are embedded from `assets/schemas/*.toml`; users add their own TOML files.
//!
//! The file format (every key but `type` under `[[fields]]` is optional):
//!
//! ```toml
//! name = "basic_auth"             # defaults to the file name; must match it if given
//! description = "Username and password"
//! allow_unknown = false           # accept keys that are not listed as fields
//!
//! [[fields]]
//! name = "username"               # a valid key name (letters, digits, '_', '-')
//! type = "string"                 # string | bool | int | url | multiline
//! required = true                 # default false
//! secret = false                  # mask in UIs; default true, so forgetting it fails safe
//! default = "admin"               # string, integer or boolean; filled in when absent
//! description = "Login name"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::position::{line_col, toml_error};
use crate::secret::{SecretValue, Values, check_key};

/// The schema of a secret created without `--schema`.
pub const DEFAULT_SCHEMA: &str = "arbitrary";

/// The built-in schemas, by name. A test checks each parses, so `Registry::builtin` may rely on it.
const BUILTIN: &[(&str, &str)] = &[
    (
        "arbitrary",
        include_str!("../assets/schemas/arbitrary.toml"),
    ),
    ("aws", include_str!("../assets/schemas/aws.toml")),
    ("azure", include_str!("../assets/schemas/azure.toml")),
    (
        "basic_auth",
        include_str!("../assets/schemas/basic_auth.toml"),
    ),
    ("gcp", include_str!("../assets/schemas/gcp.toml")),
    ("mysql", include_str!("../assets/schemas/mysql.toml")),
    ("postgres", include_str!("../assets/schemas/postgres.toml")),
    ("ssh", include_str!("../assets/schemas/ssh.toml")),
];

/// What a field's value must parse as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// One line of text (a trailing line ending is dropped, any other one refused).
    String,
    /// `true`/`false`, also `yes`/`no`, `on`/`off`, `1`/`0`, any case; stored as `true`/`false`.
    Bool,
    /// A decimal 64-bit signed integer.
    Int,
    /// `scheme://authority...` with no whitespace.
    Url,
    /// Any text, kept byte for byte (PEM keys, certificates, JSON key files).
    Multiline,
}

impl FieldType {
    pub const ALL: [FieldType; 5] = [
        FieldType::String,
        FieldType::Bool,
        FieldType::Int,
        FieldType::Url,
        FieldType::Multiline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Bool => "bool",
            FieldType::Int => "int",
            FieldType::Url => "url",
            FieldType::Multiline => "multiline",
        }
    }

    /// Checks `value` against this type. `Ok(Some(v))` means the value is valid but its
    /// canonical spelling is `v` (a bool spelled `Yes`, or a line read from a file that ends
    /// in a newline); `Err` is a short reason that never quotes the value.
    pub fn check(self, value: &str) -> std::result::Result<Option<String>, String> {
        if self == FieldType::Multiline {
            return Ok(None);
        }
        // A value read with `--key=@file` usually ends with the file's newline; for a
        // single-line type that ending cannot be meant, so dropping it is what users expect.
        let line = value
            .strip_suffix("\r\n")
            .or_else(|| value.strip_suffix('\n'))
            .unwrap_or(value);
        if line.contains(['\n', '\r']) {
            return Err(format!(
                "must be a single line ({} expects no line breaks)",
                self.as_str()
            ));
        }
        let canonical = match self {
            FieldType::String | FieldType::Multiline => None,
            FieldType::Bool => match parse_bool(line) {
                Some(b) => Some(b.to_string()),
                None => {
                    return Err("must be true or false (yes/no, on/off and 1/0 also work)".into());
                }
            },
            FieldType::Int => {
                // i64's FromStr alone would also take "+5" and "007"; both are harmless.
                if line.parse::<i64>().is_err() {
                    return Err(
                        if !line.is_empty()
                            && line
                                .trim_start_matches(['-', '+'])
                                .bytes()
                                .all(|b| b.is_ascii_digit())
                        {
                            "must be a whole number that fits in 64 bits".into()
                        } else {
                            "must be a whole number, like 5432".into()
                        },
                    );
                }
                None
            }
            FieldType::Url => {
                check_url(line)?;
                None
            }
        };
        match canonical {
            Some(c) if c != value => Ok(Some(c)),
            Some(_) => Ok(None),
            None if line.len() != value.len() => Ok(Some(line.to_string())),
            None => Ok(None),
        }
    }
}

/// Booleans as people type them in shells, YAML and .env files. Accepting the common
/// spellings and storing the canonical one means consumers only ever see `true`/`false`.
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// A deliberately small URL check (no url crate): `scheme://authority[/...]`.
fn check_url(s: &str) -> std::result::Result<(), String> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err("must be a URL like https://host/path (no '://' found)".into());
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    if !scheme_ok {
        return Err(
            "must be a URL like https://host/path (the scheme before '://' is not valid)".into(),
        );
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a URL without spaces or control characters".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err("must be a URL with a host after '://'".into());
    }
    Ok(())
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FieldType {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!("unknown field type '{s}': use string, bool, int, url or multiline")
            })
    }
}

impl TryFrom<String> for FieldType {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl Serialize for FieldType {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One typed field of a schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawField")]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
    /// Sensitive: UIs mask it until revealed (a password is, a user name is not).
    pub secret: bool,
}

/// A field as written in TOML, before its rules are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    default: Option<DefaultValue>,
    #[serde(default)]
    description: String,
    #[serde(default = "yes")]
    secret: bool,
}

fn yes() -> bool {
    true
}

/// Lets a schema author write `default = 5432` or `default = false` as TOML would suggest.
#[derive(Deserialize)]
#[serde(untagged)]
enum DefaultValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl TryFrom<RawField> for Field {
    type Error = String;
    fn try_from(raw: RawField) -> std::result::Result<Self, String> {
        check_key(&raw.name).map_err(|e| format!("field name: {e}"))?;
        let ty: FieldType = raw
            .ty
            .parse()
            .map_err(|e| format!("field '{}': {e}", raw.name))?;
        let default = raw.default.map(|d| match d {
            DefaultValue::Text(s) => s,
            DefaultValue::Int(i) => i.to_string(),
            DefaultValue::Bool(b) => b.to_string(),
        });
        if let Some(d) = &default {
            // Schema files are not secret, so quoting the default is fine here.
            if let Err(why) = ty.check(d) {
                return Err(format!("field '{}': default '{d}' {why}", raw.name));
            }
            if raw.required {
                return Err(format!(
                    "field '{}' has a default, so it cannot also be required (it could never be missing): drop one",
                    raw.name
                ));
            }
        }
        Ok(Field {
            name: raw.name,
            ty,
            required: raw.required,
            default,
            description: raw.description,
            secret: raw.secret,
        })
    }
}

/// Where a schema came from: shown by `sesame schema show` and in warnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaSource {
    Builtin,
    File(PathBuf),
}

impl fmt::Display for SchemaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaSource::Builtin => f.write_str("built-in"),
            SchemaSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Serialize for SchemaSource {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A named template of typed fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
    /// Accept keys that are not fields (still checked as key names). Only `arbitrary` does
    /// among the built-ins.
    pub allow_unknown: bool,
    pub source: SchemaSource,
}

/// A schema file as written, before the checks that need the whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[serde(default)]
    name: Option<toml::Spanned<String>>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    allow_unknown: bool,
    #[serde(default)]
    fields: Vec<toml::Spanned<Field>>,
}

impl Schema {
    /// Parses one schema file. `file_name` is the name the file gives the schema (its stem);
    /// errors are `line L, column C: message` so that callers can prefix the path.
    fn parse(
        text: &str,
        file_name: &str,
        source: SchemaSource,
    ) -> std::result::Result<Schema, String> {
        let at = |offset: usize, msg: &dyn fmt::Display| {
            let (line, column) = line_col(text, offset);
            format!("line {line}, column {column}: {msg}")
        };
        let raw: RawSchema = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        check_key(file_name)
            .map_err(|e| at(0, &format!("the file name is not a valid schema name: {e}")))?;
        if let Some(name) = &raw.name
            && name.get_ref() != file_name
        {
            return Err(at(
                name.span().start,
                &format!(
                    "name '{}' does not match the file name '{file_name}.toml': rename one so they agree",
                    name.get_ref()
                ),
            ));
        }
        let mut fields: Vec<Field> = Vec::with_capacity(raw.fields.len());
        for spanned in raw.fields {
            let start = spanned.span().start;
            let field = spanned.into_inner();
            if fields.iter().any(|f| f.name == field.name) {
                return Err(at(
                    start,
                    &format!("field '{}' is defined twice", field.name),
                ));
            }
            fields.push(field);
        }
        Ok(Schema {
            name: file_name.to_string(),
            description: raw.description,
            fields,
            allow_unknown: raw.allow_unknown,
            source,
        })
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == key)
    }

    /// Fills defaults, then checks for missing required fields, unknown fields (unless
    /// `allow_unknown`) and values that do not parse as their field's type. Valid values are
    /// rewritten to their canonical spelling (see [`FieldType::check`]). Every problem is
    /// reported in one `Error::Validation` line naming the fields; values are never quoted.
    pub fn validate(&self, values: &mut Values) -> Result<()> {
        let mut problems = Vec::new();
        for field in &self.fields {
            if values.contains_key(&field.name) {
                continue;
            }
            if let Some(default) = &field.default {
                values.insert(field.name.clone(), SecretValue::new(default.clone()));
            } else if field.required {
                problems.push(format!("missing required field '{}'", field.name));
            }
        }
        let mut unknown = Vec::new();
        for (key, value) in values.iter_mut() {
            let Some(field) = self.field(key) else {
                if !self.allow_unknown {
                    unknown.push(format!("'{}'", crate::error::shown(key)));
                } else if let Err(e) = check_key(key) {
                    problems.push(e.to_string());
                }
                continue;
            };
            match field.ty.check(value.expose()) {
                Ok(None) => {}
                Ok(Some(canonical)) => *value = SecretValue::new(canonical),
                Err(why) => problems.push(format!(
                    "field '{key}' {why} (got a {}-character value)",
                    value.expose().chars().count()
                )),
            }
        }
        if !unknown.is_empty() {
            let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
            problems.push(format!(
                "unknown field{} {} (its fields are: {})",
                if unknown.len() == 1 { "" } else { "s" },
                crate::error::list_capped(&unknown),
                names.join(", ")
            ));
        }
        if problems.is_empty() {
            return Ok(());
        }
        // A document of 40,000 bad keys must still give a readable line.
        let shown: Vec<&str> = problems
            .iter()
            .take(crate::error::LIST_CAP)
            .map(String::as_str)
            .collect();
        let more = match problems.len().saturating_sub(crate::error::LIST_CAP) {
            0 => String::new(),
            n => format!("; and {n} more problems"),
        };
        Err(Error::Validation(format!(
            "schema '{}': {}{more}; see 'sesame schema show {}'",
            self.name,
            shown.join("; "),
            self.name
        )))
    }

    /// Checks one value as the TUI form is edited: `Err` is a short reason, without the value.
    pub fn check_value(&self, key: &str, value: &str) -> std::result::Result<(), String> {
        match self.field(key) {
            Some(field) => field.ty.check(value).map(|_| ()),
            None if self.allow_unknown => check_key(key).map_err(|e| e.to_string()),
            None => Err(format!("'{key}' is not a field of schema '{}'", self.name)),
        }
    }
}

/// The schemas known to this process: the built-ins plus the user's own.
#[derive(Clone, Debug)]
pub struct Registry {
    schemas: BTreeMap<String, Schema>,
}

impl Registry {
    /// The built-in schemas. Their TOML is parsed once per process: the session and every
    /// vault it opens start from here.
    pub fn builtin() -> Registry {
        static PARSED: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        PARSED
            .get_or_init(|| {
                let schemas = BUILTIN
                    .iter()
                    .map(|(name, text)| {
                        let schema = Schema::parse(text, name, SchemaSource::Builtin)
                            .unwrap_or_else(|e| panic!("built-in schema '{name}' is broken: {e}"));
                        (name.to_string(), schema)
                    })
                    .collect();
                Registry { schemas }
            })
            .clone()
    }

    /// The built-ins plus every `*.toml` in `dir` (a missing dir is fine). Each file is one
    /// schema named after the file. Problems do not stop loading; each becomes a warning
    /// (`PATH:LINE:COLUMN: what is wrong; ...`) and that file is skipped.
    ///
    /// A file named like a built-in (`aws.toml`) is refused with a warning rather than
    /// replacing it: secrets name their schema, and `aws` must mean the same on every
    /// teammate's machine, or a secret valid for one would be refused for another.
    /// Copy the built-in under a new name instead.
    pub fn load(dir: Option<&Path>) -> (Registry, Vec<String>) {
        let mut registry = Registry::builtin();
        let mut warnings = Vec::new();
        let Some(dir) = dir else {
            return (registry, warnings);
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (registry, warnings),
            Err(e) => {
                warnings.push(format!(
                    "cannot read the schema folder {}: {e}; only built-in schemas are available",
                    dir.display()
                ));
                return (registry, warnings);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && !p.is_dir())
            .collect();
        // Sorted, so warnings come out in the same order on every run.
        paths.sort();
        for path in paths {
            match registry.load_file(&path) {
                Ok(()) => {}
                Err(warning) => warnings.push(warning),
            }
        }
        (registry, warnings)
    }

    fn load_file(&mut self, path: &Path) -> std::result::Result<(), String> {
        let shown = path.display();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if self
            .schemas
            .get(name)
            .is_some_and(|s| s.source == SchemaSource::Builtin)
        {
            return Err(format!(
                "{shown}: '{name}' is a built-in schema and cannot be replaced; this file was ignored (copy it to another name, e.g. {name}_custom.toml)"
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{shown}: cannot read: {e}; this schema was not loaded"))?;
        let schema = Schema::parse(&text, name, SchemaSource::File(path.to_path_buf()))
            .map_err(|e| format!("{shown}: {e}; this schema was not loaded"))?;
        self.schemas.insert(name.to_string(), schema);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<&Schema> {
        self.schemas
            .get(name)
            .ok_or_else(|| Error::UnknownSchema(name.to_string()))
    }

    /// All schemas, sorted by name.
    pub fn list(&self) -> impl Iterator<Item = &Schema> {
        self.schemas.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
            .collect()
    }

    fn validation_msg(schema: &Schema, values: &mut Values) -> String {
        match schema.validate(values) {
            Err(Error::Validation(msg)) => msg,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn good_example(name: &str) -> Values {
        const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
        match name {
            "arbitrary" => vals(&[("anything", "goes"), ("multi", "a\nb")]),
            "basic_auth" => vals(&[("username", "ada"), ("password", "pw")]),
            "aws" => vals(&[
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "k"),
                ("AWS_REGION", "eu-west-1"),
            ]),
            "gcp" => vals(&[
                (
                    "service_account_json",
                    "{\n  \"type\": \"service_account\"\n}\n",
                ),
                ("project_id", "p"),
            ]),
            "azure" => vals(&[
                ("tenant_id", "t"),
                ("client_id", "c"),
                ("client_secret", "s"),
                ("vault_url", "https://v.vault.azure.net"),
            ]),
            "mysql" => vals(&[
                ("user", "root"),
                ("password", ""),
                ("ssl_key", PEM),
                ("ssl_verify_server_cert", "TRUE"),
            ]),
            "postgres" => vals(&[
                ("host", "db"),
                ("user", "u"),
                ("password", "p"),
                ("database", "d"),
                ("sslmode", "require"),
            ]),
            "ssh" => vals(&[
                ("private_key", PEM),
                ("public_key", "ssh-ed25519 AAAA me@host\n"),
                ("port", "2222"),
            ]),
            other => panic!("no example for {other}"),
        }
    }

    #[test]
    fn an_unknown_key_with_a_newline_is_named_on_one_line() {
        let registry = Registry::builtin();
        let mut values: Values = [("user\nname".to_string(), SecretValue::new("x"))].into();
        let err = registry
            .get("basic_auth")
            .unwrap()
            .validate(&mut values)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            !msg.contains('\n') && msg.contains("'user\\nname'"),
            "{msg}"
        );
    }

    #[test]
    fn every_builtin_parses_and_accepts_a_good_example() {
        let registry = Registry::builtin();
        let names: Vec<&str> = registry.list().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "arbitrary",
                "aws",
                "azure",
                "basic_auth",
                "gcp",
                "mysql",
                "postgres",
                "ssh"
            ]
        );
        for schema in registry.list() {
            assert_eq!(schema.source, SchemaSource::Builtin);
            assert!(
                !schema.description.is_empty(),
                "{} has no description",
                schema.name
            );
            assert_eq!(schema.allow_unknown, schema.name == DEFAULT_SCHEMA);
            let mut values = good_example(&schema.name);
            schema
                .validate(&mut values)
                .unwrap_or_else(|e| panic!("{}: {e}", schema.name));
            for f in &schema.fields {
                assert!(
                    !f.description.is_empty(),
                    "{}.{} has no description",
                    schema.name,
                    f.name
                );
            }
        }
        assert!(registry.get(DEFAULT_SCHEMA).is_ok());
        assert!(matches!(registry.get("nope"), Err(Error::UnknownSchema(n)) if n == "nope"));
    }

    #[test]
    fn defaults_fill_in_and_values_are_canonicalised() {
        let registry = Registry::builtin();
        let mut values = good_example("mysql");
        values.remove("ssl_verify_server_cert");
        registry
            .get("mysql")
            .unwrap()
            .validate(&mut values)
            .unwrap();
        assert_eq!(values["port"].expose(), "3306");
        assert_eq!(values["ssl_verify_server_cert"].expose(), "false");

        let mut values = good_example("mysql");
        registry
            .get("mysql")
            .unwrap()
            .validate(&mut values)
            .unwrap();
        assert_eq!(
            values["ssl_verify_server_cert"].expose(),
            "true",
            "TRUE is stored as true"
        );

        let mut values = good_example("postgres");
        registry
            .get("postgres")
            .unwrap()
            .validate(&mut values)
            .unwrap();
        assert_eq!(values["port"].expose(), "5432");

        // A single-line field read from a file loses the file's final newline; PEM keeps it.
        let mut values = good_example("ssh");
        registry.get("ssh").unwrap().validate(&mut values).unwrap();
        assert_eq!(values["public_key"].expose(), "ssh-ed25519 AAAA me@host");
        assert!(values["private_key"].expose().ends_with("-----\n"));
    }

    #[test]
    fn each_error_kind_names_the_field_and_never_the_value() {
        let registry = Registry::builtin();
        let mysql = registry.get("mysql").unwrap();

        let mut values = vals(&[("user", "root")]);
        let msg = validation_msg(mysql, &mut values);
        assert!(msg.contains("missing required field 'password'"), "{msg}");
        assert!(msg.starts_with("schema 'mysql': "), "{msg}");

        let mut values = vals(&[
            ("user", "root"),
            ("password", "SECRETVALUE1"),
            ("pasword", "SECRETVALUE2"),
        ]);
        let msg = validation_msg(mysql, &mut values);
        assert!(msg.contains("unknown field 'pasword'"), "{msg}");
        assert!(msg.contains("password"), "lists the real fields: {msg}");

        let mut values = vals(&[
            ("user", "root"),
            ("password", "x"),
            ("ssl_verify_server_cert", "SECRT"),
        ]);
        let msg = validation_msg(mysql, &mut values);
        assert_eq!(
            msg,
            "schema 'mysql': field 'ssl_verify_server_cert' must be true or false (yes/no, on/off and 1/0 also work) (got a 5-character value); see 'sesame schema show mysql'"
        );

        let mut values = vals(&[("user", "root"), ("password", "x"), ("port", "SECRET_PORT")]);
        let msg = validation_msg(mysql, &mut values);
        assert!(msg.contains("field 'port' must be a whole number"), "{msg}");

        let mut values = vals(&[("user", "SECRET\nUSER"), ("password", "x")]);
        let msg = validation_msg(mysql, &mut values);
        assert!(msg.contains("field 'user' must be a single line"), "{msg}");

        let azure = registry.get("azure").unwrap();
        let mut values = good_example("azure");
        values.insert("vault_url".into(), SecretValue::new("SECRET vault"));
        let msg = validation_msg(azure, &mut values);
        assert!(msg.contains("field 'vault_url' must be a URL"), "{msg}");

        // Several problems at once are all reported, on one line.
        let mut values = vals(&[("port", "SECRETa"), ("extra", "SECRETb")]);
        let msg = validation_msg(mysql, &mut values);
        for part in ["'user'", "'password'", "'port'", "'extra'"] {
            assert!(msg.contains(part), "{part} missing from {msg}");
        }
        assert!(!msg.contains('\n'));
        assert!(!msg.contains("SECRET"), "a value leaked: {msg}");

        // 40,000 unknown keys: named ten at a time, then counted.
        let mut values: Values = (0..40_000)
            .map(|i| (format!("k{i:05}"), SecretValue::new("v")))
            .collect();
        values.insert("user".into(), SecretValue::new("u"));
        values.insert("password".into(), SecretValue::new("p"));
        let msg = validation_msg(mysql, &mut values);
        assert!(msg.len() < 400 && msg.contains("and 39990 more"), "{msg}");
    }

    #[test]
    fn arbitrary_takes_any_valid_key() {
        let registry = Registry::builtin();
        let arbitrary = registry.get(DEFAULT_SCHEMA).unwrap();
        let mut values = vals(&[("x", "1\n2"), ("bad.key", "SECRET")]);
        let msg = validation_msg(arbitrary, &mut values);
        assert!(msg.contains("bad.key") && !msg.contains("SECRET"), "{msg}");
        assert_eq!(arbitrary.check_value("any_key", "any\nvalue"), Ok(()));
        assert!(arbitrary.check_value("a b", "v").is_err());
    }

    #[test]
    fn type_rules() {
        use FieldType::*;
        for ok in [
            "true", "False", "YES", "no", "on", "OFF", "1", "0", "true\n",
        ] {
            assert!(Bool.check(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "t", "2", "truthy", " true"] {
            assert!(Bool.check(bad).is_err(), "{bad:?}");
        }
        for ok in ["0", "-12", "+7", "9223372036854775807", "5432\r\n"] {
            assert!(Int.check(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "1.5", "0x10", "9223372036854775808", "12 ", "1_000"] {
            assert!(Int.check(bad).is_err(), "{bad:?}");
        }
        assert!(
            Int.check("99999999999999999999")
                .unwrap_err()
                .contains("64 bits")
        );
        for ok in [
            "https://example.com",
            "postgres://u:p@h:5432/db?x=1",
            "s3+http://b",
            "file://host/p",
        ] {
            assert!(Url.check(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "example.com",
            "://h",
            "1http://h",
            "http://",
            "http:///path",
            "http://a b",
            "ht tp://h",
            "mailto:x@y",
        ] {
            assert!(Url.check(bad).is_err(), "{bad:?}");
        }
        assert_eq!(String.check("a\tb"), Ok(None));
        assert!(String.check("a\nb").is_err());
        assert!(String.check("a\rb").is_err());
        assert_eq!(String.check("a\n"), Ok(Some("a".into())));
        assert_eq!(Multiline.check("a\r\nb\n"), Ok(None));
        assert_eq!(Bool.check("Yes"), Ok(Some("true".into())));
        assert_eq!(Bool.check("true"), Ok(None));
        for t in FieldType::ALL {
            assert_eq!(t.to_string().parse::<FieldType>(), Ok(t));
        }
        assert!("boolean".parse::<FieldType>().is_err());
    }

    #[test]
    fn check_value_is_short_and_value_free() {
        let registry = Registry::builtin();
        let mysql = registry.get("mysql").unwrap();
        assert_eq!(mysql.check_value("port", "3307"), Ok(()));
        let why = mysql.check_value("port", "SECRET").unwrap_err();
        assert!(
            !why.contains("SECRET") && why.contains("whole number"),
            "{why}"
        );
        assert!(
            mysql
                .check_value("nope", "x")
                .unwrap_err()
                .contains("not a field")
        );
        assert!(mysql.field("ssl_key").unwrap().secret);
        assert!(!mysql.field("user").unwrap().secret);
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn custom_schemas_load_and_broken_ones_warn_with_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "mlflow.toml",
            "description = \"MLflow tracking\"\n[[fields]]\nname = \"url\"\ntype = \"url\"\nrequired = true\nsecret = false\n[[fields]]\nname = \"token\"\ntype = \"string\"\n[[fields]]\nname = \"timeout\"\ntype = \"int\"\ndefault = 30\n",
        );
        write(
            dir.path(),
            "broken.toml",
            "name = \"broken\"\n[[fields]]\nname = \"x\"\ntype = \"strng\"\n",
        );
        write(
            dir.path(),
            "syntax.toml",
            "name = \"syntax\"\n\n[[fields]\n",
        );
        write(
            dir.path(),
            "extra.toml",
            "[[fields]]\nname = \"x\"\ntype = \"string\"\nrequird = true\n",
        );
        write(
            dir.path(),
            "twice.toml",
            "[[fields]]\nname = \"x\"\ntype = \"string\"\n\n[[fields]]\nname = \"x\"\ntype = \"int\"\n",
        );
        write(dir.path(), "other.toml", "name = \"different\"\n");
        write(dir.path(), "aws.toml", "description = \"mine\"\n");
        write(dir.path(), "notes.txt", "ignored");

        let (registry, warnings) = Registry::load(Some(dir.path()));
        let mlflow = registry.get("mlflow").unwrap();
        assert_eq!(
            mlflow.source,
            SchemaSource::File(dir.path().join("mlflow.toml"))
        );
        let token = mlflow.field("token").unwrap();
        assert!(
            token.secret && !token.required,
            "secret defaults to true, required to false"
        );
        let mut values = vals(&[("url", "https://mlflow.example.com")]);
        mlflow.validate(&mut values).unwrap();
        assert_eq!(values["timeout"].expose(), "30");

        assert_eq!(
            registry.get("aws").unwrap().source,
            SchemaSource::Builtin,
            "built-ins cannot be replaced"
        );
        for name in [
            "broken",
            "syntax",
            "extra",
            "twice",
            "other",
            "different",
            "notes",
        ] {
            assert!(registry.get(name).is_err(), "{name} loaded");
        }
        assert_eq!(warnings.len(), 6, "{warnings:#?}");
        let find = |file: &str| {
            let path = dir.path().join(file).display().to_string();
            warnings
                .iter()
                .find(|w| w.starts_with(&path))
                .unwrap_or_else(|| panic!("no warning for {file}: {warnings:#?}"))
                .clone()
        };
        assert!(
            find("broken.toml").contains("line 2"),
            "{}",
            find("broken.toml")
        );
        assert!(find("broken.toml").contains("strng"));
        assert!(
            find("syntax.toml").contains("line 3"),
            "{}",
            find("syntax.toml")
        );
        assert!(
            find("extra.toml").contains("line 4") && find("extra.toml").contains("requird"),
            "{}",
            find("extra.toml")
        );
        assert!(
            find("twice.toml").contains("line 5") && find("twice.toml").contains("'x'"),
            "{}",
            find("twice.toml")
        );
        assert!(find("other.toml").contains("line 1") && find("other.toml").contains("different"));
        assert!(find("aws.toml").contains("built-in"));
        for w in &warnings {
            assert!(!w.contains('\n'), "warnings are one line: {w:?}");
        }
    }

    #[test]
    fn field_rules_are_checked_at_load() {
        let parse = |text: &str| Schema::parse(text, "t", SchemaSource::Builtin);
        assert!(
            parse("[[fields]]\nname = \"a.b\"\ntype = \"string\"\n")
                .unwrap_err()
                .contains("a.b")
        );
        assert!(
            parse("[[fields]]\nname = \"p\"\ntype = \"int\"\ndefault = \"x\"\n")
                .unwrap_err()
                .contains("default")
        );
        assert!(
            parse("[[fields]]\nname = \"p\"\ntype = \"int\"\ndefault = 1\nrequired = true\n")
                .unwrap_err()
                .contains("required")
        );
        assert!(parse("[[fields]]\nname = \"p\"\ntype = \"bool\"\ndefault = true\n").is_ok());
        assert!(parse("unknown = 1\n").unwrap_err().contains("unknown"));
        assert!(Schema::parse("", "bad name", SchemaSource::Builtin).is_err());
    }

    #[test]
    fn missing_dir_is_fine() {
        let (registry, warnings) = Registry::load(Some(Path::new("/nonexistent/sesame/schemas")));
        assert!(warnings.is_empty());
        assert_eq!(registry.list().count(), BUILTIN.len());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn validate_never_panics(
                schema in prop::sample::select(BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
                map in prop::collection::btree_map(
                    prop_oneof!["[a-zA-Z_][a-zA-Z0-9_-]{0,12}", ".{0,8}", prop::sample::select(vec![
                        "port".to_string(), "user".into(), "password".into(), "ssl_verify_server_cert".into(), "vault_url".into(),
                    ])],
                    "\\PC{0,24}|[\\n\\r a-z:/+0-9-]{0,24}",
                    0..8,
                ),
            ) {
                let registry = Registry::builtin();
                let schema = registry.get(schema).unwrap();
                let mut values: Values = map.iter().map(|(k, v)| (k.clone(), SecretValue::new(format!("SeCrEt{v}")))).collect();
                for (k, v) in &map {
                    let _ = schema.check_value(k, v);
                }
                if let Err(e) = schema.validate(&mut values) {
                    let msg = e.to_string();
                    prop_assert!(!msg.contains("SeCrEt"), "value leaked: {}", msg);
                    prop_assert!(!msg.contains('\n'), "multi-line: {}", msg);
                }
            }
        }
    }
}
