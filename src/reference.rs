//! `{{name.key}}` references (DESIGN §1): parsing and rendering, pure (no I/O). A reference
//! stands for one value: `{{db.password}}` resolves the name user-first, `{{user:db.password}}`
//! and `{{workspace:db.password}}` pin the scope. Whitespace inside the braces is allowed
//! (`{{ db.password }}`); `\{{` is a literal `{{`. A reference never spans lines.
//!
//! Every command that reads references (`render`, `check`, `register-missing`, `run
//! --env-file`, backend options) goes through [`parse`], so they agree on what a reference is,
//! and report a malformed one the same way: line and column, and what to write instead.

use std::fmt;

use zeroize::Zeroizing;

use crate::secret::{Scope, SecretName, check_key};

/// One reference in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub scope: Option<Scope>,
    pub name: SecretName,
    pub key: String,
    /// 1-based line and column (in characters) of its `{{`.
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Reference {
    /// The canonical spelling: `{{name.key}}` or `{{scope:name.key}}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Some(s) => write!(f, "{{{{{s}:{}.{}}}}}", self.name, self.key),
            None => write!(f, "{{{{{}.{}}}}}", self.name, self.key),
        }
    }
}

/// A malformed reference: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// A text split into literal runs and references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Ref(Reference),
}

/// A parsed text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template<'a> {
    pub pieces: Vec<Piece<'a>>,
}

/// Longest reference body shown in an error before it is cut.
const SHOWN: usize = 48;

/// Parses `text`. Every malformed reference is reported (not only the first), in order.
pub fn parse(text: &str) -> Result<Template<'_>, Vec<SyntaxError>> {
    let (template, errors) = parse_all(text);
    if errors.is_empty() {
        Ok(template)
    } else {
        Err(errors)
    }
}

/// Parses `text` as far as it goes: the well-formed references, and every malformed one as
/// an error (for `check`, which reports both kinds of problem at once).
pub fn parse_all(text: &str) -> (Template<'_>, Vec<SyntaxError>) {
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    // Line and column are counted incrementally up to `i`.
    let mut pos = Position::default();
    while i < bytes.len() {
        if bytes[i] == b'\\' && text[i + 1..].starts_with("{{") {
            // `\{{`: the backslash goes, the braces stay as text.
            push_text(&mut pieces, &text[literal_start..i]);
            pos.advance(&text[i..i + 1]);
            literal_start = i + 1;
            pos.advance(&text[i + 1..i + 3]);
            i += 3;
            continue;
        }
        if !text[i..].starts_with("{{") {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            pos.advance_char(c);
            i += c.len_utf8();
            continue;
        }
        push_text(&mut pieces, &text[literal_start..i]);
        let (line, col) = (pos.line, pos.col);
        let rest = &text[i + 2..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let Some(close) = rest[..line_end].find("}}") else {
            errors.push(SyntaxError {
                line,
                col,
                message:
                    "'{{' is not closed by '}}' on the same line (write '\\{{' for a literal '{{')"
                        .to_string(),
            });
            // Skip the opening braces and go on, so every error is found.
            pos.advance("{{");
            i += 2;
            literal_start = i;
            continue;
        };
        let body = &rest[..close];
        match reference(body, line, col) {
            Ok(r) => pieces.push(Piece::Ref(r)),
            Err(message) => errors.push(SyntaxError { line, col, message }),
        }
        let consumed = 2 + close + 2;
        pos.advance(&text[i..i + consumed]);
        i += consumed;
        literal_start = i;
    }
    push_text(&mut pieces, &text[literal_start..]);
    (Template { pieces }, errors)
}

/// Parses a text that must be exactly one reference (a backend option such as
/// `token={{bao.token}}`); `None` when it holds no reference at all.
pub fn parse_single(text: &str) -> Result<Option<Reference>, Vec<SyntaxError>> {
    let t = parse(text)?;
    match t.pieces.as_slice() {
        [Piece::Ref(r)] => Ok(Some(r.clone())),
        pieces if pieces.iter().all(|p| matches!(p, Piece::Text(_))) => Ok(None),
        _ => Err(vec![SyntaxError {
            line: 1,
            col: 1,
            message: "expected exactly one reference such as {{name.key}} and nothing around it"
                .into(),
        }]),
    }
}

fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, s: &'a str) {
    if !s.is_empty() {
        pieces.push(Piece::Text(s));
    }
}

/// Parses the inside of `{{ ... }}`.
fn reference(body: &str, line: usize, col: usize) -> Result<Reference, String> {
    let shown = shown(body);
    let inner = body.trim_matches([' ', '\t']);
    if inner.is_empty() {
        return Err("empty reference '{{}}': write {{name.key}}".into());
    }
    let (scope, rest) = match inner.split_once(':') {
        Some((s, rest)) => {
            let scope = match s.trim_matches([' ', '\t']) {
                "user" => Scope::User,
                "workspace" => Scope::Workspace,
                other => {
                    return Err(format!(
                        "unknown scope '{}' in '{{{{{shown}}}}}': use user: or workspace: (or no scope, to look in user first)",
                        crate::error::shown(other)
                    ));
                }
            };
            (Some(scope), rest.trim_matches([' ', '\t']))
        }
        None => (None, inner),
    };
    let Some((name, key)) = rest.split_once('.') else {
        return Err(format!(
            "'{{{{{shown}}}}}' names no key: write {{{{name.key}}}}"
        ));
    };
    let name = SecretName::new(name).map_err(|e| format!("in '{{{{{shown}}}}}': {e}"))?;
    check_key(key).map_err(|e| format!("in '{{{{{shown}}}}}': {e}"))?;
    Ok(Reference {
        scope,
        name,
        key: key.to_string(),
        line,
        col,
    })
}

