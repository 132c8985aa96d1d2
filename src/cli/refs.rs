//! `sesame render`, `sesame check` and `sesame register-missing`: text files with
//! `{{name.key}}` references (DESIGN §1, §3). Problems are listed one per line on stderr as
//! `FILE:LINE:COL: what`, all of them, then one line says what happened (nothing written).

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use zeroize::Zeroizing;

use super::output::{emit, json, message, warn_if_shared_file, write_private_file};
use super::{Context, Format, note, prompt, values};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::{self, Reference};
use crate::resolve::{self, Known, Level, Problem, Resolved};
use crate::schema::DEFAULT_SCHEMA;
use crate::secret::{Scope, Values};
use crate::vault::Change;

/// A template larger than this is not a config file.
const MAX_TEMPLATE: u64 = 64 * 1024 * 1024;

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The template ('-' reads stdin)
    pub file: PathBuf,
    /// Write to OUT (created 0600, replaced atomically) instead of stdout
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files to check; quoted globs ('conf/*.tmpl') are expanded too
    #[arg(required = true)]
    pub files: Vec<String>,
    /// What must exist [default: SESAME_SECRET_VALIDATION_LEVEL, else SECRET_AND_KEY_EXISTS]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub level: Option<Level>,
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// The template whose missing secrets and keys to ask for
    pub file: PathBuf,
}

/// A template read and parsed, or the problems that stop it.
struct Template {
    origin: String,
    text: Zeroizing<String>,
}

