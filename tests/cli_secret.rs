//! secret create/get/list/update/rename/delete/history: every flag, value syntax, format and
//! the bad-input list of issue 4.

use crate::common;

use common::{TestVault, fails};
use predicates::prelude::*;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn create_then_get_in_every_format() {
    let v = TestVault::new();
    v.cmd()
        .args([
            "secret",
            "create",
            "mlflow",
            "--username=admin",
            "--password=s3cret!",
        ])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "Created secret 'mlflow' in the workspace scope",
        ));

    let doc = json(&v.ok(&["secret", "get", "mlflow", "--format", "json"]));
    let obj = doc.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created", "name", "schema", "scope", "updated", "values", "version"
        ]
    );
    assert_eq!(doc["name"], "mlflow");
    assert_eq!(doc["scope"], "workspace");
    assert_eq!(doc["schema"], "arbitrary");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["values"]["username"], "admin");
    assert_eq!(doc["values"]["password"], "s3cret!");
    let created = doc["created"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "not RFC 3339: {created}"
    );

    assert_eq!(
        v.ok(&["secret", "get", "mlflow", "--key", "password"]),
        "s3cret!\n"
    );
    assert_eq!(
        v.ok(&["secret", "get", "mlflow", "-k", "username"]),
        "admin\n"
    );

    let table = v.ok(&["secret", "get", "mlflow"]);
    assert!(table.contains("KEY") && table.contains("VALUE"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("password") && l.ends_with("s3cret!"))
    );

    let yaml = v.ok(&["secret", "get", "mlflow", "--format", "yaml"]);
    assert!(
        yaml.contains("name: mlflow") && yaml.contains("password: s3cret!"),
        "{yaml}"
    );

    let env = v.ok(&["secret", "get", "mlflow", "--format", "env"]);
    assert_eq!(env, "PASSWORD='s3cret!'\nUSERNAME='admin'\n");
}

#[test]
fn get_rejects_formats_that_do_not_fit() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--a=1"]);
    for f in ["csv", "tsv"] {
        let mut c = v.cmd();
        c.args(["secret", "get", "db", "--format", f]);
        fails(c, 2, &["secret get", f, "table, json, yaml, env"]);
    }
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "--key", "a", "--format", "json"]);
    fails(c, 2, &["--key"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "--format", "xml"]);
    fails(c, 2, &["--format", "table, json"]);
}

#[test]
fn env_format_quotes_for_the_shell() {
    let v = TestVault::new();
    let tricky = "it's $HOME `x` \"q\"";
    v.ok(&["secret", "create", "t", &format!("--api-key={tricky}")]);
    let env = v.ok(&["secret", "get", "t", "--format", "env"]);
    assert_eq!(env, "API_KEY='it'\\''s $HOME `x` \"q\"'\n");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{env}printf %s \"$API_KEY\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), tricky);
}

#[test]
fn value_syntax_file_and_literal_at() {
    let v = TestVault::new();
    let pem = "-----BEGIN KEY-----\nabc\n-----END KEY-----\n";
    v.file("key.pem", pem);
    v.ok(&[
        "secret",
        "create",
        "tls",
        "--cert=@key.pem",
        "--handle=@@me",
        "--empty=",
        "--eq=a=b",
    ]);
    assert_eq!(
        v.ok(&["secret", "get", "tls", "--key", "cert"]),
        format!("{pem}\n")
    );
    assert_eq!(v.ok(&["secret", "get", "tls", "--key", "handle"]), "@me\n");
    assert_eq!(v.ok(&["secret", "get", "tls", "--key", "empty"]), "\n");
    assert_eq!(v.ok(&["secret", "get", "tls", "--key", "eq"]), "a=b\n");
    // A multi-line value continues under itself in the table.
    let table = v.ok(&["secret", "get", "tls"]);
    assert!(
        table.contains("cert    -----BEGIN KEY-----\n        abc\n"),
        "{table}"
    );
}

