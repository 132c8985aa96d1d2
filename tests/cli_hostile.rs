//! Issue 9, hostile input and output: each finding as a regression test through the real
//! binary (exit code and the one line on stderr), grouped by the class it belongs to.

use crate::common;

use common::{TestVault, fails, on_tty};
use predicates::prelude::*;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// --- 1. Nothing read from an import can crash a later reader -------------------------------

#[test]
fn times_past_year_9999_are_refused_at_the_door() {
    let v = TestVault::new();
    // Milliseconds where seconds were meant: year 55,000-something.
    let doc = r#"{"sesame_export": 2, "secrets": [{"name": "db", "scope": "workspace", "values": {"a": "b"}, "created": 1700000000000}], "count": 1}"#;
    let path = v.file("ms.json", doc);
    for dry in [false, true] {
        let mut c = v.cmd();
        c.args(["secret", "import"]).arg(&path);
        if dry {
            c.arg("--dry-run");
        }
        fails(
            c,
            5,
            &[
                "secret 'db' (workspace)",
                "'created' is 1700000000000",
                "9999",
            ],
        );
    }
    // Nothing was stored, and the listing still works.
    assert_eq!(v.ok(&["secret", "list", "--format", "json"]), "[]\n");
}

// --- 2. No value in an error message -------------------------------------------------------

#[test]
fn a_bare_value_piped_to_dash_i_is_not_echoed() {
    let v = TestVault::new();
    for line in ["hunter2\n", "ab/cd+ef==\n", "user=ok\nhunter2\n"] {
        let mut c = v.cmd();
        c.args(["secret", "create", "db", "-i"]).write_stdin(line);
        let err = fails(c, 5, &["stdin line", "not shown"]);
        assert!(!err.contains("hunter2") && !err.contains("ab/cd"), "{err}");
    }
}

#[test]
fn a_yaml_document_with_its_start_marker_is_a_document_not_a_flag() {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "db",
        "--values",
        "---\npassword: hunter2\n",
    ]);
    assert_eq!(
        v.ok(&["secret", "get", "db", "--key", "password"]),
        "hunter2\n"
    );
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "x",
        "--values",
        "---\npassword: [hunter2",
    ]);
    let err = fails(c, 5, &["--values", "line 2"]);
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn usage_errors_name_flags_and_positions_never_values() {
    let v = TestVault::new();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["secret", "get", "db", "--password=hunter2"],
            &["unexpected argument '--password=…'"],
        ),
        (
            &["secret", "get", "db", "hunter2"],
            &["unexpected argument #4", "not shown"],
        ),
        (
            &["secret", "create", "db", "--password", "hunter2"],
            &["'--password'", "--password=VALUE"],
        ),
        (
            &["secret", "create", "db", "--scope", "hunter2", "--a=b"],
            &["invalid value for '--scope", "'user' or 'workspace'"],
        ),
        (&["hunter2"], &["unrecognized command (argument #1"]),
        (&["secret", "list", "--filter"], &["--filter"]),
    ];
    for (args, needles) in cases {
        let mut c = v.cmd();
        c.args(*args);
        let err = fails(c, 2, needles);
        assert!(!err.contains("hunter2"), "{args:?}: {err}");
    }
}

#[test]
fn a_group_without_its_command_is_one_line() {
    let v = TestVault::empty();
    let mut c = v.bare();
    c.arg("secret");
    fails(
        c,
        2,
        &[
            "'sesame secret' needs a command",
            "create, get, list",
            "--help",
        ],
    );
    let mut c = v.bare();
    c.arg("schema");
    fails(c, 2, &["'sesame schema' needs a command", "list, show"]);
}

// --- 3. No terminal takeover -----------------------------------------------------------------

