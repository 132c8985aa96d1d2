//! Printing data: aligned tables for people; JSON, YAML, CSV, TSV and env lines for
//! programs. Formatting is pure (strings in, string out); [`emit`] is the one writer.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

/// Writes to stdout. A closed pipe (`sesame secret list | head -1`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
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
        let all: Vec<&Vec<String>> = with_header
            .then_some(&header)
            .into_iter()
            .chain(&self.rows)
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

/// A key as an environment variable name: upper case, `-` becomes `_` (as `sesame run` does).
pub fn env_name(key: &str) -> String {
    key.to_ascii_uppercase().replace('-', "_")
}

/// `NAME='value'`: single quotes keep everything literal in a POSIX shell and in dotenv
/// files; an embedded `'` is written as `'\''`.
pub fn env_line(name: &str, value: &str) -> String {
    format!("{name}='{}'\n", value.replace('\'', "'\\''"))
}

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
    fn env_lines_are_single_quoted() {
        assert_eq!(env_line("PW", "it's $HOME"), "PW='it'\\''s $HOME'\n");
        assert_eq!(env_name("api-key"), "API_KEY");
    }
}