#[test]
fn values_as_json_yaml_and_file_and_set_for_flag_named_keys() {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "a",
        "--values",
        r#"{"user": "u", "scope": "s"}"#,
    ]);
    assert_eq!(v.ok(&["secret", "get", "a", "--key", "scope"]), "s\n");
    v.ok(&[
        "secret",
        "create",
        "b",
        "--values",
        "user: u\npassword: p\n",
    ]);
    assert_eq!(v.ok(&["secret", "get", "b", "--key", "password"]), "p\n");
    v.file("vals.yaml", "host: h\nport: \"5432\"\n");
    v.ok(&[
        "secret",
        "create",
        "c",
        "--values",
        "@vals.yaml",
        "--user=x",
    ]);
    let doc = json(&v.ok(&["secret", "get", "c", "--format", "json"]));
    assert_eq!(doc["values"]["host"], "h");
    assert_eq!(doc["values"]["user"], "x");
    // The hidden --set is the escape hatch for a key named like a flag.
    v.ok(&["secret", "create", "d", "--set", "schema=x"]);
    assert_eq!(v.ok(&["secret", "get", "d", "--key", "schema"]), "x\n");
}

#[test]
fn malformed_values_name_line_and_column() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "x",
        "--values",
        "{\"a\": \"b\",\n \"c\" 1}",
    ]);
    fails(c, 5, &["line 2", "column"]);
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--values", "a: [unclosed\nb: c"]);
    fails(c, 5, &["line"]);
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--values", "@missing.yaml"]);
    fails(c, 3, &["missing.yaml"]);
    // Nothing was created.
    v.cmd()
        .args(["secret", "list", "--format", "json"])
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn value_files_missing_or_not_utf8() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--cert=@nope.pem"]);
    // The path after '@' may be a password that starts with '@': a missing one is not echoed.
    let err = fails(c, 3, &["--cert", "no file at the path after '@'", "'@@'"]);
    assert!(!err.contains("nope"), "{err}");
    v.file("bin.dat", [0xff, 0xfe, 0x00, 0x80]);
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--blob=@bin.dat"]);
    fails(c, 5, &["bin.dat", "UTF-8"]);
}

#[test]
fn conflicting_input_is_exit_5() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--a=1", "--a=2"]);
    fails(c, 5, &["'a'", "more than once"]);
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "x",
        "--a=1",
        "--values",
        "{\"a\": \"2\"}",
    ]);
    fails(c, 5, &["'a'", "more than once"]);
    v.ok(&["secret", "create", "x", "--a=1", "--b=2"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "x", "--a=3", "--remove-keys", "a"]);
    fails(c, 5, &["'a'", "both set and removed"]);
}

#[test]
fn invalid_names_and_keys_are_exit_5() {
    let v = TestVault::new();
    for bad in ["a.b", "a/b", "a b", "{x}", "a:b", ""] {
        let mut c = v.cmd();
        c.args(["secret", "create", bad, "--k=v"]);
        fails(c, 5, &["invalid secret name"]);
    }
    let mut c = v.cmd();
    c.args(["secret", "create", "ok", "--values", "{\"bad.key\": \"v\"}"]);
    fails(c, 5, &["bad.key"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "a.b"]);
    fails(c, 5, &["invalid secret name"]);
}

#[test]
fn create_needs_values_and_refuses_existing_names() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["secret", "create", "x"]);
    fails(c, 2, &["nothing to store"]);
    v.ok(&["secret", "create", "x", "--a=1"]);
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--a=2"]);
    fails(c, 6, &["already exists", "secret update"]);
    // The same name in the other scope is fine: scopes are namespaces.
    v.ok(&["secret", "create", "x", "--a=3", "--scope", "user"]);
}

#[test]
fn unknown_schema_is_exit_5() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--schema", "nope", "--a=1"]);
    fails(c, 5, &["unknown schema 'nope'", "schema list"]);
    v.ok(&["secret", "create", "x", "--a=1"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "x", "--schema", "nope"]);
    fails(c, 5, &["unknown schema"]);
}

