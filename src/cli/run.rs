//! `sesame run [--secret NAME ...] [--env-file TEMPLATE] -- COMMAND [ARGS...]`: a command with
//! secrets in its environment, never in its argv. Each key of each named secret becomes a
//! variable (the one naming rule of `sesame::envname`); an env file sets exactly the
//! variables it names, its values may hold references. The child's exit code is sesame's
//! (127: no such command, 126: not executable, 128+N: killed by signal N, as shells do), and
//! signals sent to sesame reach the child.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;

use clap::Args;
use zeroize::Zeroizing;

use super::Context;
use crate::envname::{env_var_name, env_var_names};
use crate::error::{Error, Result};
use crate::reference::{self, Reference};
use crate::resolve::{self, Problem, Resolved};
use crate::secret::{Scope, SecretName};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A secret whose keys become variables: NAME (user scope first), user:NAME or
    /// workspace:NAME; repeat for more
    #[arg(long = "secret", short = 's', value_name = "NAME")]
    pub secrets: Vec<String>,
    /// A .env template: VAR=VALUE lines (comments, blank lines and `export` allowed) whose
    /// values may hold {{name.key}} references; repeat for more
    #[arg(long = "env-file", value_name = "TEMPLATE")]
    pub env_files: Vec<PathBuf>,
    /// Let a later source set a variable an earlier one already set (else that is an error)
    #[arg(long = "override")]
    pub allow_override: bool,
    /// The command to run, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// One variable for the child, and where it comes from (for collisions).
struct Var {
    name: String,
    value: Zeroizing<String>,
    from: String,
}

pub fn run(ctx: &Context, a: RunArgs) -> Result<()> {
    // Everything that needs no vault is read and checked first.
    let mut lines = Vec::new();
    let mut refs_needed: Vec<Reference> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for path in &a.env_files {
        let parsed = env_file(path)?;
        for line in parsed.lines {
            match reference::parse(&line.value) {
                Ok(t) => {
                    refs_needed.extend(t.references().map(|r| Reference {
                        line: line.line,
                        col: line.value_col + r.col - 1,
                        ..r.clone()
                    }));
                    lines.push((parsed.origin.clone(), line));
                }
                Err(errs) => problems.extend(resolve::syntax_problems(
                    &parsed.origin,
                    &errs
                        .into_iter()
                        .map(|mut e| {
                            e.col += line.value_col - 1;
                            e.line = line.line;
                            e
                        })
                        .collect::<Vec<_>>(),
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(super::refs::fail_with(&problems, "the command was not run"));
    }
    let wanted: Vec<(Option<Scope>, SecretName)> = a
        .secrets
        .iter()
        .map(|s| secret_spec(s))
        .collect::<Result<_>>()?;

    let mut vars: Vec<Var> = Vec::new();
    if !wanted.is_empty() || !refs_needed.is_empty() {
        let vault = ctx.secrets()?;
        for (scope, name) in &wanted {
            let secret = vault.get(name, *scope)?;
            let what = |k: &str| format!("key '{k}' of '{name}' ({})", secret.meta.scope);
            let names = env_var_names(secret.values.keys().map(|k| (k.as_str(), what(k))))?;
            for (var, (k, v)) in names.into_iter().zip(&secret.values) {
                vars.push(Var {
                    name: var,
                    value: Zeroizing::new(v.expose().to_string()),
                    from: what(k),
                });
            }
        }
        let resolved = Resolved::fetch(&*vault, refs_needed.iter())?;
        let problems = resolved.problems("", refs_needed.iter());
        if !problems.is_empty() {
            // The env file's name goes in front of each place.
            let named: Vec<Problem> = problems
                .into_iter()
                .map(|mut p| {
                    p.file = lines
                        .iter()
                        .find(|(_, l)| l.line == p.line)
                        .map(|(o, _)| o.clone())
                        .unwrap_or_default();
                    p
                })
                .collect();
            return Err(super::refs::fail_with(&named, "the command was not run"));
        }
        for (origin, line) in &lines {
            let t = reference::parse(&line.value).expect("parsed above");
            let value = t
                .render(|r| resolved.value(r))
                .map_err(|_| Error::Other("a reference lost its value".into()))?;
            vars.push(Var {
                name: line.name.clone(),
                value,
                from: format!("{origin}:{}", line.line),
            });
        }
        // The vault is let go of before the child starts, so a child that runs sesame
        // itself can open it (or use the agent).
        drop(vault);
    } else {
        for (origin, line) in lines {
            vars.push(Var {
                value: Zeroizing::new(line.value.clone()),
                name: line.name,
                from: format!("{origin}:{}", line.line),
            });
        }
    }
    if !a.allow_override {
        for (i, v) in vars.iter().enumerate() {
            if let Some(first) = vars[..i].iter().find(|w| w.name == v.name) {
                return Err(Error::Validation(format!(
                    "{} and {} both set ${}: pass --override to let the later one win",
                    first.from, v.from, v.name
                )));
            }
        }
    }
    exec(ctx, &a.command, &vars)
}

/// `NAME`, `user:NAME` or `workspace:NAME`.
fn secret_spec(s: &str) -> Result<(Option<Scope>, SecretName)> {
    match s.split_once(':') {
        Some((scope, name)) => Ok((Some(scope.parse()?), SecretName::new(name)?)),
        None => Ok((None, SecretName::new(s)?)),
    }
}

struct EnvLine {
    name: String,
    value: String,
    line: usize,
    /// Column (characters, 1-based) where the value starts, for positions in errors.
    value_col: usize,
}

struct EnvFile {
    origin: String,
    lines: Vec<EnvLine>,
}

/// Reads a .env template: `VAR=VALUE` per line, optional `export `, `#` comments and blank
/// lines; a value in matching single or double quotes loses them (nothing else is
/// interpreted). A line that is none of these is an error naming its line, not its text.
fn env_file(path: &std::path::Path) -> Result<EnvFile> {
    let origin = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(format!(
                "no env file {origin}: check the path"
            )));
        }
        Err(e) => return Err(Error::io(format!("cannot read {origin}"), e)),
    };
    let text = resolve::text_of(bytes, &origin)?;
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let body = trimmed
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(trimmed);
        let Some((name, value)) = body.split_once('=') else {
            return Err(Error::Validation(format!(
                "{origin}:{n}: expected VAR=VALUE (the line is not shown: it may hold a value)"
            )));
        };
        let name = name.trim_end();
        env_var_name(name)
            .ok()
            .filter(|v| v == name)
            .ok_or_else(|| {
                Error::Validation(format!(
                    "{origin}:{n}: '{}' is not a variable name (letters, digits and _, not starting with a digit)",
                    crate::error::shown(name)
                ))
            })?;
        let mut value = value.trim();
        for q in ['"', '\''] {
            if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
                value = &value[1..value.len() - 1];
            }
        }
        // `value` is still a slice of `raw`: its column is where it sits in the line.
        let at = value.as_ptr() as usize - raw.as_ptr() as usize;
        lines.push(EnvLine {
            name: name.to_string(),
            value: value.to_string(),
            line: n,
            value_col: raw[..at].chars().count() + 1,
        });
    }
    Ok(EnvFile { origin, lines })
}

