//! `render`, `check`, `register-missing` and `run` (DESIGN §1, §3): references in text files,
//! every problem listed with FILE:LINE:COL, nothing written on failure, and `run`'s child
//! environment, exit codes and signals.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestVault, fails};
use predicates::prelude::*;

fn vault_with_db() -> TestVault {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "db",
        "--user=app",
        "--password=p@ss word",
    ]);
    v
}

#[test]
fn render_replaces_every_reference_and_writes_private_files() {
    let v = vault_with_db();
    let t = v.file(
        "compose.tmpl.yml",
        "db:\n  url: postgres://{{db.user}}:{{ db.password }}@host\n  literal: \\{{not.a_ref}}\n",
    );
    assert_eq!(
        v.ok(&["render", t.to_str().unwrap()]),
        "db:\n  url: postgres://app:p@ss word@host\n  literal: {{not.a_ref}}\n"
    );
    let out = v.path().join("compose.yml");
    v.cmd()
        .args(["render", t.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("(0600)"));
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&out).unwrap().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&out).unwrap().contains("p@ss word"));
    // stdin, and a template with no reference needs no passphrase.
    v.cmd()
        .args(["render", "-"])
        .write_stdin("u={{user:db.user}}")
        .assert()
        .failure()
        .code(5);
    v.bare()
        .args(["--headless", "render", "-"])
        .write_stdin("no references here")
        .assert()
        .success()
        .stdout("no references here");
}

#[test]
fn render_lists_every_missing_reference_and_writes_nothing() {
    let v = vault_with_db();
    let t = v.file(
        "app.env.tmpl",
        "A={{db.user}}\nB={{nope.key}}\nC={{db.nokey}} D={{workspace:db.password}}\n",
    );
    let out = v.path().join("app.env");
    std::fs::write(&out, "previous").unwrap();
    let res = v
        .cmd()
        .args(["render", t.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(5));
    let err = String::from_utf8(res.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].ends_with(
            "app.env.tmpl:2:3: {{nope.key}}: no secret named 'nope' in the user or workspace scope"
        ),
        "{err}"
    );
    assert!(lines[1].contains("app.env.tmpl:3:3: {{db.nokey}}: secret 'db' (workspace) has no key 'nokey' (it has: password, user)"), "{err}");
    assert!(
        lines[2].contains("2 reference problem(s)") && lines[2].contains("nothing was written")
    );
    assert!(!err.contains("p@ss"), "no value in errors");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "previous",
        "nothing written"
    );
}

