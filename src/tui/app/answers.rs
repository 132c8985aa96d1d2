//! The worker's answers. Each is handled by why it was asked (the job's purpose), whatever
//! is on screen by then: a failed save shows in its form if that form is still open, else in
//! the status bar naming what failed; never in some other popup.

use std::time::Instant;

use super::*;
use crate::error::ErrorKind;
use crate::secret::shadowing_note;
use crate::tui::event::{Failure, Outcome};
use crate::tui::form::Form;
use crate::tui::list::SecretList;

impl App {
    pub(super) fn on_done(
        &mut self,
        ticket: Ticket,
        job: Job,
        result: Result<Outcome, Failure>,
        now: Instant,
        out: &mut Vec<Intent>,
    ) {
        match result {
            Ok(outcome) => self.on_outcome(job.purpose, outcome, now, out),
            Err(f) => self.on_failure(ticket, job, f, out),
        }
    }

    fn on_outcome(
        &mut self,
        purpose: Purpose,
        outcome: Outcome,
        now: Instant,
        out: &mut Vec<Intent>,
    ) {
        match (purpose, outcome) {
            (_, Outcome::NeedPassphrase) => {
                if let Screen::Unlock(u) = &mut self.screen {
                    u.busy = false;
                }
            }
            (_, Outcome::Unlocked(listing)) => self.unlocked(listing, now),
            (_, Outcome::Locked) => {}
            (_, Outcome::Listed(listing)) => self.on_changed(listing),
            (Purpose::Reveal { scope, name, want }, Outcome::Secret(s)) => {
                self.take_values(s, now, |r, keys| keys::toggle(r, &want, keys), scope, &name);
            }
            (Purpose::View { scope, name, key }, Outcome::Secret(s)) => {
                if self.take_values(s, now, |_, _| {}, scope, &name)
                    && let Screen::Main(m) = &mut self.screen
                    && m.popup.is_none()
                {
                    m.popup = Some(Popup::Viewer { key, scroll: 0 });
                }
            }
            (Purpose::Copy { what, .. }, Outcome::Secret(s)) => self.copy(s, what, out),
            (Purpose::Edit { .. }, Outcome::Secret(s)) => {
                if let Screen::Main(m) = &mut self.screen
                    && m.popup.is_none()
                {
                    m.revealed = None;
                    m.popup = Some(Popup::Form(Box::new(Form::edit(&self.schemas, &s))));
                }
            }
            (Purpose::FormReload { scope, name }, Outcome::Secret(s)) => {
                let version = s.meta.version;
                if let Screen::Main(m) = &mut self.screen
                    && let Some(Popup::Form(f)) = &mut m.popup
                    && matches!(&f.mode, crate::tui::form::FormMode::Edit { name: n, scope: sc, .. } if *n == name && *sc == scope)
                {
                    f.wipe();
                    **f = Form::edit(&self.schemas, &s);
                    m.list.upsert(s.meta.clone());
                    self.info(format!(
                        "reloaded {name}: version {version}, your edits were dropped"
                    ));
                }
            }
            (Purpose::Save { verb, .. }, Outcome::Saved(meta)) => {
                let mut msg = format!(
                    "{verb} {} ({}), version {}",
                    meta.name, meta.scope, meta.version
                );
                if let Screen::Main(m) = &mut self.screen {
                    close_form(m);
                    m.revealed = None;
                    if verb == "created" && m.list.contains(meta.scope.other(), &meta.name) {
                        msg = format!("{msg}; {}", shadowing_note(&meta.name, meta.scope));
                    }
                    m.list.upsert(meta);
                }
                self.info(msg);
            }
            (Purpose::Restore { version, .. }, Outcome::Saved(meta)) => {
                let msg = format!(
                    "restored version {version} of {} ({}) as version {}",
                    meta.name, meta.scope, meta.version
                );
                if let Screen::Main(m) = &mut self.screen {
                    if matches!(m.popup, Some(Popup::History(_))) {
                        m.popup = None;
                    }
                    m.revealed = None;
                    m.list.upsert(meta);
                }
                self.info(msg);
            }
            (_, Outcome::Renamed { old, new }) => {
                let mut msg = format!("renamed {} to {} ({})", old.name, new.name, new.scope);
                if let Screen::Main(m) = &mut self.screen {
                    if matches!(m.popup, Some(Popup::Rename { .. })) {
                        m.popup = None;
                    }
                    m.revealed = None;
                    if m.list.contains(new.scope.other(), &new.name) {
                        msg = format!("{msg}; {}", shadowing_note(&new.name, new.scope));
                    }
                    m.list.remove(old.scope, &old.name);
                    m.list.upsert(new);
                }
                self.info(msg);
            }
            (_, Outcome::Deleted(d)) => {
                let meta = d.meta;
                let msg = match &d.trash {
                    Some(e) => format!(
                        "deleted {} ({}) to the trash until {}: {} undoes; purge it in the Trash tab to remove it for good",
                        meta.name,
                        meta.scope,
                        format_date(e.purge_after),
                        self.keymap.short(Action::Undo)
                    ),
                    None => format!(
                        "deleted {} ({}) for good (this vault keeps no trash)",
                        meta.name, meta.scope
                    ),
                };
                if let Screen::Main(m) = &mut self.screen {
                    m.revealed = None;
                    m.list.remove(meta.scope, &meta.name);
                    m.key_cursor = 0;
                    m.last_deleted = d.trash;
                    m.trash.loaded = false;
                }
                self.info(msg);
            }
            (_, Outcome::Trash(mut entries)) => {
                if let Screen::Main(m) = &mut self.screen {
                    entries.reverse(); // newest deletion first
                    m.trash.selected = m.trash.selected.min(entries.len().saturating_sub(1));
                    m.trash.entries = entries;
                    m.trash.loaded = true;
                }
            }
            (Purpose::TrashRestore { id, .. }, Outcome::Untrashed(meta)) => {
                let msg = format!("restored {} ({}) from the trash", meta.name, meta.scope);
                if let Screen::Main(m) = &mut self.screen {
                    if matches!(m.popup, Some(Popup::RestoreAs { .. })) {
                        m.popup = None;
                    }
                    m.trash.entries.retain(|e| e.id != id);
                    m.trash.selected = m
                        .trash
                        .selected
                        .min(m.trash.entries.len().saturating_sub(1));
                    if m.last_deleted.as_ref().is_some_and(|e| e.id == id) {
                        m.last_deleted = None;
                    }
                    m.list.upsert(meta);
                }
                self.info(msg);
            }
            (purpose, Outcome::Sync(r)) => self.on_sync_report(&purpose, *r),
            (Purpose::SyncSides { backend, .. }, Outcome::Sides(s)) => self.on_sides(backend, *s),
            (_, Outcome::Purged(n)) => {
                if let Screen::Main(m) = &mut self.screen {
                    m.trash.loaded = false;
                    if m.last_deleted.is_some() {
                        m.last_deleted = None;
                    }
                }
                self.info(format!(
                    "purged {n} secret(s) from the trash: gone from the vault files for good"
                ));
            }
            (_, Outcome::Moved { old, new }) => {
                if let Screen::Main(m) = &mut self.screen {
                    m.revealed = None;
                    m.list.remove(old.scope, &old.name);
                    m.list.upsert(new.clone());
                }
                self.info(format!(
                    "moved {} to the {} scope: a new secret there (version {}, no history)",
                    new.name, new.scope, new.version
                ));
            }
            (Purpose::History { scope, name }, Outcome::History { current, versions }) => {
                if let Screen::Main(m) = &mut self.screen
                    && m.popup.is_none()
                    && current.meta.scope == scope
                    && current.meta.name == name
                {
                    m.popup = Some(Popup::History(Box::new(HistoryView::new(
                        &current, versions,
                    ))));
                }
            }
            // An answer that does not fit its question (cannot happen): dropped, values and all.
            _ => {}
        }
    }

