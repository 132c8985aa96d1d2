//! Moving through the list and what is on screen: the selection (secrets, and collapsed
//! groups' headings), collapsing and jumping between scope groups, the sticky heading, and
//! the one mapping from screen lines to rows that drawing and clicks share.

use super::{Line, Row, SecretList, slot};
use crate::secret::{Scope, SecretName};

impl SecretList {
    /// Collapses the group of the selected secret, or expands the selected collapsed group.
    pub fn toggle_group(&mut self) {
        if self.ranked() {
            return;
        }
        let scope = match self.rows.get(self.selected) {
            Some(Row::Header { scope, .. }) => *scope,
            Some(Row::Item(i)) => self.metas[*i as usize].scope,
            None => return,
        };
        let s = slot(scope);
        self.collapsed[s] = !self.collapsed[s];
        self.rebuild_rows(None);
        let header = self
            .rows
            .iter()
            .position(|r| matches!(r, Row::Header { scope: x, .. } if *x == scope));
        if let Some(h) = header {
            self.selected = if self.collapsed[s] {
                h
            } else {
                self.first_selectable(h + 1, 1).unwrap_or(h)
            };
        }
    }

    pub fn is_collapsed(&self, scope: Scope) -> bool {
        self.collapsed[slot(scope)]
    }

    /// Jumps to the first secret of the next (`+1`) or previous (`-1`) scope group.
    pub fn jump_scope(&mut self, dir: isize) {
        let here = match self.rows.get(self.selected) {
            Some(Row::Header { scope, .. }) => Some(*scope),
            Some(Row::Item(i)) => Some(self.metas[*i as usize].scope),
            None => None,
        };
        let headers: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Row::Header { .. }))
            .map(|(i, _)| i)
            .collect();
        let cur = headers.iter().position(
            |&h| matches!(self.rows[h], Row::Header { scope, .. } if Some(scope) == here),
        );
        let Some(cur) = cur else {
            return;
        };
        let next = cur as isize + dir;
        if next < 0 || next as usize >= headers.len() {
            return;
        }
        let h = headers[next as usize];
        self.selected = self.first_selectable(h, 1).unwrap_or(h);
    }

    pub(super) fn selectable(&self, r: usize) -> bool {
        match self.rows.get(r) {
            Some(Row::Item(_)) => true,
            Some(Row::Header { collapsed, .. }) => *collapsed,
            None => false,
        }
    }

    pub(super) fn first_selectable(&self, start: usize, step: isize) -> Option<usize> {
        let mut r = start as isize;
        while r >= 0 && (r as usize) < self.rows.len() {
            if self.selectable(r as usize) {
                return Some(r as usize);
            }
            r += step;
        }
        None
    }

    pub(super) fn row_of(&self, scope: Scope, name: &SecretName) -> Option<usize> {
        let p = self.position_of(scope, name).ok()? as u32;
        self.rows.iter().position(|r| *r == Row::Item(p))
    }

    /// Moves the selection by `delta` rows (plain headings are skipped), clamped at the ends.
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let target = (self.selected as isize + delta).clamp(0, self.rows.len() as isize - 1);
        let step = if delta < 0 { -1 } else { 1 };
        self.selected = self
            .first_selectable(target as usize, step)
            .or_else(|| self.first_selectable(target as usize, -step))
            .unwrap_or(self.selected);
    }

    pub fn top(&mut self) {
        self.selected = self.first_selectable(0, 1).unwrap_or(0);
        self.offset = 0;
    }

    pub fn bottom(&mut self) {
        self.selected = self
            .first_selectable(self.rows.len().saturating_sub(1), -1)
            .unwrap_or(0);
    }

    /// Whether the first line is the sticky heading when the list starts at `offset`.
    fn sticky_at(&self, offset: usize) -> bool {
        !self.ranked() && offset > 0 && matches!(self.rows.get(offset), Some(Row::Item(_)))
    }

    /// What each of `height` lines shows. The view draws these, and a click maps through
    /// them: one place decides where a row is.
    pub fn lines(&self, height: usize) -> Vec<Line> {
        let mut out = Vec::with_capacity(height);
        if height == 0 {
            return out;
        }
        if self.sticky_at(self.offset)
            && let Some(Row::Item(i)) = self.rows.get(self.offset)
        {
            out.push(Line::Sticky(self.metas[*i as usize].scope));
        }
        let room = height - out.len();
        out.extend((self.offset..self.rows.len().min(self.offset + room)).map(Line::Row));
        out
    }

    /// Selects what is on line `line` of a list `height` lines tall (a mouse click); the
    /// sticky heading or a plain heading selects the secret below it.
    pub fn click(&mut self, line: usize, height: usize) {
        let target = match self.lines(height).get(line) {
            Some(Line::Row(r)) => *r,
            Some(Line::Sticky(_)) => self.offset,
            None => return,
        };
        if let Some(r) = self.first_selectable(target, 1) {
            self.selected = r;
        }
    }

    /// Keeps the selection on screen in a list `height` lines tall (the sticky heading
    /// takes a line when it shows).
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
        }
        for _ in 0..4 {
            let room = height
                .saturating_sub(usize::from(self.sticky_at(self.offset)))
                .max(1);
            if self.selected >= self.offset + room {
                self.offset = self.selected + 1 - room;
            } else {
                break;
            }
        }
        let max_offset = self.rows.len().saturating_sub(height);
        if self.offset > max_offset {
            self.offset = max_offset;
            let room = height
                .saturating_sub(usize::from(self.sticky_at(self.offset)))
                .max(1);
            if self.selected >= self.offset + room {
                self.offset = self.selected + 1 - room;
            }
        }
    }
}
