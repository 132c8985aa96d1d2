//! Where a passphrase comes from without a prompt (an environment variable, a file, stdin),
//! and how strong a new one is. Both faces use these, so the rules are the same everywhere.

use std::io::BufRead;
use std::path::Path;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Environment variables of DESIGN §3.
pub const ENV_PASSPHRASE: &str = "SESAME_PASSPHRASE";
pub const ENV_NEW_PASSPHRASE: &str = "SESAME_NEW_PASSPHRASE";

/// The passphrase variables as they were at start-up, once [`take_env`] has moved them out
/// of the environment. `None` inside means the variable was not set (or not UTF-8, kept as
/// an error for when it is needed).
struct Taken {
    passphrase: Option<std::result::Result<Zeroizing<String>, ()>>,
    new_passphrase: Option<std::result::Result<Zeroizing<String>, ()>>,
}

static TAKEN: OnceLock<Taken> = OnceLock::new();

/// Moves `SESAME_PASSPHRASE` and `SESAME_NEW_PASSPHRASE` out of the process environment, so
/// no child process started later (an editor, `sesame run`'s command, a backend plugin)
/// inherits them and `/proc/self/environ` no longer shows them. Later reads come from here.
///
/// # Safety
/// Changing the environment is undefined behaviour while another thread may read it. Call
/// this first thing in `main`, before any thread exists.
pub unsafe fn take_env() {
    let take = |name: &str| {
        let value = std::env::var_os(name)?;
        // The variable's bytes also sit in the block the kernel shows as /proc/PID/environ,
        // which removing the variable does not touch: overwrite them there first.
        if let Ok(c_name) = std::ffi::CString::new(name) {
            // SAFETY: getenv returns a pointer to the NUL-terminated value inside the
            // environment, valid until the environment changes; no other thread exists, and
            // overwriting the value's own bytes (not its terminator) keeps it well-formed.
            unsafe {
                let p = libc::getenv(c_name.as_ptr());
                if !p.is_null() {
                    std::ptr::write_bytes(p, 0, libc::strlen(p));
                }
            }
        }
        // SAFETY: the caller guarantees no other thread exists yet.
        unsafe { std::env::remove_var(name) };
        Some(
            value
                .into_string()
                .map(Zeroizing::new)
                .map_err(|v| zeroize::Zeroize::zeroize(&mut v.into_encoded_bytes())),
        )
    };
    let _ = TAKEN.set(Taken {
        passphrase: take(ENV_PASSPHRASE),
        new_passphrase: take(ENV_NEW_PASSPHRASE),
    });
}

/// The value of `SESAME_PASSPHRASE` or `SESAME_NEW_PASSPHRASE` (`name`), taken at start-up
/// or, in a process that did not call [`take_env`] (tests, embedders), read now.
/// Set but empty, or not UTF-8, is an error of its own: it is a mistake, not a passphrase.
pub fn from_env(name: &str) -> Result<Option<Zeroizing<String>>> {
    let value = match TAKEN.get() {
        Some(t) => {
            let v = if name == ENV_NEW_PASSPHRASE {
                &t.new_passphrase
            } else {
                &t.passphrase
            };
            v.clone()
        }
        None => std::env::var_os(name).map(|v| v.into_string().map(Zeroizing::new).map_err(|_| ())),
    };
    match value {
        None => Ok(None),
        Some(Err(())) => Err(Error::Passphrase(format!(
            "{name} is not valid UTF-8: set it to the passphrase as text"
        ))),
        Some(Ok(p)) if p.is_empty() => Err(Error::Passphrase(format!(
            "{name} is set but empty: set it to the passphrase, or unset it to be asked"
        ))),
        Some(Ok(p)) => Ok(Some(p)),
    }
}

/// Reads a passphrase file (`-` is stdin): the first line, without its line ending. An empty
/// one is an error, since an empty passphrase would protect nothing.
pub fn from_file(path: &Path) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    let origin = if path.as_os_str() == "-" {
        // SAFETY: isatty only inspects the file descriptor.
        if unsafe { libc::isatty(0) == 1 } {
            return Err(Error::Usage(
                "--passphrase-file - reads the passphrase from a pipe; on a terminal, leave it out to be asked (hidden)".into(),
            ));
        }
        // One line only: the rest of stdin stays for whoever reads it next.
        std::io::stdin().lock().read_line(&mut text).map_err(|e| {
            Error::Passphrase(format!("cannot read the passphrase from stdin: {e}"))
        })?;
        "read from stdin".to_string()
    } else {
        *text = std::fs::read_to_string(path).map_err(|e| {
            Error::Passphrase(format!(
                "cannot read the passphrase file {}: {e}",
                path.display()
            ))
        })?;
        format!("file {}", path.display())
    };
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Error::Passphrase(format!(
            "the passphrase {origin} is empty"
        )));
    }
    Ok(Zeroizing::new(line.to_string()))
}

/// How a new passphrase would fare against guessing: a rough, dependency-free rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    Empty,
    Weak,
    Fair,
    Strong,
}

impl Strength {
    pub fn label(self) -> &'static str {
        match self {
            Strength::Empty => "",
            Strength::Weak => "weak",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
        }
    }
}

/// A rough strength of `p` and one line of advice: long passphrases of several words, or
/// long and varied ones, pass; short ones are weak whatever their characters.
pub fn strength(p: &str) -> (Strength, &'static str) {
    let len = p.chars().count();
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let words = p.split_whitespace().count();
    match (len, classes, words) {
        (0, _, _) => (
            Strength::Empty,
            "use a long passphrase: four or more random words",
        ),
        (l, _, w) if l >= 20 && w >= 4 => (Strength::Strong, "four or more words: good"),
        (l, c, _) if l >= 16 && c >= 3 => (Strength::Strong, "long and varied: good"),
        (l, c, _) if l >= 12 && c >= 2 => (Strength::Fair, "longer is better: add a word or two"),
        _ => (
            Strength::Weak,
            "too short to resist guessing: use four or more random words",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_ranks_length_and_words() {
        assert_eq!(strength("").0, Strength::Empty);
        assert_eq!(strength("a").0, Strength::Weak);
        assert_eq!(strength("Tr0ub4dor&3").0, Strength::Weak);
        assert_eq!(strength("correct horse1").0, Strength::Fair);
        assert_eq!(strength("correct horse battery staple").0, Strength::Strong);
    }

    #[test]
    fn passphrase_files_take_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\nrest\n").unwrap();
        assert_eq!(from_file(&p).unwrap().as_str(), "s3cret");
        std::fs::write(&p, "\n").unwrap();
        assert!(from_file(&p).unwrap_err().to_string().contains("is empty"));
    }
}