#[test]
fn malformed_references_binary_files_and_missing_files() {
    let v = vault_with_db();
    let t = v.file(
        "bad.tmpl",
        "ok {{db.user}}\n\n  {{ db }} {{x:y.z}}\n{{unclosed\n",
    );
    let res = v
        .cmd()
        .args(["render", t.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(5));
    let err = String::from_utf8(res.stderr).unwrap();
    for place in [
        "bad.tmpl:3:3: '{{ db }}' names no key",
        "bad.tmpl:3:12: unknown scope 'x'",
        "bad.tmpl:4:1: '{{' is not closed",
    ] {
        assert!(err.contains(place), "{place} not in {err}");
    }
    let bin = v.file("blob.bin", b"\x7fELF\0\0{{db.user}}");
    let mut c = v.cmd();
    c.args(["render", bin.to_str().unwrap()]);
    fails(c, 5, &["looks binary", "NUL byte"]);
    let mut c = v.cmd();
    c.args(["render", "nosuch.tmpl"]);
    fails(c, 3, &["no file nosuch.tmpl"]);
    let mut c = v.cmd();
    c.args(["render", v.path().to_str().unwrap()]);
    fails(c, 2, &["is a directory"]);
}

#[test]
fn a_thousand_references_render() {
    let v = TestVault::new();
    for i in 0..100 {
        v.ok(&["secret", "create", &format!("s{i}"), &format!("--k=v{i}")]);
    }
    let text: String = (0..1000)
        .map(|i| format!("x{i}={{{{s{}.k}}}}\n", i % 100))
        .collect();
    let t = v.file("big.tmpl", &text);
    let out = v.ok(&["render", t.to_str().unwrap()]);
    assert_eq!(out.lines().count(), 1000);
    assert_eq!(out.lines().nth(250).unwrap(), "x250=v50");
}

#[test]
fn check_levels_globs_json_and_no_value_decrypted() {
    let v = vault_with_db();
    v.file("a.tmpl", "{{db.user}} {{db.nokey}}\n");
    v.file("b.tmpl", "{{nope.x}}\n");
    v.file("c.tmpl", "{{db.password}}\n");
    let mut c = v.cmd();
    c.args(["check", "a.tmpl", "b.tmpl"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("a.tmpl:1:13: {{db.nokey}}") && err.contains("b.tmpl:1:1: {{nope.x}}"),
        "{err}"
    );
    // SECRET_EXISTS: a missing key is fine; from the environment too.
    let mut c = v.cmd();
    c.args(["check", "--level", "SECRET_EXISTS", "a.tmpl"]);
    c.assert().success();
    v.cmd()
        .env("SESAME_SECRET_VALIDATION_LEVEL", "SECRET_EXISTS")
        .args(["check", "a.tmpl"])
        .assert()
        .success();
    let mut c = v.cmd();
    c.env("SESAME_SECRET_VALIDATION_LEVEL", "LOOSE")
        .args(["check", "a.tmpl"]);
    fails(
        c,
        2,
        &["SESAME_SECRET_VALIDATION_LEVEL", "SECRET_AND_KEY_EXISTS"],
    );
    // NONE: syntax only, and no vault (no passphrase) needed.
    v.bare()
        .args(["--headless", "check", "--level", "NONE", "b.tmpl"])
        .assert()
        .success();
    // Quoted globs, and JSON for CI annotations.
    let out = v
        .cmd()
        .args(["--format", "json", "check", "*.tmpl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"], 3);
    assert_eq!(report["problems"].as_array().unwrap().len(), 2);
    assert_eq!(report["problems"][0]["kind"], "missing_key");
    assert_eq!(report["problems"][0]["line"], 1);
    assert_eq!(report["problems"][0]["column"], 13);
    let mut c = v.cmd();
    c.args(["check", "nomatch*.tmpl"]);
    fails(c, 3, &["no file matches"]);

    // Metadata only: with the values record of `db` damaged, check still passes (render,
    // which needs the value, does not).
    damage_values_of(&v);
    v.cmd().args(["check", "c.tmpl"]).assert().success();
    let mut c = v.cmd();
    c.args(["render", "c.tmpl"]);
    fails(c, 1, &["damaged"]);
}

/// Flips a byte in every values record of the vault (through the store, as an attacker or a
/// bad disk could).
fn damage_values_of(v: &TestVault) {
    let dir = std::fs::read_dir(v.vault_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store-")
        })
        .unwrap();
    let store = sesame::vault::store::Store::open(&dir).unwrap();
    for r in store.scan(b"b") {
        let (k, mut blob) = r.unwrap();
        let mid = blob.len() / 2;
        blob[mid] ^= 1;
        let mut b = sesame::vault::store::Batch::default();
        b.insert(&k, blob);
        store.apply(b).unwrap();
    }
}

#[test]
fn register_missing_headless_lists_what_is_missing_and_never_hangs() {
    let v = vault_with_db();
    let t = v.file("need.tmpl", "{{db.user}} {{db.token}} {{api.key}}\n");
    let start = Instant::now();
    let out = v
        .cmd()
        .args(["--headless", "register-missing", t.to_str().unwrap()])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("need.tmpl:1:13: {{db.token}}") && err.contains("need.tmpl:1:26: {{api.key}}"),
        "{err}"
    );
    assert!(err.contains("--headless"), "{err}");
    // Nothing missing: fine, headless or not.
    let ok = v.file("ok.tmpl", "{{db.user}}");
    v.cmd()
        .args(["--headless", "register-missing", ok.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("Nothing is missing"));
}

#[test]
fn register_missing_asks_for_each_missing_secret_and_key() {
    let v = vault_with_db();
    let t = v.file("need.tmpl", "{{db.user}} {{db.token}} {{api.key}}\n");
    let mut cmd = v.std_bare();
    cmd.env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args(["register-missing", t.to_str().unwrap()]);
    let transcript = dialog(
        cmd,
        &[
            ("Schema for 'api'", "\r"),
            ("key (referenced", "k3y\r"),
            ("Key (empty to finish)", "\r"),
            ("has no 'token'", "t0ken\r"),
        ],
    );
    assert!(transcript.contains("Registered"), "{transcript}");
    assert!(
        !transcript.contains("k3y") && !transcript.contains("t0ken"),
        "values are hidden"
    );
    assert_eq!(v.ok(&["secret", "get", "api", "--key", "key"]), "k3y\n");
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "token"]), "t0ken\n");
    v.ok(&["check", t.to_str().unwrap()]);
}

