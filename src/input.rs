//! Parsers for what the user hands us: `--KEY=VALUE`, `@file` values, `--values` documents and
//! export files. Errors say where (line and column) and what to do, but never echo a value.
//!
//! Scalars become strings exactly as written, or are refused; a value is never changed
//! silently. YAML `port: 05432` gives `"05432"` and `on: yes` gives `"yes"`. A JSON parser
//! reads numbers as numbers, which keeps whole numbers (`5432`, `-3`) exactly but would turn
//! `1.50` into `1.5` and `12345678901234567890123` into `12345678901234568000000`: those are
//! refused, naming the key, with the advice to quote them.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::{MAX_TIMESTAMP, Scope, SecretName, SecretValue, Values, check_key};

/// The `sesame_export` version this build writes. Version 2 ends with `count`; version 1
/// (no `count`) is still read, see [`parse_export`].
pub const EXPORT_VERSION: u32 = 2;
/// The oldest `sesame_export` version this build reads.
pub const EXPORT_VERSION_MIN: u32 = 1;

/// A value file larger than this is almost certainly the wrong file, not a secret.
pub const MAX_VALUE_FILE: u64 = 1 << 20;

/// `--KEY=VALUE` from the command line (the leading `--` is optional): splits at the first
/// `=`, checks the key, and resolves the value with [`parse_value`]. Errors quote the key (a
/// flag name the user typed), never the value.
pub fn parse_assignment(arg: &str) -> Result<(String, SecretValue)> {
    let body = arg.strip_prefix("--").unwrap_or(arg);
    let Some((key, raw)) = body.split_once('=') else {
        return Err(no_equals());
    };
    check_key(key)?;
    let value = parse_value(raw).map_err(|e| within(e, &format!("--{key}")))?;
    Ok((key.to_string(), value))
}

/// One `KEY=VALUE` line of `-i` from a pipe. A line may be a bare value pasted on its own
/// (a password with no key, a base64 blob whose `/` makes a bad "key"), so errors quote
/// nothing from the line.
pub fn parse_line(line: &str) -> Result<(String, SecretValue)> {
    let Some((key, raw)) = line.split_once('=') else {
        return Err(no_equals());
    };
    if let Err(Error::InvalidKey { why, .. }) = check_key(key) {
        return Err(Error::Input(format!(
            "the text before the first '=' is not a key name ({why}; not shown, as it may be a value)"
        )));
    }
    // Not even a valid key is named: a bare value with an '=' in it (`Tr0ub4dor=@x`) would
    // make one of its own first half; the caller names the line by its number.
    let value = parse_value(raw).map_err(|e| within(e, "its value"))?;
    Ok((key.to_string(), value))
}

/// `e` with `what` in front, keeping its kind: a missing file stays "not found" (exit 3).
pub fn within(e: Error, what: &str) -> Error {
    match e {
        Error::NotFound(m) => Error::NotFound(format!("{what}: {m}")),
        other => Error::Input(format!("{what}: {other}")),
    }
}

/// Text without `=` may be a stray value: it is never echoed.
fn no_equals() -> Error {
    Error::Input(
        "expected KEY=VALUE, found no '=' (not shown, as it may be a value); KEY=@FILE reads the value from a file".into(),
    )
}

/// ZenML's value syntax: `@path` is the content of that file, `@@text` the literal `@text`,
/// anything else itself. `@~/x` expands `~` to `$HOME`, since the shell does not expand it
/// after `=@`. A file must be UTF-8 text of at most 1 MiB.
///
/// Line endings, one rule under every schema: a file holding a single line loses that line's
/// ending (`echo s3cret > pw.txt` gives `s3cret`, as `$(cat pw.txt)` would); a file of
/// several lines is kept byte for byte (a PEM keeps its final newline).
pub fn parse_value(raw: &str) -> Result<SecretValue> {
    if let Some(rest) = raw.strip_prefix("@@") {
        return Ok(SecretValue::new(format!("@{rest}")));
    }
    match raw.strip_prefix('@') {
        Some(path) => read_value_file(path, false),
        None => Ok(SecretValue::new(raw)),
    }
}

/// `text` without its line ending if it is exactly one line; else `text` (see [`parse_value`]).
pub fn single_line_file(mut text: String) -> String {
    let body_len = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .filter(|body| !body.contains(['\n', '\r']))
        .map(str::len);
    if let Some(n) = body_len {
        // truncate keeps the buffer (no copy of the value is left behind).
        text.truncate(n);
    }
    text
}

