//! The secret list: metadata only (never values), grouped by scope, narrowed by a fuzzy
//! filter over names, keys and schema. Pure state; the filter is incremental when the
//! query only grows, so each keystroke rescans the previous matches, not the whole vault.

use std::cell::RefCell;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::secret::{Scope, SecretMeta, SecretName};

/// One line of the list: a scope heading with its count, or a secret (index into `metas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Header {
        scope: Scope,
        shown: u32,
        total: u32,
    },
    Item(u32),
}

pub struct SecretList {
    /// Sorted by (scope, name), as the vault lists them.
    metas: Vec<SecretMeta>,
    rows: Vec<Row>,
    /// Secrets (indices into `metas`) passing the current query, in list order.
    matches: Vec<u32>,
    query: String,
    pattern: Pattern,
    /// Plain fuzzy atoms as ASCII needles (with "ignore case"): a match is then just a
    /// subsequence test, far cheaper than scoring, and the list needs no scores (it keeps
    /// its order). Other atoms (^prefix, suffix$, 'exact, !negated) go through nucleo.
    fast: Vec<(Vec<u8>, bool)>,
    slow: Vec<usize>,
    /// In a cell so highlighting can run while drawing (`&self`).
    matcher: RefCell<Matcher>,
    /// Every secret's "name key1 key2 schema", back to back, and where each starts. One
    /// contiguous scan beats chasing five heap pointers per secret (at 100k secrets the
    /// pointer chasing, not the matching, was the cost).
    hay: String,
    hay_at: Vec<u32>,
    /// Secrets per scope (user, workspace), for the headings.
    totals: [u32; 2],
    chars: Vec<char>,
    /// Index into `rows`; always an `Item` row when there is one.
    selected: usize,
    /// First row on screen.
    offset: usize,
}

