//! Completions, the man page, help and usage errors: generated from clap, one line on error.

mod common;

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
    fails(c, 2, &["tcsh"]);
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
fn usage_errors_are_one_line_exit_2() {
    let v = TestVault::empty();
    let mut c = v.bare();
    c.arg("frobnicate");
    fails(c, 2, &["frobnicate"]);
    let mut c = v.bare();
    c.args(["secret", "get"]);
    fails(c, 2, &["<NAME>"]);
    let mut c = v.bare();
    c.args(["secret", "list", "--format", "xml"]);
    fails(c, 2, &["xml"]);
    let mut c = v.bare();
    c.args(["secret", "history", "x", "--restore", "abc"]);
    fails(c, 2, &["abc"]);
}
