//! Usage errors as one line that never quotes an argument's value. clap's own messages echo
//! whatever was typed (`unexpected argument '--password=hunter2' found`), and a stray
//! argument is as likely a secret as a typo; so the message is rebuilt from the error's
//! parts: flags by their name, other arguments by their position, values never.

use std::ffi::OsString;

use clap::Command;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::args;

/// The one-line message (without the `sesame: ` prefix) for a clap error of `argv`.
pub fn message(e: &clap::Error, argv: &[OsString], cli: &Command) -> String {
    let get = |k| e.get(k);
    let string = |k| match get(k) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let strings = |k| match get(k) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let path = command_path(argv, cli);
    let help = format!("see '{} --help'", path.join(" "));
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = string(ContextKind::InvalidArg).unwrap_or("");
            if let Some(name) = flag_name(arg) {
                if !arg.contains('=') && args::is_value_command(argv, cli) {
                    // `--password s3cret`: the tip that works, not clap's `-- --password`.
                    return format!(
                        "unexpected argument '{name}': a key takes its value after '=', as in {name}=VALUE (or {name}=@FILE); {help}"
                    );
                }
                // clap may report `--password=hunter2` as `--password`: say a value was there.
                let with_value = arg.contains('=')
                    || argv.iter().any(|a| {
                        a.to_str()
                            .is_some_and(|a| a.starts_with(&format!("{name}=")))
                    });
                let shown = if with_value {
                    format!("{name}=…")
                } else {
                    name.to_string()
                };
                let hint = match string(ContextKind::SuggestedArg) {
                    Some(s) => format!(" (did you mean '{s}'?)"),
                    None => String::new(),
                };
                format!("unexpected argument '{shown}'{hint}; {help}")
            } else {
                format!(
                    "unexpected {} (not shown: it may be a value); {help}",
                    position(argv, arg)
                )
            }
        }
        ErrorKind::InvalidSubcommand => {
            let typed = string(ContextKind::InvalidSubcommand).unwrap_or("");
            let suggested = strings(ContextKind::SuggestedSubcommand);
            let hint = match suggested.first() {
                Some(s) => format!(" (did you mean '{s}'?)"),
                None => String::new(),
            };
            format!(
                "unrecognized command ({}, not shown: it may be a value){hint}: {}",
                position(argv, typed),
                subcommand_list(&path, cli)
            )
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!(
                "'{}' needs a command: {}",
                path.join(" "),
                subcommand_list(&path, cli)
            )
        }
        ErrorKind::InvalidValue => {
            let arg = string(ContextKind::InvalidArg).unwrap_or("an argument");
            let valid = strings(ContextKind::ValidValue);
            if string(ContextKind::InvalidValue) == Some("") {
                format!("'{arg}' needs a value; {help}")
            } else if valid.is_empty() {
                format!("invalid value for '{arg}'; {help}")
            } else {
                format!("invalid value for '{arg}': use one of {}", valid.join(", "))
            }
        }
        ErrorKind::ValueValidation => {
            let arg = string(ContextKind::InvalidArg).unwrap_or("an argument");
            // The source is our own parser's or std's message; neither quotes the value.
            let why = std::error::Error::source(e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("invalid value for '{arg}'{why}")
        }
        ErrorKind::TooManyValues => {
            let arg = string(ContextKind::InvalidArg).unwrap_or("an argument");
            format!("too many values for '{arg}'; {help}")
        }
        // The rest carry argument names and counts, never what was typed: clap's own text,
        // on one line, is safe to show.
        _ => {
            let has_value = get(ContextKind::InvalidValue).is_some()
                || get(ContextKind::InvalidSubcommand).is_some();
            if has_value {
                format!("invalid command line; {help}")
            } else {
                format!("{}; {help}", clap_one_line(&e.render().to_string()))
            }
        }
    }
}

/// `--name` of a flag-shaped argument (`--name` or `--name=value`), if its name looks like
/// one. Anything else (a stray word, `-` followed by what may be a password) is not shown.
fn flag_name(arg: &str) -> Option<&str> {
    let name = arg.split('=').next().unwrap_or(arg);
    let body = name.strip_prefix("--").or_else(|| name.strip_prefix('-'))?;
    // A single dash takes one letter (`-p`); `-Xk9...` may well be a password.
    let long = name.starts_with("--");
    let ok = !body.is_empty()
        && (long || body.len() == 1)
        && body.len() <= 40
        && body.starts_with(|c: char| c.is_ascii_alphabetic())
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(name)
}

/// "argument N" for the first argument equal to `arg` (1-based, the program not counted).
fn position(argv: &[OsString], arg: &str) -> String {
    match argv.iter().skip(1).position(|a| a == arg) {
        Some(i) => format!("argument #{}", i + 1),
        None => "argument".to_string(),
    }
}

/// The command names given so far: `["sesame", "secret"]` for `sesame secret --vault x`.
fn command_path(argv: &[OsString], cli: &Command) -> Vec<String> {
    let mut path = vec![cli.get_name().to_string()];
    let mut cmd = cli;
    let mut takes_value = args::long_flags(cli).1;
    let mut skip = false;
    for a in argv.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if skip {
            skip = false;
            continue;
        }
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            skip = !long.contains('=') && takes_value.contains(long);
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        match cmd.find_subcommand(a) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                takes_value.extend(args::long_flags(sub).1);
                cmd = sub;
            }
            None => break,
        }
    }
    path
}

