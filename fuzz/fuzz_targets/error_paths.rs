//! Issue 9, property (2): no error quotes a value. Command lines, `-i` lines and `--values`
//! documents are built from templates that put fuzzer bytes in value positions behind a
//! marker; whatever is refused, the message must not contain the marker, and stays one line.
#![no_main]

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;
use sesame::cli::secret::SecretCommand;
use sesame::cli::{Command, Usage, try_parse, values};

const MARK: &str = "Zq9VALUE";

const WORDS: &[&str] = &[
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
];

/// One token from a template and a payload (the payload only ever lands in a value slot).
fn token(kind: u8, payload: &str) -> String {
    let v = format!("{MARK}{payload}");
    match kind % 12 {
        0..=3 => WORDS[payload.len() % WORDS.len()].to_string(),
        4 => v,
        5 => format!("--password={v}"),
        6 => format!("-{v}"),
        7 => format!("--values=---\npw: [{v}"),
        8 => format!("--values={{\"a\": {v}}}"),
        9 => format!("--cert=@{v}"),
        10 => format!("--format={v}"),
        _ => format!("pw={v}"),
    }
}

fn check(msg: &str) {
    assert!(!msg.contains(MARK), "a value in an error: {msg:?}");
    assert!(!msg.contains('\n'), "a two-line error: {msg:?}");
}

fuzz_target!(|data: &[u8]| {
    // Chunks separated by 0xff: first byte picks the template, the rest is the payload.
    let mut argv: Vec<OsString> = vec!["sesame".into()];
    for chunk in data.split(|b| *b == 0xff).take(10) {
        let Some((&kind, rest)) = chunk.split_first() else {
            continue;
        };
        let payload = String::from_utf8_lossy(rest);
        if payload.contains(['/', '\0']) {
            continue; // `@/dev/stdin` and friends would block; NUL cannot be in argv
        }
        argv.push(token(kind, &payload).into());
        // The same payload as a piped `-i` line, bare and after a key.
        for line in [format!("{MARK}{payload}"), format!("pw={MARK}{payload}")] {
            if let Err(e) = sesame::input::parse_line(&line) {
                check(&e.to_string());
            }
        }
    }
    let msg = match try_parse(argv) {
        Err(Usage::Error(msg)) => msg,
        Err(Usage::Print(_)) => return,
        Ok(cli) => match cli.command {
            Some(Command::Secret(SecretCommand::Create(a))) => {
                match values::from_flags(&a.values) {
                    Err(e) => e.to_string(),
                    Ok(_) => return,
                }
            }
            Some(Command::Secret(SecretCommand::Update(a))) => {
                match values::from_flags(&a.values) {
                    Err(e) => e.to_string(),
                    Ok(_) => return,
                }
            }
            _ => return,
        },
    };
    check(&msg);
});
