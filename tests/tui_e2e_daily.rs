//! End to end, as a k9s/lazygit user lives in it: the real binary in tmux. The clipboard is
//! really cleared under tmux (read from tmux's own buffer list), a narrow split pane works
//! down to 40x12 and locks at any size, the search ranks name matches first and anchors
//! per field, and a `sesame secret create` from another terminal shows in the open TUI
//! through the agent.

use crate::common;
use crate::tui_support;

use common::{PASSPHRASE, TestVault};
use tui_support::tmux::Tmux;

/// The environment of `v`'s commands, for a shell in tmux (the agent allowed unless
/// `no_agent`).
fn env_of(v: &TestVault, no_agent: bool) -> Vec<(&'static str, String)> {
    let p = v.path();
    let mut env = vec![
        ("HOME", p.display().to_string()),
        (
            "XDG_CONFIG_HOME",
            p.join("xdg-config").display().to_string(),
        ),
        ("XDG_DATA_HOME", p.join("xdg-data").display().to_string()),
        (
            "XDG_RUNTIME_DIR",
            p.join("xdg-runtime").display().to_string(),
        ),
        ("SESAME_VAULT", v.vault_dir().display().to_string()),
        ("SESAME_CONFIG", p.join("config.toml").display().to_string()),
    ];
    if no_agent {
        env.push(("SESAME_NO_AGENT", "1".into()));
    }
    env
}

fn unlock(tmux: &Tmux) {
    tmux.wait_for("Passphrase");
    tmux.text(PASSPHRASE);
    tmux.keys(&["Enter"]);
    tmux.wait_for("vault unlocked");
}

#[test]
fn the_clipboard_is_really_cleared_under_tmux() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let v = TestVault::new();
    v.ok(&["secret", "create", "github", "--token=ghp_e2e_value"]);
    std::fs::write(
        v.path().join("config.toml"),
        "[tui]\nclipboard_clear_seconds = 2\n",
    )
    .unwrap();
    // sesame must know it runs under tmux ($TMUX, set here as tmux sets it in a pane): its
    // own `tmux` commands find this server through it.
    let tmux = Tmux::start("clip", 80, 24, &[]);
    let mut env = env_of(&v, true);
    env.push(("TMUX", tmux.env_var()));
    let exports: String = env
        .iter()
        .map(|(k, v)| format!("export {k}='{v}'; "))
        .collect();
    tmux.text(&exports);
    tmux.keys(&["Enter"]);
    tmux.run_sesame("");
    unlock(&tmux);

    tmux.text("y");
    let s = tmux.wait_for("copied 'token' of github");
    assert!(s.contains("tmux buffer"), "{s}");
    assert!(
        tmux.buffers().contains("ghp_e2e_value"),
        "the value is in tmux's buffers: {}",
        tmux.buffers()
    );
    tmux.wait_for("clipboard cleared (tmux buffer overwritten and deleted)");
    let buffers = tmux.buffers();
    assert!(
        !buffers.contains("ghp_e2e_value") && !buffers.contains("sesame-"),
        "the clear left it in tmux: {buffers}"
    );

    // Quitting before the timer clears too.
    tmux.text("y");
    tmux.wait_for("copied 'token' of github");
    assert!(tmux.buffers().contains("ghp_e2e_value"));
    tmux.text("q");
    tmux.wait_for("EXITED:0");
    let buffers = tmux.buffers();
    assert!(
        !buffers.contains("ghp_e2e_value"),
        "quitting left it in tmux: {buffers}"
    );
}

