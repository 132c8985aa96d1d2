//! Asking the person at the terminal: hidden passphrases and values, plain lines, y/N.
//! Prompts go to the controlling terminal (`/dev/tty`), as `ssh` and `op` do, so a user whose
//! stdin or stderr is redirected is still asked; only `--headless`, or no controlling terminal
//! at all, forbids asking. Callers check [`can_prompt`] first and otherwise fail with an error
//! that says which flag or variable to use.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};

use zeroize::Zeroizing;

use super::output::{one_line, visible};
use crate::error::{Error, Result};

const TTY: &str = "/dev/tty";

pub fn stdin_is_terminal() -> bool {
    // SAFETY: isatty only inspects the file descriptor.
    unsafe { libc::isatty(0) == 1 }
}

pub fn stdout_is_terminal() -> bool {
    // SAFETY: as above.
    unsafe { libc::isatty(1) == 1 }
}

/// The controlling terminal, opened for reading and writing; `None` without one (a daemon,
/// a CI job, `setsid`).
fn tty() -> Option<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TTY)
        .ok()
}

/// Whether a prompt may be shown and answered: not under `--headless`, and a controlling
/// terminal exists (stdin and stderr may be redirected: prompts use the terminal itself).
pub fn can_prompt(headless: bool) -> bool {
    !headless && tty().is_some()
}

/// Why [`can_prompt`] said no, for error messages.
pub fn why_not(headless: bool) -> &'static str {
    if headless {
        "--headless forbids asking"
    } else {
        "there is no terminal to ask on"
    }
}

/// Writes one line to the terminal the prompts are on (feedback such as "try again" must be
/// seen where the question was asked, even when stderr goes to a file). Falls back to stderr.
pub fn tell(msg: &str) {
    let line = format!("{}\n", visible(&one_line(msg)));
    match tty() {
        Some(mut t) => {
            let _ = t.write_all(line.as_bytes());
        }
        None => eprint!("{line}"),
    }
}

/// The controlling terminal, or the error of a command that has none to ask on.
fn tty_to_ask() -> Result<std::fs::File> {
    tty().ok_or_else(|| {
        Error::io(
            "cannot ask on the terminal",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })
}

/// Reads a line without echo on the controlling terminal. Echo goes off *before* the
/// prompt is shown, so a value typed or pasted the instant the prompt appears is never
/// echoed (printing the prompt first, as rpassword does, leaves that window open).
pub fn hidden(prompt: &str) -> Result<Zeroizing<String>> {
    use std::os::fd::AsRawFd;
    let io = |e| Error::io("cannot read from the terminal", e);
    let mut t = tty_to_ask()?;
    let _quiet = NoEcho::new(t.as_raw_fd()).map_err(io)?;
    t.write_all(visible(prompt).as_bytes()).map_err(io)?;
    t.flush().map_err(io)?;
    let mut s = Zeroizing::new(String::new());
    BufReader::new(&t).read_line(&mut s).map_err(io)?;
    while s.ends_with(['\n', '\r']) {
        s.pop();
    }
    Ok(s)
}

/// The terminal's echo turned off (the newline still echoed, so the cursor moves on), and
/// back as it was when dropped.
struct NoEcho {
    fd: i32,
    saved: libc::termios,
}

impl NoEcho {
    fn new(fd: i32) -> std::io::Result<NoEcho> {
        // SAFETY: tcgetattr fills the termios it is given; fd is an open terminal.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: sets the attributes of the same open terminal from a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(NoEcho { fd, saved })
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `new` on the same terminal.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

/// Asks twice for a new passphrase until both entries match and are not empty.
pub fn new_passphrase(what: &str) -> Result<Zeroizing<String>> {
    for _ in 0..3 {
        let first = hidden(&format!("{what}: "))?;
        if first.is_empty() {
            tell("sesame: the passphrase must not be empty");
            continue;
        }
        let second = hidden(&format!("{what} (again): "))?;
        if *first == *second {
            return Ok(first);
        }
        tell("sesame: the two entries differ, try again");
    }
    Err(Error::Passphrase(
        "no passphrase set: the entries were empty or did not match three times".into(),
    ))
}

/// Reads one visible line on the controlling terminal, without its line ending; `None` at
/// end of input.
pub fn line(prompt: &str) -> Result<Option<String>> {
    let io = |e| Error::io("cannot read from the terminal", e);
    let mut t = tty_to_ask()?;
    t.write_all(visible(prompt).as_bytes()).map_err(io)?;
    t.flush().map_err(io)?;
    let mut s = String::new();
    let n = BufReader::new(t).read_line(&mut s).map_err(io)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(s.trim_end_matches(['\n', '\r']).to_string()))
}

/// A y/N question; anything but y/yes is no.
pub fn confirm(question: &str) -> Result<bool> {
    let answer = line(&format!("{question} [y/N] "))?.unwrap_or_default();
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