/// `named`: the path may be shown even if no file is there (`--values @FILE`, where no
/// document can start with '@'); otherwise it might be a value, and is not.
fn read_value_file(path: &str, named: bool) -> Result<SecretValue> {
    if path.is_empty() {
        return Err(Error::Input(
            "'@' must be followed by a file name (write '@@' for a value that starts with '@')"
                .into(),
        ));
    }
    let full = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    };
    // A path that names no file may be a value that happens to start with '@' (a password),
    // so only a file that exists is named in an error.
    let fail = |why: String| Error::Input(format!("cannot read value file '{path}': {why}"));
    let describe = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    };
    let file = std::fs::File::open(&full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory if named => {
            Error::NotFound(format!("cannot read value file '{path}': no such file"))
        }
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Error::NotFound(
            "no file at the path after '@' (not shown, as it may be a value); write '@@' for a value that starts with '@'".into(),
        ),
        _ => fail(describe(e)),
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_VALUE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(describe(e)))?;
    if bytes.len() as u64 > MAX_VALUE_FILE {
        bytes.zeroize();
        return Err(fail(
            "it is larger than 1 MiB; is it the right file?".into(),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SecretValue::new(single_line_file(text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            e.into_bytes().zeroize();
            Err(fail(format!(
                "it is not UTF-8 text (invalid byte at offset {at}); values are text: base64-encode binary files"
            )))
        }
    }
}

/// `--values`: an inline JSON or YAML mapping, or `@FILE` holding one (see [`parse_values_text`]).
pub fn parse_values(arg: &str) -> Result<Values> {
    let text = match arg.strip_prefix('@') {
        Some(path) if !path.starts_with('@') => read_value_file(path, true),
        _ => parse_value(arg),
    }
    .map_err(|e| within(e, "--values"))?;
    let origin = match arg.strip_prefix('@') {
        Some(path) if !path.starts_with('@') => format!("--values file '{path}'"),
        _ => "--values".to_string(),
    };
    parse_values_text(text.expose(), &origin)
}

/// A JSON or YAML mapping of key to scalar. JSON is tried when the text starts with `{`,
/// YAML otherwise (and when that JSON attempt has a syntax error but the text is a YAML flow
/// mapping). Strings, numbers and booleans become strings; null, lists and nested mappings
/// are refused naming the key, as are invalid and duplicate keys. `origin` starts each error.
pub fn parse_values_text(text: &str, origin: &str) -> Result<Values> {
    parse_document::<ValuesDoc>(text, origin, "a mapping like {\"user\": \"ada\"}")
        .map(|(doc, _)| doc.0)
}

/// One secret in an export document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedSecret {
    pub name: SecretName,
    pub scope: Scope,
    #[serde(default = "default_schema")]
    pub schema: String,
    #[serde(deserialize_with = "deserialize_values")]
    pub values: Values,
    /// Seconds since the Unix epoch; kept so an import preserves history dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<u64>,
}

fn default_schema() -> String {
    DEFAULT_SCHEMA.to_string()
}

/// What `sesame secret export` writes and `sesame secret import` reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDocument {
    /// Format version, [`EXPORT_VERSION`].
    pub sesame_export: u32,
    pub secrets: Vec<ExportedSecret>,
    /// The number of secrets, written last as the end marker: a file cut short (a full disk,
    /// a partial copy) loses it, and YAML, unlike JSON, would otherwise parse what is left
    /// as a smaller, valid document. Required from version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

impl ExportDocument {
    pub fn new(secrets: Vec<ExportedSecret>) -> Self {
        ExportDocument {
            sesame_export: EXPORT_VERSION,
            count: Some(secrets.len()),
            secrets,
        }
    }

    pub fn to_json(&self) -> String {
        // Cannot fail: every map key is a string and there are no floats.
        serde_json::to_string_pretty(self).expect("an export document serializes to JSON")
    }

    pub fn to_yaml(&self) -> Result<String> {
        serde_saphyr::to_string(self).map_err(|e| Error::Other(format!("cannot write YAML: {e}")))
    }
}

/// Parses an export document, JSON or YAML (told apart by content, as `--values` is).
/// Refuses unknown format versions, a (scope, name) that appears twice, times past year 9999,
/// and a document whose end marker (`count`) is missing or disagrees with its secrets.
///
/// Version 1 documents (written before the end marker) are read when they are JSON, whose
/// closing brackets already prove the file complete; a version 1 YAML document is refused
/// with advice, since a cut-short one cannot be told from a whole one.
pub fn parse_export(text: &str, origin: &str) -> Result<ExportDocument> {
    let (doc, format) = match parse_document::<ExportDocument>(
        text,
        origin,
        "an export document (sesame_export: 2)",
    ) {
        Ok(parsed) => parsed,
        Err(e) => {
            // A newer format probably fails to parse for other reasons first; say the real one.
            #[derive(Deserialize)]
            struct Probe {
                sesame_export: Option<u32>,
            }
            if let Ok((
                Probe {
                    sesame_export: Some(v),
                },
                _,
            )) = parse_document::<Probe>(text, origin, "")
                && !(EXPORT_VERSION_MIN..=EXPORT_VERSION).contains(&v)
            {
                return Err(unsupported_version(origin, v));
            }
            return Err(e);
        }
    };
    if !(EXPORT_VERSION_MIN..=EXPORT_VERSION).contains(&doc.sesame_export) {
        return Err(unsupported_version(origin, doc.sesame_export));
    }
    match doc.count {
        Some(n) if n != doc.secrets.len() => {
            return Err(Error::Input(format!(
                "{origin}: the end marker says {n} secret(s) but the file holds {}: it was cut short or edited; nothing was imported",
                doc.secrets.len()
            )));
        }
        Some(_) => {}
        None if doc.sesame_export >= 2 => {
            return Err(Error::Input(format!(
                "{origin}: the end marker ('count', the last line of an export) is missing: the file was cut short; export it again"
            )));
        }
        None if format == Format::Yaml => {
            return Err(Error::Input(format!(
                "{origin}: a version 1 YAML export has no end marker, so a cut-short file cannot be told from a whole one: check that it ends with its last secret, then add a last line 'count: N' (N = its number of secrets) and import it again"
            )));
        }
        None => {}
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &doc.secrets {
        if !seen.insert((s.scope, s.name.as_str())) {
            return Err(Error::Input(format!(
                "{origin}: secret '{}' appears twice in the {} scope: keep one",
                s.name, s.scope
            )));
        }
        // Checked at the door: a time no date can show would otherwise be stored and meet
        // every later reader (list, get, history, the TUI, an export, a sync).
        for (field, t) in [("created", s.created), ("updated", s.updated)] {
            if let Some(t) = t.filter(|t| *t > MAX_TIMESTAMP) {
                return Err(Error::Input(format!(
                    "{origin}: secret '{}' ({}): '{field}' is {t}, past 9999-12-31T23:59:59Z; times are seconds since 1970 (not milliseconds): fix or remove it",
                    s.name, s.scope
                )));
            }
        }
    }
    Ok(doc)
}

fn unsupported_version(origin: &str, v: u32) -> Error {
    Error::Input(format!(
        "{origin}: export format version {v} is not supported (this sesame reads versions {EXPORT_VERSION_MIN} to {EXPORT_VERSION}): upgrade sesame"
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        })
    }
}

/// A parse error reduced to what is safe to show.
struct Located {
    line: usize,
    column: usize,
    msg: String,
    /// The text is not the format at all (as opposed to the right format with wrong content).
    syntax: bool,
}

fn parse_document<T: de::DeserializeOwned>(
    text: &str,
    origin: &str,
    expected: &str,
) -> Result<(T, Format)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::Input(format!(
            "{origin}: the document is empty; expected {expected}"
        )));
    }
    let yaml = || {
        with_scalars(Scalars::AsWritten, || {
            serde_saphyr::from_str::<T>(text).map_err(|e| yaml_error(&e))
        })
    };
    let (format, result) = if text.trim_start().starts_with('{') {
        match with_scalars(Scalars::Typed, || {
            serde_json::from_str::<T>(text).map_err(|e| json_error(&e))
        }) {
            // `{a: b}` is a YAML flow mapping, not JSON: accept it as YAML if it is one.
            Err(json) if json.syntax => match yaml() {
                Ok(v) => (Format::Yaml, Ok(v)),
                Err(_) => (Format::Json, Err(json)),
            },
            other => (Format::Json, other),
        }
    } else {
        (Format::Yaml, yaml())
    };
    result.map(|v| (v, format)).map_err(|e| {
        Error::Input(format!(
            "{origin}: invalid {format} at line {}, column {}: {}",
            e.line, e.column, e.msg
        ))
    })
}