/// Every control character a terminal acts on: C0 but newline, DEL, C1 (U+0080..U+009F),
/// and whole sequences: OSC 52 (clipboard), CSI 2J (clear), OSC 0 (title).
fn hostile_value() -> String {
    let mut s = String::from("pre\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b]0;title\x07");
    s.extend((0u8..0x20).filter(|b| *b != b'\n').map(char::from));
    s.push('\x7f');
    s.extend((0x80u32..0xa0).filter_map(char::from_u32));
    s.push_str("\nline2");
    s
}

/// Control characters in `bytes` other than newline (as UTF-8 text: C1 are two bytes).
fn controls(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

fn hostile_vault() -> TestVault {
    let v = TestVault::new();
    let doc = serde_json::json!({
        "sesame_export": 2,
        "secrets": [
            {"name": "evil", "scope": "workspace", "values": {"token": hostile_value(), "plain": "ok"}},
        ],
        "count": 1,
    });
    let path = v.file("evil.json", doc.to_string());
    v.cmd()
        .args(["secret", "import"])
        .arg(path)
        .assert()
        .success();
    v.ok(&["secret", "update", "evil", "--plain=ok2"]);
    // A custom schema whose description and default carry sequences too.
    std::fs::create_dir_all(v.schema_dir()).unwrap();
    std::fs::write(
        v.schema_dir().join("evil.toml"),
        "name = \"evil\"\ndescription = \"d\\u001b]52;c;eA==\\u0007\"\n[[fields]]\nname = \"f\"\ntype = \"string\"\ndefault = \"x\\u001b[2J\"\ndescription = \"\\u009b31m\"\n",
    )
    .unwrap();
    v
}

#[test]
fn human_output_on_a_terminal_shows_control_characters_escaped() {
    let v = hostile_vault();
    let commands: &[&[&str]] = &[
        &["secret", "get", "evil"],
        &["secret", "get", "evil", "--key", "token"],
        &["secret", "get", "evil", "--format", "env"],
        &["secret", "get", "evil", "--format", "yaml"],
        &["secret", "get", "evil", "--format", "json"],
        &["secret", "list"],
        &["secret", "list", "--format", "csv"],
        &["secret", "history", "evil"],
        &["secret", "export"],
        &["secret", "export", "--format", "yaml"],
        &["secret", "export", "--format", "env"],
        &["schema", "list"],
        &["schema", "show", "evil"],
        &["secret", "get", "evil", "--key", "nope"],
    ];
    for args in commands {
        let mut c = v.std_bare();
        c.env("SESAME_PASSPHRASE", common::PASSPHRASE).args(*args);
        let run = on_tty(c, b"", false, None);
        assert_eq!(
            controls(&run.tty),
            Vec::<char>::new(),
            "{args:?} on a terminal"
        );
        assert_eq!(controls(&run.stderr), Vec::<char>::new(), "{args:?} stderr");
    }
    // The escapes are visible and say what was there.
    let mut c = v.std_bare();
    c.env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args(["secret", "get", "evil", "--key", "token"]);
    let shown = String::from_utf8(on_tty(c, b"", false, None).tty).unwrap();
    assert!(
        shown.starts_with("pre\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J") && shown.contains("\\x9b"),
        "{shown:?}"
    );
    assert!(shown.ends_with("\nline2\n"), "newline is layout: {shown:?}");
}

#[test]
fn raw_or_a_pipe_prints_values_exactly_as_stored() {
    let v = hostile_vault();
    let want = format!("{}\n", hostile_value());
    // A pipe.
    assert_eq!(v.ok(&["secret", "get", "evil", "--key", "token"]), want);
    // --raw on a terminal.
    let mut c = v.std_bare();
    c.env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args(["--raw", "secret", "get", "evil", "--key", "token"]);
    let run = on_tty(c, b"", false, None);
    assert_eq!(run.code, Some(0));
    assert_eq!(String::from_utf8(run.tty).unwrap(), want);
}

#[test]
fn messages_on_stderr_are_escaped_even_in_a_pipe() {
    let v = TestVault::new();
    let out = v
        .cmd()
        .arg("--vault")
        .arg(v.path().join("x\x1b]0;pwned\x07"))
        .args(["secret", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr_of(&out);
    assert!(controls(err.as_bytes()).is_empty(), "{err:?}");
    assert!(err.contains("x\\x1b]0;pwned\\x07"), "{err}");
}

// --- 4. Import never changes data silently -------------------------------------------------

#[test]
fn a_truncated_yaml_export_is_refused() {
    let v = TestVault::new();
    for i in 0..5 {
        v.ok(&[
            "secret",
            "create",
            &format!("s{i}"),
            "--k=v",
            "--pw=long value",
        ]);
    }
    let yaml = v.ok(&["secret", "export", "--format", "yaml"]);
    let b = TestVault::new();
    // Cut at the start of the last secret, and in the middle of its last value.
    let at_secret = yaml.rfind("- name:").unwrap();
    let in_value = yaml.rfind("long val").unwrap() + 4;
    for cut in [at_secret, in_value] {
        let path = b.file("cut.yaml", &yaml[..cut]);
        let mut c = b.cmd();
        c.args(["secret", "import"]).arg(&path);
        fails(c, 5, &["cut.yaml", "end marker"]);
    }
    assert_eq!(b.ok(&["secret", "list", "--format", "json"]), "[]\n");
}

#[test]
fn json_numbers_are_kept_exactly_or_refused() {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "n",
        "--values",
        r#"{"port": 5432, "big": 18446744073709551615}"#,
    ]);
    assert_eq!(
        v.ok(&["secret", "get", "n", "--key", "big"]),
        "18446744073709551615\n"
    );
    for doc in [
        r#"{"ratio": 1.50}"#,
        r#"{"ratio": 12345678901234567890123}"#,
    ] {
        let mut c = v.cmd();
        c.args(["secret", "create", "x", "--values", doc]);
        fails(c, 5, &["key 'ratio'", "as a string"]);
    }
    let doc = r#"{"sesame_export": 2, "secrets": [{"name": "y", "scope": "user", "values": {"pi": 3.14159265358979323846}}], "count": 1}"#;
    let path = v.file("pi.json", doc);
    let mut c = v.cmd();
    c.args(["secret", "import"]).arg(&path);
    fails(c, 5, &["key 'pi'", "as a string"]);
    // YAML keeps scalars as written.
    v.ok(&[
        "secret",
        "create",
        "y",
        "--values",
        "ratio: 1.50\nbig: 12345678901234567890123\n",
    ]);
    assert_eq!(v.ok(&["secret", "get", "y", "--key", "ratio"]), "1.50\n");
}

#[test]
fn an_unknown_import_field_is_named_as_itself() {
    let v = TestVault::new();
    let doc = r#"{"sesame_export": 2, "secrets": [{"name": "x", "scope": "user", "values": {}, "passwd": "hunter2"}], "count": 1}"#;
    let path = v.file("f.json", doc);
    let mut c = v.cmd();
    c.args(["secret", "import"]).arg(&path);
    let err = fails(c, 5, &["unknown field 'passwd'"]);
    assert!(
        !err.contains("`updated`") || err.contains("expected one of"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
}

#[test]
fn exports_of_the_previous_format_still_import_when_complete() {
    let v = TestVault::new();
    let v1 = r#"{"sesame_export": 1, "secrets": [{"name": "old", "scope": "workspace", "values": {"k": "v"}}]}"#;
    let path = v.file("v1.json", v1);
    v.cmd()
        .args(["secret", "import"])
        .arg(&path)
        .assert()
        .success();
    let v1_yaml = "sesame_export: 1\nsecrets:\n- name: y\n  scope: user\n  values:\n    k: v\n";
    let path = v.file("v1.yaml", v1_yaml);
    let mut c = v.cmd();
    c.args(["secret", "import"]).arg(&path);
    fails(c, 5, &["version 1 YAML", "count: N"]);
}

// --- 5. Config values mean one thing -------------------------------------------------------

#[test]
fn history_zero_is_refused_naming_key_and_line() {
    let v = TestVault::new();
    v.file("config.toml", "[vault]\n\nhistory = 0\n");
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 1, &["config.toml", "line 3", "history = 0", "1 to 1000"]);
}

#[test]
fn a_config_path_with_tilde_is_under_home() {
    let v = TestVault::empty();
    v.file("config.toml", "[vault]\npath = \"~/vaults/mine\"\n");
    v.cmd()
        .env_remove("SESAME_VAULT")
        .args(common::INIT_FAST)
        .assert()
        .success();
    assert!(
        v.path().join("vaults/mine").is_dir(),
        "HOME is the temp dir"
    );
    assert!(!v.path().join("~").exists(), "no literal '~' directory");
    v.file("config.toml", "[vault]\npath = \"vaults/relative\"\n");
    let mut c = v.cmd();
    c.env_remove("SESAME_VAULT").args(["secret", "list"]);
    fails(c, 1, &["line 2", "relative"]);
}

// --- 6. --format env: valid names, no collisions, the lookup order -------------------------

#[test]
fn env_format_refuses_bad_names_and_collisions() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "digits", "--1abc=x"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "digits", "--format", "env"]);
    fails(c, 5, &["'1abc'", "starts with a digit", "--format json"]);
    v.ok(&["secret", "create", "twice", "--api-key=a", "--API_KEY=b"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "twice", "--format", "env"]);
    fails(c, 5, &["'api-key'", "'API_KEY'", "$API_KEY"]);
    // Across secrets in an export: db-x.y and db.x-y are both DB_X_Y.
    let w = TestVault::new();
    w.ok(&["secret", "create", "db-x", "--y=1"]);
    w.ok(&["secret", "create", "db", "--x-y=2"]);
    let mut c = w.cmd();
    c.args(["secret", "export", "--format", "env"]);
    fails(c, 5, &["$DB_X_Y", "'db-x'", "'db'"]);
}