#[test]
fn a_narrow_split_pane_works_and_locks_at_any_size() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "db",
        "--host=db.internal",
        "--password=pw",
    ]);
    let tmux = Tmux::start("narrow", 50, 16, &env_of(&v, true));
    tmux.run_sesame("");
    unlock(&tmux);
    // One pane at a time: the list, Enter for the secret, h back.
    let s = tmux.wait_for("Secrets (1)");
    assert!(!s.contains("Details"), "{s}");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("Details");
    assert!(s.contains("password") && !s.contains("Secrets (1)"), "{s}");
    tmux.text("h");
    tmux.wait_for("Secrets (1)");
    // The smallest drawn size, then smaller: a message, and ctrl-l still locks.
    tmux.resize(40, 12);
    tmux.wait_for("Secrets (1)");
    tmux.resize(30, 8);
    tmux.wait_for("Terminal too small");
    tmux.keys(&["C-l"]);
    tmux.resize(60, 16);
    let s = tmux.wait_for("Passphrase");
    assert!(s.contains("locked"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("EXITED:0");
}

#[test]
fn the_search_ranks_name_matches_first_and_anchors_per_field() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let v = TestVault::new();
    // Sorted by name, the key-only matches would come first.
    v.ok(&["secret", "create", "analytics", "--users_token=a"]);
    v.ok(&["secret", "create", "billing", "--users=b"]);
    v.ok(&["secret", "create", "users-db", "--host=h"]);
    v.ok(&["secret", "create", "orders-db", "--host=h"]);
    v.ok(&["secret", "create", "db-cache", "--host=h"]);
    let tmux = Tmux::start("search", 100, 24, &env_of(&v, true));
    tmux.run_sesame("");
    unlock(&tmux);
    tmux.text("/users");
    let s = tmux.wait_for("Secrets (3 of 5, ranked)");
    let row = |name: &str| {
        s.lines()
            .position(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} not shown:\n{s}"))
    };
    assert!(row("users-db") < row("analytics"), "{s}");
    assert!(row("users-db") < row("billing"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("analytics") && l.contains("key users_token")),
        "a key match says which key:\n{s}"
    );
    // `$` anchors the end of each field: names that end in db.
    tmux.keys(&["C-u"]);
    tmux.text("db$");
    let s = tmux.wait_for("Secrets (2 of 5, ranked)");
    assert!(
        s.contains("users-db") && s.contains("orders-db") && !s.contains("db-cache"),
        "{s}"
    );
    tmux.keys(&["Escape"]);
    tmux.text("q");
    tmux.wait_for("EXITED:0");
}

#[test]
fn a_secret_created_by_the_cli_appears_in_the_open_tui_through_the_agent() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--host=h"]);
    let tmux = Tmux::start("agent", 80, 24, &env_of(&v, false));
    tmux.run_sesame("");
    unlock(&tmux); // starts the agent and unlocks it
    tmux.wait_for("Secrets (1)");
    // Another terminal, at the same time: the agent serves both.
    v.with_agent()
        .args(["secret", "create", "from-cli", "--token=t"])
        .assert()
        .success();
    let s = tmux.wait_for("Secrets (2)");
    assert!(s.contains("from-cli"), "{s}");
    assert!(
        s.contains("changed elsewhere") || s.contains("from-cli"),
        "{s}"
    );
    // And the other way: an edit in the TUI is seen by the CLI at once.
    tmux.text("j");
    tmux.text("d");
    tmux.wait_for("Delete 'from-cli'");
    tmux.text("y");
    tmux.wait_for("deleted from-cli");
    let out = v.with_agent().args(["secret", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("from-cli"));
    tmux.text("q");
    tmux.wait_for("EXITED:0");
    // No agent left behind.
    v.with_agent().arg("lock").assert().success();
    let status = v.with_agent().args(["agent", "status"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("no agent is running"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}

#[test]
fn a_delete_is_undone_from_the_trash_and_a_purge_is_for_good() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let v = TestVault::new();
    v.ok(&["secret", "create", "api", "--token=t1"]);
    v.ok(&["secret", "create", "db", "--host=h"]);
    let tmux = Tmux::start("undo", 100, 24, &env_of(&v, true));
    tmux.run_sesame("");
    unlock(&tmux);
    tmux.wait_for("Secrets (2)");
    tmux.text("d");
    tmux.wait_for("Delete 'api'");
    tmux.text("y");
    tmux.wait_for("deleted api (workspace) to the trash");
    tmux.wait_for("Secrets (1)");
    tmux.text("u");
    tmux.wait_for("restored api (workspace) from the trash");
    tmux.wait_for("Secrets (2)");
    // Deleted again, and purged for good from the Trash tab.
    tmux.text("d");
    tmux.wait_for("Delete 'api'");
    tmux.text("y");
    tmux.wait_for("Secrets (1)");
    tmux.text("]");
    let s = tmux.wait_for("Trash (1)");
    assert!(s.contains(" api "), "{s}");
    tmux.text("P");
    tmux.wait_for("Purge all 1 secret(s)");
    tmux.text("y");
    tmux.wait_for("purged 1 secret(s)");
    tmux.wait_for("Trash (0)");
    tmux.text("q");
    tmux.wait_for("EXITED:0");
    let trash = v.ok(&["secret", "trash", "list"]);
    assert!(!trash.contains("api"), "{trash}");
    assert!(v.ok(&["secret", "list"]).contains("db"));
}