impl std::fmt::Debug for SecretList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretList")
            .field("secrets", &self.metas.len())
            .field("shown", &self.matches.len())
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl SecretList {
    pub fn new(mut metas: Vec<SecretMeta>) -> SecretList {
        if !metas.is_sorted_by(|a, b| (a.scope, &a.name) <= (b.scope, &b.name)) {
            metas.sort_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
        }
        let mut list = SecretList {
            matches: (0..metas.len() as u32).collect(),
            metas,
            rows: Vec::new(),
            query: String::new(),
            pattern: Pattern::default(),
            fast: Vec::new(),
            slow: Vec::new(),
            matcher: RefCell::new(Matcher::new(Config::DEFAULT)),
            hay: String::new(),
            hay_at: Vec::new(),
            totals: [0; 2],
            chars: Vec::new(),
            selected: 0,
            offset: 0,
        };
        list.build_hay();
        list.rebuild_rows(None);
        list
    }

    fn build_hay(&mut self) {
        self.hay.clear();
        self.hay_at.clear();
        self.hay_at.reserve(self.metas.len() + 1);
        self.totals = [0; 2];
        for m in &self.metas {
            self.totals[scope_slot(m.scope)] += 1;
            self.hay_at.push(self.hay.len() as u32);
            self.hay.push_str(m.name.as_str());
            for k in &m.keys {
                self.hay.push(' ');
                self.hay.push_str(k);
            }
            self.hay.push(' ');
            self.hay.push_str(&m.schema);
        }
        self.hay_at.push(self.hay.len() as u32);
        self.hay.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
    pub fn shown(&self) -> usize {
        self.matches.len()
    }
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
    pub fn meta(&self, i: u32) -> &SecretMeta {
        &self.metas[i as usize]
    }
    pub fn query(&self) -> &str {
        &self.query
    }
    pub fn selected_row(&self) -> usize {
        self.selected
    }
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn selected(&self) -> Option<&SecretMeta> {
        match self.rows.get(self.selected) {
            Some(Row::Item(i)) => Some(&self.metas[*i as usize]),
            _ => None,
        }
    }

    /// Narrows (or widens) the list to `query`. Keeps the selection when it still matches.
    pub fn set_query(&mut self, query: &str) {
        if query == self.query {
            return;
        }
        let keep = self.selected_index();
        // Appending to a query can only narrow it (negations aside), so rescan the matches.
        let narrowing = !self.query.is_empty()
            && query.starts_with(self.query.as_str())
            && !query.contains('!');
        self.query = query.to_string();
        self.pattern
            .reparse(query, CaseMatching::Smart, Normalization::Smart);
        self.fast.clear();
        self.slow.clear();
        for (i, atom) in self.pattern.atoms.iter().enumerate() {
            let needle: String = atom.needle_text().chars().collect();
            if atom.kind == AtomKind::Fuzzy && !atom.negative && needle.is_ascii() {
                let ignore_case = !needle.bytes().any(|b| b.is_ascii_uppercase());
                self.fast.push((needle.into_bytes(), ignore_case));
            } else {
                self.slow.push(i);
            }
        }
        if self.pattern.atoms.is_empty() {
            self.matches = (0..self.metas.len() as u32).collect();
        } else if narrowing {
            let mut prev = std::mem::take(&mut self.matches);
            prev.retain(|&i| self.is_match(i));
            self.matches = prev;
        } else {
            let mut out = Vec::with_capacity(self.matches.len());
            for i in 0..self.metas.len() as u32 {
                if self.is_match(i) {
                    out.push(i);
                }
            }
            self.matches = out;
        }
        self.rebuild_rows(keep);
    }

    fn is_match(&mut self, i: u32) -> bool {
        let (a, b) = (
            self.hay_at[i as usize] as usize,
            self.hay_at[i as usize + 1] as usize,
        );
        let hay = &self.hay[a..b];
        if !self
            .fast
            .iter()
            .all(|(needle, ic)| subsequence(needle, *ic, hay.as_bytes()))
        {
            return false;
        }
        if self.slow.is_empty() {
            return true;
        }
        let hay = Utf32Str::new(hay, &mut self.chars);
        let matcher = self.matcher.get_mut();
        self.slow
            .iter()
            .all(|&a| self.pattern.atoms[a].score(hay, matcher).is_some())
    }

    /// Character positions in `name` that the query matched, for highlighting.
    pub fn highlights(&self, name: &str) -> Vec<u32> {
        let mut out = Vec::new();
        if self.pattern.atoms.is_empty() {
            return out;
        }
        let mut matcher = self.matcher.borrow_mut();
        let mut chars = Vec::new();
        for atom in &self.pattern.atoms {
            let hay = Utf32Str::new(name, &mut chars);
            atom.indices(hay, &mut matcher, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn selected_index(&self) -> Option<u32> {
        match self.rows.get(self.selected) {
            Some(Row::Item(i)) => Some(*i),
            _ => None,
        }
    }

    /// Derives the rows (scope headings + items) from `matches`, then re-finds `keep`.
    fn rebuild_rows(&mut self, keep: Option<u32>) {
        self.rows.clear();
        self.rows.reserve(self.matches.len() + 2);
        let totals = self.totals;
        let mut current: Option<(Scope, usize)> = None;
        let mut keep_row = None;
        for &i in &self.matches {
            let scope = self.metas[i as usize].scope;
            if current.is_none_or(|(s, _)| s != scope) {
                current = Some((scope, self.rows.len()));
                self.rows.push(Row::Header {
                    scope,
                    shown: 0,
                    total: totals[scope_slot(scope)],
                });
            }
            if let Some((_, h)) = current
                && let Row::Header { shown, .. } = &mut self.rows[h]
            {
                *shown += 1;
            }
            if Some(i) == keep {
                keep_row = Some(self.rows.len());
            }
            self.rows.push(Row::Item(i));
        }
        self.selected = keep_row.unwrap_or_else(|| self.first_item_from(0, 1).unwrap_or(0));
        if self.offset > self.selected {
            self.offset = self.selected.saturating_sub(1);
        }
    }

    fn first_item_from(&self, start: usize, step: isize) -> Option<usize> {
        let mut r = start as isize;
        while r >= 0 && (r as usize) < self.rows.len() {
            if matches!(self.rows[r as usize], Row::Item(_)) {
                return Some(r as usize);
            }
            r += step;
        }
        None
    }

    /// Moves the selection by `delta` secrets (headings are skipped), clamped at the ends.
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let target = (self.selected as isize + delta).clamp(0, self.rows.len() as isize - 1);
        let step = if delta < 0 { -1 } else { 1 };
        self.selected = self
            .first_item_from(target as usize, step)
            .or_else(|| self.first_item_from(target as usize, -step))
            .unwrap_or(self.selected);
    }

    pub fn top(&mut self) {
        self.selected = self.first_item_from(0, 1).unwrap_or(0);
        self.offset = 0;
    }

    pub fn bottom(&mut self) {
        self.selected = self
            .first_item_from(self.rows.len().saturating_sub(1), -1)
            .unwrap_or(0);
    }

    /// Selects the row at `row` (a mouse click); a heading selects the secret below it.
    pub fn click(&mut self, row: usize) {
        if row < self.rows.len()
            && let Some(r) = self.first_item_from(row, 1)
        {
            self.selected = r;
        }
    }

    /// Keeps the selection on screen in a list `height` rows tall.
    pub fn ensure_visible(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            // Show the scope heading above the first item of a group too.
            self.offset = if self.selected > 0
                && matches!(self.rows[self.selected - 1], Row::Header { .. })
            {
                self.selected - 1
            } else {
                self.selected
            };
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.rows.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// Finds a secret by scope and name (binary search: the list is sorted).
    fn position(&self, scope: Scope, name: &SecretName) -> Result<usize, usize> {
        self.metas
            .binary_search_by(|m| (m.scope, &m.name).cmp(&(scope, name)))
    }

    pub fn contains(&self, scope: Scope, name: &SecretName) -> bool {
        self.position(scope, name).is_ok()
    }

    /// Adds or replaces a secret after a write, and selects it.
    pub fn upsert(&mut self, meta: SecretMeta) {
        let (scope, name) = (meta.scope, meta.name.clone());
        match self.position(scope, &name) {
            Ok(p) => self.metas[p] = meta,
            Err(p) => {
                self.metas.insert(p, meta);
            }
        }
        self.build_hay();
        self.refilter();
        self.select(scope, &name);
    }

    pub fn remove(&mut self, scope: Scope, name: &SecretName) {
        let row = self.selected;
        if let Ok(p) = self.position(scope, name) {
            self.metas.remove(p);
        }
        self.build_hay();
        self.refilter();
        self.selected = row.min(self.rows.len().saturating_sub(1));
        self.move_by(0);
    }

    /// Selects a secret if it is shown.
    pub fn select(&mut self, scope: Scope, name: &SecretName) {
        if let Ok(p) = self.position(scope, name)
            && let Some(r) = self.rows.iter().position(|r| *r == Row::Item(p as u32))
        {
            self.selected = r;
        }
    }

    /// Re-applies the query from scratch (after the secrets changed).
    fn refilter(&mut self) {
        let q = std::mem::take(&mut self.query);
        self.query = "\u{0}".into(); // force a full rescan in set_query
        self.matches.clear();
        if q.is_empty() {
            self.query.clear();
            self.matches = (0..self.metas.len() as u32).collect();
            self.rebuild_rows(None);
        } else {
            self.set_query(&q);
        }
    }

    /// Approximate heap + inline bytes this list holds per secret (for the bench report).
    pub fn bytes_per_secret(&self) -> usize {
        if self.metas.is_empty() {
            return 0;
        }
        let mut total = self.metas.capacity() * std::mem::size_of::<SecretMeta>()
            + self.rows.capacity() * std::mem::size_of::<Row>()
            + self.matches.capacity() * 4
            + self.hay.capacity()
            + self.hay_at.capacity() * 4;
        for m in &self.metas {
            total += m.name.as_str().len() + m.schema.capacity();
            total += m.keys.capacity() * std::mem::size_of::<String>();
            total += m.keys.iter().map(String::capacity).sum::<usize>();
        }
        total / self.metas.len()
    }
}

/// Is `needle` a subsequence of `hay` (what nucleo's fuzzy atom accepts)?
fn subsequence(needle: &[u8], ignore_case: bool, hay: &[u8]) -> bool {
    let mut i = 0;
    for &b in hay {
        let b = if ignore_case {
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
    needle.is_empty()
}

fn scope_slot(s: Scope) -> usize {
    match s {
        Scope::User => 0,
        Scope::Workspace => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(scope: Scope, name: &str, keys: &[&str]) -> SecretMeta {
        SecretMeta {
            name: SecretName::new(name).unwrap(),
            scope,
            schema: "arbitrary".into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            created: 0,
            updated: 0,
            version: 1,
        }
    }

    fn sample() -> SecretList {
        SecretList::new(vec![
            meta(Scope::User, "github", &["token"]),
            meta(Scope::Workspace, "db", &["host", "password"]),
            meta(Scope::Workspace, "mlflow", &["username", "password"]),
        ])
    }

    #[test]
    fn groups_by_scope_with_counts() {
        let l = sample();
        assert_eq!(
            l.rows()[0],
            Row::Header {
                scope: Scope::User,
                shown: 1,
                total: 1
            }
        );
        assert_eq!(l.rows().len(), 5);
        assert_eq!(l.selected().unwrap().name.as_str(), "github");
    }

    #[test]
    fn filter_narrows_and_widens() {
        let mut l = sample();
        l.set_query("ml");
        assert_eq!(l.shown(), 1);
        assert_eq!(l.selected().unwrap().name.as_str(), "mlflow");
        l.set_query("mlx");
        assert_eq!(l.shown(), 0);
        assert!(l.selected().is_none());
        l.set_query("pass"); // matches keys
        assert_eq!(l.shown(), 2);
        l.set_query("");
        assert_eq!(l.shown(), 3);
    }

    #[test]
    fn fast_path_agrees_with_nucleo() {
        let mut l = sample();
        for (q, n) in [
            ("MLF", 0), // smart case: upper case is exact
            ("mlf", 1),
            ("dbhost", 1), // spans name and keys, like one haystack
            ("^ml", 1),
            ("!ml", 2),
            ("trary$", 3), // suffix of the whole haystack (the schema)
            ("'flow", 1),
            ("git pass", 0),
            ("db pass", 2), // d..b also spans "password arbitrary"
        ] {
            l.set_query(q);
            assert_eq!(l.shown(), n, "{q}");
        }
    }

    #[test]
    fn moves_skip_headings() {
        let mut l = sample();
        l.move_by(1);
        assert_eq!(l.selected().unwrap().name.as_str(), "db");
        l.move_by(-1);
        assert_eq!(l.selected().unwrap().name.as_str(), "github");
        l.bottom();
        assert_eq!(l.selected().unwrap().name.as_str(), "mlflow");
        l.top();
        assert_eq!(l.selected().unwrap().name.as_str(), "github");
    }

    #[test]
    fn upsert_and_remove_keep_order() {
        let mut l = sample();
        l.upsert(meta(Scope::Workspace, "cache", &["url"]));
        assert_eq!(l.selected().unwrap().name.as_str(), "cache");
        l.remove(Scope::Workspace, &SecretName::new("cache").unwrap());
        assert_eq!(l.len(), 3);
        assert!(l.selected().is_some());
    }
}