// --- Scalars as strings -------------------------------------------------------------------
//
// YAML must be asked for a string (`deserialize_str`) to get a scalar as written, while JSON
// must be asked for anything (`deserialize_any`) or it refuses numbers. The derived
// `Deserialize` of `ExportedSecret` cannot be told which format it is reading, so the parse
// entry points say so in a thread-local for the duration of one parse. The same goes for the
// key being read, which YAML's own errors (a null value) do not know.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scalars {
    /// Ask for a string: the scalar's text as written (YAML).
    AsWritten,
    /// Take what the parser typed and spell it (JSON, and any other serde format).
    Typed,
}

thread_local! {
    static SCALARS: Cell<Scalars> = const { Cell::new(Scalars::Typed) };
    static VALUE_OF: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn with_scalars<R>(mode: Scalars, f: impl FnOnce() -> R) -> R {
    struct Restore(Scalars);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCALARS.with(|s| s.set(self.0));
            VALUE_OF.with(|k| k.borrow_mut().take());
        }
    }
    let _restore = Restore(SCALARS.with(|s| s.replace(mode)));
    VALUE_OF.with(|k| k.borrow_mut().take());
    f()
}

fn set_value_of(key: Option<&str>) {
    VALUE_OF.with(|k| *k.borrow_mut() = key.map(str::to_string));
}

fn value_of() -> Option<String> {
    VALUE_OF.with(|k| k.borrow().clone())
}

/// The top-level `--values` mapping.
struct ValuesDoc(Values);

impl<'de> Deserialize<'de> for ValuesDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        deserialize_values(d).map(ValuesDoc)
    }
}

fn deserialize_values<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Values, D::Error> {
    d.deserialize_map(ValuesVisitor)
}

struct ValuesVisitor;

impl<'de> Visitor<'de> for ValuesVisitor {
    type Value = Values;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping of keys to strings, numbers or booleans")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Values, A::Error> {
        let mut values = Values::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            check_key(&key).map_err(de::Error::custom)?;
            if values.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key '{key}'")));
            }
            set_value_of(Some(&key));
            let value = map.next_value_seed(ScalarSeed { key: &key })?;
            set_value_of(None);
            values.insert(key, value);
        }
        Ok(values)
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<String, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<String, E> {
        Ok(v)
    }
}

struct ScalarSeed<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = SecretValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<SecretValue, D::Error> {
        let visitor = ScalarVisitor { key: self.key };
        match SCALARS.with(Cell::get) {
            Scalars::AsWritten => d.deserialize_str(visitor),
            Scalars::Typed => d.deserialize_any(visitor),
        }
    }
}

struct ScalarVisitor<'k> {
    key: &'k str,
}

