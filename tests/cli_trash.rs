//! `secret delete` moves to the trash; `secret trash list | restore | purge`; `--purge`.

use crate::common;

use common::{TestVault, fails};
use predicates::prelude::*;

#[test]
fn delete_restore_and_purge_through_the_trash() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=one"]);
    v.ok(&["secret", "update", "db", "--password=two"]);
    v.cmd()
        .args(["secret", "delete", "db", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains("to the trash until"));
    let mut c = v.cmd();
    c.args(["secret", "get", "db"]);
    fails(c, 3, &["no secret named 'db'"]);
    let listed = v.ok(&["secret", "trash", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["name"], "db");
    assert_eq!(listed[0]["version"], 2);
    assert!(listed[0].get("values").is_none(), "never values");

    // The name taken again: restoring asks for another one.
    v.ok(&["secret", "create", "db", "--password=new"]);
    let mut c = v.cmd();
    c.args(["secret", "trash", "restore", "db"]);
    fails(c, 6, &["exists again", "--as NEW_NAME"]);
    v.ok(&["secret", "trash", "restore", "db", "--as", "db-old"]);
    assert_eq!(
        v.ok(&["secret", "get", "db-old", "--key", "password"]),
        "two\n"
    );
    assert!(v.ok(&["secret", "history", "db-old"]).contains("1 "));

    v.ok(&["secret", "delete", "db", "-y"]);
    let mut c = v.cmd();
    c.args(["--headless", "secret", "trash", "purge"]);
    fails(c, 1, &["without confirmation", "-y"]);
    v.cmd()
        .args(["secret", "trash", "purge", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Purged 1"));
    v.cmd()
        .args(["secret", "trash", "list"])
        .assert()
        .success()
        .stderr(predicate::str::contains("empty"));
    let mut c = v.cmd();
    c.args(["secret", "trash", "restore", "db"]);
    fails(c, 3, &["no secret named 'db' in the trash"]);
    v.ok(&["verify"]);
}

#[test]
fn delete_purge_skips_the_trash() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "leaked", "--token=abc"]);
    v.cmd()
        .args(["secret", "delete", "leaked", "--purge", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains("for good"))
        .stderr(predicate::str::contains("gone from the vault's files"));
    assert!(
        v.ok(&["secret", "trash", "list", "--format", "json"])
            .trim()
            == "[]"
    );
}

#[test]
fn no_trash_when_the_config_keeps_none() {
    let v = TestVault::new();
    v.file("config.toml", "[vault]\ntrash_days = 0\n");
    v.ok(&["secret", "create", "x", "--k=1"]);
    v.cmd()
        .args(["secret", "delete", "x", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains("for good"));
}
