//! Asking the person at the terminal: hidden passphrases and values, plain lines, y/N.
//! Nothing here prompts under `--headless` or without a terminal; callers check
//! [`can_prompt`] first and fail with an error that says which flag or variable to use.

use std::io::{BufRead, Write};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// True when both stdin and stderr are terminals: someone can read a prompt and answer it.
pub fn is_terminal() -> bool {
    // SAFETY: isatty only inspects the file descriptor.
    unsafe { libc::isatty(0) == 1 && libc::isatty(2) == 1 }
}

pub fn stdin_is_terminal() -> bool {
    // SAFETY: as above.
    unsafe { libc::isatty(0) == 1 }
}

pub fn stdout_is_terminal() -> bool {
    // SAFETY: as above.
    unsafe { libc::isatty(1) == 1 }
}

pub fn can_prompt(headless: bool) -> bool {
    !headless && is_terminal()
}

/// Reads a line without echo (rpassword uses the controlling terminal).
pub fn hidden(prompt: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| Error::io("cannot read from the terminal", e))
}

/// Asks twice for a new passphrase until both entries match and are not empty.
pub fn new_passphrase(what: &str) -> Result<Zeroizing<String>> {
    for _ in 0..3 {
        let first = hidden(&format!("{what}: "))?;
        if first.is_empty() {
            eprintln!("sesame: the passphrase must not be empty");
            continue;
        }
        let second = hidden(&format!("{what} (again): "))?;
        if *first == *second {
            return Ok(first);
        }
        eprintln!("sesame: the two entries differ, try again");
    }
    Err(Error::Passphrase(
        "no passphrase set: the entries were empty or did not match three times".into(),
    ))
}

/// Reads one visible line from stdin (prompt on stderr), without its line ending.
/// `None` at end of input.
pub fn line(prompt: &str) -> Result<Option<String>> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut s = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| Error::io("cannot read from the terminal", e))?;
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
