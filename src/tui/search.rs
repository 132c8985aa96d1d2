//! The list's search, pure: a query of words, each matched against every field of a secret
//! on its own (its name, each key, its schema), so `^x`, `x$`, `'x` and `!x` apply per
//! field. A secret matches when every word does; matches rank by tier (every word found in
//! the name comes first), then nucleo's score (the matcher of helix), then the shorter
//! name. Names-only mode looks at names alone.

use std::cell::RefCell;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// Separates the fields of a secret in the list's haystack (names and keys cannot hold it).
pub const SEP: char = '\u{1f}';

/// Why and how well one secret matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// 0: every word matched in the name; 1: some only in a key or the schema.
    pub tier: u8,
    pub score: u32,
    /// The field (0 = name, then the keys, the schema last) where the first word that the
    /// name lacks was found: what the row shows as the reason.
    pub via: u16,
}

impl Hit {
    /// Sort key: lower sorts first.
    pub fn rank(&self, name_len: usize) -> (u8, std::cmp::Reverse<u32>, usize) {
        (self.tier, std::cmp::Reverse(self.score), name_len)
    }
}

/// How a new query relates to the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Same,
    /// Every secret that matches the new query matched the old one: rescan the matches.
    Narrower,
    /// Rescan everything.
    Other,
}

pub struct Search {
    text: String,
    names_only: bool,
    atoms: Vec<Atom>,
    /// Per atom: its needle as ASCII bytes and whether case is ignored, for a subsequence
    /// test that rejects most fields before nucleo scores them.
    needles: Vec<Option<(Vec<u8>, bool)>>,
    /// In a cell so highlighting can run while drawing (`&self`).
    matcher: RefCell<Matcher>,
    buf: Vec<char>,
}

impl Default for Search {
    fn default() -> Self {
        Search::new()
    }
}

