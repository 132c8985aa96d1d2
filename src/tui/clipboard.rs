//! The clipboard, done so that a clear really clears. Terminals get OSC 52 (works over SSH);
//! GNU screen gets it wrapped for passthrough. tmux ignores an empty OSC 52, so under tmux
//! the value goes into a tmux buffer of our own name (`load-buffer -w` also hands it to the
//! outer terminal), and a clear overwrites that buffer (and the outer clipboard) with a
//! blank, then deletes it, and checks tmux's buffer list. Each report says what was done.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use zeroize::Zeroizing;

use crate::secret::SecretValue;

/// How values reach the clipboard here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// OSC 52 straight to the terminal.
    Osc52,
    /// OSC 52 inside a DCS passthrough (GNU screen drops a bare one).
    Screen,
    /// tmux's buffers, through the `tmux` command of the session we run in.
    Tmux,
}

/// What the runtime did with a clipboard intent, for the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClipReport {
    /// The value was handed over; `how` says where it went.
    Set {
        how: String,
    },
    /// A clear was done; the text says exactly how far it goes.
    Cleared(String),
    Failed(String),
}

pub struct Clipboard {
    via: Via,
    /// Our tmux buffer's name (one per process, so a clear deletes only what we made).
    buffer: String,
}

impl Clipboard {
    /// Picks the way from the environment: `$TMUX` means tmux, `$STY` GNU screen.
    pub fn detect() -> Clipboard {
        let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
        let via = if set("TMUX") {
            Via::Tmux
        } else if set("STY") {
            Via::Screen
        } else {
            Via::Osc52
        };
        Clipboard::new(via)
    }

    pub fn new(via: Via) -> Clipboard {
        Clipboard {
            via,
            buffer: format!("sesame-{}", std::process::id()),
        }
    }

    pub fn via(&self) -> &Via {
        &self.via
    }

    pub fn set(&mut self, out: &mut impl Write, value: &SecretValue) -> ClipReport {
        match self.via {
            Via::Tmux => match tmux_load(&self.buffer, value.expose().as_bytes()) {
                Ok(()) => ClipReport::Set {
                    how: "tmux buffer and terminal".into(),
                },
                Err(e) => ClipReport::Failed(format!("could not copy through tmux: {e}")),
            },
            Via::Osc52 | Via::Screen => {
                let b64 = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(value.expose()),
                );
                match write_osc52(out, &b64, self.via == Via::Screen) {
                    Ok(()) => ClipReport::Set {
                        how: "OSC 52".into(),
                    },
                    Err(e) => ClipReport::Failed(format!("could not write to the terminal: {e}")),
                }
            }
        }
    }

    pub fn clear(&mut self, out: &mut impl Write) -> ClipReport {
        match self.via {
            Via::Tmux => {
                // Overwrite first (tmux frees the old buffer; -w blanks the outer clipboard
                // too), then delete, then believe only tmux's own list.
                let overwrite = tmux_load(&self.buffer, b" ");
                let _ = tmux(&["delete-buffer", "-b", &self.buffer]);
                match tmux(&["list-buffers", "-F", "#{buffer_name}"]) {
                    Ok(list) if list.lines().any(|l| l == self.buffer) => {
                        ClipReport::Failed("tmux still holds the copied value in its buffer".into())
                    }
                    Ok(_) if overwrite.is_ok() => ClipReport::Cleared(
                        "clipboard cleared (tmux buffer overwritten and deleted)".into(),
                    ),
                    Ok(_) => ClipReport::Cleared(
                        "tmux buffer deleted; the terminal's clipboard could not be overwritten"
                            .into(),
                    ),
                    Err(e) => ClipReport::Failed(format!("could not check tmux's buffers: {e}")),
                }
            }
            Via::Osc52 | Via::Screen => match write_osc52(out, "", self.via == Via::Screen) {
                // xterm, kitty, foot and WezTerm clear on an empty OSC 52; others ignore it,
                // and nothing can tell which from here.
                Ok(()) => ClipReport::Cleared(
                    "clipboard clear sent (OSC 52); a terminal that ignores it keeps the value"
                        .into(),
                ),
                Err(e) => ClipReport::Failed(format!("could not write to the terminal: {e}")),
            },
        }
    }
}

/// Writes an OSC 52 "set clipboard" sequence; an empty payload asks for a clear.
pub fn write_osc52(out: &mut impl Write, payload_b64: &str, screen: bool) -> std::io::Result<()> {
    if screen {
        write!(out, "\x1bP\x1b]52;c;{payload_b64}\x07\x1b\\")?;
    } else {
        write!(out, "\x1b]52;c;{payload_b64}\x07")?;
    }
    out.flush()
}

/// `tmux load-buffer -w -b NAME -` with `data` on stdin (never in argv).
fn tmux_load(buffer: &str, data: &[u8]) -> Result<(), String> {
    let mut child = Command::new("tmux")
        .args(["load-buffer", "-w", "-b", buffer, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tmux ({e})"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(data)
            .map_err(|e| format!("cannot talk to tmux ({e})"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("tmux failed ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(first_line(&out.stderr))
    }
}

fn tmux(args: &[&str]) -> Result<String, String> {
    let out = Command::new("tmux")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run tmux ({e})"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(first_line(&out.stderr))
    }
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next().unwrap_or("no message").trim();
    crate::cli::output::visible(line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_payloads_and_clears() {
        let mut out = Vec::new();
        let mut c = Clipboard::new(Via::Osc52);
        assert_eq!(
            c.set(&mut out, &SecretValue::new("hi")),
            ClipReport::Set {
                how: "OSC 52".into()
            }
        );
        assert_eq!(out, b"\x1b]52;c;aGk=\x07");
        out.clear();
        assert!(matches!(c.clear(&mut out), ClipReport::Cleared(_)));
        assert_eq!(out, b"\x1b]52;c;\x07");
        let mut out = Vec::new();
        Clipboard::new(Via::Screen).clear(&mut out);
        assert_eq!(out, b"\x1bP\x1b]52;c;\x07\x1b\\");
    }
}
