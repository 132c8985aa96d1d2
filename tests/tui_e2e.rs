//! End to end: the real binary in a detached tmux session (80x24), driven with send-keys
//! and read with capture-pane. Unlock, create through the form, filter, reveal, copy,
//! edit, resize, delete, quit, and the shell is back with the terminal restored.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sesame::crypto::KdfParams;
use sesame::{Scope, SecretName, SecretValue, Values, Vault};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend(keys);
        assert!(self.cmd(&args).status.success());
    }
    fn text(&self, text: &str) {
        let out = self.cmd(&["send-keys", "-t", "e2e", "-l", "--", text]);
        assert!(
            out.status.success(),
            "send-keys {text:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.screen()
        );
    }
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }
    /// Polls the pane until it shows `needle` (or fails with what it showed).
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("timed out waiting for {needle:?}; the pane shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

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
    if Command::new("tmux").arg("-V").output().is_err() {
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

    let tmux = Tmux {
        socket: format!("sesame-e2e-{}", std::process::id()),
    };
    let shell = format!(
        "env -i PATH=/usr/bin:/bin TERM=xterm-256color HOME={h} XDG_CONFIG_HOME={h}/.config \
         XDG_DATA_HOME={h}/.local/share XDG_RUNTIME_DIR={h}/run SESAME_CONFIG={c} SESAME_NO_AGENT=1 PS1='$ ' sh",
        h = home.display(),
        c = config.display()
    );
    let out = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "80",
        "-y",
        "24",
        &shell,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Let OSC 52 from the app reach tmux's buffers (tmux's default only allows outer apps).
    tmux.cmd(&["set-option", "-g", "set-clipboard", "on"]);
    tmux.wait_for("$");
    tmux.text(&format!(
        "{} --vault {}; echo EXITED:$?",
        env!("CARGO_BIN_EXE_sesame"),
        vault_dir.display()
    ));
    tmux.keys(&["Enter"]);

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
    tmux.wait_for("Secrets (1 of 2)");
    tmux.keys(&["Enter"]);

    // Reveal, then copy (the status names the key, never the value).
    tmux.text("r");
    tmux.wait_for("tok-123");
    tmux.text("y");
    let s = tmux.wait_for("copied 'token' of e2e-api");
    assert!(s.contains("clears in 2 s"));
    let buffer = String::from_utf8_lossy(&tmux.cmd(&["show-buffer"]).stdout).into_owned();
    assert_eq!(buffer, "tok-123", "OSC 52 reached tmux's clipboard");
    tmux.wait_for("clipboard cleared");

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
    tmux.cmd(&["resize-window", "-t", "e2e", "-x", "60", "-y", "20"]);
    tmux.wait_for("Terminal too small");
    // Then larger than at the start: tmux moves the top rows of the alternate screen into
    // the shell's scrollback on leaving it after such a resize, unless sesame blanks it.
    tmux.cmd(&["resize-window", "-t", "e2e", "-x", "100", "-y", "30"]);
    tmux.wait_for("Secrets (1 of 2)");

    // Delete, with the confirm popup naming the secret.
    tmux.text("d");
    tmux.wait_for("Delete 'e2e-api' from the workspace scope?");
    tmux.text("y");
    tmux.wait_for("deleted e2e-api (workspace)");

    // Quit: the shell is back, the alternate screen gone.
    tmux.text("q");
    let s = tmux.wait_for("EXITED:0");
    assert!(!s.contains("Secrets ("), "TUI left on screen:\n{s}");
    assert!(!s.contains("tok-123"), "a value left on screen:\n{s}");
    let history = String::from_utf8_lossy(
        &tmux
            .cmd(&["capture-pane", "-p", "-S", "-", "-t", "e2e"])
            .stdout,
    )
    .into_owned();
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