#[test]
fn env_export_follows_the_lookup_order() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=workspace-pw"]);
    v.ok(&["secret", "create", "db", "-p", "--password=user-pw"]);
    let env = v.ok(&["secret", "export", "--format", "env"]);
    assert!(env.contains("DB_PASSWORD='user-pw'"), "{env}");
    assert!(!env.contains("workspace-pw"), "{env}");
    assert!(env.contains("# db (workspace): not written"), "{env}");
    let ws = v.ok(&[
        "secret",
        "export",
        "--format",
        "env",
        "--scope",
        "workspace",
    ]);
    assert!(ws.contains("DB_PASSWORD='workspace-pw'"), "{ws}");
}

// --- 7. The smaller ones -------------------------------------------------------------------

#[test]
fn dry_run_prints_the_plan_even_when_names_exist() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "a", "--k=1"]);
    v.ok(&["secret", "create", "b", "--k=1"]);
    let doc = r#"{"sesame_export": 2, "secrets": [
        {"name": "a", "scope": "workspace", "values": {"k": "1"}},
        {"name": "b", "scope": "workspace", "values": {"k": "2"}},
        {"name": "c", "scope": "workspace", "values": {"k": "3"}}], "count": 3}"#;
    let path = v.file("plan.json", doc);
    let out = v
        .cmd()
        .args(["secret", "import", "--dry-run"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let plan = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        plan,
        "create     c (workspace)\nconflict   b (workspace)\nconflict   a (workspace)\n"
    );
    assert!(
        stderr_of(&out).contains("--overwrite"),
        "{}",
        stderr_of(&out)
    );
    let plan = v.ok(&["secret", "import", "--dry-run", "--overwrite", "plan.json"]);
    assert_eq!(
        plan,
        "create     c (workspace)\nupdate     b (workspace)\nunchanged  a (workspace)\n"
    );
    assert_eq!(
        v.ok(&["secret", "get", "b", "--key", "k"]),
        "1\n",
        "nothing written"
    );
}

