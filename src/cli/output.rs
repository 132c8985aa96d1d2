//! Printing data: aligned tables for people; JSON, YAML, CSV, TSV and env lines for
//! programs. Formatting is pure (strings in, string out); [`emit`] is the one writer of
//! stdout and [`message`] the one writer of stderr.
//!
//! Control characters: a value or name may hold ESC, CSI or OSC sequences (from an import
//! file, or a teammate once sync lands) that would rewrite the clipboard, the title or the
//! screen. On a terminal, stdout shows every C0 and C1 control character and DEL visibly as
//! `\xNN` (newline excepted: it is layout); `--raw`, or stdout that is not a terminal, writes
//! bytes as stored. Messages on stderr are never data, so they are always escaped.

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// `--raw`: set once by `cli::run` before any output.
static RAW: AtomicBool = AtomicBool::new(false);

/// Records `--raw` for [`emit`]; called once, before any command runs.
pub fn set_raw(raw: bool) {
    RAW.store(raw, Ordering::Relaxed);
}

/// Whether stdout text is escaped: a terminal is reading it and `--raw` was not given.
pub fn escaping() -> bool {
    !RAW.load(Ordering::Relaxed) && super::prompt::stdout_is_terminal()
}

/// `s` with every control character (C0, DEL, C1: what a terminal may act on rather than
/// show) but newline shown as `\xNN` (the code point in hex, as
/// Python and `git` spell it; C1 controls are one code point, so `U+009B` is `\x9b`).
/// Idempotent: the result holds no control character but newline.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && c.is_control()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes data to stdout, escaped on a terminal (see the module docs). A closed pipe
/// (`sesame secret list | head -1`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let escaped;
    let text = if escaping() {
        // The text may be plaintext values: the escaped copy is wiped like the original.
        escaped = Zeroizing::new(visible(text).into_owned());
        escaped.as_str()
    } else {
        text
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}

/// Writes one line to stderr: line breaks folded into spaces, control characters escaped,
/// so no message (which may quote a name from a file) can move the cursor or run a sequence.
pub fn message(msg: &str) {
    let line = one_line(msg);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", visible(&line));
}

/// `s` on one line: line breaks (and the blanks around them) become one space.
pub fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Warns when stdout is a regular file that group or others may read (`> dump.json` under
/// the usual umask 022): the secret values about to be written would sit in it.
pub fn warn_if_shared_file() {
    // SAFETY: fstat writes into the zeroed struct we own; fd 1 is ours to inspect.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(1, &mut st) } != 0 {
        return;
    }
    let mode = st.st_mode;
    if mode & libc::S_IFMT == libc::S_IFREG && mode & 0o077 != 0 {
        super::warn(&format!(
            "standard output is a file others can read (mode {:04o}) and now holds secret values: chmod 600 it (with 'secret export', -o FILE creates it private)",
            mode & 0o7777
        ));
    }
}

/// Writes `bytes` to `path` as a new file only the owner can read (0600), atomically: a
/// temporary file in the same directory, flushed, then renamed over `path`, so a reader
/// never sees half a file and the plaintext never sits in a file with wider permissions.
pub fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |e| Error::io(format!("cannot write {}", path.display()), e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::Usage(format!(
            "-o {}: name a file, not a directory",
            path.display()
        ))
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".sesame-{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    // The rename is durable once the directory is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("cannot encode JSON output: {e}")))?;
    s.push('\n');
    Ok(s)
}

pub fn yaml<T: Serialize>(value: &T) -> Result<String> {
    let mut s = serde_saphyr::to_string(value)
        .map_err(|e| Error::Other(format!("cannot encode YAML output: {e}")))?;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}