/// Runs the command with the variables added to sesame's environment (minus sesame's own
/// variables: the child gets `SESAME_VAULT` and `SESAME_CONFIG` naming what this command
/// used, and nothing that holds a passphrase), forwarding signals, and ends with its code.
fn exec(ctx: &Context, command: &[OsString], vars: &[Var]) -> Result<()> {
    let (program, args) = command.split_first().expect("clap requires a command");
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear();
    for (k, v) in std::env::vars_os() {
        if !k.to_string_lossy().starts_with("SESAME_") {
            cmd.env(k, v);
        }
    }
    cmd.env("SESAME_VAULT", &ctx.session.vault_dir);
    if let Some(c) = &ctx.session.options.config {
        cmd.env("SESAME_CONFIG", c);
    }
    for v in vars {
        cmd.env(&v.name, v.value.as_str());
    }
    let shown = program.to_string_lossy().into_owned();
    let status = match spawn_forwarding(&mut cmd) {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Exit(report_spawn(&shown, "command not found", 127)));
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Error::Exit(report_spawn(
                &shown,
                "permission denied (not executable?)",
                126,
            )));
        }
        Err(e) => {
            return Err(Error::io(
                format!("cannot run {}", crate::error::shown(&shown)),
                e,
            ));
        }
    };
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    };
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Exit(code))
    }
}

fn report_spawn(program: &str, why: &str, code: i32) -> i32 {
    super::output::message(&format!("sesame: {}: {why}", crate::error::shown(program)));
    code
}

/// The signals sent to sesame that the child should get.
const FORWARDED: [libc::c_int; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// The child's pid once it runs (0 before), and a signal that came before it did.
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
static EARLY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Runs on whichever thread gets the signal (sled and the agent client may have threads of
/// their own, so a per-thread mask would not do). Async-signal-safe: atomics and kill(2).
extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    use std::sync::atomic::Ordering;
    // A signal from the terminal (Ctrl-C) already reached the whole foreground group, the
    // child included: only what was sent to sesame alone (kill) is passed on.
    // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO.
    let from_terminal = unsafe { (*info).si_code } == libc::SI_KERNEL;
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        if !from_terminal {
            // SAFETY: kill(2) is async-signal-safe.
            unsafe { libc::kill(child, sig) };
        }
    } else {
        EARLY.store(sig, Ordering::SeqCst);
    }
}

/// Spawns and waits, passing on to the child the signals sent to sesame. The handlers are
/// process-wide and reset to the default in the child by exec.
fn spawn_forwarding(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    use std::sync::atomic::Ordering;
    // SAFETY: installs a handler that only touches atomics and calls kill(2).
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = forward as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut act.sa_mask);
        for s in FORWARDED {
            libc::sigaction(s, &act, std::ptr::null_mut());
        }
    }
    let mut child = cmd.spawn()?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    let early = EARLY.swap(0, Ordering::SeqCst);
    if early != 0 {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, early) };
    }
    child.wait()
}