#[test]
fn a_terminal_user_with_redirected_stdin_and_stderr_is_asked_on_the_terminal() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--k=v"]);
    let mut c = v.std_bare();
    c.args(["secret", "get", "db", "--key", "k"]);
    let answer = format!("{}\n", common::PASSPHRASE);
    let run = on_tty(c, b"", true, Some(("Passphrase for", &answer)));
    assert_eq!(
        run.code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.tty).ends_with("v\n"));
    // Without any terminal the advice does not mention a --headless nobody passed.
    let mut c = v.bare();
    c.args(["secret", "list"]);
    let err = fails(c, 4, &["no terminal to ask", "SESAME_PASSPHRASE"]);
    assert!(!err.contains("headless"), "{err}");
    let mut c = v.bare();
    c.args(["--headless", "secret", "list"]);
    fails(c, 4, &["--headless forbids asking"]);
}

#[test]
fn passphrase_file_dash_reads_stdin() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--k=v"]);
    v.bare()
        .args([
            "--passphrase-file",
            "-",
            "secret",
            "get",
            "db",
            "--key",
            "k",
        ])
        .write_stdin(format!("{}\n", common::PASSPHRASE))
        .assert()
        .success()
        .stdout("v\n");
    let mut c = v.bare();
    c.args(["--passphrase-file", "-", "secret", "import", "-"])
        .write_stdin("x");
    fails(c, 2, &["stdin", "--passphrase-file -"]);
    let mut c = v.bare();
    c.args(["--passphrase-file", "-", "secret", "create", "x", "-i"])
        .write_stdin("pw\nk=v\n");
    fails(c, 2, &["stdin", "--passphrase-file -"]);
    let mut c = v.bare();
    c.args(["--passphrase-file", "-", "secret", "list"])
        .write_stdin("");
    fails(c, 4, &["passphrase read from stdin is empty"]);
}

