//! The Sync tab from the app's side: a backend's status loaded when the tab opens (and on
//! reload), push / pull of the selected secret or of everything, and the conflict view that
//! settles one secret key by key. The worker does the talking (`sesame::sync`); answers
//! come back by ticket like every other job, with progress events while a sync runs.

use crossterm::event::KeyEvent;

use super::*;
use crate::backend::RemoteId;
use crate::sync::merge::Pick;
use crate::sync::plan::{Direction, State};
use crate::tui::event::SyncReport;
use crate::tui::keymap::context;

impl App {
    /// The chosen backend's status, when the tab shows it and it was not asked for yet.
    pub(super) fn load_sync_if_needed(&mut self, out: &mut Vec<Intent>) {
        let Screen::Main(m) = &self.screen else {
            return;
        };
        if m.tab != Tab::Sync {
            return;
        }
        let Some(b) = m.sync.backend() else {
            return;
        };
        if b.conn != Conn::NotYet {
            return;
        }
        let name = b.name.clone();
        self.refresh_sync(name, out);
    }

    fn refresh_sync(&mut self, backend: String, out: &mut Vec<Intent>) {
        if let Screen::Main(m) = &mut self.screen
            && let Some(b) = m.sync.backends.iter_mut().find(|b| b.name == backend)
        {
            b.conn = Conn::Checking;
        }
        let i = self.work(
            Purpose::SyncStatus {
                backend: backend.clone(),
            },
            format!("asking '{backend}' where everything stands…"),
            Work::SyncStatus { backend },
        );
        out.push(i);
    }

    pub(super) fn on_progress(&mut self, ticket: Ticket, done: usize, total: usize) {
        if let Screen::Main(m) = &mut self.screen
            && let Some((t, _, d, n)) = &mut m.sync.running
            && *t == ticket
        {
            (*d, *n) = (done, total);
        }
    }

    /// Keys on the Sync tab.
    pub(super) fn act_in_sync(&mut self, action: Action, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(2).max(1);
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let p = &mut m.sync;
        let last = p.rows.len().saturating_sub(1);
        match action {
            Action::Up => p.selected = p.selected.saturating_sub(1),
            Action::Down => p.selected = (p.selected + 1).min(last),
            Action::PageUp => p.selected = p.selected.saturating_sub(page),
            Action::PageDown => p.selected = (p.selected + page).min(last),
            Action::Top => p.selected = 0,
            Action::Bottom => p.selected = last,
            Action::Cancel => m.tab = Tab::Secrets,
            Action::NextScope | Action::PrevScope => {
                if p.backends.len() < 2 {
                    return;
                }
                let n = p.backends.len() as isize;
                let step = if action == Action::NextScope { 1 } else { -1 };
                p.chosen = (p.chosen as isize + step).rem_euclid(n) as usize;
                p.rows.clear();
                p.results.clear();
                p.selected = 0;
                p.foreign = 0;
                if p.backends[p.chosen].conn != Conn::Checking {
                    p.backends[p.chosen].conn = Conn::NotYet;
                }
            }
            Action::Reload => {
                let Some(b) = p.backend() else {
                    return self.error("no backend configured: see sesame backend add --help");
                };
                let name = b.name.clone();
                self.refresh_sync(name, out);
            }
            Action::Push | Action::Pull | Action::PushAll | Action::PullAll => {
                self.start_sync(action, out)
            }
            Action::View => {
                let Some(b) = p.backend() else { return };
                let Some(row) = p.row() else {
                    return self.error("nothing to compare here yet");
                };
                let (backend, id) = (b.name.clone(), row.id.clone());
                let i = self.work(
                    Purpose::SyncSides {
                        backend: backend.clone(),
                        id: id.clone(),
                    },
                    format!("reading {id} here and in '{backend}'…"),
                    Work::SyncSides { backend, id },
                );
                out.push(i);
            }
            _ => {}
        }
    }

