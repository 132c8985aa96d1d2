//! The secret list: metadata only (never values). Without a query, grouped by scope (groups
//! collapse) in the chosen sort; with one, a flat list ranked by `search`. Pure state; a
//! growing query rescans only the previous matches, so a keystroke at 100,000 secrets costs
//! milliseconds.

use crate::secret::{Scope, SecretMeta, SecretName};

use super::search::{Hit, SEP, Search};

mod moves;

/// One line of the list: a scope heading with its count, or a secret (index into `metas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Header {
        scope: Scope,
        shown: u32,
        total: u32,
        collapsed: bool,
    },
    Item(u32),
}

/// What a line of the list pane shows: the heading of the group scrolled past (kept at the
/// top), or a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    Sticky(Scope),
    Row(usize),
}

/// The order inside a scope group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Name,
    /// Newest first.
    Updated,
    /// Most edited first.
    Version,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Name => Sort::Updated,
            Sort::Updated => Sort::Version,
            Sort::Version => Sort::Name,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Updated => "updated",
            Sort::Version => "version",
        }
    }
}

pub struct SecretList {
    /// Sorted by (scope, name), as the vault lists them.
    metas: Vec<SecretMeta>,
    /// `metas` indices in display order (scope, then the sort).
    order: Vec<u32>,
    rows: Vec<Row>,
    /// With a query: the hit of each row (rows are all items then).
    hits: Vec<Hit>,
    /// Secrets (indices into `metas`) passing the query, in `order` (for narrowing), and
    /// their hits (with a query).
    matches: Vec<u32>,
    match_hits: Vec<Hit>,
    search: Search,
    sort: Sort,
    collapsed: [bool; 2],
    /// Every secret's fields (name, keys, schema) joined by `SEP`, back to back, and where
    /// each starts: one contiguous scan beats chasing pointers per secret.
    hay: String,
    hay_at: Vec<u32>,
    /// Secrets per scope (user, workspace), for the headings.
    totals: [u32; 2],
    /// Index into `rows`: an item, or the heading of a collapsed group.
    selected: usize,
    /// First row on screen.
    offset: usize,
}

impl std::fmt::Debug for SecretList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretList")
            .field("secrets", &self.metas.len())
            .field("shown", &self.matches.len())
            .field("query", &self.search.text())
            .finish_non_exhaustive()
    }
}

impl Drop for SecretList {
    /// Names and key names are not values, but the files hide them too (DESIGN §4): a locked
    /// TUI leaves none of them behind in freed memory.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.hay.zeroize();
        for m in &mut self.metas {
            let name = std::mem::replace(&mut m.name, placeholder());
            String::from(name).zeroize();
            m.keys.iter_mut().for_each(Zeroize::zeroize);
            m.schema.zeroize();
        }
    }
}

/// A name that holds nothing, to take the real ones out for wiping.
fn placeholder() -> SecretName {
    SecretName::new("_").expect("a valid name")
}

fn slot(s: Scope) -> usize {
    match s {
        Scope::User => 0,
        Scope::Workspace => 1,
    }
}

impl SecretList {
    pub fn new(metas: Vec<SecretMeta>) -> SecretList {
        let mut list = SecretList {
            metas: Vec::new(),
            order: Vec::new(),
            rows: Vec::new(),
            hits: Vec::new(),
            matches: Vec::new(),
            match_hits: Vec::new(),
            search: Search::new(),
            sort: Sort::Name,
            collapsed: [false; 2],
            hay: String::new(),
            hay_at: Vec::new(),
            totals: [0; 2],
            selected: 0,
            offset: 0,
        };
        list.replace(metas);
        list
    }

    /// New contents (a reload after another process wrote): the query, sort, collapsed
    /// groups and the selected secret stay.
    pub fn replace(&mut self, mut metas: Vec<SecretMeta>) {
        let keep = self.selected_key();
        if !metas.is_sorted_by(|a, b| (a.scope, &a.name) <= (b.scope, &b.name)) {
            metas.sort_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
        }
        self.metas = metas;
        self.build_hay();
        self.build_order();
        self.rescan_all();
        self.rebuild_rows(keep);
    }

    fn build_hay(&mut self) {
        use zeroize::Zeroize;
        self.hay.zeroize();
        self.hay = String::with_capacity(self.metas.len() * 48);
        self.hay_at.clear();
        self.hay_at.reserve(self.metas.len() + 1);
        self.totals = [0; 2];
        for m in &self.metas {
            self.totals[slot(m.scope)] += 1;
            self.hay_at.push(self.hay.len() as u32);
            self.hay.push_str(m.name.as_str());
            for k in &m.keys {
                self.hay.push(SEP);
                self.hay.push_str(k);
            }
            self.hay.push(SEP);
            self.hay.push_str(&m.schema);
        }
        self.hay_at.push(self.hay.len() as u32);
    }

