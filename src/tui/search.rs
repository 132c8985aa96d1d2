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
    pub name_len: u16,
}

impl Hit {
    /// Sort key, lower first: tier, then the higher score, then the shorter name. One
    /// integer, so sorting 100,000 hits compares numbers, not records.
    pub fn rank(&self) -> u64 {
        (u64::from(self.tier) << 56)
            | (u64::from(u32::MAX - self.score.min(u32::MAX >> 8)) << 16)
            | u64::from(self.name_len)
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
    words: Words,
    /// In a cell so highlighting can run while drawing (`&self`).
    scratch: RefCell<Scratch>,
}

/// The parsed query: shared by the threads of a scan.
#[derive(Default)]
struct Words {
    names_only: bool,
    atoms: Vec<Atom>,
    /// Per atom: its needle as ASCII bytes and whether case is ignored, for a subsequence
    /// test that rejects most fields before nucleo scores them.
    needles: Vec<Option<(Vec<u8>, bool)>>,
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
            words: Words::default(),
            scratch: RefCell::new(Scratch::new()),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn names_only(&self) -> bool {
        self.words.names_only
    }

    /// No words: everything matches, in list order.
    pub fn is_empty(&self) -> bool {
        self.words.atoms.is_empty()
    }

    /// Sets the query; says how the matches can be found from the previous ones.
    pub fn set(&mut self, text: &str, names_only: bool) -> Scope {
        if text == self.text && names_only == self.words.names_only {
            return Scope::Same;
        }
        // Appending to a query narrows it (a longer word, or one more word), unless it
        // holds a negation (a longer `!word` excludes less) or the mode widened.
        let narrower = !self.text.is_empty()
            && text.starts_with(self.text.as_str())
            && !text.contains('!')
            && (names_only || !self.words.names_only);
        self.text = text.to_string();
        self.words.names_only = names_only;
        let pattern = Pattern::parse(text, CaseMatching::Smart, Normalization::Smart);
        self.words.atoms = pattern.atoms;
        self.words.needles = self
            .words
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

    /// The secrets among `candidates` (indices into `hay_at`, whose entries delimit each
    /// secret's fields in `hay`) that match, in the order given, with their hits. Large
    /// scans are split over the machine's cores (each with a matcher of its own).
    pub fn scan(&self, hay: &str, hay_at: &[u32], candidates: &[u32]) -> (Vec<u32>, Vec<Hit>) {
        let ascii = hay.is_ascii();
        let words = &self.words;
        let run = |part: &[u32]| {
            let mut scratch = Scratch::new();
            let mut found = (Vec::new(), Vec::new());
            for &i in part {
                let (a, b) = (hay_at[i as usize] as usize, hay_at[i as usize + 1] as usize);
                if let Some(h) = words.hit(&hay[a..b], ascii, &mut scratch) {
                    found.0.push(i);
                    found.1.push(h);
                }
            }
            found
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads < 2 || candidates.len() < 16_384 {
            return run(candidates);
        }
        let chunk = candidates.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = candidates
                .chunks(chunk)
                .map(|part| s.spawn(move || run(part)))
                .collect();
            let mut out = (Vec::with_capacity(candidates.len()), Vec::new());
            for h in handles {
                let (i, hits) = h.join().unwrap_or_default();
                out.0.extend(i);
                out.1.extend(hits);
            }
            out
        })
    }

    /// Matches one secret, given as its fields joined by [`SEP`] (name first).
    pub fn hit(&self, fields: &str) -> Option<Hit> {
        let mut scratch = self.scratch.borrow_mut();
        self.words.hit(fields, fields.is_ascii(), &mut scratch)
    }

    /// Character positions in `field` that the query's words matched, for highlighting.
    pub fn highlights(&self, field: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut scratch = self.scratch.borrow_mut();
        let Scratch { matcher, buf } = &mut *scratch;
        for atom in self.words.atoms.iter().filter(|a| !a.negative) {
            let mut found = Vec::new();
            if atom
                .indices(Utf32Str::new(field, buf), matcher, &mut found)
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
        self.words
            .atoms
            .iter()
            .any(|a| a.negative || a.kind != AtomKind::Fuzzy)
    }
}

impl Words {
    fn hit(&self, fields: &str, ascii: bool, scratch: &mut Scratch) -> Option<Hit> {
        let name_len = split(fields)
            .next()
            .map_or(0, str::len)
            .min(u16::MAX as usize) as u16;
        let Scratch { matcher, buf } = scratch;
        let mut score = 0u32;
        let mut tier = 0u8;
        let mut via = 0u16;
        let limit = if self.names_only { 1 } else { usize::MAX };
        for (atom, needle) in self.atoms.iter().zip(&self.needles) {
            let in_scope = split(fields).take(limit);
            if atom.negative {
                for field in in_scope {
                    if may_match(needle, field)
                        && atom.score(as_utf32(field, ascii, buf), matcher).is_none()
                    {
                        return None;
                    }
                }
                continue;
            }
            // The name's match, else the first key's (or the schema's) that matches: a
            // name match wins over any key's, and among key matches the ranking only needs
            // one (scoring every key of 100,000 secrets would cost the keystroke's budget).
            let mut best: Option<(u16, u16)> = None;
            for (i, field) in in_scope.enumerate() {
                if !may_match(needle, field) {
                    continue;
                }
                if let Some(s) = atom.score(as_utf32(field, ascii, buf), matcher) {
                    best = Some((s, i as u16));
                    break;
                }
            }
            let (s, field) = best?;
            score += u32::from(s);
            if field != 0 && tier == 0 {
                tier = 1;
                via = field;
            }
        }
        Some(Hit {
            tier,
            score,
            via,
            name_len,
        })
    }
}

/// A matcher and its buffer: one per thread.
pub struct Scratch {
    matcher: Matcher,
    buf: Vec<char>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }
}

/// A field as nucleo reads it; an all-ASCII haystack (the usual case: names are ASCII)
/// skips the per-field check.
fn as_utf32<'a>(field: &'a str, ascii: bool, buf: &'a mut Vec<char>) -> Utf32Str<'a> {
    if ascii {
        Utf32Str::Ascii(field.as_bytes())
    } else {
        Utf32Str::new(field, buf)
    }
}

/// The fields of a secret. A plain byte scan: fields are a few bytes long, where a general
/// searcher's setup costs more than the search (the separator is ASCII, so every cut is on
/// a character boundary).
fn split(fields: &str) -> impl Iterator<Item = &str> {
    let bytes = fields.as_bytes();
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let from = start;
        let mut i = from;
        while i < bytes.len() && bytes[i] != SEP as u8 {
            i += 1;
        }
        done = i >= bytes.len();
        start = i + 1;
        fields.get(from..i)
    })
}

/// A cheap necessary condition: the needle's characters appear in order in the field.
fn may_match(needle: &Option<(Vec<u8>, bool)>, field: &str) -> bool {
    let Some((needle, ignore_case)) = needle else {
        return true; // not ASCII: let nucleo decide
    };
    match needle.as_slice() {
        [] => return true,
        // One letter (the first keystroke, the widest scan): a SIMD search.
        [b] if *ignore_case => {
            return memchr::memchr2(*b, b.to_ascii_uppercase(), field.as_bytes()).is_some();
        }
        [b] => return memchr::memchr(*b, field.as_bytes()).is_some(),
        _ => {}
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
        assert!(n.rank() < k.rank());
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