    /// Keeps decrypted values for the selected secret (if it still is); `pick` chooses what
    /// shows. False when the selection moved meanwhile.
    fn take_values(
        &mut self,
        s: crate::secret::Secret,
        now: Instant,
        pick: impl FnOnce(&mut Revealed, &[String]),
        scope: Scope,
        name: &SecretName,
    ) -> bool {
        let until = now + self.settings.reveal_for;
        let Screen::Main(m) = &mut self.screen else {
            return false;
        };
        if m.list
            .selected()
            .is_none_or(|sel| sel.name != *name || sel.scope != scope)
        {
            return false;
        }
        // A value read is the current one: refresh the list's metadata from it.
        if m.list.selected().is_some_and(|sel| *sel != s.meta) {
            m.list.upsert(s.meta.clone());
        }
        let keys = s.meta.keys.clone();
        let keep = m
            .revealed
            .take()
            .filter(|r| r.scope == scope && r.name == *name && r.version == s.meta.version);
        let mut r = Revealed {
            scope,
            name: name.clone(),
            version: s.meta.version,
            values: s.values,
            shown: keep.map(|k| k.shown.clone()).unwrap_or_default(),
            until,
        };
        pick(&mut r, &keys);
        m.revealed = Some(r);
        true
    }

    /// Builds what to copy from the decrypted secret and hands it to the clipboard.
    fn copy(&mut self, s: crate::secret::Secret, what: CopyWhat, out: &mut Vec<Intent>) {
        let label = format!("of {}", s.meta.name);
        let text = match &what {
            CopyWhat::Value(key) => match s.values.get(key) {
                Some(v) => Ok((v.clone(), format!("'{key}' {label}"))),
                None => Err(format!("{} has no key '{key}' any more", s.meta.name)),
            },
            CopyWhat::Env => crate::envname::dotenv(&s)
                .map(|t| {
                    (
                        SecretValue::new(t),
                        format!("{} as .env lines", s.meta.name),
                    )
                })
                .map_err(|e| e.to_string()),
            CopyWhat::Json => serde_json::to_string_pretty(&s.doc())
                .map(|t| {
                    (
                        SecretValue::new(t + "\n"),
                        format!("{} as JSON", s.meta.name),
                    )
                })
                .map_err(|e| e.to_string()),
        };
        match text {
            Ok((value, label)) => {
                self.clipboard_label = Some(label);
                out.push(Intent::Clipboard(ClipOp::Set(value)));
            }
            Err(e) => self.error(format!("not copied: {e}")),
        }
    }

