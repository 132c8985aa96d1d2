//! schema list/show, custom schema files, and validation on create and update (exit 5,
//! naming the field).

use crate::common;

use common::{TestVault, fails};
use predicates::prelude::*;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn list_shows_the_built_ins() {
    let v = TestVault::empty();
    let table = v.ok(&["schema", "list"]);
    for name in [
        "arbitrary",
        "basic_auth",
        "aws",
        "gcp",
        "azure",
        "mysql",
        "postgres",
        "ssh",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(name)),
            "{name} missing: {table}"
        );
    }
    assert!(table.contains("built-in"));
    let doc = json(&v.ok(&["schema", "list", "--format", "json"]));
    assert!(doc.as_array().unwrap().len() >= 8);
    let yaml = v.ok(&["schema", "list", "--format", "yaml"]);
    assert!(yaml.contains("name: mysql"), "{yaml}");
    let mut c = v.bare();
    c.args(["schema", "list", "--format", "csv"]);
    fails(c, 2, &["schema list"]);
}

#[test]
fn show_prints_types_required_and_defaults() {
    let v = TestVault::empty();
    let out = v.ok(&["schema", "show", "mysql"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("ssl_verify_server_cert"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("bool") && line.contains("optional") && line.contains("false"),
        "{line}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("user ") && l.contains("required")),
        "{out}"
    );
    assert!(out.contains("Other keys are refused"), "{out}");
    let doc = json(&v.ok(&["schema", "show", "aws", "--format", "json"]));
    let fields: Vec<&str> = doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"AWS_ACCESS_KEY_ID") && fields.contains(&"AWS_SESSION_TOKEN"));
    let mut c = v.bare();
    c.args(["schema", "show", "nope"]);
    fails(c, 5, &["unknown schema 'nope'"]);
}

#[test]
fn create_validates_against_the_schema_naming_the_field() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "web",
        "--schema",
        "basic_auth",
        "--username=u",
    ]);
    fails(c, 5, &["password"]);
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "web",
        "--schema",
        "basic_auth",
        "--username=u",
        "--password=p",
        "--colour=red",
    ]);
    fails(c, 5, &["colour"]);
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "db",
        "--schema",
        "mysql",
        "--user=u",
        "--password=p",
        "--port=abc",
    ]);
    fails(c, 5, &["port"]);
    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "db",
        "--schema",
        "mysql",
        "--user=u",
        "--password=p",
        "--ssl_verify_server_cert=maybe",
    ]);
    fails(c, 5, &["ssl_verify_server_cert"]);
    assert_eq!(v.ok(&["secret", "list", "--format", "json"]), "[]\n");

    v.ok(&[
        "secret",
        "create",
        "db",
        "--schema",
        "mysql",
        "--user=u",
        "--password=p",
    ]);
    let doc = json(&v.ok(&["secret", "get", "db", "--format", "json"]));
    assert_eq!(doc["schema"], "mysql");
    assert_eq!(doc["values"]["port"], "3306");
    assert_eq!(doc["values"]["ssl_verify_server_cert"], "false");
}

#[test]
fn update_validates_and_can_switch_schema() {
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "web",
        "--schema",
        "basic_auth",
        "--username=u",
        "--password=p",
    ]);
    let mut c = v.cmd();
    c.args(["secret", "update", "web", "--remove-keys", "password"]);
    fails(c, 5, &["password"]);
    let mut c = v.cmd();
    c.args(["secret", "update", "web", "--extra=1"]);
    fails(c, 5, &["extra"]);
    v.ok(&[
        "secret",
        "update",
        "web",
        "--schema",
        "arbitrary",
        "--extra=1",
    ]);
    let doc = json(&v.ok(&["secret", "get", "web", "--format", "json"]));
    assert_eq!(doc["schema"], "arbitrary");
    assert_eq!(doc["values"]["extra"], "1");
}

#[test]
fn custom_schemas_load_and_broken_ones_warn_with_path_and_line() {
    let v = TestVault::new();
    std::fs::create_dir(v.schema_dir()).unwrap();
    std::fs::write(
        v.schema_dir().join("api.toml"),
        "description = \"An API\"\n\n[[fields]]\nname = \"token\"\ntype = \"string\"\nrequired = true\n\n[[fields]]\nname = \"endpoint\"\ntype = \"url\"\nrequired = true\n",
    )
    .unwrap();
    std::fs::write(
        v.schema_dir().join("broken.toml"),
        "description = \"x\"\n[[fields]\n",
    )
    .unwrap();
    let out = v
        .cmd()
        .args(["schema", "list"])
        .assert()
        .success()
        .stderr(predicate::str::contains("broken.toml").and(predicate::str::contains("line 2")))
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("sesame: warning: "), "{stderr}");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("api") && l.contains("api.toml")),
        "{table}"
    );
    assert!(!table.contains("broken"));

    let mut c = v.cmd();
    c.args([
        "secret",
        "create",
        "svc",
        "--schema",
        "api",
        "--token=t",
        "--endpoint=not a url",
    ]);
    fails_with_warning(c, 5, "endpoint");
    v.cmd()
        .args([
            "secret",
            "create",
            "svc",
            "--schema",
            "api",
            "--token=t",
            "--endpoint=https://x.example/v1",
        ])
        .assert()
        .success();
}

/// Like `common::fails`, but stderr also carries the broken-schema warning line first.
fn fails_with_warning(mut cmd: assert_cmd::Command, code: i32, needle: &str) {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(code));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("sesame: warning: ") && lines[1].starts_with("sesame: "));
    assert!(lines[1].contains(needle), "{stderr}");
}