/// Rows with a header, printed aligned, as CSV or as TSV.
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Columns padded to their widest cell; a multi-line cell continues under itself.
    /// Headers are upper case, as in `kubectl` or `docker`.
    pub fn aligned(&self) -> String {
        self.render(true)
    }

    /// Like [`Table::aligned`] without the header row (for `label  value` blocks).
    pub fn aligned_without_header(&self) -> String {
        self.render(false)
    }

    fn render(&self, with_header: bool) -> String {
        let header: Vec<String> = self.headers.iter().map(|h| h.to_uppercase()).collect();
        // Cells are escaped before they are measured, so columns stay aligned on a
        // terminal; `emit` would escape them anyway, after the padding was decided.
        let escape = escaping();
        let escaped: Zeroizing<Vec<Vec<String>>>;
        let rows: &[Vec<String>] = if escape {
            // Cells may be values (`secret get`): the copy is wiped like the original.
            escaped = Zeroizing::new(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(|c| visible(c).into_owned()).collect())
                    .collect(),
            );
            &escaped
        } else {
            &self.rows
        };
        let all: Vec<&Vec<String>> = with_header
            .then_some(&header)
            .into_iter()
            .chain(rows)
            .collect();
        let cols = self.headers.len();
        let mut widths = vec![0usize; cols];
        for row in &all {
            for (i, cell) in row.iter().enumerate().take(cols) {
                let w = cell.lines().map(|l| l.chars().count()).max().unwrap_or(0);
                widths[i] = widths[i].max(w);
            }
        }
        let mut out = String::new();
        for row in all {
            let cells: Vec<Vec<&str>> = row
                .iter()
                .map(|c| {
                    let lines: Vec<&str> = c.split('\n').collect();
                    lines
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for line in 0..height {
                let mut text = String::new();
                for (i, cell) in cells.iter().enumerate() {
                    let part = cell.get(line).copied().unwrap_or("");
                    if i + 1 < cells.len() {
                        text.push_str(part);
                        let pad = widths[i] - part.chars().count() + 2;
                        text.extend(std::iter::repeat_n(' ', pad));
                    } else {
                        text.push_str(part);
                    }
                }
                out.push_str(text.trim_end());
                out.push('\n');
            }
        }
        out
    }

    /// RFC 4180 CSV: a header row; fields with `,`, `"` or line breaks are quoted.
    pub fn csv(&self) -> String {
        self.delimited(",", csv_field)
    }

    /// Tab-separated: a header row; tab, newline, CR and backslash are escaped as `\t`,
    /// `\n`, `\r`, `\\`, so every record stays on one line.
    pub fn tsv(&self) -> String {
        self.delimited("\t", tsv_field)
    }

    fn delimited(&self, sep: &str, field: fn(&str) -> Cow<'_, str>) -> String {
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let cells: Vec<Cow<'_, str>> = row.iter().map(|c| field(c)).collect();
            out.push_str(&cells.join(sep));
            out.push('\n');
        }
        out
    }
}

pub fn csv_field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

pub fn tsv_field(s: &str) -> Cow<'_, str> {
    if s.contains(['\t', '\n', '\r', '\\']) {
        Cow::Owned(
            s.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
                .replace('\r', "\\r"),
        )
    } else {
        Cow::Borrowed(s)
    }
}

pub use crate::envname::env_line;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_all_but_the_last_column() {
        let mut t = Table::new(&["name", "scope"]);
        t.push(vec!["db".into(), "user".into()]);
        t.push(vec!["mlflow".into(), "workspace".into()]);
        assert_eq!(
            t.aligned(),
            "NAME    SCOPE\ndb      user\nmlflow  workspace\n"
        );
    }

    #[test]
    fn multi_line_cells_continue_under_themselves() {
        let mut t = Table::new(&["key", "value"]);
        t.push(vec!["pem".into(), "a\nb".into()]);
        assert_eq!(t.aligned(), "KEY  VALUE\npem  a\n     b\n");
    }

    #[test]
    fn csv_and_tsv_quote_what_they_must() {
        let mut t = Table::new(&["a", "b"]);
        t.push(vec!["x,y".into(), "say \"hi\"".into()]);
        assert_eq!(t.csv(), "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
        let mut t = Table::new(&["a"]);
        t.push(vec!["t\tn\n\\".into()]);
        assert_eq!(t.tsv(), "a\nt\\tn\\n\\\\\n");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("a\x1b]52;c;x\x07b"), "a\\x1b]52;c;x\\x07b");
        assert_eq!(visible("\u{9b}2J\x7f\t\r\n"), "\\x9b2J\\x7f\\x09\\x0d\n");
        assert!(matches!(visible("plain ünïcode\n"), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        #[test]
        fn visible_leaves_no_control_but_newline(s in "\\PC{0,16}|[\\x00-\\x1f\\x7f\\u{80}-\\u{a0}a\\\\]{0,16}") {
            let v = visible(&s);
            proptest::prop_assert!(!v.chars().any(|c| c.is_control() && c != '\n'));
            proptest::prop_assert_eq!(visible(&v), v.clone(), "idempotent");
            if !s.chars().any(|c| c.is_control() && c != '\n') {
                proptest::prop_assert_eq!(v, Cow::Borrowed(s.as_str()));
            }
        }
    }

    #[test]
    fn env_lines_are_single_quoted() {
        assert_eq!(env_line("PW", "it's $HOME"), "PW='it'\\''s $HOME'\n");
    }
}