#[test]
fn an_empty_passphrase_variable_is_its_own_error() {
    let v = TestVault::new();
    let mut c = v.bare();
    c.env("SESAME_PASSPHRASE", "").args(["secret", "list"]);
    let err = fails(c, 4, &["SESAME_PASSPHRASE is set but empty"]);
    assert!(!err.contains("wrong passphrase"));
}

#[test]
fn init_warns_on_a_weak_passphrase() {
    let v = TestVault::empty();
    let out = v
        .bare()
        .env("SESAME_PASSPHRASE", "a")
        .args(common::INIT_FAST)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.lines()
            .next()
            .unwrap()
            .starts_with("sesame: warning: this passphrase is weak"),
        "{err}"
    );
    // The default test passphrase (four words) passes quietly.
    let w = TestVault::empty();
    let out = w.cmd().args(common::INIT_FAST).output().unwrap();
    assert!(!stderr_of(&out).contains("weak"));
}

#[test]
fn a_secret_is_never_left_without_keys() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["secret", "create", "db", "-i"]).write_stdin("");
    fails(c, 5, &["no key was given"]);
    let mut c = v.cmd();
    c.args(["secret", "create", "db", "--values", "{}"]);
    fails(c, 5, &["no key was given"]);
    v.ok(&["secret", "create", "db", "--only=1"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "db", "--remove-keys", "only"]);
    fails(c, 5, &["last key", "secret delete db"]);
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "only"]), "1\n");
}

#[test]
fn a_value_file_loses_its_one_line_ending_under_every_schema() {
    let v = TestVault::new();
    v.file("pw.txt", "s3cret\n");
    v.ok(&["secret", "create", "free", "--password=@pw.txt"]);
    v.ok(&[
        "secret",
        "create",
        "typed",
        "--schema",
        "basic_auth",
        "--username=u",
        "--password=@pw.txt",
    ]);
    for name in ["free", "typed"] {
        assert_eq!(
            v.ok(&["secret", "get", name, "--key", "password"]),
            "s3cret\n"
        );
    }
    v.file("key.pem", "-----BEGIN-----\nabc\n-----END-----\n");
    v.ok(&["secret", "create", "pem", "--key=@key.pem"]);
    assert_eq!(
        v.ok(&["secret", "get", "pem", "--key", "key"]),
        "-----BEGIN-----\nabc\n-----END-----\n\n"
    );
}