    fn build_order(&mut self) {
        let mut order: Vec<u32> = (0..self.metas.len() as u32).collect();
        let m = &self.metas;
        match self.sort {
            Sort::Name => {} // metas are in (scope, name) order already
            Sort::Updated => order.sort_by(|&a, &b| {
                let (a, b) = (&m[a as usize], &m[b as usize]);
                (a.scope, std::cmp::Reverse(a.updated), &a.name).cmp(&(
                    b.scope,
                    std::cmp::Reverse(b.updated),
                    &b.name,
                ))
            }),
            Sort::Version => order.sort_by(|&a, &b| {
                let (a, b) = (&m[a as usize], &m[b as usize]);
                (a.scope, std::cmp::Reverse(a.version), &a.name).cmp(&(
                    b.scope,
                    std::cmp::Reverse(b.version),
                    &b.name,
                ))
            }),
        }
        self.order = order;
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
    /// Secrets passing the query.
    pub fn shown(&self) -> usize {
        self.matches.len()
    }
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
    pub fn meta(&self, i: u32) -> &SecretMeta {
        &self.metas[i as usize]
    }
    pub fn metas(&self) -> &[SecretMeta] {
        &self.metas
    }
    pub fn query(&self) -> &str {
        self.search.text()
    }
    pub fn names_only(&self) -> bool {
        self.search.names_only()
    }
    pub fn ranked(&self) -> bool {
        !self.search.is_empty()
    }
    pub fn sort(&self) -> Sort {
        self.sort
    }
    pub fn selected_row(&self) -> usize {
        self.selected
    }
    pub fn offset(&self) -> usize {
        self.offset
    }
    pub fn search(&self) -> &Search {
        &self.search
    }

    pub fn selected(&self) -> Option<&SecretMeta> {
        match self.rows.get(self.selected) {
            Some(Row::Item(i)) => Some(&self.metas[*i as usize]),
            _ => None,
        }
    }

    /// The heading under the selection, when a collapsed group is selected.
    pub fn selected_header(&self) -> Option<Scope> {
        match self.rows.get(self.selected) {
            Some(Row::Header { scope, .. }) => Some(*scope),
            _ => None,
        }
    }

    /// The hit of row `r` (ranked lists only): why it matched.
    pub fn hit(&self, r: usize) -> Option<Hit> {
        self.hits.get(r).copied()
    }

    /// The text of field `via` of a secret (0 the name, then its keys, its schema last).
    pub fn field<'a>(&self, meta: &'a SecretMeta, via: u16) -> (&'static str, &'a str) {
        let via = via as usize;
        if via == 0 {
            ("name", meta.name.as_str())
        } else if via <= meta.keys.len() {
            ("key", meta.keys[via - 1].as_str())
        } else {
            ("schema", meta.schema.as_str())
        }
    }

    /// "n/N": the selected secret's place among those shown.
    pub fn position(&self) -> (usize, usize) {
        let items = self
            .rows
            .iter()
            .filter(|r| matches!(r, Row::Item(_)))
            .count();
        let n = self.rows[..self.selected.min(self.rows.len())]
            .iter()
            .filter(|r| matches!(r, Row::Item(_)))
            .count();
        let here = usize::from(self.selected().is_some());
        (n + here, items)
    }

    fn selected_key(&self) -> Option<(Scope, SecretName)> {
        self.selected().map(|m| (m.scope, m.name.clone()))
    }

    /// Narrows (or widens) the list to `query`. Keeps the selection when it still matches.
    pub fn set_query(&mut self, query: &str) {
        let names_only = self.search.names_only();
        self.requery(query, names_only);
    }

    pub fn set_names_only(&mut self, names_only: bool) {
        let q = self.search.text().to_string();
        self.requery(&q, names_only);
    }

    fn requery(&mut self, query: &str, names_only: bool) {
        let keep = self.selected_key();
        match self.search.set(query, names_only) {
            super::search::Scope::Same => return,
            super::search::Scope::Narrower => {
                let prev = std::mem::take(&mut self.matches);
                (self.matches, self.match_hits) = self.search.scan(&self.hay, &self.hay_at, &prev);
            }
            super::search::Scope::Other => self.rescan_all(),
        }
        self.offset = 0;
        self.rebuild_rows(if self.search.is_empty() { keep } else { None });
    }

    fn rescan_all(&mut self) {
        self.match_hits.clear();
        if self.search.is_empty() {
            self.matches = self.order.clone();
            return;
        }
        (self.matches, self.match_hits) = self.search.scan(&self.hay, &self.hay_at, &self.order);
    }

    pub fn set_sort(&mut self, sort: Sort) {
        if sort == self.sort {
            return;
        }
        let keep = self.selected_key();
        self.sort = sort;
        self.build_order();
        if self.search.is_empty() {
            self.matches = self.order.clone();
        }
        self.rebuild_rows(keep);
    }

