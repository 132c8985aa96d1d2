//! secret export and import: formats, the round trip into a fresh vault, and refusals that
//! leave the vault untouched.

use crate::common;

use common::{TestVault, fails};
use predicates::prelude::*;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn seeded() -> TestVault {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--user=u", "--password=p w'\"x"]);
    v.ok(&["secret", "create", "db", "-p", "--user=me"]);
    v.ok(&[
        "secret",
        "create",
        "tls",
        "--values",
        "{\"cert\": \"line1\\nline2\"}",
    ]);
    v
}

#[test]
fn export_json_yaml_env_and_scope() {
    let v = seeded();
    let doc = json(&v.ok(&["secret", "export"]));
    assert_eq!(doc["sesame_export"], 2);
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    assert_eq!(doc["count"], 3);
    assert_eq!(secrets[0]["scope"], "user");
    assert_eq!(secrets[1]["values"]["password"], "p w'\"x");
    let yaml = v.ok(&["secret", "export", "--format", "yaml"]);
    assert!(
        yaml.contains("sesame_export: 2") && yaml.contains("name: tls"),
        "{yaml}"
    );
    let env = v.ok(&[
        "secret",
        "export",
        "--format",
        "env",
        "--scope",
        "workspace",
    ]);
    assert!(
        env.contains("# db (workspace)\nDB_PASSWORD='p w'\\''\"x'\nDB_USER='u'\n"),
        "{env}"
    );
    assert!(env.contains("TLS_CERT='line1\nline2'\n"), "{env}");
    assert!(
        !env.contains("me"),
        "user scope leaked into a workspace export: {env}"
    );
    let user = json(&v.ok(&["secret", "export", "-p"]));
    assert_eq!(user["secrets"].as_array().unwrap().len(), 1);
    for f in ["table", "csv"] {
        let mut c = v.cmd();
        c.args(["secret", "export", "--format", f]);
        fails(c, 2, &["secret export", "json, yaml, env"]);
    }
}

#[test]
fn export_import_round_trip_into_a_fresh_vault() {
    let a = seeded();
    for format in ["json", "yaml"] {
        let dump = a.ok(&["secret", "export", "--format", format]);
        let b = TestVault::new();
        let path = b.file(&format!("dump.{format}"), &dump);
        b.cmd()
            .args(["secret", "import"])
            .arg(&path)
            .assert()
            .success()
            .stderr(predicate::str::contains("3 created"));
        for (name, scope) in [("db", "user"), ("db", "workspace"), ("tls", "workspace")] {
            // Everything, times included: an import keeps when a secret was made.
            let get = |v: &TestVault| {
                json(&v.ok(&["secret", "get", name, "--scope", scope, "--format", "json"]))
            };
            assert_eq!(get(&a), get(&b), "{name} ({scope}) via {format}");
        }
    }
}

#[test]
fn import_from_stdin_dry_run_and_overwrite() {
    let a = seeded();
    let dump = a.ok(&["secret", "export"]);
    let b = TestVault::new();
    b.ok(&["secret", "create", "db", "--user=old"]);
    // Without --overwrite an existing name refuses the whole file.
    let mut c = b.cmd();
    c.args(["secret", "import", "-"]).write_stdin(dump.clone());
    fails(
        c,
        6,
        &[
            "db (workspace) already exists",
            "--overwrite",
            "nothing was imported",
        ],
    );
    assert_eq!(
        b.ok(&["secret", "list", "--format", "json"])
            .matches("\"name\"")
            .count(),
        1
    );

    let plan = b
        .cmd()
        .args(["secret", "import", "-", "--overwrite", "--dry-run"])
        .write_stdin(dump.clone())
        .assert()
        .success()
        .stderr(predicate::str::contains("dry run"))
        .get_output()
        .stdout
        .clone();
    let plan = String::from_utf8(plan).unwrap();
    assert!(plan.contains("update     db (workspace)"), "{plan}");
    assert!(plan.contains("create     tls (workspace)"), "{plan}");
    assert_eq!(
        b.ok(&[
            "secret",
            "get",
            "db",
            "--scope",
            "workspace",
            "--key",
            "user"
        ]),
        "old\n"
    );

    b.cmd()
        .args(["secret", "import", "-", "--overwrite"])
        .write_stdin(dump)
        .assert()
        .success()
        .stderr(predicate::str::contains("2 created, 1 updated"));
    assert_eq!(
        b.ok(&[
            "secret",
            "get",
            "db",
            "--scope",
            "workspace",
            "--key",
            "user"
        ]),
        "u\n"
    );
    // The replaced values stay in the history.
    let h = json(&b.ok(&[
        "secret",
        "history",
        "db",
        "--scope",
        "workspace",
        "--format",
        "json",
    ]));
    assert_eq!(h.as_array().unwrap().len(), 2);
}

#[test]
fn malformed_or_duplicate_imports_change_nothing() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "keep", "--a=1"]);
    let bad = v.file(
        "bad.json",
        "{\"sesame_export\": 1, \"secrets\": [\n  {\"name\": \"x\", \"values\": {\"a\": 1,}}\n]}",
    );
    let mut c = v.cmd();
    c.args(["secret", "import"]).arg(&bad);
    fails(c, 5, &["bad.json", "line 2"]);
    let bad_name = v.file(
        "badname.json",
        r#"{"sesame_export": 1, "secrets": [{"name": "ok", "scope": "workspace", "values": {"a": "1"}}, {"name": "a.b", "scope": "workspace", "values": {"a": "1"}}]}"#,
    );
    let mut c = v.cmd();
    c.args(["secret", "import"]).arg(&bad_name);
    fails(c, 5, &["a.b"]);
    let dup = v.file(
        "dup.json",
        r#"{"sesame_export": 1, "secrets": [{"name": "n", "scope": "workspace", "values": {"a": "1"}}, {"name": "n", "scope": "workspace", "values": {"a": "2"}}]}"#,
    );
    let mut c = v.cmd();
    c.args(["secret", "import", "--overwrite"]).arg(&dup);
    fails(c, 5, &["'n'", "twice"]);
    v.file("bin.json", [0xff, 0xfe]);
    let mut c = v.cmd();
    c.args(["secret", "import", "bin.json"]);
    fails(c, 5, &["not UTF-8"]);
    let mut c = v.cmd();
    c.args(["secret", "import", "missing.json"]);
    fails(c, 3, &["missing.json"]);
    let names: Vec<String> = json(&v.ok(&["secret", "list", "--format", "json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["keep"]);
}

#[test]
fn import_keeps_the_times_an_export_gave() {
    let v = TestVault::new();
    let doc = "sesame_export: 2\nsecrets:\n- name: old\n  scope: workspace\n  values:\n    k: v\n  \
               created: 1000000000\n  updated: 1000000100\ncount: 1\n";
    let path = v.file("old.yaml", doc);
    v.cmd()
        .args(["secret", "import"])
        .arg(&path)
        .assert()
        .success();
    let got = json(&v.ok(&["secret", "get", "old", "--format", "json"]));
    assert_eq!(got["created"], "2001-09-09T01:46:40Z");
    assert_eq!(got["updated"], "2001-09-09T01:48:20Z");
    assert_eq!(got["version"], 1);
}