    fn unlocked(&mut self, listing: crate::vault::Listing, now: Instant) {
        let damaged = listing.damaged.len() + listing.problems.len();
        let problem = listing.problems.first().cloned();
        let count = listing.secrets.len();
        self.screen = Screen::Main(Box::new(Main {
            tab: Tab::Secrets,
            list: SecretList::new(listing.secrets),
            damaged,
            focus: Focus::List,
            key_cursor: 0,
            filtering: false,
            revealed: None,
            popup: None,
            command: None,
            trash: TrashView::default(),
            last_deleted: None,
            sync: SyncPane {
                backends: self
                    .backends
                    .iter()
                    .map(|(name, flavor)| BackendInfo {
                        name: name.clone(),
                        flavor: flavor.clone(),
                        conn: Conn::NotYet,
                    })
                    .collect(),
                ..SyncPane::default()
            },
        }));
        if let Some(p) = problem {
            self.error(p);
        } else if damaged > 0 {
            self.error(format!(
                "{damaged} damaged record(s) could not be read; the rest of the vault is fine (sesame recover brings back their last good copies)"
            ));
        } else if !self.warnings.is_empty() {
            self.show_warnings();
        } else if count == 0 {
            self.info(format!(
                "vault unlocked: empty so far. Press {} to create your first secret",
                self.keymap.short(Action::New)
            ));
        } else {
            self.info(format!("vault unlocked: {count} secrets"));
        }
        self.last_input = now;
    }