impl Search {
    pub fn new() -> Search {
        Search {
            text: String::new(),
            names_only: false,
            atoms: Vec::new(),
            needles: Vec::new(),
            matcher: RefCell::new(Matcher::new(Config::DEFAULT)),
            buf: Vec::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn names_only(&self) -> bool {
        self.names_only
    }

    /// No words: everything matches, in list order.
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// Sets the query; says how the matches can be found from the previous ones.
    pub fn set(&mut self, text: &str, names_only: bool) -> Scope {
        if text == self.text && names_only == self.names_only {
            return Scope::Same;
        }
        // Appending to a query narrows it (a longer word, or one more word), unless it
        // holds a negation (a longer `!word` excludes less) or the mode widened.
        let narrower = !self.text.is_empty()
            && text.starts_with(self.text.as_str())
            && !text.contains('!')
            && (names_only || !self.names_only);
        self.text = text.to_string();
        self.names_only = names_only;
        let pattern = Pattern::parse(text, CaseMatching::Smart, Normalization::Smart);
        self.atoms = pattern.atoms;
        self.needles = self
            .atoms
            .iter()
            .map(|a| {
                let needle: String = a.needle_text().chars().collect();
                needle.is_ascii().then(|| {
                    let ignore_case = !needle.bytes().any(|b| b.is_ascii_uppercase());
                    (needle.into_bytes(), ignore_case)
                })
            })
            .collect();
        if narrower {
            Scope::Narrower
        } else {
            Scope::Other
        }
    }

    /// Matches one secret, given as its fields joined by [`SEP`] (name first).
    pub fn hit(&mut self, fields: &str) -> Option<Hit> {
        let mut matcher = self.matcher.borrow_mut();
        let mut score = 0u32;
        let mut tier = 0u8;
        let mut via = 0u16;
        let names_only = self.names_only;
        for (atom, needle) in self.atoms.iter().zip(&self.needles) {
            let in_scope = fields
                .split(SEP)
                .take(if names_only { 1 } else { usize::MAX });
            if atom.negative {
                for field in in_scope {
                    if may_match(needle, field)
                        && atom
                            .score(Utf32Str::new(field, &mut self.buf), &mut matcher)
                            .is_none()
                    {
                        return None;
                    }
                }
                continue;
            }
            let mut best: Option<(u16, u16)> = None;
            for (i, field) in in_scope.enumerate() {
                if !may_match(needle, field) {
                    continue;
                }
                if let Some(s) = atom.score(Utf32Str::new(field, &mut self.buf), &mut matcher)
                    && best.is_none_or(|(b, _)| s > b)
                {
                    best = Some((s, i as u16));
                    if i == 0 {
                        break; // a name match wins over any key's
                    }
                }
            }
            let (s, field) = best?;
            score += u32::from(s);
            if field != 0 && tier == 0 {
                tier = 1;
                via = field;
            }
        }
        Some(Hit { tier, score, via })
    }

    /// Character positions in `field` that the query's words matched, for highlighting.
    pub fn highlights(&self, field: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut matcher = self.matcher.borrow_mut();
        let mut buf = Vec::new();
        for atom in self.atoms.iter().filter(|a| !a.negative) {
            let mut found = Vec::new();
            if atom
                .indices(Utf32Str::new(field, &mut buf), &mut matcher, &mut found)
                .is_some()
            {
                out.extend(found);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether any word is anchored or exact (for the help line under the filter).
    pub fn has_operators(&self) -> bool {
        self.atoms
            .iter()
            .any(|a| a.negative || a.kind != AtomKind::Fuzzy)
    }
}

/// A cheap necessary condition: the needle's characters appear in order in the field.
fn may_match(needle: &Option<(Vec<u8>, bool)>, field: &str) -> bool {
    let Some((needle, ignore_case)) = needle else {
        return true; // not ASCII: let nucleo decide
    };
    if needle.is_empty() {
        return true;
    }
    let mut i = 0;
    for &b in field.as_bytes() {
        let b = if *ignore_case {
            b.to_ascii_lowercase()
        } else {
            b
        };
        if b == needle[i] {
            i += 1;
            if i == needle.len() {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, keys: &[&str], schema: &str) -> String {
        let mut s = name.to_string();
        for k in keys {
            s.push(SEP);
            s.push_str(k);
        }
        s.push(SEP);
        s.push_str(schema);
        s
    }

    fn hit(q: &str, names_only: bool, f: &str) -> Option<Hit> {
        let mut s = Search::new();
        s.set(q, names_only);
        s.hit(f)
    }

    #[test]
    fn anchors_apply_per_field() {
        let db = fields("users-db", &["host", "password"], "postgres");
        assert!(hit("db$", false, &db).is_some(), "the name ends in db");
        assert!(hit("^users", false, &db).is_some());
        assert!(
            hit("^host", false, &db).unwrap().tier == 1,
            "a key starts so"
        );
        assert!(hit("word$", false, &db).is_some(), "password ends so");
        assert!(hit("gres$", false, &db).is_some(), "the schema ends so");
        assert!(hit("^db", false, &db).is_none(), "no field starts with db");
        assert!(hit("'ers-d", false, &db).is_some());
        assert!(hit("!pass", false, &db).is_none(), "a key holds pass");
        assert!(hit("!redis", false, &db).is_some());
        assert!(
            hit("dbhost", false, &db).is_none(),
            "words do not span fields"
        );
    }

    #[test]
    fn name_matches_rank_first_and_names_only_ignores_keys() {
        let by_key = fields("billing", &["users"], "arbitrary");
        let by_name = fields("users-db", &["host"], "arbitrary");
        let k = hit("users", false, &by_key).unwrap();
        let n = hit("users", false, &by_name).unwrap();
        assert_eq!((k.tier, k.via), (1, 1));
        assert_eq!(n.tier, 0);
        assert!(n.rank(8) < k.rank(7));
        assert!(hit("users", true, &by_key).is_none());
        assert!(hit("users", true, &by_name).is_some());
    }

    #[test]
    fn narrowing_is_detected() {
        let mut s = Search::new();
        assert_eq!(s.set("a", false), Scope::Other);
        assert_eq!(s.set("ab", false), Scope::Narrower);
        assert_eq!(s.set("ab c", false), Scope::Narrower);
        assert_eq!(s.set("ab c", false), Scope::Same);
        assert_eq!(s.set("ab c", true), Scope::Narrower);
        assert_eq!(s.set("ab c", false), Scope::Other);
        assert_eq!(s.set("ab c !x", false), Scope::Other);
        assert_eq!(s.set("a", false), Scope::Other);
    }

    #[test]
    fn highlights_show_why() {
        let mut s = Search::new();
        s.set("pwd", false);
        assert_eq!(s.highlights("password"), vec![0, 4, 7]);
    }
}
