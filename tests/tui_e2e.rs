//! End to end: the real binary in a detached tmux session (80x24), driven with send-keys
//! and read with capture-pane. Unlock, create through the form, filter, reveal, copy,
//! edit, resize, delete, quit, and the shell is back with the terminal restored.

use crate::tui_support;

use std::path::Path;

use tui_support::tmux::Tmux;

use sesame::crypto::KdfParams;
use sesame::{Scope, SecretName, SecretValue, Values, Vault};

fn seed_vault(dir: &Path) {
    let kdf = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let vault = Vault::init(dir, b"pw", kdf).unwrap();
    let mut values = Values::new();
    values.insert("token".into(), SecretValue::new("ghp_seeded"));
    vault
        .create(
            &sesame::vault::Policy::default(),
            SecretName::new("github").unwrap(),
            Scope::User,
            "arbitrary",
            values,
        )
        .unwrap();
}

#[test]
fn the_real_binary_in_tmux() {
    if !Tmux::available() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let vault_dir = tmp.path().join("vault");
    seed_vault(&vault_dir);
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[tui]\nclipboard_clear_seconds = 2\n").unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let h = home.display().to_string();
    // No $TMUX: sesame does not know it runs under tmux, so it copies with OSC 52.
    let tmux = Tmux::start(
        "e2e",
        80,
        24,
        &[
            ("HOME", h.clone()),
            ("XDG_CONFIG_HOME", format!("{h}/.config")),
            ("XDG_DATA_HOME", format!("{h}/.local/share")),
            ("XDG_RUNTIME_DIR", format!("{h}/run")),
            ("SESAME_CONFIG", config.display().to_string()),
            ("SESAME_NO_AGENT", "1".into()),
        ],
    );
    tmux.run_sesame(&format!("--vault {}", vault_dir.display()));

    // Unlock: a wrong passphrase first.
    tmux.wait_for("Passphrase");
    tmux.text("nope");
    tmux.keys(&["Enter"]);
    tmux.wait_for("wrong passphrase");
    tmux.text("pw");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Secrets (1)");

    // Create through the form.
    tmux.text("n");
    tmux.wait_for("new secret");
    tmux.text("e2e-api");
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.text("token");
    tmux.keys(&["Tab"]);
    tmux.text("tok-123");
    let s = tmux.screen();
    assert!(
        !s.contains("tok-123"),
        "values are masked while typed:\n{s}"
    );
    tmux.keys(&["C-s"]);
    tmux.wait_for("created e2e-api");
    tmux.wait_for("Secrets (2)");

    // Filter to it.
    tmux.text("/e2e");
    tmux.wait_for("Secrets (1 of 2");
    tmux.keys(&["Enter"]);

    // Reveal, then copy (the status names the key, never the value).
    tmux.text("r");
    tmux.wait_for("tok-123");
    tmux.text("y");
    let s = tmux.wait_for("copied 'token' of e2e-api");
    assert!(s.contains("clears in 2 s"));
    let buffer = String::from_utf8_lossy(&tmux.cmd(&["show-buffer"]).stdout).into_owned();
    assert_eq!(buffer, "tok-123", "OSC 52 reached tmux's clipboard");
    tmux.wait_for("clipboard clear sent (OSC 52)");

    // Edit: append to the value.
    tmux.text("e");
    tmux.wait_for("edit e2e-api");
    tmux.keys(&["Tab"]);
    tmux.text("-v2");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved e2e-api (workspace), version 2");
    tmux.text("r");
    tmux.wait_for("tok-123-v2");

    // Resize below the minimum and back: a message, no panic.
    tmux.resize(36, 10);
    tmux.wait_for("Terminal too small");
    // Then larger than at the start: tmux moves the top rows of the alternate screen into
    // the shell's scrollback on leaving it after such a resize, unless sesame blanks it.
    tmux.resize(100, 30);
    tmux.wait_for("Secrets (1 of 2");

    // Delete, with the confirm popup naming the secret.
    tmux.text("d");
    tmux.wait_for("Delete 'e2e-api' from the workspace scope?");
    tmux.keys(&["Enter"]); // Enter is no
    tmux.wait_until("the popup closed", |s| !s.contains("Delete 'e2e-api'"));
    tmux.text("d");
    tmux.wait_for("Delete 'e2e-api' from the workspace scope?");
    tmux.text("y");
    tmux.wait_for("deleted e2e-api (workspace)");

    // Quit: the shell is back, the alternate screen gone.
    tmux.text("q");
    let s = tmux.wait_for("EXITED:0");
    assert!(!s.contains("Secrets ("), "TUI left on screen:\n{s}");
    assert!(!s.contains("tok-123"), "a value left on screen:\n{s}");
    let history = tmux.history();
    assert!(
        !history.contains('│') && !history.contains("e2e-api"),
        "the TUI leaked into the scrollback:\n{history}"
    );
    // The terminal answers like a normal shell again (echo, line mode).
    tmux.text("echo back-to-normal");
    tmux.keys(&["Enter"]);
    tmux.wait_for("\nback-to-normal");

    // And the vault says the same.
    let vault = Vault::unlock(&vault_dir, b"pw").unwrap();
    let names: Vec<String> = vault
        .list()
        .unwrap()
        .secrets
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(names, ["github"]);
}