#[test]
fn user_scope_wins_lookups_and_private_is_user() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--who=team"]);
    v.ok(&["secret", "create", "db", "-p", "--who=me"]);
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "who"]), "me\n");
    assert_eq!(
        v.ok(&[
            "secret",
            "get",
            "db",
            "--scope",
            "workspace",
            "--key",
            "who"
        ]),
        "team\n"
    );
    assert_eq!(
        v.ok(&["secret", "get", "db", "--private", "--key", "who"]),
        "me\n"
    );
    let doc = json(&v.ok(&["secret", "get", "db", "--format", "json"]));
    assert_eq!(doc["scope"], "user");
    // Update without --scope changes the user one.
    v.ok(&["secret", "update", "db", "--who=me2"]);
    assert_eq!(
        v.ok(&[
            "secret",
            "get",
            "db",
            "--scope",
            "workspace",
            "--key",
            "who"
        ]),
        "team\n"
    );
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "-p", "--scope", "workspace"]);
    fails(c, 2, &["--scope"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "--scope", "team"]);
    fails(
        c,
        2,
        &["invalid value for '--scope", "'user' or 'workspace'"],
    );
}

#[test]
fn get_of_missing_secret_or_key_is_exit_3() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--user=u", "--password=p"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "nope"]);
    fails(c, 3, &["no secret named 'nope'"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "--key", "host"]);
    fails(c, 3, &["no key 'host'", "password, user"]);
    let mut c = v.cmd();
    c.args(["secret", "get", "db", "--scope", "user"]);
    fails(c, 3, &["user scope"]);
}

#[test]
fn list_formats_filters_and_never_prints_values() {
    let v = TestVault::new();
    let value = "VALUE-must-not-appear-42";
    v.ok(&["secret", "create", "alpha", &format!("--password={value}")]);
    v.ok(&[
        "secret",
        "create",
        "beta",
        "-p",
        &format!("--token={value}"),
    ]);
    v.ok(&["secret", "create", "gamma", &format!("--x={value}")]);
    for format in ["table", "json", "yaml", "csv", "tsv"] {
        let out = v.ok(&["secret", "list", "--format", format]);
        assert!(!out.contains(value), "{format} printed a value: {out}");
        assert!(
            out.contains("alpha") && out.contains("beta"),
            "{format}: {out}"
        );
    }
    let table = v.ok(&["secret", "list"]);
    assert!(table.starts_with("NAME"), "{table}");
    let doc = json(&v.ok(&["secret", "list", "--format", "json"]));
    let items = doc.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["name"], "beta"); // user scope sorts first
    assert_eq!(items[0]["keys"], serde_json::json!(["token"]));
    assert!(items[0].get("values").is_none());

    let csv = v.ok(&["secret", "list", "--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "name,scope,schema,keys,version,updated"
    );
    assert_eq!(csv.lines().count(), 4);
    let tsv = v.ok(&["secret", "list", "--format", "tsv"]);
    assert_eq!(
        tsv.lines().next().unwrap(),
        "name\tscope\tschema\tkeys\tversion\tupdated"
    );

    let only_user = json(&v.ok(&["secret", "list", "--scope", "user", "--format", "json"]));
    assert_eq!(only_user.as_array().unwrap().len(), 1);
    let private = json(&v.ok(&["secret", "list", "-p", "--format", "json"]));
    assert_eq!(private, only_user);
    let filtered = json(&v.ok(&["secret", "list", "--filter", "AMM", "--format", "json"]));
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["name"], "gamma");

    let mut c = v.cmd();
    c.args(["secret", "list", "--format", "env"]);
    fails(c, 2, &["secret list", "env"]);
}