#[test]
fn shadowing_by_rename_or_create_is_said() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--k=ws"]);
    v.ok(&["secret", "create", "tmp", "-p", "--k=me"]);
    let out = v
        .cmd()
        .args(["secret", "rename", "tmp", "db", "-p"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains("warning: 'db' also exists in the workspace scope"),
        "{err}"
    );
    v.cmd()
        .args(["secret", "create", "db2", "--k=1"])
        .assert()
        .stderr(predicate::str::contains("warning").not());
}

#[test]
fn a_huge_create_lists_a_few_keys_and_a_count() {
    let v = TestVault::new();
    let keys: serde_json::Map<String, Value> = (0..40_000)
        .map(|i| (format!("k{i:05}"), Value::String("v".into())))
        .collect();
    let path = v.file("big.json", Value::Object(keys).to_string());
    let out = v
        .cmd()
        .args(["secret", "create", "big", "--values"])
        .arg(format!("@{}", path.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.len() < 300 && err.contains("and 39990 more"), "{err}");
    let mut c = v.cmd();
    c.args(["secret", "get", "big", "--key", "nope"]);
    let err = fails(c, 3, &["and 39990 more"]);
    assert!(err.len() < 300, "{err}");
}

#[test]
fn environment_problems_name_the_variable() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.env("SESAME_VAULT", "").args(["secret", "list"]);
    let err = fails(c, 2, &["SESAME_VAULT is set but empty"]);
    assert!(!err.contains("--vault"), "{err}");
    let mut c = v.cmd();
    c.env("SESAME_CONFIG", "").args(["secret", "list"]);
    fails(c, 2, &["SESAME_CONFIG is set but empty"]);
}

// --- 8. Hygiene ------------------------------------------------------------------------------

#[test]
fn the_passphrase_leaves_the_process_environment() {
    let v = TestVault::new();
    // `-i` from a pipe blocks on stdin after unlocking: look at the live process then.
    let mut child = v
        .std_bare()
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .env("SESAME_NEW_PASSPHRASE", "another secret phrase")
        .args(["secret", "create", "x", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let environ = format!("/proc/{}/environ", child.id());
    // Right after exec the block still holds the variables: poll until main has run.
    let mut clean = false;
    for _ in 0..500 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        let seen = std::fs::read(&environ).unwrap_or_default();
        let text = String::from_utf8_lossy(&seen);
        if text.contains("SESAME_CONFIG")
            && !text.contains("correct horse")
            && !text.contains("another secret")
        {
            clean = true;
            break;
        }
    }
    assert!(clean, "passphrase still in {environ}");
    drop(child.stdin.take());
    child.wait().unwrap();
}

#[test]
fn export_to_a_file_is_private_and_a_shared_stdout_file_is_warned_about() {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=hunter2"]);
    let out = v.path().join("dump.json");
    v.file("dump.json", "old");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    v.cmd()
        .args(["secret", "export", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(json(&std::fs::read_to_string(&out).unwrap())["count"], 1);
    // stdout redirected to a world-readable file: warned, still written.
    let shared = v.path().join("shared.json");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&shared)
        .unwrap();
    // Set, not left to the umask: tests in this process open vaults, which tighten it.
    f.set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let res = v
        .std_bare()
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args(["secret", "export"])
        .stdout(f)
        .output()
        .unwrap();
    assert!(res.status.success());
    let err = stderr_of(&res);
    assert!(err.contains("others can read (mode 0644)"), "{err}");
    assert!(
        std::fs::read_to_string(&shared)
            .unwrap()
            .contains("hunter2")
    );
}