    /// Derives the rows from `matches`, then re-finds `keep` (or the first secret).
    fn rebuild_rows(&mut self, keep: Option<(Scope, SecretName)>) {
        self.rows.clear();
        self.hits.clear();
        if !self.search.is_empty() {
            // Ranked: best first (the scan already scored each match), sorting plain
            // integers: 100,000 of them in a few milliseconds.
            let mut keys: Vec<(u64, u32, u32)> = self
                .matches
                .iter()
                .zip(&self.match_hits)
                .enumerate()
                .map(|(n, (&i, h))| (h.rank(), i, n as u32))
                .collect();
            keys.sort_unstable();
            let ranked: Vec<(u32, Hit)> = keys
                .iter()
                .map(|&(_, i, n)| (i, self.match_hits[n as usize]))
                .collect();
            self.rows.extend(ranked.iter().map(|(i, _)| Row::Item(*i)));
            self.hits.extend(ranked.iter().map(|(_, h)| *h));
        } else {
            let mut current: Option<(Scope, usize)> = None;
            for &i in &self.matches {
                let scope = self.metas[i as usize].scope;
                if current.is_none_or(|(s, _)| s != scope) {
                    current = Some((scope, self.rows.len()));
                    self.rows.push(Row::Header {
                        scope,
                        shown: 0,
                        total: self.totals[slot(scope)],
                        collapsed: self.collapsed[slot(scope)],
                    });
                }
                if let Some((_, h)) = current
                    && let Row::Header { shown, .. } = &mut self.rows[h]
                {
                    *shown += 1;
                }
                if !self.collapsed[slot(scope)] {
                    self.rows.push(Row::Item(i));
                }
            }
        }
        self.selected = keep
            .and_then(|(s, n)| self.row_of(s, &n))
            .or_else(|| self.first_selectable(0, 1))
            .unwrap_or(0);
        self.offset = self.offset.min(self.selected);
    }

    /// Finds a secret by scope and name (binary search: `metas` is sorted).
    fn position_of(&self, scope: Scope, name: &SecretName) -> Result<usize, usize> {
        self.metas
            .binary_search_by(|m| (m.scope, &m.name).cmp(&(scope, name)))
    }

    pub fn contains(&self, scope: Scope, name: &SecretName) -> bool {
        self.position_of(scope, name).is_ok()
    }

    pub fn get(&self, scope: Scope, name: &SecretName) -> Option<&SecretMeta> {
        self.position_of(scope, name).ok().map(|p| &self.metas[p])
    }

    /// Adds or replaces a secret after a write, and selects it (expanding its group).
    pub fn upsert(&mut self, meta: SecretMeta) {
        let (scope, name) = (meta.scope, meta.name.clone());
        let mut metas = std::mem::take(&mut self.metas);
        match metas.binary_search_by(|m| (m.scope, &m.name).cmp(&(scope, &name))) {
            Ok(p) => metas[p] = meta,
            Err(p) => metas.insert(p, meta),
        }
        self.collapsed[slot(scope)] = false;
        self.metas = metas;
        self.build_hay();
        self.build_order();
        self.rescan_all();
        self.rebuild_rows(Some((scope, name)));
    }

    pub fn remove(&mut self, scope: Scope, name: &SecretName) {
        let row = self.selected;
        let Ok(p) = self.position_of(scope, name) else {
            return;
        };
        let keep = self
            .selected_key()
            .filter(|(s, n)| (*s, n) != (scope, name));
        self.metas.remove(p);
        self.build_hay();
        self.build_order();
        self.rescan_all();
        self.rebuild_rows(keep.clone());
        if keep.is_none() {
            self.selected = row.min(self.rows.len().saturating_sub(1));
            self.move_by(0);
        }
    }

    /// Selects a secret if it is shown.
    pub fn select(&mut self, scope: Scope, name: &SecretName) {
        if let Some(r) = self.row_of(scope, name) {
            self.selected = r;
        }
    }

    /// Approximate heap + inline bytes this list holds per secret (for the bench report).
    pub fn bytes_per_secret(&self) -> usize {
        if self.metas.is_empty() {
            return 0;
        }
        let mut total = self.metas.capacity() * std::mem::size_of::<SecretMeta>()
            + self.rows.capacity() * std::mem::size_of::<Row>()
            + self.hits.capacity() * std::mem::size_of::<Hit>()
            + (self.matches.capacity() + self.order.capacity() + self.hay_at.capacity()) * 4
            + self.hay.capacity();
        for m in &self.metas {
            total += m.name.as_str().len() + m.schema.capacity();
            total += m.keys.capacity() * std::mem::size_of::<String>();
            total += m.keys.iter().map(String::capacity).sum::<usize>();
        }
        total / self.metas.len()
    }
}

#[cfg(test)]
mod tests;
