//! `--KEY=VALUE` for `secret create|update`: clap cannot declare arbitrary flags, so argv is
//! rewritten before parsing. After `secret create` or `secret update`, every `--X=Y` whose
//! `X` is not a flag of that command (or a global flag) becomes `--set X=Y`. A key that is
//! also a flag name (`scope`, `schema`, `values`, ...) must therefore go through `--values`
//! (or `--set KEY=VALUE`). Only the `=` form is rewritten: `--password s3cret` is an error.

use std::collections::HashSet;
use std::ffi::OsString;

use clap::Command;

/// The subcommands whose flags may be arbitrary keys.
const VALUE_COMMANDS: [&str; 2] = ["create", "update"];

pub fn rewrite_assignments(argv: Vec<OsString>, cli: &Command) -> Vec<OsString> {
    let globals = long_flags(cli);
    let mut out = Vec::with_capacity(argv.len());
    let mut positionals: Vec<String> = Vec::new();
    let mut target: Option<(HashSet<String>, HashSet<String>)> = None;
    let mut skip_value = false;
    let mut rest_verbatim = false;
    for (i, arg) in argv.into_iter().enumerate() {
        if i == 0 || rest_verbatim {
            out.push(arg);
            continue;
        }
        if skip_value {
            skip_value = false;
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str().map(str::to_owned) else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest_verbatim = true;
            out.push(arg);
            continue;
        }
        let (flags, takes_value) = match &target {
            Some((flags, takes_value)) => (flags, takes_value),
            None => (&globals.0, &globals.1),
        };
        if let Some(long) = text.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, _)) if target.is_some() && !flags.contains(name) => {
                    out.push("--set".into());
                    out.push(long.into());
                    continue;
                }
                Some(_) => {}
                None => skip_value = takes_value.contains(long),
            }
            out.push(arg);
            continue;
        }
        if !text.starts_with('-') && target.is_none() {
            positionals.push(text);
            if let [group, cmd] = positionals.as_slice()
                && group == "secret"
                && VALUE_COMMANDS.contains(&cmd.as_str())
            {
                let sub = cli
                    .find_subcommand("secret")
                    .and_then(|s| s.find_subcommand(cmd));
                if let Some(sub) = sub {
                    let own = long_flags(sub);
                    target = Some((
                        own.0.union(&globals.0).cloned().collect(),
                        own.1.union(&globals.1).cloned().collect(),
                    ));
                }
            }
        }
        out.push(arg);
    }
    out
}

/// True when `argv` runs `secret create` or `secret update`, whose unknown `--X=Y` are keys.
pub fn is_value_command(argv: &[OsString], cli: &Command) -> bool {
    let takes_value = long_flags(cli).1;
    let mut positionals = Vec::new();
    let mut skip = false;
    for a in argv.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            skip = !long.contains('=') && takes_value.contains(long);
        } else if !a.starts_with('-') {
            positionals.push(a);
            if positionals.len() == 2 {
                break;
            }
        }
    }
    matches!(positionals.as_slice(), ["secret", cmd] if VALUE_COMMANDS.contains(cmd))
}

/// Long flag names of a command (plus `help`/`version`), and those that take a value.
pub(crate) fn long_flags(cmd: &Command) -> (HashSet<String>, HashSet<String>) {
    let mut all: HashSet<String> = ["help", "version"].iter().map(|s| s.to_string()).collect();
    let mut takes_value = HashSet::new();
    for a in cmd.get_arguments() {
        let Some(long) = a.get_long() else { continue };
        all.insert(long.to_string());
        if a.get_action().takes_values() {
            takes_value.insert(long.to_string());
        }
        for alias in a.get_all_aliases().unwrap_or_default() {
            all.insert(alias.to_string());
        }
    }
    (all, takes_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn rewrite(args: &[&str]) -> Vec<String> {
        let argv = std::iter::once("sesame")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        rewrite_assignments(argv, &crate::cli::Cli::command())
            .into_iter()
            .skip(1)
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn unknown_flags_become_assignments() {
        assert_eq!(
            rewrite(&["secret", "create", "db", "--user=me", "--scope=user"]),
            ["secret", "create", "db", "--set", "user=me", "--scope=user"]
        );
    }

    #[test]
    fn globals_before_the_command_are_skipped() {
        assert_eq!(
            rewrite(&[
                "--vault",
                "v",
                "secret",
                "update",
                "db",
                "--format=json",
                "--pw=@@x"
            ]),
            [
                "--vault",
                "v",
                "secret",
                "update",
                "db",
                "--format=json",
                "--set",
                "pw=@@x"
            ]
        );
    }

    #[test]
    fn other_commands_and_separated_values_are_untouched() {
        assert_eq!(
            rewrite(&["secret", "get", "db", "--key=x"]),
            ["secret", "get", "db", "--key=x"]
        );
        assert_eq!(
            rewrite(&["secret", "create", "db", "--values", "--a=b"]),
            ["secret", "create", "db", "--values", "--a=b"]
        );
        assert_eq!(
            rewrite(&["secret", "create", "db", "--", "--a=b"]),
            ["secret", "create", "db", "--", "--a=b"]
        );
    }

    #[test]
    fn parsed_command_line_debug_hides_values() {
        use clap::Parser;
        let argv: Vec<OsString> = ["sesame", "secret", "create", "db", "--password=hunter2"]
            .iter()
            .map(OsString::from)
            .collect();
        let argv = rewrite_assignments(argv, &crate::cli::Cli::command());
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        let shown = format!("{cli:?}");
        assert!(
            shown.contains("password") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
