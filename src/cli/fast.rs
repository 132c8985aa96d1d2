//! The warm path of `sesame secret get NAME --key KEY`: the call scripts make in a loop
//! (`$(sesame secret get db -k password)`), answered by a running, unlocked agent without
//! building clap's whole command tree (a third of such a process's instructions).
//!
//! It is an optimisation and nothing else: it recognises the plain form of the command,
//! and only a success is answered here. Anything else — a flag it does not know, no agent,
//! a locked one, a missing secret or key, a queued backup write, a bad config — returns
//! `None` and the command runs the ordinary way, which gives every error, prompt and
//! message. A failed attempt has no effect: it only read.

use std::ffi::OsString;
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::{Cli, Opened, agent_use, output, session};
use crate::api::{AgentUse, Door};
use crate::secret::{Scope, SecretName};

/// The arguments of the one form answered here.
#[derive(Debug, Default, PartialEq)]
struct Get {
    vault: Option<PathBuf>,
    config: Option<PathBuf>,
    headless: bool,
    raw: bool,
    name: String,
    key: String,
    scope: Option<Scope>,
}

/// Answers `secret get NAME --key KEY` through a warm agent, or returns `None` to leave the
/// command to clap and the ordinary path. `Some(code)` is the process's exit code.
pub fn secret_get(args: &[OsString]) -> Option<i32> {
    let a = recognise(args)?;
    let cli = Cli {
        vault: a.vault,
        config: a.config,
        passphrase_file: None,
        headless: a.headless,
        raw: a.raw,
        no_agent: false,
        format: None,
        command: None,
    };
    let session = session(&cli).ok()?;
    if agent_use(false, &session) == AgentUse::Off
        || crate::backup::configured(&session.config).is_some()
            && crate::backup::pending(&session.vault_dir)
    {
        return None;
    }
    let Ok(Door::Open(secrets)) = crate::api::door(&session, AgentUse::IfRunning) else {
        return None;
    };
    let name = SecretName::new(a.name).ok()?;
    let text = match secrets.get(&name, a.scope) {
        Ok(secret) => match secret.get(&a.key) {
            Ok(value) => Zeroizing::new(format!("{}\n", value.expose())),
            Err(_) => return drop_quietly(secrets),
        },
        Err(_) => return drop_quietly(secrets),
    };
    // From here on this is the command's answer: the vault's notices are printed with it.
    let secrets = Opened(secrets);
    output::set_raw(a.raw);
    output::warn_if_shared_file();
    let code = match output::emit(&text) {
        Ok(()) => 0,
        Err(e) => super::report(&e),
    };
    drop(secrets);
    Some(code)
}

/// Gives the command back to the ordinary path, which asks again: the notices of this
/// attempt would otherwise be printed twice.
fn drop_quietly(secrets: Box<dyn crate::api::Secrets>) -> Option<i32> {
    drop(secrets.take_notices());
    None
}

/// `[GLOBAL...] secret get NAME [--key KEY | -k KEY] [--scope S | -p]` with the global flags
/// `--vault`, `--config`, `--headless` and `--raw` anywhere (clap takes them anywhere too).
/// Anything else, a flag given twice, or a value that starts with `-` is not recognised.
fn recognise(args: &[OsString]) -> Option<Get> {
    let mut a = Get::default();
    let mut words: Vec<String> = Vec::new();
    let mut key = None;
    let mut scope: Option<Scope> = None;
    let mut private = false;
    let mut it = args.iter().skip(1).map(|s| s.to_str());
    while let Some(arg) = it.next() {
        let arg = arg?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (arg, None),
        };
        // The value of `flag`: inline (`--key=K`) or the next argument (`--key K`).
        let mut value = || -> Option<String> {
            let v = match inline {
                Some(v) => v,
                None => it.next()??,
            };
            (!v.is_empty() && !v.starts_with('-')).then(|| v.to_string())
        };
        let in_get = words.len() >= 2;
        match flag {
            "--vault" if a.vault.is_none() => a.vault = Some(value()?.into()),
            "--config" if a.config.is_none() => a.config = Some(value()?.into()),
            "--headless" if inline.is_none() && !a.headless => a.headless = true,
            "--raw" if inline.is_none() && !a.raw => a.raw = true,
            "--key" | "-k" if in_get && key.is_none() => key = Some(value()?),
            "--scope" if in_get && scope.is_none() => scope = Some(value()?.parse().ok()?),
            "--private" | "-p" if in_get && inline.is_none() && !private => private = true,
            _ if arg.starts_with('-') => return None,
            _ => words.push(arg.to_string()),
        }
    }
    if private && scope.is_some() {
        return None;
    }
    let [secret, get, name] = <[String; 3]>::try_from(words).ok()?;
    if secret != "secret" || get != "get" {
        return None;
    }
    a.name = name;
    a.key = key?;
    a.scope = if private { Some(Scope::User) } else { scope };
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<Get> {
        let args: Vec<OsString> = std::iter::once("sesame")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect();
        recognise(&args)
    }

    #[test]
    fn the_plain_forms_are_recognised() {
        let want = Get {
            name: "db".into(),
            key: "password".into(),
            ..Get::default()
        };
        assert_eq!(parse("secret get db --key password"), Some(want));
        for line in [
            "secret get db -k password",
            "secret get db --key=password",
            "secret get --key password db",
        ] {
            assert_eq!(parse(line).unwrap().key, "password", "{line}");
        }
        let a = parse("--vault /v --headless secret get db -k k --raw --config=/c -p").unwrap();
        assert_eq!(a.vault, Some("/v".into()));
        assert_eq!(a.config, Some("/c".into()));
        assert!(a.headless && a.raw);
        assert_eq!(a.scope, Some(Scope::User));
        let a = parse("secret get db -k k --scope workspace").unwrap();
        assert_eq!(a.scope, Some(Scope::Workspace));
    }

    #[test]
    fn everything_else_is_left_to_clap() {
        for line in [
            "secret get db",                    // no key: the table, in the configured format
            "secret get db -k a -k b",          // twice: clap's error
            "secret get db -k",                 // no value
            "secret get db -k -x",              // a flag where the value goes
            "secret get db --key=",             // empty
            "secret get db -k k --format json", // another flag
            "secret get db -k k --no-agent",    // no agent wanted
            "secret get db -k k --passphrase-file f",
            "secret get db -k k --scope team",    // not a scope
            "secret get db -k k --scope user -p", // conflicting
            "secret get db -k k -- x",            // separator
            "secret get db extra -k k",           // extra word
            "secret get -k k",                    // no name
            "--key k secret get db",              // get's flag before get
            "secret --key k get db",
            "secret list -k k",
            "secrets get db -k k",
            "secret get db -k k --headless=yes",
            "secret get db -k k -h",
            "--vault secret get db -k k",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
        let bad = vec![
            OsString::from("sesame"),
            OsString::from("secret"),
            OsString::from("get"),
            std::os::unix::ffi::OsStringExt::from_vec(vec![0xff]),
            OsString::from("-k"),
            OsString::from("k"),
        ];
        assert_eq!(recognise(&bad), None, "not UTF-8");
    }
}