/// A reference body as it may be shown: escaped and cut.
fn shown(body: &str) -> String {
    let escaped: String = body.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > SHOWN {
        format!("{}…", escaped.chars().take(SHOWN - 1).collect::<String>())
    } else {
        escaped
    }
}

#[derive(Clone, Copy)]
struct Position {
    line: usize,
    col: usize,
}

impl Default for Position {
    fn default() -> Self {
        Position { line: 1, col: 1 }
    }
}

impl Position {
    fn advance_char(&mut self, c: char) {
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
    }
    fn advance(&mut self, s: &str) {
        s.chars().for_each(|c| self.advance_char(c));
    }
}

impl<'a> Template<'a> {
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Ref(r) => Some(r),
            Piece::Text(_) => None,
        })
    }

    /// The text with every reference replaced by `lookup`'s value. When any reference has
    /// no value, nothing is rendered and every such reference is returned.
    pub fn render(
        &self,
        mut lookup: impl FnMut(&Reference) -> Option<Zeroizing<String>>,
    ) -> Result<Zeroizing<String>, Vec<Reference>> {
        let mut out = Zeroizing::new(String::new());
        let mut missing = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Ref(r) => match lookup(r) {
                    Some(v) => out.push_str(&v),
                    None => missing.push(r.clone()),
                },
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(missing)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(text: &str) -> Vec<String> {
        parse(text)
            .unwrap()
            .references()
            .map(|r| format!("{r}@{}:{}", r.line, r.col))
            .collect()
    }

    #[test]
    fn the_three_forms_whitespace_and_positions() {
        assert_eq!(
            refs("a {{db.password}} b\n  {{ user:db.token }}{{workspace : api.key}}"),
            [
                "{{db.password}}@1:3",
                "{{user:db.token}}@2:3",
                "{{workspace:api.key}}@2:22"
            ]
        );
        // Columns count characters, not bytes.
        assert_eq!(refs("é {{x.y}}"), ["{{x.y}}@1:3"]);
    }

    #[test]
    fn escapes_and_plain_braces_stay_text() {
        let t = parse(r"literal \{{not.a_ref}} and } and {single} and }} and {{a.b}}").unwrap();
        let text: String = t
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Ref(r) => format!("<{r}>"),
            })
            .collect();
        assert_eq!(
            text,
            "literal {{not.a_ref}} and } and {single} and }} and <{{a.b}}>"
        );
    }

    #[test]
    fn malformed_references_are_all_reported_with_their_place() {
        let errs =
            parse("ok {{a.b}}\n{{nokey}} {{x:y.z}}\n  {{a b.c}} {{unclosed\n{{}}").unwrap_err();
        let shown: Vec<String> = errs
            .iter()
            .map(|e| format!("{}:{}", e.line, e.col))
            .collect();
        assert_eq!(shown, ["2:1", "2:11", "3:3", "3:13", "4:1"]);
        assert!(errs[0].message.contains("names no key"), "{}", errs[0]);
        assert!(errs[1].message.contains("unknown scope 'x'"), "{}", errs[1]);
        assert!(
            errs[2].message.contains("invalid secret name"),
            "{}",
            errs[2]
        );
        assert!(errs[3].message.contains("not closed"), "{}", errs[3]);
        assert!(errs[4].message.contains("empty reference"), "{}", errs[4]);
        for e in &errs {
            assert_eq!(e.to_string().lines().count(), 1);
        }
    }

    #[test]
    fn render_replaces_or_lists_every_missing_reference() {
        let t = parse("u={{db.user}} p={{db.password}} t={{x.token}}").unwrap();
        let lookup = |r: &Reference| match (r.name.as_str(), r.key.as_str()) {
            ("db", "user") => Some(Zeroizing::new("app".to_string())),
            ("db", "password") => Some(Zeroizing::new("s3\n{{cret}}".to_string())),
            _ => None,
        };
        let missing = t.render(lookup).unwrap_err();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].to_string(), "{{x.token}}");
        let t = parse("u={{db.user}} p={{db.password}}").unwrap();
        // A value is inserted as is: references inside values are not expanded.
        assert_eq!(t.render(lookup).unwrap().as_str(), "u=app p=s3\n{{cret}}");
    }

    #[test]
    fn a_single_reference_option() {
        assert_eq!(
            parse_single("{{bao.token}}").unwrap().unwrap().to_string(),
            "{{bao.token}}"
        );
        assert!(parse_single("plain").unwrap().is_none());
        assert!(parse_single("x{{bao.token}}").is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_and_errors_stay_one_line(s in "\\PC*|[{}\\\\a-z.: \n]{0,60}") {
                match parse(&s) {
                    // (An escaped `\{{` renders as a literal `{{`, which then parses as a
                    // reference: the round trip holds for texts without escapes.)
                    Ok(t) if !s.contains('\\') => {
                        // Rendering every reference as itself gives back a text that parses
                        // to the same references.
                        let rendered = t.render(|r| Some(Zeroizing::new(r.to_string()))).unwrap();
                        let again = parse(&rendered).unwrap();
                        prop_assert_eq!(
                            again.references().map(|r| r.to_string()).collect::<Vec<_>>(),
                            t.references().map(|r| r.to_string()).collect::<Vec<_>>()
                        );
                    }
                    Ok(_) => {}
                    Err(errs) => {
                        for e in errs {
                            prop_assert_eq!(e.to_string().lines().count(), 1);
                        }
                    }
                }
            }

            #[test]
            fn text_without_references_renders_to_itself(s in "[^{\\\\]*") {
                let t = parse(&s).unwrap();
                let out = t.render(|_| None).unwrap();
                prop_assert_eq!(out.as_str(), s.as_str());
            }
        }
    }
}
