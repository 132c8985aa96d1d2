//! The real binary in a detached tmux session, driven with send-keys and read with
//! capture-pane (and tmux's own buffer list, for the clipboard). One server per test.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// tmux on this machine? (`scripts/test` installs it; without it the e2e tests say so.)
    pub fn available() -> bool {
        Command::new("tmux").arg("-V").output().is_ok()
    }

    /// A session `w`x`h` running a clean `sh` whose environment is exactly `env` (plus
    /// PATH, TERM and a plain prompt), with OSC 52 reaching tmux's buffers.
    pub fn start(name: &str, w: u16, h: u16, env: &[(&str, String)]) -> Tmux {
        let tmux = Tmux {
            socket: format!("sesame-{name}-{}", std::process::id()),
        };
        let mut shell = String::from("env -i PATH=/usr/bin:/bin TERM=xterm-256color PS1='$ '");
        for (k, v) in env {
            shell.push_str(&format!(" {k}='{v}'"));
        }
        shell.push_str(" sh");
        let (w, h) = (w.to_string(), h.to_string());
        let out = tmux.cmd(&["new-session", "-d", "-s", "e2e", "-x", &w, "-y", &h, &shell]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Let OSC 52 from the app reach tmux's buffers (tmux's default only allows outer apps).
        tmux.cmd(&["set-option", "-g", "set-clipboard", "on"]);
        tmux.wait_for("$");
        tmux
    }

    /// `$TMUX` as the programs in this server's panes see it.
    pub fn env_var(&self) -> String {
        let out = self.cmd(&["display-message", "-p", "#{socket_path},#{pid},0"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend(keys);
        assert!(self.cmd(&args).status.success());
    }

    pub fn text(&self, text: &str) {
        let out = self.cmd(&["send-keys", "-t", "e2e", "-l", "--", text]);
        assert!(
            out.status.success(),
            "send-keys {text:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.screen()
        );
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Everything the pane ever showed, scrollback included.
    pub fn history(&self) -> String {
        String::from_utf8_lossy(
            &self
                .cmd(&["capture-pane", "-p", "-S", "-", "-t", "e2e"])
                .stdout,
        )
        .into_owned()
    }

    /// tmux's paste buffers: name and a sample of each.
    pub fn buffers(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["list-buffers"]).stdout).into_owned()
    }

    pub fn resize(&self, w: u16, h: u16) {
        let (w, h) = (w.to_string(), h.to_string());
        self.cmd(&["resize-window", "-t", "e2e", "-x", &w, "-y", &h]);
    }

    /// Polls the pane until it shows `needle` (or fails with what it showed).
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |s| s.contains(needle))
    }

    /// Polls until `ok(screen)` holds.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("timed out waiting for {what:?}; the pane shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Runs the sesame binary in the pane's shell; `; echo EXITED:$?` marks its end.
    pub fn run_sesame(&self, args: &str) {
        self.text(&format!(
            "{} {args}; echo EXITED:$?",
            env!("CARGO_BIN_EXE_sesame")
        ));
        self.keys(&["Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