    fn on_failure(&mut self, ticket: Ticket, job: Job, f: Failure, out: &mut Vec<Intent>) {
        // The vault went out of reach (the agent locked itself): back to the unlock screen.
        if f.kind == ErrorKind::Locked && matches!(self.screen, Screen::Main(_)) {
            self.lock_screen();
            self.jobs.clear();
            self.error(format!("{}: unlock again", f.message));
            return;
        }
        match job.purpose {
            p @ (Purpose::SyncStatus { .. }
            | Purpose::Sync { .. }
            | Purpose::SyncSides { .. }
            | Purpose::SyncResolve { .. }) => self.on_sync_failure(&p, f.message),
            Purpose::Open | Purpose::Unlock | Purpose::CreateVault => match &mut self.screen {
                Screen::Unlock(u) => {
                    u.busy = false;
                    u.error = Some(f.message);
                    u.input = MaskedInput::new();
                }
                Screen::Wizard(w) => {
                    w.busy = false;
                    w.error = Some(f.message);
                }
                Screen::Main(_) => self.error(f.message),
            },
            Purpose::Save { name, .. } => {
                if let Screen::Main(m) = &mut self.screen
                    && let Some(Popup::Form(form)) = &mut m.popup
                    && form.saving == Some(ticket)
                {
                    form.saving = None;
                    if f.kind == ErrorKind::Conflict && form.expected().is_some() {
                        form.stale = true;
                        form.error = Some(format!(
                            "not saved: {name} was changed elsewhere since you opened it. {} reloads it (your edits are dropped); esc closes",
                            self.keymap.short(Action::Reload)
                        ));
                    } else {
                        form.error = Some(format!("not saved: {}", f.message));
                    }
                } else {
                    self.error(format!("saving {name} failed: {}", f.message));
                }
            }
            Purpose::TrashRestore { id, name }
                if matches!(f.kind, ErrorKind::Conflict | ErrorKind::Exists) =>
            {
                // Its name is taken again: offer another.
                if let Screen::Main(m) = &mut self.screen {
                    m.popup = Some(Popup::RestoreAs {
                        id,
                        input: Box::new(plain_input(&format!("{name}-restored"))),
                        error: Some(f.message),
                    });
                }
            }
            Purpose::Rename { name, .. } => {
                if let Screen::Main(m) = &mut self.screen
                    && let Some(Popup::Rename { error, name: n, .. }) = &mut m.popup
                    && *n == name
                {
                    *error = Some(f.message);
                } else {
                    self.error(format!("renaming {name} failed: {}", f.message));
                }
            }
            other => {
                let what = match &other {
                    Purpose::Delete { name, .. } => format!("deleting {name}"),
                    Purpose::Move { name, .. } => format!("moving {name}"),
                    Purpose::Restore { name, version, .. } => {
                        format!("restoring version {version} of {name}")
                    }
                    Purpose::History { name, .. } => format!("reading the history of {name}"),
                    Purpose::TrashRestore { name, .. } => format!("restoring {name}"),
                    Purpose::TrashPurge => "purging".to_string(),
                    Purpose::Edit { name, .. } | Purpose::FormReload { name, .. } => {
                        format!("loading {name}")
                    }
                    Purpose::Reveal { name, .. }
                    | Purpose::View { name, .. }
                    | Purpose::Copy { name, .. } => format!("decrypting {name}"),
                    _ => job.label.trim_end_matches('…').to_string(),
                };
                let conflict = f.kind == ErrorKind::Conflict;
                self.error(format!("{what} failed: {}", f.message));
                // A refused compare-and-set means the list is behind: reload it now.
                if conflict && matches!(self.screen, Screen::Main(_)) {
                    let i = self.work(Purpose::Reload, "reloading the list…", Work::List);
                    out.push(i);
                }
            }
        }
    }
}

/// `2026-01-31` for a timestamp (the trash's dates need no time of day).
fn format_date(t: u64) -> String {
    crate::secret::format_time(t).chars().take(10).collect()
}

fn close_form(m: &mut Main) {
    if let Some(Popup::Form(f)) = &mut m.popup {
        f.wipe();
    }
    m.popup = None;
}