    fn start_sync(&mut self, action: Action, out: &mut Vec<Intent>) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let p = &m.sync;
        let Some(b) = p.backend() else {
            return self.error("no backend configured: see sesame backend add --help");
        };
        if p.running.is_some() {
            return self.error("a sync is running; wait for it to finish");
        }
        let backend = b.name.clone();
        let direction = match action {
            Action::Push | Action::PushAll => Direction::Push,
            _ => Direction::Pull,
        };
        let only = match action {
            Action::Push | Action::Pull => {
                let Some(row) = p.row() else {
                    return self.error("no secret selected");
                };
                if row.state == State::Conflict {
                    let (side, other) = match direction {
                        Direction::Push => ("this side's", "there"),
                        Direction::Pull => ("that side's", "here"),
                    };
                    let id = row.id.clone();
                    let detail = row.conflict_detail();
                    let view = self.keymap.short(Action::View);
                    let Screen::Main(m) = &mut self.screen else {
                        return;
                    };
                    m.popup = Some(Popup::Confirm(Box::new(Confirm {
                        title: "take one side?".into(),
                        lines: vec![
                            format!("{id} is in conflict with '{backend}' ({detail})."),
                            String::new(),
                            format!(
                                "Take {side} content whole, overwriting what is {other}? (To pick key by key, answer no and press {view}.) What is overwritten here stays in the secret's history."
                            ),
                        ],
                        yes: "take it",
                        on_yes: OnYes::SyncForce {
                            backend,
                            id,
                            direction,
                        },
                        back: None,
                    })));
                    return;
                }
                Some(row.id.clone())
            }
            _ => None,
        };
        self.run_sync(backend, direction, only, false, out);
    }

    pub(super) fn run_sync(
        &mut self,
        backend: String,
        direction: Direction,
        only: Option<RemoteId>,
        force: bool,
        out: &mut Vec<Intent>,
    ) {
        let verb = match direction {
            Direction::Push => "pushing to",
            Direction::Pull => "pulling from",
        };
        let what = only
            .as_ref()
            .map_or("every change".to_string(), |id| id.to_string());
        let intent = self.work(
            Purpose::Sync {
                backend: backend.clone(),
            },
            format!("{verb} '{backend}': {what}…"),
            Work::Sync {
                backend,
                direction,
                only,
                force,
            },
        );
        if let (Screen::Main(m), Intent::Work { ticket, .. }) = (&mut self.screen, &intent) {
            m.sync.running = Some((*ticket, direction, 0, 0));
        }
        out.push(intent);
    }

    /// A status, sync or resolve came back: the rows, the results, the list if it moved.
    pub(super) fn on_sync_report(&mut self, purpose: &Purpose, r: SyncReport) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if matches!(purpose, Purpose::Sync { .. }) {
            m.sync.running = None;
        }
        if let Some(listing) = r.listing {
            m.list.replace(listing.secrets);
            m.damaged = listing.damaged.len() + listing.problems.len();
            m.revealed = None;
        }
        if let Some(b) = m.sync.backends.iter_mut().find(|b| b.name == r.backend) {
            b.conn = Conn::Reached(r.rows.iter().filter(|row| row.remote.is_some()).count());
        }
        let p = &mut m.sync;
        if p.backend().is_some_and(|b| b.name == r.backend) {
            let selected = p.row().map(|row| row.id.clone());
            p.rows = r.rows;
            p.foreign = r.foreign;
            if !r.results.is_empty() {
                p.results = r
                    .results
                    .into_iter()
                    .map(|(id, bad, text)| (id, (bad, text)))
                    .collect();
            }
            p.selected = selected
                .and_then(|id| p.rows.iter().position(|row| row.id == id))
                .unwrap_or(0)
                .min(p.rows.len().saturating_sub(1));
        }
        if matches!(purpose, Purpose::SyncResolve { .. })
            && matches!(m.popup, Some(Popup::Merge(_)))
        {
            m.popup = None;
        }
        match r.summary {
            Some((text, false)) => self.info(text),
            Some((text, true)) => self.error(text),
            None => {}
        }
    }

    /// A status or sync failed as a whole (unreachable, refused credentials, no such
    /// backend): said on the tab and in the status bar.
    pub(super) fn on_sync_failure(&mut self, purpose: &Purpose, message: String) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        match purpose {
            Purpose::SyncStatus { backend } | Purpose::Sync { backend } => {
                if matches!(purpose, Purpose::Sync { .. }) {
                    m.sync.running = None;
                }
                if let Some(b) = m.sync.backends.iter_mut().find(|b| b.name == *backend) {
                    b.conn = Conn::Failed(message.clone());
                }
                self.error(format!("'{backend}': {message}"));
            }
            Purpose::SyncSides { id, .. } => {
                self.error(format!("reading {id} failed: {message}"));
            }
            Purpose::SyncResolve { id, .. } => {
                if let Some(Popup::Merge(v)) = &mut m.popup
                    && v.id == *id
                {
                    v.saving = false;
                    v.error = Some(format!("not written: {message}"));
                } else {
                    self.error(format!("settling {id} failed: {message}"));
                }
            }
            _ => {}
        }
    }

    /// Keys in the conflict view.
    pub(super) fn on_merge_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let reveal_for = self.settings.reveal_for;
        let km = self.keymap.clone();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(Popup::Merge(v)) = &mut m.popup else {
            return;
        };
        if v.saving {
            return; // the answer closes it or says why not
        }
        if let Some(t) = &mut v.editing {
            if km.is(&k, Action::Save)
                || (k.code == crossterm::event::KeyCode::Enter && k.modifiers.is_empty())
            {
                let value = crate::secret::SecretValue::new(t.lines().join("\n"));
                crate::tui::form::wipe(t);
                v.editing = None;
                if let Some(row) = v.rows.get_mut(v.selected) {
                    row.pick = Pick::Edited(value);
                }
            } else if km.is(&k, Action::Cancel) {
                crate::tui::form::wipe(t);
                v.editing = None;
            } else if km.is(&k, Action::ToggleMask) {
                if let Some(key) = v.rows.get(v.selected).map(|r| r.key.clone())
                    && !v.shown.remove(&key)
                {
                    v.shown.insert(key);
                    v.until = Some(now + reveal_for);
                }
            } else if km.is(&k, Action::Newline) {
                t.insert_newline();
            } else {
                t.input(k);
            }
            return;
        }
        let last = v.rows.len().saturating_sub(1);
        match km.pick(&k, context::MERGE) {
            Some(Action::Up) => v.selected = v.selected.saturating_sub(1),
            Some(Action::Down) => v.selected = (v.selected + 1).min(last),
            Some(Action::FocusList) => {
                if let Some(row) = v.rows.get_mut(v.selected) {
                    row.pick = Pick::Here;
                }
            }
            Some(Action::FocusDetail) => {
                if let Some(row) = v.rows.get_mut(v.selected) {
                    row.pick = Pick::There;
                }
            }
            Some(Action::Edit) => {
                let Some(row) = v.rows.get(v.selected) else {
                    return;
                };
                let text = row
                    .chosen()
                    .map(|x| x.expose().to_string())
                    .unwrap_or_default();
                let mut t = TextArea::new(text.split('\n').map(str::to_string).collect());
                t.set_max_histories(0);
                t.move_cursor(ratatui_textarea::CursorMove::Bottom);
                t.move_cursor(ratatui_textarea::CursorMove::End);
                v.editing = Some(Box::new(t));
            }
            Some(Action::Reveal) => {
                let Some(row) = v.rows.get(v.selected) else {
                    return;
                };
                if !v.shown.remove(&row.key) {
                    v.shown.insert(row.key.clone());
                    v.until = Some(now + reveal_for);
                }
            }
            Some(Action::RevealAll) => {
                if v.shown.len() == v.rows.len() {
                    v.shown.clear();
                } else {
                    v.shown = v.rows.iter().map(|r| r.key.clone()).collect();
                    v.until = Some(now + reveal_for);
                }
            }
            Some(Action::Save) => {
                let values = crate::sync::merge::merged(&v.rows);
                if values.is_empty() {
                    v.error = Some(
                        "the merge leaves no key: to delete it on both sides, close this and push (deleted here) or pull (deleted there)".into(),
                    );
                    return;
                }
                v.saving = true;
                v.error = None;
                let (backend, id) = (v.backend.clone(), v.id.clone());
                let work = Work::SyncResolve {
                    backend: backend.clone(),
                    id: id.clone(),
                    schema: v.schema.clone(),
                    values,
                    local_version: v.local_version,
                    remote_version: v.remote_version.clone(),
                };
                let i = self.work(
                    Purpose::SyncResolve {
                        backend: backend.clone(),
                        id: id.clone(),
                    },
                    format!("writing {id} here and to '{backend}'…"),
                    work,
                );
                out.push(i);
            }
            Some(Action::Cancel) => m.popup = None,
            _ => {}
        }
    }

    /// The three sides came: the conflict view opens (unless something else did meanwhile).
    pub(super) fn on_sides(&mut self, backend: String, sides: crate::sync::merge::Sides) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            return;
        }
        if sides.here.is_none() && sides.there.is_none() {
            return self.info("gone on both sides: nothing to compare (a sync forgets it)");
        }
        let mut v = MergeView::new(sides);
        v.backend = backend;
        m.popup = Some(Popup::Merge(Box::new(v)));
    }
}