/// Runs `cmd` with a fresh pseudo-terminal as stdin, stdout, stderr and controlling
/// terminal, answering each prompt (text to wait for, then what to type) in order. Returns
/// all it printed.
fn dialog(mut cmd: std::process::Command, steps: &[(&str, &str)]) -> String {
    use std::io::{Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the ints we pass.
    assert_eq!(
        unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        },
        0
    );
    // SAFETY: both descriptors were just created and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
    // SAFETY: setsid and ioctl(TIOCSCTTY) are async-signal-safe; fd 0 is the terminal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    drop(cmd);
    let mut reader = std::fs::File::from(master.try_clone().unwrap());
    let mut writer = std::fs::File::from(master);
    // Non-blocking reads, so a missing prompt fails the test instead of hanging it.
    unsafe {
        let fd = reader.as_raw_fd();
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        );
    }
    let mut seen = String::new();
    let mut read_until = |needle: Option<&str>, seen: &mut String| {
        let start = Instant::now();
        loop {
            let mut buf = [0u8; 4096];
            match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(_) => return, // EIO: the child closed the terminal
            }
            if needle.is_some_and(|n| seen.contains(n)) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {needle:?}; saw:\n{seen}"
            );
        }
    };
    for (wait, answer) in steps {
        read_until(Some(wait), &mut seen);
        // Past this point the prompt is answered: later waits look after it.
        let mark = seen.len();
        writer.write_all(answer.as_bytes()).unwrap();
        seen.push_str(&"\0".repeat(0));
        let _ = mark;
    }
    let status = child.wait().unwrap();
    read_until(None, &mut seen);
    assert!(status.success(), "exit {status}; transcript:\n{seen}");
    seen
}

#[test]
fn run_puts_secrets_in_the_environment_only() {
    let v = vault_with_db();
    v.ok(&["secret", "create", "api", "--api-key=k-123"]);
    let out = v.ok(&[
        "run", "-s", "db", "-s", "workspace:api", "--",
        "sh", "-c", "printf '%s|%s|%s|%s|%s\\n' \"$USER\" \"$PASSWORD\" \"$API_KEY\" \"${SESAME_PASSPHRASE-unset}\" \"$SESAME_VAULT\"; echo \"argv: $*\"", "x",
    ]);
    let vault = v.vault_dir().display().to_string();
    assert_eq!(out, format!("app|p@ss word|k-123|unset|{vault}\nargv: \n"));
    // The env file: exactly its variables, references rendered, quotes and comments.
    let env = v.file(
        ".env.tmpl",
        "# the app\nexport DB_URL=\"postgres://{{db.user}}@host\"\nPLAIN='as is'\n\nPW={{ db.password }}\n",
    );
    let out = v.ok(&[
        "run",
        "--env-file",
        env.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "echo \"$DB_URL|$PLAIN|$PW|${USER-none}\"",
    ]);
    assert_eq!(out, "postgres://app@host|as is|p@ss word|none\n");
    // A problem in the env file names its place, and nothing runs.
    let bad = v.file("bad.env", "A=1\nB={{nope.x}}\n");
    let out = v
        .cmd()
        .args([
            "run",
            "--env-file",
            bad.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "echo RAN",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.env:2:3: {{nope.x}}") && err.contains("the command was not run"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn run_refuses_colliding_variables_unless_told() {
    let v = vault_with_db();
    v.ok(&["secret", "create", "other", "--user=them"]);
    let mut c = v.cmd();
    c.args(["run", "-s", "db", "-s", "other", "--", "true"]);
    fails(c, 5, &["both set $USER", "--override"]);
    assert_eq!(
        v.ok(&[
            "run",
            "-s",
            "db",
            "-s",
            "other",
            "--override",
            "--",
            "sh",
            "-c",
            "echo $USER"
        ]),
        "them\n"
    );
}

#[test]
fn run_passes_exit_codes_and_reports_missing_commands() {
    let v = vault_with_db();
    v.cmd()
        .args(["run", "-s", "db", "--", "sh", "-c", "exit 42"])
        .assert()
        .code(42);
    let mut c = v.cmd();
    c.args(["run", "-s", "db", "--", "no-such-command-xyz"]);
    fails(c, 127, &["no-such-command-xyz: command not found"]);
    let script = v.file("not-exec.sh", "#!/bin/sh\necho hi\n");
    let mut c = v.cmd();
    c.args(["run", "--", script.to_str().unwrap()]);
    fails(c, 126, &["permission denied"]);
    // Killed by a signal: 128 + N, as a shell says.
    v.cmd()
        .args(["run", "--", "sh", "-c", "kill -KILL $$"])
        .assert()
        .code(137);
}

#[test]
fn run_forwards_signals_to_the_child() {
    let v = vault_with_db();
    let mut cmd = v.std_bare();
    cmd.env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args([
            "run",
            "-s",
            "db",
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line, "ready\n");
    // SAFETY: kill(2) on sesame itself, which this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
    assert_eq!(status.code(), Some(3), "the child's code");
}

#[test]
fn a_child_that_runs_sesame_works_through_the_agent() {
    let v = vault_with_db();
    let out = v
        .with_agent()
        .args([
            "run",
            "-s",
            "db",
            "--",
            "sh",
            "-c",
            &format!(
                "{} --headless secret get db --key user",
                assert_cmd::cargo::cargo_bin("sesame").display()
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "app\n");
}