fn read(path: &Path) -> Result<Template> {
    let mut bytes = Vec::new();
    let origin = if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_TEMPLATE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("cannot read the template from stdin", e))?;
        "stdin".to_string()
    } else {
        let opened = std::fs::File::open(path)
            .and_then(|f| f.take(MAX_TEMPLATE + 1).read_to_end(&mut bytes));
        match opened {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(format!(
                    "no file {}: check the path",
                    path.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
                return Err(Error::Usage(format!(
                    "{} is a directory, not a template",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
            Ok(_) => {}
        }
        path.display().to_string()
    };
    if bytes.len() as u64 > MAX_TEMPLATE {
        return Err(Error::Validation(format!(
            "{origin} is larger than 64 MiB: not a template"
        )));
    }
    Ok(Template {
        text: resolve::text_of(bytes, &origin)?,
        origin,
    })
}

/// Prints each problem as its own line, then returns the error that ends the command.
pub(super) fn fail_with(problems: &[Problem], what: &str) -> Error {
    for p in problems {
        message(&format!("sesame: {p}"));
    }
    Error::Validation(format!(
        "{} reference problem(s) (listed above): {what}",
        problems.len()
    ))
}

pub fn render(ctx: &Context, a: RenderArgs) -> Result<()> {
    let t = read(&a.file)?;
    let parsed = reference::parse(&t.text).map_err(|e| {
        fail_with(
            &resolve::syntax_problems(&t.origin, &e),
            "nothing was written",
        )
    })?;
    let refs: Vec<&Reference> = parsed.references().collect();
    // A template without references needs no vault (and no passphrase).
    let resolved = if refs.is_empty() {
        Resolved::default()
    } else {
        let vault = ctx.secrets()?;
        Resolved::fetch(&*vault, refs.iter().copied())?
    };
    let problems = resolved.problems(&t.origin, refs.iter().copied());
    if !problems.is_empty() {
        return Err(fail_with(&problems, "nothing was written"));
    }
    let out = parsed
        .render(|r| resolved.value(r))
        .map_err(|_| Error::Other("a reference lost its value while rendering".into()))?;
    match &a.output {
        Some(path) => {
            write_private_file(path, out.as_bytes())?;
            note(&format!(
                "Rendered {} reference(s) of {} into {} (0600).",
                refs.len(),
                t.origin,
                path.display()
            ));
            Ok(())
        }
        None => {
            if !refs.is_empty() {
                warn_if_shared_file();
            }
            emit(&out)
        }
    }
}

/// The files named on the command line, globs expanded (a glob that matches nothing is an
/// error, as a missing file is).
fn expand(patterns: &[String]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in patterns {
        if p != "-" && p.contains(['*', '?', '[']) {
            let paths =
                glob::glob(p).map_err(|e| Error::Usage(format!("bad glob '{p}': {}", e.msg)))?;
            let before = out.len();
            for path in paths {
                out.push(path.map_err(|e| {
                    let what = format!("cannot read {}", e.path().display());
                    Error::io(what, e.into())
                })?);
            }
            if out.len() == before {
                return Err(Error::NotFound(format!("no file matches '{p}'")));
            }
        } else {
            out.push(PathBuf::from(p));
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct CheckReport<'a> {
    level: Level,
    files: usize,
    references: usize,
    problems: &'a [Problem],
}

pub fn check(ctx: &Context, a: CheckArgs) -> Result<()> {
    let format = ctx.format("check", &[Format::Table, Format::Json], Format::Table)?;
    let level = match a.level {
        Some(l) => l,
        None => Level::from_env()?,
    };
    let files = expand(&a.files)?;
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for f in &files {
        let t = read(f)?;
        let (p, errors) = reference::parse_all(&t.text);
        problems.extend(resolve::syntax_problems(&t.origin, &errors));
        let refs: Vec<Reference> = p.references().cloned().collect();
        parsed.push((t.origin, refs));
    }
    let count: usize = parsed.iter().map(|(_, r)| r.len()).sum();
    if level != Level::None && count > 0 {
        // Names and key names only: no value is decrypted at any level.
        let vault = ctx.secrets()?;
        let listing = vault.list()?;
        let known = Known::new(&listing);
        for (origin, refs) in &parsed {
            problems.extend(resolve::check(origin, refs, &known, level));
        }
        // In file order, then line and column.
        let order: Vec<&String> = parsed.iter().map(|(o, _)| o).collect();
        problems.sort_by_key(|p| (order.iter().position(|o| **o == p.file), p.line, p.column));
    }
    if format == Format::Json {
        emit(&json(&CheckReport {
            level,
            files: files.len(),
            references: count,
            problems: &problems,
        })?)?;
        if problems.is_empty() {
            return Ok(());
        }
        return Err(Error::Validation(format!(
            "{} reference problem(s) in {} file(s)",
            problems.len(),
            files.len()
        )));
    }
    if problems.is_empty() {
        note(&format!(
            "{count} reference(s) in {} file(s): all good ({}).",
            files.len(),
            level_name(level)
        ));
        return Ok(());
    }
    Err(fail_with(
        &problems,
        &format!("{} file(s) checked", files.len()),
    ))
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::None => "syntax only",
        Level::SecretExists => "every secret exists",
        Level::SecretAndKeyExists => "every secret and key exists",
    }
}

pub fn register_missing(ctx: &Context, a: RegisterArgs) -> Result<()> {
    let t = read(&a.file)?;
    let parsed = reference::parse(&t.text).map_err(|e| {
        fail_with(
            &resolve::syntax_problems(&t.origin, &e),
            "nothing was registered",
        )
    })?;
    let refs: Vec<&Reference> = parsed.references().collect();
    let vault = ctx.secrets()?;
    let listing = vault.list()?;
    let known = Known::new(&listing);
    let problems = resolve::check(
        &t.origin,
        refs.iter().copied(),
        &known,
        Level::SecretAndKeyExists,
    );
    if problems.is_empty() {
        note(&format!(
            "Nothing is missing: all {} reference(s) of {} resolve.",
            refs.len(),
            t.origin
        ));
        return Ok(());
    }
    // What is missing, grouped: secrets to create (with the keys referenced), keys to add.
    let mut to_create: Vec<(Option<Scope>, crate::SecretName, Vec<String>)> = Vec::new();
    let mut to_add: Vec<(Scope, crate::SecretName, Vec<String>)> = Vec::new();
    for r in &refs {
        match known.find(r) {
            None => match to_create
                .iter_mut()
                .find(|(s, n, _)| *s == r.scope && *n == r.name)
            {
                Some((_, _, keys)) => push_unique(keys, &r.key),
                None => to_create.push((r.scope, r.name.clone(), vec![r.key.clone()])),
            },
            Some(m) if !m.keys.contains(&r.key) => {
                match to_add
                    .iter_mut()
                    .find(|(s, n, _)| *s == m.scope && *n == m.name)
                {
                    Some((_, _, keys)) => push_unique(keys, &r.key),
                    None => to_add.push((m.scope, m.name.clone(), vec![r.key.clone()])),
                }
            }
            Some(_) => {}
        }
    }
    if !prompt::can_prompt(ctx.headless()) {
        return Err(fail_with(
            &problems,
            &format!(
                "{} to register, which needs a terminal to ask on ({})",
                t.origin,
                prompt::why_not(ctx.headless())
            ),
        ));
    }
    let mut summary = Vec::new();
    for (scope, name, keys) in to_create {
        let scope = scope.unwrap_or_default();
        prompt::tell(&format!(
            "Secret '{name}' ({scope}) does not exist; {} referenced: {}",
            if keys.len() == 1 { "key" } else { "keys" },
            keys.join(", ")
        ));
        let schema_name = loop {
            let answer = prompt::line(&format!("Schema for '{name}' [{DEFAULT_SCHEMA}]: "))?
                .unwrap_or_default();
            let answer = answer.trim();
            let chosen = if answer.is_empty() {
                DEFAULT_SCHEMA
            } else {
                answer
            };
            match ctx.schemas().get(chosen) {
                Ok(_) => break chosen.to_string(),
                Err(e) => prompt::tell(&format!("sesame: {e}")),
            }
        };
        let schema = ctx.schemas().get(&schema_name)?;
        let mut values = Values::new();
        // The referenced keys the schema has no field for are asked first (an arbitrary
        // schema takes any key; a typed one refuses unknown keys, said when it is saved).
        for key in keys.iter().filter(|k| schema.field(k).is_none()) {
            let v = prompt::hidden(&format!("{key} (referenced; hidden, @FILE reads a file): "))?;
            values.insert(key.clone(), crate::input::parse_value(&v)?);
        }
        values::interactive(ctx, schema, &mut values, None)?;
        let meta = vault.create(name.clone(), scope, &schema_name, values)?;
        summary.push(format!(
            "created '{}' ({}) with {}",
            meta.name,
            meta.scope,
            meta.keys.join(", ")
        ));
    }
    for (scope, name, keys) in to_add {
        let current = vault.meta(&name, Some(scope))?;
        let mut set = Values::new();
        for key in &keys {
            let v = prompt::hidden(&format!(
                "'{name}' ({scope}) has no '{key}': value (hidden): "
            ))?;
            set.insert(key.clone(), crate::input::parse_value(&v)?);
        }
        let change = Change {
            set,
            ..Change::default()
        };
        vault
            .update(&name, Some(scope), change, Some(current.version))
            .map_err(|e| match e.kind() {
                ErrorKind::Conflict => Error::Conflict(format!(
                    "'{name}' ({scope}) changed while you typed: nothing was added to it; run register-missing again"
                )),
                _ => e,
            })?;
        summary.push(format!("added {} to '{name}' ({scope})", keys.join(", ")));
    }
    for s in &summary {
        note(&format!("Registered: {s}."));
    }
    note(&format!(
        "{} reference(s) of {} resolve now.",
        refs.len(),
        t.origin
    ));
    Ok(())
}

fn push_unique(keys: &mut Vec<String>, key: &str) {
    if !keys.iter().any(|k| k == key) {
        keys.push(key.to_string());
    }
}