#[test]
fn empty_list_says_how_to_start() {
    let v = TestVault::new();
    v.cmd()
        .args(["secret", "list"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("secret create"));
    assert_eq!(
        v.ok(&["secret", "list", "--format", "csv"]),
        "name,scope,schema,keys,version,updated\n"
    );
}

#[test]
fn update_sets_removes_and_keeps_history() {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "db",
        "--user=u",
        "--password=p1",
        "--url=x",
    ]);
    v.cmd()
        .args([
            "secret",
            "update",
            "db",
            "--password=p2",
            "--remove-keys",
            "url",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("now version 2"));
    let doc = json(&v.ok(&["secret", "get", "db", "--format", "json"]));
    assert_eq!(doc["version"], 2);
    assert_eq!(
        doc["values"],
        serde_json::json!({"user": "u", "password": "p2"})
    );
    v.ok(&["secret", "update", "db", "--values", "{\"port\": \"1\"}"]);
    v.ok(&["secret", "update", "db", "--remove-keys", "port,user"]);
    let doc = json(&v.ok(&["secret", "get", "db", "--format", "json"]));
    assert_eq!(doc["values"], serde_json::json!({"password": "p2"}));
    // Same values again: nothing written, version unchanged.
    v.cmd()
        .args(["secret", "update", "db", "--password=p2"])
        .assert()
        .success()
        .stderr(predicate::str::contains("No change"));
    assert_eq!(
        json(&v.ok(&["secret", "get", "db", "--format", "json"]))["version"],
        4
    );

    let mut c = v.cmd();
    c.args(["secret", "update", "db"]);
    fails(c, 2, &["nothing to change"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "db", "--remove-keys", "nope"]);
    fails(c, 3, &["no key 'nope'"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "missing", "--a=1"]);
    fails(c, 3, &["no secret named 'missing'"]);
}

#[test]
fn history_lists_versions_without_values_and_restores() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=first-VALUE"]);
    v.ok(&[
        "secret",
        "update",
        "db",
        "--password=second-VALUE",
        "--user=u",
    ]);
    v.ok(&["secret", "update", "db", "--remove-keys", "user"]);
    let table = v.ok(&["secret", "history", "db"]);
    assert!(!table.contains("VALUE"), "history printed a value: {table}");
    assert!(table.contains("3 (current)"), "{table}");
    assert!(table.contains("added user; changed password"), "{table}");
    assert!(table.contains("created: password"), "{table}");
    let doc = json(&v.ok(&["secret", "history", "db", "--format", "json"]));
    let versions: Vec<u64> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(doc[1]["changed"], serde_json::json!(["password"]));
    assert!(
        !v.ok(&["secret", "history", "db", "--format", "yaml"])
            .contains("VALUE")
    );

    v.cmd()
        .args(["secret", "history", "db", "--restore", "1"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Restored version 1 of 'db' (workspace) as version 4",
        ));
    assert_eq!(
        v.ok(&["secret", "get", "db", "--key", "password"]),
        "first-VALUE\n"
    );
    let mut c = v.cmd();
    c.args(["secret", "history", "db", "--restore", "99"]);
    fails(c, 3, &["no version 99"]);
    let mut c = v.cmd();
    c.args(["secret", "history", "db", "--format", "csv"]);
    fails(c, 2, &["secret history"]);
}

#[test]
fn rename_moves_history_and_refuses_conflicts() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "old", "--a=1"]);
    v.ok(&["secret", "update", "old", "--a=2"]);
    v.ok(&["secret", "create", "taken", "--b=1"]);
    v.cmd()
        .args(["secret", "rename", "old", "new"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Renamed 'old' to 'new'"));
    assert_eq!(v.ok(&["secret", "get", "new", "--key", "a"]), "2\n");
    assert_eq!(
        json(&v.ok(&["secret", "history", "new", "--format", "json"]))
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let mut c = v.cmd();
    c.args(["secret", "get", "old"]);
    fails(c, 3, &["no secret named 'old'"]);
    let mut c = v.cmd();
    c.args(["secret", "rename", "new", "taken"]);
    fails(c, 6, &["'taken' already exists"]);
    let mut c = v.cmd();
    c.args(["secret", "rename", "new", "bad.name"]);
    fails(c, 5, &["invalid secret name"]);
    let mut c = v.cmd();
    c.args(["secret", "rename", "ghost", "other"]);
    fails(c, 3, &["no secret named 'ghost'"]);
    // Within the user scope, the workspace 'taken' is no conflict.
    v.ok(&["secret", "create", "mine", "-p", "--c=1"]);
    v.ok(&["secret", "rename", "mine", "taken", "-p"]);
    assert_eq!(v.ok(&["secret", "get", "taken", "--key", "c"]), "1\n");
}

#[test]
fn delete_needs_yes_without_a_terminal() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--a=1"]);
    let mut c = v.cmd();
    c.args(["secret", "delete", "db"]);
    fails(c, 1, &["refusing to delete 'db'", "pass -y"]);
    let mut c = v.cmd();
    c.args(["--headless", "secret", "delete", "db"]);
    fails(c, 1, &["--headless", "pass -y"]);
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "a"]), "1\n");
    v.cmd()
        .args(["secret", "delete", "db", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Moved 'db' (workspace) to the trash",
        ));
    let mut c = v.cmd();
    c.args(["secret", "get", "db"]);
    fails(c, 3, &["no secret named 'db'"]);
    let mut c = v.cmd();
    c.args(["secret", "delete", "db", "--yes"]);
    fails(c, 3, &["no secret named 'db'"]);
}

