//! Keys while a popup is open: help, confirmations, rename, history (and an earlier
//! version's values), the value viewer and the copy menu. The form has its own file.

use crossterm::event::{KeyCode, KeyEvent};
use std::time::Instant;

use super::keys::toggle;
use super::*;
use crate::tui::keymap::context;

impl App {
    pub(super) fn on_popup_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let help_max = self.help_max_scroll();
        let reveal_for = self.settings.reveal_for;
        let km = self.keymap.clone();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if matches!(m.popup, Some(Popup::Form(_))) {
            return self.on_form_key(k, out);
        }
        if matches!(m.popup, Some(Popup::Merge(_))) {
            return self.on_merge_key(k, now, out);
        }
        let Some(popup) = m.popup.as_mut() else {
            return;
        };
        match popup {
            Popup::Form(_) | Popup::Merge(_) => {}
            Popup::Help { scroll } => match km.pick(&k, context::HELP) {
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Down) => *scroll = (*scroll + 1).min(help_max),
                Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                Some(Action::PageDown) => *scroll = (*scroll + 10).min(help_max),
                Some(Action::Top) => *scroll = 0,
                Some(Action::Bottom) => *scroll = help_max,
                _ => m.popup = None,
            },
            Popup::Confirm(_) => {
                let yes = km.pick(&k, context::CONFIRM) == Some(Action::Confirm);
                let Some(Popup::Confirm(c)) = m.popup.take() else {
                    return;
                };
                let Confirm { on_yes, back, .. } = *c;
                if !yes {
                    m.popup = back.map(|b| *b);
                    return;
                }
                self.confirmed(on_yes, out);
            }
            Popup::Rename {
                scope,
                name,
                expected,
                input,
                error,
            } => {
                if km.is(&k, Action::Cancel) {
                    m.popup = None;
                } else if k.code == KeyCode::Enter {
                    match SecretName::new(text_of(input)) {
                        Ok(new_name) if new_name == *name => m.popup = None,
                        Ok(new_name) => {
                            let (scope, name, expected) = (*scope, name.clone(), *expected);
                            let i = self.work(
                                Purpose::Rename {
                                    scope,
                                    name: name.clone(),
                                },
                                format!("renaming {name}…"),
                                Work::Rename {
                                    name,
                                    scope,
                                    new_name,
                                    expected,
                                },
                            );
                            out.push(i);
                        }
                        Err(e) => *error = Some(e.to_string()),
                    }
                } else {
                    input.input(k);
                    *error = SecretName::new(text_of(input)).err().map(|e| e.to_string());
                }
            }
            Popup::History(h) if h.viewing => match km.pick(&k, context::VERSION) {
                Some(Action::Up) => h.key_cursor = h.key_cursor.saturating_sub(1),
                Some(Action::Down) => {
                    let n = h.entry().map_or(0, |e| e.values.len());
                    h.key_cursor = (h.key_cursor + 1).min(n.saturating_sub(1));
                }
                Some(a @ (Action::Reveal | Action::RevealAll)) => {
                    let Some(e) = h.entries.get(h.selected) else {
                        return;
                    };
                    let keys: Vec<String> = e.values.keys().cloned().collect();
                    match keys.get(h.key_cursor) {
                        Some(key) if a == Action::Reveal => {
                            if !h.shown.remove(key) {
                                h.shown.insert(key.clone());
                            }
                        }
                        _ if h.shown.len() == keys.len() => h.shown.clear(),
                        _ => h.shown = keys.into_iter().collect(),
                    }
                    h.until = Some(now + reveal_for);
                }
                Some(Action::Restore) => {
                    let Some(e) = h.entry() else {
                        return;
                    };
                    let (scope, name, version, current) =
                        (h.scope, h.name.clone(), e.version, h.current);
                    h.shown.clear();
                    let back = m.popup.take().map(Box::new);
                    m.popup = Some(Popup::Confirm(Box::new(Confirm {
                        title: "restore?".into(),
                        lines: vec![
                            format!("Make version {version} of '{name}' ({scope}) current?"),
                            String::new(),
                            "It becomes a new version: the current one stays".into(),
                            "in the history, so this can be undone.".into(),
                        ],
                        yes: "restore",
                        on_yes: OnYes::Restore {
                            scope,
                            name,
                            version,
                            expected: current,
                        },
                        back,
                    })));
                }
                Some(Action::Cancel) => {
                    h.viewing = false;
                    h.shown.clear();
                    h.until = None;
                }
                _ => {}
            },
            Popup::History(h) => match km.pick(&k, context::HISTORY) {
                Some(Action::Up) => h.selected = h.selected.saturating_sub(1),
                Some(Action::Down) => {
                    h.selected = (h.selected + 1).min(h.entries.len().saturating_sub(1))
                }
                Some(Action::PageUp) => h.selected = h.selected.saturating_sub(10),
                Some(Action::PageDown) => {
                    h.selected = (h.selected + 10).min(h.entries.len().saturating_sub(1))
                }
                Some(Action::View) if !h.entries.is_empty() => {
                    h.viewing = true;
                    h.key_cursor = 0;
                }
                Some(Action::Cancel) | Some(Action::Quit) | Some(Action::History) => m.popup = None,
                _ => {}
            },
            Popup::Viewer { key, scroll } => match km.pick(&k, context::VIEWER) {
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Down) => *scroll += 1,
                Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                Some(Action::PageDown) => *scroll += 10,
                Some(Action::Top) => *scroll = 0,
                Some(Action::Bottom) => *scroll = usize::MAX / 2,
                Some(Action::Reveal) => {
                    let key = key.clone();
                    match &mut m.revealed {
                        Some(r) => {
                            toggle(r, &Want::Key(key), &[]);
                            r.until = now + reveal_for;
                        }
                        None => m.popup = None,
                    }
                }
                Some(Action::Copy) => {
                    // The viewer shows the key under the cursor: copy is the usual one.
                    m.popup = None;
                    self.act(Action::Copy, now, out);
                }
                Some(Action::Cancel) | Some(Action::View) | Some(Action::Quit) => m.popup = None,
                _ => {}
            },
            Popup::RestoreAs { id, input, error } => {
                if km.is(&k, Action::Cancel) {
                    m.popup = None;
                } else if k.code == KeyCode::Enter {
                    match SecretName::new(text_of(input)) {
                        Ok(new_name) => {
                            let id = id.clone();
                            let i = self.work(
                                Purpose::TrashRestore {
                                    id: id.clone(),
                                    name: new_name.clone(),
                                },
                                format!("restoring {} as {new_name}…", id.name),
                                Work::TrashRestore {
                                    id,
                                    new_name: Some(new_name),
                                },
                            );
                            out.push(i);
                        }
                        Err(e) => *error = Some(e.to_string()),
                    }
                } else {
                    input.input(k);
                    *error = SecretName::new(text_of(input)).err().map(|e| e.to_string());
                }
            }
            Popup::CopyMenu { key } => {
                let key = key.clone();
                m.popup = None;
                let Some(meta) = m.list.selected() else {
                    return;
                };
                let (name, scope) = (meta.name.clone(), meta.scope);
                let what = match k.code {
                    KeyCode::Char('v') => match key {
                        Some(key) => CopyWhat::Value(key),
                        None => return,
                    },
                    KeyCode::Char('e') => CopyWhat::Env,
                    KeyCode::Char('j') => CopyWhat::Json,
                    KeyCode::Char('r') | KeyCode::Char('p') => {
                        let Some(key) = key else {
                            return self.error("this secret has no keys to refer to");
                        };
                        let reference = if k.code == KeyCode::Char('p') {
                            format!("{{{{{scope}:{name}.{key}}}}}")
                        } else {
                            format!("{{{{{name}.{key}}}}}")
                        };
                        self.clipboard_label = Some(format!("the reference {reference}"));
                        out.push(Intent::Clipboard(ClipOp::Set(SecretValue::new(reference))));
                        return;
                    }
                    _ => return,
                };
                let i = self.work(
                    Purpose::Copy {
                        scope,
                        name: name.clone(),
                        what,
                    },
                    format!("decrypting {name} ({scope})…"),
                    Work::Get { name, scope },
                );
                out.push(i);
            }
        }
    }

    /// Yes to a confirmation: the work it asked about.
    fn confirmed(&mut self, on_yes: OnYes, out: &mut Vec<Intent>) {
        let intent = match on_yes {
            OnYes::Delete {
                scope,
                name,
                expected,
            } => self.work(
                Purpose::Delete {
                    scope,
                    name: name.clone(),
                },
                format!("deleting {name}…"),
                Work::Delete {
                    name,
                    scope,
                    expected,
                },
            ),
            OnYes::Move {
                scope,
                name,
                expected,
            } => self.work(
                Purpose::Move {
                    scope,
                    name: name.clone(),
                },
                format!("moving {name} to the {} scope…", scope.other()),
                Work::Move {
                    name,
                    scope,
                    expected,
                },
            ),
            OnYes::Restore {
                scope,
                name,
                version,
                expected,
            } => self.work(
                Purpose::Restore {
                    scope,
                    name: name.clone(),
                    version,
                },
                format!("restoring version {version} of {name}…"),
                Work::Restore {
                    name,
                    scope,
                    version,
                    expected,
                },
            ),
            OnYes::Purge { id } => {
                let label = match &id {
                    Some(id) => format!("purging {}…", id.name),
                    None => "emptying the trash…".to_string(),
                };
                self.work(Purpose::TrashPurge, label, Work::TrashPurge { id })
            }
            OnYes::SyncForce {
                backend,
                id,
                direction,
            } => return self.run_sync(backend, direction, Some(id), true, out),
        };
        out.push(intent);
    }

    /// How far the help scrolls: to its last line, no further.
    pub(super) fn help_max_scroll(&self) -> usize {
        let lines = views::help::lines(self, views::Theme { color: false }).len();
        let height = views::help::inner_height(Rect::new(0, 0, self.size.0, self.size.1));
        lines.saturating_sub(height as usize)
    }
}
