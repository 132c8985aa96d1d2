//! The trash from the app's side: `u` undoes the last delete, and the Trash tab restores,
//! purges one or empties it (asking first). The vault's trash does the keeping.

use super::*;

impl App {
    /// `u`: the last delete back from the trash.
    pub(super) fn undo(&mut self, out: &mut Vec<Intent>) {
        let Some(e) = self.main().and_then(|m| m.last_deleted.clone()) else {
            return self.error(format!(
                "nothing to undo here: deleted secrets wait in the Trash tab ({})",
                self.keymap.short(Action::NextTab)
            ));
        };
        let i = self.work(
            Purpose::TrashRestore {
                id: e.id.clone(),
                name: e.meta.name.clone(),
            },
            format!("restoring {} from the trash…", e.meta.name),
            Work::TrashRestore {
                id: e.id,
                new_name: None,
            },
        );
        out.push(i);
    }

    /// Actions on the Trash tab: move, restore, purge one, empty it (asking first).
    pub(super) fn act_in_trash(&mut self, action: Action, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(1).max(1);
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let t = &mut m.trash;
        let last = t.entries.len().saturating_sub(1);
        match action {
            Action::Up => t.selected = t.selected.saturating_sub(1),
            Action::Down => t.selected = (t.selected + 1).min(last),
            Action::PageUp => t.selected = t.selected.saturating_sub(page),
            Action::PageDown => t.selected = (t.selected + page).min(last),
            Action::Top => t.selected = 0,
            Action::Bottom => t.selected = last,
            Action::Cancel => m.tab = Tab::Secrets,
            Action::Restore | Action::Undo => {
                let Some(e) = t.selected().cloned() else {
                    return self.error("the trash is empty");
                };
                let i = self.work(
                    Purpose::TrashRestore {
                        id: e.id.clone(),
                        name: e.meta.name.clone(),
                    },
                    format!("restoring {}…", e.meta.name),
                    Work::TrashRestore {
                        id: e.id,
                        new_name: None,
                    },
                );
                out.push(i);
            }
            Action::Delete => {
                let Some(e) = t.selected().cloned() else {
                    return self.error("the trash is empty");
                };
                m.popup = Some(Popup::Confirm(Box::new(Confirm {
                    title: "purge?".into(),
                    lines: vec![
                        format!(
                            "Purge '{}' ({}) from the trash, for good?",
                            e.meta.name, e.meta.scope
                        ),
                        String::new(),
                        "Its values and history leave the vault files now (as for a leaked credential); this cannot be undone.".into(),
                    ],
                    yes: "purge",
                    on_yes: OnYes::Purge { id: Some(e.id) },
                    back: None,
                })));
            }
            Action::Purge => {
                if t.entries.is_empty() {
                    return self.error("the trash is empty");
                }
                let n = t.entries.len();
                m.popup = Some(Popup::Confirm(Box::new(Confirm {
                    title: "empty the trash?".into(),
                    lines: vec![
                        format!("Purge all {n} secret(s) in the trash, for good?"),
                        String::new(),
                        "Their values and history leave the vault files now; this cannot be undone.".into(),
                    ],
                    yes: "purge all",
                    on_yes: OnYes::Purge { id: None },
                    back: None,
                })));
            }
            _ => {}
        }
    }
}