#[test]
fn delete_takes_the_user_one_first() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--a=team"]);
    v.ok(&["secret", "create", "db", "-p", "--a=me"]);
    v.ok(&["secret", "delete", "db", "-y"]);
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "a"]), "team\n");
    v.ok(&["secret", "create", "db", "-p", "--a=me"]);
    v.ok(&["secret", "delete", "db", "--scope", "workspace", "-y"]);
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "a"]), "me\n");
}

#[test]
fn interactive_reads_lines_from_a_pipe_also_headless() {
    let v = TestVault::new();
    v.cmd()
        .args(["secret", "create", "piped", "-i", "--extra=1"])
        .write_stdin("# a comment\nuser=me\n\npassword=@@at\n")
        .assert()
        .success();
    let doc = json(&v.ok(&["secret", "get", "piped", "--format", "json"]));
    assert_eq!(
        doc["values"],
        serde_json::json!({"user": "me", "password": "@at", "extra": "1"})
    );
    v.cmd()
        .args(["secret", "update", "piped", "--interactive"])
        .write_stdin("user=you\n")
        .assert()
        .success();
    assert_eq!(v.ok(&["secret", "get", "piped", "--key", "user"]), "you\n");
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "-i"])
        .write_stdin("a=1\na=2\n");
    fails(c, 5, &["'a'", "more than once"]);
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "-i"])
        .write_stdin("no equals sign\n");
    fails(c, 5, &["line 1"]);
    // A pipe is not a prompt: --headless allows it (CI keeps values out of argv this way).
    v.cmd()
        .args(["--headless", "secret", "create", "ci", "-i"])
        .write_stdin("token=from-a-pipe\n")
        .assert()
        .success();
    assert_eq!(
        v.ok(&["secret", "get", "ci", "--key", "token"]),
        "from-a-pipe\n"
    );
}

#[test]
fn flags_after_the_name_and_globals_anywhere() {
    let v = TestVault::new();
    v.bare()
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .env_remove("SESAME_VAULT")
        .args(["secret", "create", "g", "--vault"])
        .arg(v.vault_dir())
        .args(["--k=v", "--format=json"])
        .assert()
        .success();
    assert_eq!(
        v.ok(&["--format", "json", "secret", "list"])
            .matches("\"g\"")
            .count(),
        1
    );
    // A bare --KEY without a value is a usage error, not a key.
    let mut c = v.cmd();
    c.args(["secret", "create", "x", "--password", "p"]);
    fails(c, 2, &["--password"]);
}

#[test]
fn interactive_on_a_terminal_is_refused_headless() {
    // `script` gives the command a pseudo-terminal, so -i would really prompt.
    let v = TestVault::new();
    let line = format!(
        "{} --headless secret create ptyx -i",
        assert_cmd::cargo::cargo_bin("sesame").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("SESAME_VAULT", v.vault_dir())
        .env("SESAME_CONFIG", v.path().join("config.toml"))
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .env("SESAME_NO_AGENT", "1")
        .env("HOME", v.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("--headless forbids"), "{text}");
    assert!(
        !v.ok(&["secret", "list"]).contains("ptyx"),
        "nothing was created"
    );
}