/// "use one of create, get, ... (see 'sesame secret --help')" for the command at `path`.
fn subcommand_list(path: &[String], cli: &Command) -> String {
    let mut cmd = cli;
    for name in path.iter().skip(1) {
        if let Some(sub) = cmd.find_subcommand(name) {
            cmd = sub;
        }
    }
    let names: Vec<&str> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name())
        .collect();
    format!(
        "use one of {} (see '{} --help')",
        names.join(", "),
        path.join(" ")
    )
}

/// clap's rendered message without its usage block and tips, folded onto one line.
fn clap_one_line(rendered: &str) -> String {
    let lines: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect();
    let msg = lines.join(" ");
    msg.strip_prefix("error: ").unwrap_or(&msg).to_string()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use proptest::prelude::*;

    use crate::cli::{Command, Usage, secret::SecretCommand, try_parse, values};

    /// Marks a value: no error may contain it.
    const MARK: &str = "Zq9VALUE";

    fn marked() -> impl Strategy<Value = String> {
        "[A-Za-z0-9 =:/@.,{}'\"-]{0,12}".prop_map(|tail| format!("{MARK}{tail}"))
    }

    /// Tokens a command line may hold: commands, flags, and values in every position a
    /// value can take (after `=`, as a stray word, after a flag, dash-prefixed, as a file).
    fn token() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "secret",
            "create",
            "get",
            "list",
            "update",
            "rename",
            "delete",
            "history",
            "export",
            "import",
            "schema",
            "show",
            "init",
            "passwd",
            "db",
            "--scope",
            "user",
            "--format",
            "json",
            "--key",
            "--values",
            "--vault",
            "-p",
            "-i",
            "--raw",
            "--headless",
            "--filter",
            "--remove-keys",
            "--restore",
            "--dry-run",
            "-o",
            "--",
            "--set",
            "--schema",
            "-k",
            "-y",
            "--kdf-memory-mib",
            "--help-me",
        ])
        .prop_map(str::to_string);
        prop_oneof![
            3 => word,
            1 => marked(),
            1 => marked().prop_map(|v| format!("--password={v}")),
            1 => marked().prop_map(|v| format!("--format={v}")),
            1 => marked().prop_map(|v| format!("-{v}")),
            1 => marked().prop_map(|v| format!("--values=---\npw: [{v}")),
            1 => marked().prop_map(|v| format!("pw={v}")),
            1 => marked().prop_map(|v| format!("--cert=@{v}")),
            1 => marked().prop_map(|v| format!("--values={{\"a\": [\"{v}\"]}}")),
            1 => marked().prop_map(|v| format!("--values=a: {v}\n  b: 1")),
            // (`--values @FILE` names a file, which is shown: no document starts with '@'.)
        ]
    }

    /// A command that gets as far as reading values, then anything.
    fn argv() -> impl Strategy<Value = Vec<String>> {
        let prefix = prop::sample::select(vec![
            &["secret", "create", "db"][..],
            &["secret", "update", "db"],
            &["secret", "get", "db"],
            &["secret", "list"],
            &["secret", "import"],
            &["secret", "export"],
            &["schema", "show"],
            &["init"],
            &["secret"],
            &[],
        ]);
        (prefix, prop::collection::vec(token(), 0..6))
            .prop_map(|(p, tail)| p.iter().map(|s| s.to_string()).chain(tail).collect())
    }

    fn check(argv: &[String]) -> Result<(), TestCaseError> {
        let argv: Vec<OsString> = std::iter::once("sesame")
            .chain(argv.iter().map(String::as_str))
            .map(OsString::from)
            .collect();
        let msg = match try_parse(argv) {
            Err(Usage::Error(msg)) => msg,
            Err(Usage::Print(_)) => return Ok(()),
            // Parsed: the value flags are read next; their errors must not quote either.
            Ok(cli) => match cli.command {
                Some(Command::Secret(SecretCommand::Create(a))) => {
                    match values::from_flags(&a.values) {
                        Err(e) => e.to_string(),
                        Ok(_) => return Ok(()),
                    }
                }
                Some(Command::Secret(SecretCommand::Update(a))) => {
                    match values::from_flags(&a.values) {
                        Err(e) => e.to_string(),
                        Ok(_) => return Ok(()),
                    }
                }
                _ => return Ok(()),
            },
        };
        prop_assert!(!msg.contains(MARK), "value in {msg:?}");
        prop_assert!(!msg.contains('\n'), "two lines: {msg:?}");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn no_usage_or_value_error_quotes_a_value(argv in argv()) {
            check(&argv)?;
        }
    }

    #[test]
    fn the_reported_findings() {
        for argv in [
            vec!["secret", "get", "db", "--password=Zq9VALUE"],
            vec!["secret", "get", "db", "Zq9VALUE"],
            vec!["secret", "create", "db", "--password", "Zq9VALUE"],
            vec!["secret", "create", "db", "--values", "---\npw: [Zq9VALUE"],
            vec!["secret", "get", "db", "-Zq9VALUE"],
        ] {
            let argv: Vec<String> = argv.into_iter().map(String::from).collect();
            check(&argv).unwrap();
        }
    }
}
