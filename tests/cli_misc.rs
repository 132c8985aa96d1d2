//! Completions, the man page, help and usage errors: generated from clap, one line on error.

use crate::common;

use common::{TestVault, fails};
use predicates::prelude::*;

#[test]
fn completions_for_each_shell() {
    let v = TestVault::empty();
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef sesame"),
        ("fish", "complete -c sesame"),
    ] {
        v.bare()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker).and(predicate::str::contains("secret")));
    }
    let mut c = v.bare();
    c.args(["completions", "tcsh"]);
    let err = fails(c, 2, &["invalid value for '<SHELL>'", "bash, elvish, fish"]);
    assert!(!err.contains("tcsh"), "values typed are not echoed: {err}");
}

#[test]
fn man_page_is_roff() {
    let v = TestVault::empty();
    v.bare()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie").or(predicate::str::contains(".TH sesame")));
}

#[test]
fn completions_and_man_need_no_config() {
    let v = TestVault::empty();
    v.file("config.toml", "not = [valid");
    v.bare().args(["completions", "bash"]).assert().success();
    v.bare().arg("man").assert().success();
}

#[test]
fn help_and_version_exit_0() {
    let v = TestVault::empty();
    v.bare()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("wrong passphrase"));
    v.bare()
        .args(["secret", "create", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--KEY=VALUE").and(predicate::str::contains("--private")));
    v.bare()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("sesame "));
}

#[test]
fn usage_errors_are_one_line_exit_2_and_echo_no_value() {
    let v = TestVault::empty();
    let mut c = v.bare();
    c.arg("frobnicate");
    let err = fails(
        c,
        2,
        &["unrecognized command (argument #1", "secret, schema"],
    );
    assert!(!err.contains("frobnicate"), "{err}");
    let mut c = v.bare();
    c.args(["secret", "get"]);
    fails(c, 2, &["<NAME>"]);
    let mut c = v.bare();
    c.args(["secret", "list", "--format", "xml"]);
    let err = fails(
        c,
        2,
        &["invalid value for '--format <FORMAT>'", "table, json"],
    );
    assert!(!err.contains("xml"), "{err}");
    let mut c = v.bare();
    c.args(["secret", "history", "x", "--restore", "abc"]);
    let err = fails(
        c,
        2,
        &["invalid value for '--restore <N>'", "invalid digit"],
    );
    assert!(!err.contains("abc"), "{err}");
}