impl ScalarVisitor<'_> {
    fn refuse<E: de::Error>(&self, what: &str) -> E {
        E::custom(format!(
            "key '{}' holds {what}; values must be strings, numbers or booleans (put structured data in one string)",
            self.key
        ))
    }
}

impl<'de> Visitor<'de> for ScalarVisitor<'_> {
    type Value = SecretValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a string, number or boolean for key '{}'", self.key)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<SecretValue, E> {
        Ok(SecretValue::new(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<SecretValue, E> {
        // Only JSON gets here (YAML scalars are read as written). serde_json hands over a
        // fraction, an exponent, `-0` or a whole number past 64 bits as a float, already
        // rounded: the text as written is gone, so the value is refused, not changed.
        Err(E::custom(format!(
            "key '{}' holds a number that JSON reading would change (a fraction, an exponent, or more than 64 bits): write it as a string, in quotes",
            self.key
        )))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<SecretValue, E> {
        Err(null_value(self.key))
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<SecretValue, E> {
        Err(null_value(self.key))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> std::result::Result<SecretValue, A::Error> {
        Err(self.refuse("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<SecretValue, A::Error> {
        Err(self.refuse("a nested mapping"))
    }
}

fn null_value<E: de::Error>(key: &str) -> E {
    E::custom(null_message(key))
}

fn null_message(key: &str) -> String {
    format!("key '{key}' has no value (null): write \"\" for an empty value, or leave the key out")
}

// --- Error messages without values ----------------------------------------------------------

fn json_error(e: &serde_json::Error) -> Located {
    use serde_json::error::Category;
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    let syntax = matches!(e.classify(), Category::Syntax | Category::Eof);
    // Syntax messages are fixed texts; data messages may quote what was found.
    let msg = if syntax { msg.to_string() } else { scrub(msg) };
    Located {
        line: e.line(),
        column: e.column(),
        msg,
        syntax,
    }
}

fn yaml_error(e: &serde_saphyr::Error) -> Located {
    use serde_saphyr::Error as Y;
    let (line, column) = e
        .location()
        .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
    let mut inner = e;
    while let Y::WithSnippet { error, .. } | Y::AliasError { error, .. } = inner {
        inner = error;
    }
    let key = value_of();
    let msg = match inner {
        Y::NullIntoString { .. } => match &key {
            Some(k) => null_message(k),
            None => "a key is null; keys must be names".to_string(),
        },
        Y::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | Y::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => match (&key, kind(unexpected)) {
            (Some(k), kind @ ("sequence" | "map")) => {
                let what = if kind == "map" {
                    "a nested mapping"
                } else {
                    "a list"
                };
                format!("key '{k}' holds {what}; values must be strings, numbers or booleans")
            }
            (_, kind) => format!("expected {expected}, found {kind}"),
        },
        // Asked for a string, YAML found a collection or (at the top) not the collection asked for.
        Y::Unexpected { expected, .. } => match (&key, *expected) {
            (Some(k), "string scalar") => {
                format!(
                    "key '{k}' holds a list or a nested mapping; values must be strings, numbers or booleans"
                )
            }
            (_, "mapping start") => {
                "expected a mapping (key: value lines, or a JSON object)".to_string()
            }
            (_, "sequence start") => "expected a list".to_string(),
            (_, other) => format!("expected {other}"),
        },
        Y::SerdeUnknownVariant { expected, .. } => {
            format!("unknown value, expected one of {}", expected.join(", "))
        }
        Y::SerdeUnknownField {
            field, expected, ..
        } => {
            format!(
                "unknown field {}, expected one of {}",
                show_name(field),
                expected.join(", ")
            )
        }
        Y::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("duplicate key {}", show_name(k)),
            None => "duplicate key".to_string(),
        },
        Y::QuotingRequired { .. } => "a value must be quoted".to_string(),
        Y::NonFiniteFloat { .. } => "a number is not finite".to_string(),
        // Parser messages are fixed texts and custom ones are ours; serde's generic
        // "invalid type" texts can still arrive this way and may quote a value.
        Y::Message { msg, .. } => scrub(msg),
        other => {
            use serde_saphyr::MessageFormatter;
            serde_saphyr::DefaultMessageFormatter
                .format_message(other)
                .into_owned()
        }
    };
    let msg = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Only JSON's syntax flag matters (it decides whether to try YAML instead).
    Located {
        line,
        column,
        msg,
        syntax: false,
    }
}

/// The kind word of a serde "unexpected" description: `string "x"` -> `string`.
fn kind(unexpected: &str) -> &str {
    unexpected.split(['`', '"']).next().unwrap_or("").trim()
}

/// Shows a user-supplied name only if it is a plausible key, as it might be a misplaced value.
fn show_name(name: &str) -> String {
    if check_key(name).is_ok() {
        format!("'{name}'")
    } else {
        "(not a valid key name)".to_string()
    }
}

/// Rewrites serde's stock messages, which quote the offending input, into ones that do not.
fn scrub(msg: &str) -> String {
    // serde puts the found thing first and our own expectation last, so the last
    // ", expected " is the real separator even if the quoted input contains one.
    let split = |rest: &str| -> (String, String) {
        match rest.rfind(", expected ") {
            Some(i) => (rest[..i].to_string(), rest[i + 2..].to_string()),
            None => (rest.to_string(), String::new()),
        }
    };
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (found, expected) = split(rest);
            return format!("{expected}, found {}", kind(&found));
        }
    }
    if msg.starts_with("unknown variant ") {
        let (_, expected) = split(msg);
        return format!("unknown value, {expected}");
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        // serde writes "unknown field `F`, expected `a`, `b`" (or ", there are no fields"):
        // the list holds "`, " too, so split at the tail's start, not at the last "`, ".
        let (field, tail) = ["`, expected ", "`, there are no fields"]
            .iter()
            .filter_map(|sep| rest.rfind(sep).map(|i| (&rest[..i], &rest[i + 3..])))
            .next()
            .unwrap_or((rest, ""));
        return format!("unknown field {}, {tail}", show_name(field));
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
            .collect()
    }

    fn not_found(r: Result<impl fmt::Debug>) -> String {
        match r {
            Err(Error::NotFound(msg)) => msg,
            other => panic!("expected a not-found error, got {other:?}"),
        }
    }

    fn input_err(r: Result<impl fmt::Debug>) -> String {
        match r {
            Err(Error::Input(msg)) => msg,
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn assignments() {
        let (k, v) = parse_assignment("--password=s3=cret").unwrap();
        assert_eq!((k.as_str(), v.expose()), ("password", "s3=cret"));
        let (k, v) = parse_assignment("user=").unwrap();
        assert_eq!((k.as_str(), v.expose()), ("user", ""));
        assert_eq!(parse_assignment("--x=@@home").unwrap().1.expose(), "@home");
        for bare in ["--password", "hunter2", "hunter2 secret"] {
            let msg = input_err(parse_assignment(bare));
            assert!(
                msg.contains("KEY=VALUE") && !msg.contains("hunter2"),
                "{msg}"
            );
            assert!(!msg.contains("password"), "{msg}");
        }
        // A piped line: neither a bare value nor a value-looking "key" is echoed.
        for line in ["hunter2", "ab/cd+ef==", "my password=x"] {
            let msg = input_err(parse_line(line));
            assert!(
                !msg.contains("hunter2") && !msg.contains("ab/cd") && !msg.contains("my pass"),
                "{msg}"
            );
        }
        assert_eq!(parse_line("pw=a=b").unwrap().1.expose(), "a=b");
        // Found by `cargo fuzz run error_paths`: a bare value with '=' in it made a "key" of
        // its first half, which the error then named.
        let msg = not_found(parse_line("Zq9VALUE=@%"));
        assert!(
            !msg.contains("Zq9VALUE") && msg.starts_with("its value: "),
            "{msg}"
        );
        assert!(matches!(
            parse_assignment("--a.b=1"),
            Err(Error::InvalidKey { .. })
        ));
        let msg = not_found(parse_assignment("--cert=@/nonexistent/c.pem"));
        assert!(
            msg.starts_with("--cert: no file at the path after '@'")
                && !msg.contains("nonexistent"),
            "{msg}"
        );
        // A password that starts with '@' is not echoed as a "file name" either.
        let msg = not_found(parse_assignment("--password=@dm1nS3cret"));
        assert!(!msg.contains("dm1nS3cret") && msg.contains("'@@'"), "{msg}");
    }

    #[test]
    fn value_files() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("key.pem");
        std::fs::write(&pem, "-----BEGIN-----\nabc\n-----END-----\n").unwrap();
        let v = parse_value(&format!("@{}", pem.display())).unwrap();
        assert_eq!(v.expose(), "-----BEGIN-----\nabc\n-----END-----\n");
        // One rule for line endings: a one-line file loses its ending, more lines keep theirs.
        for (text, want) in [
            ("s3cret\n", "s3cret"),
            ("s3cret\r\n", "s3cret"),
            ("s3cret", "s3cret"),
            ("s3cret\n\n", "s3cret\n\n"),
            ("a\nb\n", "a\nb\n"),
            ("\n", ""),
        ] {
            let f = dir.path().join("one");
            std::fs::write(&f, text).unwrap();
            assert_eq!(
                parse_value(&format!("@{}", f.display())).unwrap().expose(),
                want,
                "{text:?}"
            );
        }

        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"SECRET\xff\xfe").unwrap();
        let msg = input_err(parse_value(&format!("@{}", bin.display())));
        assert!(
            msg.contains("not UTF-8") && msg.contains("offset 6") && !msg.contains("SECRET"),
            "{msg}"
        );

        let msg = input_err(parse_value(&format!("@{}", dir.path().display())));
        assert!(msg.contains("directory"), "{msg}");

        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; MAX_VALUE_FILE as usize + 1]).unwrap();
        assert!(input_err(parse_value(&format!("@{}", big.display()))).contains("1 MiB"));

        assert!(input_err(parse_value("@")).contains("file name"));
        assert_eq!(parse_value("@@").unwrap().expose(), "@");
        assert_eq!(
            parse_value("plain @ text").unwrap().expose(),
            "plain @ text"
        );
        for msg in [
            not_found(parse_value("@/no/such")),
            input_err(parse_value("@")),
        ] {
            assert!(!msg.contains('\n'));
        }
    }

    #[test]
    fn values_from_json_and_yaml() {
        let want = values(&[
            ("user", "ada"),
            ("port", "5432"),
            ("tls", "true"),
            ("empty", ""),
        ]);
        let json = r#" {"user": "ada", "port": 5432, "tls": true, "empty": ""} "#;
        assert_eq!(parse_values(json).unwrap(), want);
        let yaml = "user: ada\nport: 5432\ntls: true\nempty: ''\n";
        assert_eq!(parse_values(yaml).unwrap(), want);
        // A YAML flow mapping starts with '{' too.
        assert_eq!(
            parse_values("{user: ada, port: 5432, tls: true, empty: ''}").unwrap(),
            want
        );
        // YAML keeps scalars as written; JSON goes through numbers.
        let v = parse_values("a: 05432\nb: yes\nc: 1.50\nd: 0x1F\ne: ~x\nf: |\n  line1\n  line2\n")
            .unwrap();
        let got: Vec<&str> = v.values().map(SecretValue::expose).collect();
        assert_eq!(
            got,
            ["05432", "yes", "1.50", "0x1F", "~x", "line1\nline2\n"]
        );
        // JSON whole numbers are exact; what a JSON reader would round is refused.
        assert_eq!(
            parse_values(
                r#"{"a": 18446744073709551615, "b": -3, "c": false, "d": -9223372036854775808}"#
            )
            .unwrap(),
            values(&[
                ("a", "18446744073709551615"),
                ("b", "-3"),
                ("c", "false"),
                ("d", "-9223372036854775808")
            ])
        );
        for (doc, key) in [
            (r#"{"a": "x", "pi": 1.50}"#, "pi"),
            (r#"{"big": 12345678901234567890123}"#, "big"),
            (r#"{"e": 1e3}"#, "e"),
            (r#"{"z": -0}"#, "z"),
        ] {
            let msg = input_err(parse_values(doc));
            assert!(
                msg.contains(&format!("key '{key}'")) && msg.contains("as a string"),
                "{msg}"
            );
        }
        assert_eq!(parse_values("{}").unwrap(), Values::new());
    }

    #[test]
    fn values_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.yaml");
        std::fs::write(&path, "user: ada\npassword: SECRET\n  bad: indent\n").unwrap();
        let msg = input_err(parse_values(&format!("@{}", path.display())));
        assert!(
            msg.starts_with(&format!(
                "--values file '{}': invalid YAML at line ",
                path.display()
            )),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"), "{msg}");
        std::fs::write(&path, "user: ada\n").unwrap();
        assert_eq!(
            parse_values(&format!("@{}", path.display())).unwrap(),
            values(&[("user", "ada")])
        );
    }

    #[test]
    fn refusals_name_the_key_and_place_but_not_the_value() {
        let cases: &[(&str, &str)] = &[
            (
                "{\"a\": \"SECRET1\",\n \"b\": null}",
                "key 'b' has no value",
            ),
            ("a: SECRET1\nb:\n", "key 'b' has no value"),
            ("a: SECRET1\nb: null\n", "key 'b' has no value"),
            (
                "{\"a\": \"SECRET1\", \"b\": [\"SECRET2\"]}",
                "key 'b' holds a list",
            ),
            (
                "a: SECRET1\nb: [SECRET2]\n",
                "key 'b' holds a list or a nested mapping",
            ),
            (
                "a: SECRET1\nb:\n  - SECRET2\n",
                "key 'b' holds a list or a nested mapping",
            ),
            (
                "{\"a\": {\"x\": \"SECRET2\"}}",
                "key 'a' holds a nested mapping",
            ),
            (
                "a:\n  x: SECRET2\n",
                "key 'a' holds a list or a nested mapping",
            ),
            (
                "{\"a\": \"SECRET1\", \"a\": \"SECRET2\"}",
                "duplicate key 'a'",
            ),
            ("a: SECRET1\na: SECRET2\n", "duplicate key 'a'"),
            ("{\"a.b\": \"SECRET1\"}", "invalid key name 'a.b'"),
            ("a b: SECRET1\n", "invalid key name 'a b'"),
            (
                "{\"a\": \"SECRET1\",\n  \"b\" \"SECRET2\"}",
                "invalid JSON at line 2, column",
            ),
            (
                "{\"a\": \"SECRET1\"} trailing SECRET2",
                "invalid JSON at line 1",
            ),
            ("{\"a\": \"SECRET1", "invalid JSON at line 1"),
            ("SECRET1", "expected a mapping"),
            ("- SECRET1\n", "expected a mapping"),
            ("[\"SECRET1\"]", "expected a mapping"),
            ("\"SECRET1\"", "expected a mapping"),
            ("a: 'SECRET1\n", "invalid YAML at line"),
            ("a: SECRET1\n---\nb: SECRET2\n", "invalid YAML"),
            ("a: *SECRET1\n", "invalid YAML"),
            ("", "empty"),
            ("   \n", "empty"),
        ];
        let bad: Vec<String> = cases
            .iter()
            .map(|(text, want)| (text, want, input_err(parse_values_text(text, "--values"))))
            .filter(|(_, want, msg)| {
                !msg.contains(*want)
                    || !msg.starts_with("--values: ")
                    || msg.contains("SECRET")
                    || msg.contains('\n')
            })
            .map(|(text, want, msg)| format!("{text:?}: want {want:?}, got {msg:?}"))
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn error_positions() {
        let msg = input_err(parse_values_text(
            "{\n  \"a\": \"x\",\n  \"b\": null\n}",
            "--values",
        ));
        assert!(msg.contains("invalid JSON at line 3, column"), "{msg}");
        let msg = input_err(parse_values_text("a: x\nb: x\nb: y\n", "--values"));
        assert!(msg.contains("at line 3, column 1"), "{msg}");
    }

    fn sample_export() -> ExportDocument {
        ExportDocument::new(vec![
            ExportedSecret {
                name: SecretName::new("db").unwrap(),
                scope: Scope::Workspace,
                schema: "postgres".into(),
                values: values(&[("host", "h"), ("port", "5432"), ("password", "p: w\n#x")]),
                created: Some(1_700_000_000),
                updated: Some(1_700_000_100),
            },
            ExportedSecret {
                name: SecretName::new("db").unwrap(),
                scope: Scope::User,
                schema: DEFAULT_SCHEMA.into(),
                values: values(&[("yes", "no"), ("null", "~")]),
                created: None,
                updated: None,
            },
        ])
    }

    #[test]
    fn export_round_trips_through_json_and_yaml() {
        let doc = sample_export();
        assert_eq!(parse_export(&doc.to_json(), "f.json").unwrap(), doc);
        assert_eq!(
            parse_export(&doc.to_yaml().unwrap(), "f.yaml").unwrap(),
            doc
        );
        let minimal = "sesame_export: 2\nsecrets:\n  - name: x\n    scope: user\n    values: {a: 1}\ncount: 1\n";
        let parsed = parse_export(minimal, "f").unwrap();
        assert_eq!(parsed.secrets[0].schema, DEFAULT_SCHEMA);
        assert_eq!(parsed.secrets[0].values["a"].expose(), "1");
        // The end marker is the last thing written.
        assert!(doc.to_json().trim_end().ends_with("\"count\": 2\n}"));
        assert!(doc.to_yaml().unwrap().trim_end().ends_with("count: 2"));
    }

    #[test]
    fn a_cut_short_export_is_refused_wherever_it_is_cut() {
        let doc = sample_export();
        for text in [doc.to_yaml().unwrap(), doc.to_json()] {
            let whole = text.trim_end();
            // Every cut that loses something (a byte of the last value, a key, a secret).
            for end in (1..whole.len()).filter(|i| whole.is_char_boundary(*i)) {
                let cut = &whole[..end];
                assert!(
                    parse_export(cut, "f").is_err(),
                    "accepted a file cut at byte {end}: {cut:?}"
                );
            }
        }
        let msg = input_err(parse_export("sesame_export: 2\nsecrets: []\n", "f"));
        assert!(
            msg.contains("end marker") && msg.contains("cut short"),
            "{msg}"
        );
        let msg = input_err(parse_export(
            "sesame_export: 2\nsecrets: []\ncount: 3\n",
            "f",
        ));
        assert!(
            msg.contains("says 3 secret(s) but the file holds 0"),
            "{msg}"
        );
    }

    #[test]
    fn version_1_exports_are_read_when_they_prove_complete() {
        let v1_json = r#"{"sesame_export": 1, "secrets": [{"name": "x", "scope": "user", "values": {"a": "b"}}]}"#;
        assert_eq!(parse_export(v1_json, "f").unwrap().secrets.len(), 1);
        let v1_yaml =
            "sesame_export: 1\nsecrets:\n  - name: x\n    scope: user\n    values: {a: b}\n";
        let msg = input_err(parse_export(v1_yaml, "f"));
        assert!(
            msg.contains("no end marker") && msg.contains("count: N"),
            "{msg}"
        );
        // Following the advice works.
        let fixed = format!("{v1_yaml}count: 1\n");
        assert_eq!(parse_export(&fixed, "f").unwrap().secrets.len(), 1);
    }

    #[test]
    fn times_past_year_9999_are_refused_naming_secret_and_field() {
        for (field, t) in [
            ("created", MAX_TIMESTAMP + 1),
            ("updated", 1_700_000_000_000),
        ] {
            let text = format!(
                "{{\"sesame_export\": 2, \"secrets\": [{{\"name\": \"db\", \"scope\": \"user\", \"values\": {{}}, \"{field}\": {t}}}], \"count\": 1}}"
            );
            let msg = input_err(parse_export(&text, "f"));
            assert!(
                msg.contains("secret 'db' (user)") && msg.contains(&format!("'{field}' is {t}")),
                "{msg}"
            );
        }
        let ok = format!(
            "{{\"sesame_export\": 2, \"secrets\": [{{\"name\": \"db\", \"scope\": \"user\", \"values\": {{}}, \"created\": {MAX_TIMESTAMP}}}], \"count\": 1}}"
        );
        assert!(parse_export(&ok, "f").is_ok());
    }

    #[test]
    fn export_refusals() {
        let dup = "sesame_export: 2\nsecrets:\n  - {name: x, scope: user, values: {}}\n  - {name: x, scope: user, values: {}}\ncount: 2\n";
        assert!(
            input_err(parse_export(dup, "f"))
                .contains("secret 'x' appears twice in the user scope")
        );
        let newer = r#"{"sesame_export": 3, "secrets": [], "signature": "abc"}"#;
        assert!(input_err(parse_export(newer, "f")).contains("version 3 is not supported"));
        // An unknown field is named as itself (it was once reported as `updated`).
        let msg = input_err(parse_export(
            r#"{"sesame_export": 2, "secrets": [{"name": "x", "scope": "user", "values": {}, "passwd": "SECRET1"}], "count": 1}"#,
            "f",
        ));
        assert!(
            msg.contains("unknown field 'passwd', expected one of `name`"),
            "{msg}"
        );
        let cases: &[(&str, &str)] = &[
            (
                "sesame_export: 1\nsecrets:\n  - name: x\n    scope: SECRET1\n    values: {}\n",
                "unknown value",
            ),
            (
                "sesame_export: 1\nsecrets:\n  - name: x\n    scope: user\n    values: {a: [SECRET1]}\n",
                "key 'a' holds a list or a nested mapping",
            ),
            (
                "sesame_export: 1\nsecrets:\n  - name: x\n    scope: user\n    password: SECRET1\n    values: {}\n",
                "unknown field 'password'",
            ),
            ("sesame_export: 1\nsecrets: SECRET1\n", "expected a list"),
            (
                "sesame_export: 1\nsecrets:\n  - name: x\n    scope: user\n    values: {}\n    created: SECRET1\n",
                "invalid u64",
            ),
            (
                "{\"sesame_export\": 1, \"secrets\": [{\"name\": \"x\", \"scope\": \"SECRET1\", \"values\": {}}]}",
                "unknown value",
            ),
            (
                "{\"sesame_export\": 1, \"secrets\": [{\"name\": \"x\", \"scope\": \"user\", \"values\": {}, \"SECRET1 x\": 1}]}",
                "unknown field (not a valid key name)",
            ),
            (
                "{\"sesame_export\": 1, \"secrets\": \"SECRET1\"}",
                "found string",
            ),
            (
                "{\"sesame_export\": 1, \"secrets\": [{\"name\": \"x\", \"scope\": \"user\"}]}",
                "missing field `values`",
            ),
            ("sesame_export: 1\n", "missing field"),
        ];
        let bad: Vec<String> = cases
            .iter()
            .map(|(text, want)| (text, want, input_err(parse_export(text, "f"))))
            .filter(|(_, want, msg)| {
                !msg.contains(*want) || msg.contains("SECRET") || msg.contains('\n')
            })
            .map(|(text, want, msg)| format!("{text:?}: want {want:?}, got {msg:?}"))
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn fuzz_regression_invalid_key_with_newline_stays_one_line() {
        // Found by `cargo fuzz run values` in a 10-minute run.
        let text = "{ \"n\\nfloat{ \"n\\nfloat\\n\\uz\\n\\uz<";
        let err = parse_values_text(text, "--values").unwrap_err().to_string();
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn scrub_strips_quoted_input() {
        assert_eq!(
            scrub("invalid type: string \"a, expected b\", expected u64"),
            "expected u64, found string"
        );
        assert_eq!(
            scrub("invalid value: integer `5`, expected a scope"),
            "expected a scope, found integer"
        );
        assert_eq!(
            scrub("unknown variant `SECRET`, expected `user` or `workspace`"),
            "unknown value, expected `user` or `workspace`"
        );
        assert_eq!(
            scrub("unknown field `pw`, expected `name`"),
            "unknown field 'pw', expected `name`"
        );
        assert_eq!(
            scrub("unknown field `a b`, there are no fields"),
            "unknown field (not a valid key name), there are no fields"
        );
        assert_eq!(scrub("missing field `name`"), "missing field `name`");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            "[a-zA-Z_][a-zA-Z0-9_-]{0,10}"
        }

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                "\\PC{0,20}",
                "[ -~\\n\\t]{0,20}",
                prop::sample::select(vec![
                    "".to_string(),
                    "yes".into(),
                    "null".into(),
                    "~".into(),
                    "1.50".into(),
                    "0x1F".into(),
                    " lead".into(),
                    "trail ".into(),
                    "a\n".into(),
                    "\n\n".into(),
                    "- x".into(),
                    "#c".into(),
                    "a: b".into(),
                    "'q'".into(),
                    "\"dq\"".into(),
                    "@x".into(),
                    "*a".into(),
                    "&a".into(),
                    "!tag".into(),
                    "%x".into(),
                    "{x}".into(),
                    "[x]".into(),
                    "\t".into(),
                    "\r\n".into(),
                    "line\r\nline".into(),
                    "1e3".into(),
                    ".inf".into(),
                    "-".into(),
                    "?".into(),
                    ":".into(),
                    "---".into(),
                    "...".into(),
                    "\u{85}".into(),
                    "\u{2028}".into(),
                    "\u{feff}x".into(),
                ]),
            ]
        }

        proptest! {
            #[test]
            fn parsers_never_panic(text in "\\PC{0,64}|[-{}\\[\\]:,\"'#&*!|>%@ \\na-z0-9]{0,64}") {
                let _ = parse_value(&text);
                let _ = parse_values_text(&text, "--values");
                let _ = parse_export(&text, "f");
            }

            #[test]
            fn values_round_trip(map in prop::collection::btree_map(key(), value(), 0..6)) {
                let values: Values = map.into_iter().map(|(k, v)| (k, SecretValue::new(v))).collect();
                let json = serde_json::to_string(&values).unwrap();
                prop_assert_eq!(&parse_values_text(&json, "json").unwrap(), &values);
                let yaml = serde_saphyr::to_string(&values).unwrap();
                let parsed = parse_values_text(&yaml, "yaml");
                prop_assert!(parsed.is_ok(), "{:?} from {:?}", parsed, yaml);
                prop_assert_eq!(&parsed.unwrap(), &values, "yaml was {:?}", yaml);
            }
        }
    }
}
