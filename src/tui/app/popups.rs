//! Keys while a popup is open: help, confirmations, rename, the form, history.

use crossterm::event::{KeyCode, KeyEvent};

use super::*;

impl App {
    /// Keys while a popup is open. Returns a status to show, if any.
    pub(super) fn on_popup_key(&mut self, k: KeyEvent, out: &mut Vec<Intent>) -> Option<Status> {
        let km = &self.keymap;
        let Screen::Main(m) = &mut self.screen else {
            return None;
        };
        let popup = m.popup.as_mut()?;
        match popup {
            Popup::Help { scroll } => match km.pick(
                &k,
                &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
            ) {
                Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                Some(Action::Down) => *scroll += 1,
                Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
                Some(Action::PageDown) => *scroll += 10,
                _ => m.popup = None,
            },
            Popup::ConfirmDelete { scope, name } => {
                if km.is(&k, Action::Confirm) {
                    out.push(Intent::Delete {
                        name: name.clone(),
                        scope: *scope,
                    });
                }
                m.popup = None;
            }
            Popup::ConfirmRestore {
                scope,
                name,
                version,
            } => {
                if km.is(&k, Action::Confirm) {
                    out.push(Intent::Restore {
                        name: name.clone(),
                        scope: *scope,
                        version: *version,
                    });
                }
                m.popup = None;
            }
            Popup::History(h) => match km.pick(
                &k,
                &[
                    Action::Restore,
                    Action::Up,
                    Action::Down,
                    Action::Cancel,
                    Action::Quit,
                    Action::History,
                ],
            ) {
                Some(Action::Up) => h.selected = h.selected.saturating_sub(1),
                Some(Action::Down) => {
                    h.selected = (h.selected + 1).min(h.entries.len().saturating_sub(1))
                }
                Some(Action::Restore) => {
                    if let Some(e) = h.entries.get(h.selected) {
                        m.popup = Some(Popup::ConfirmRestore {
                            scope: h.scope,
                            name: h.name.clone(),
                            version: e.version,
                        });
                    }
                }
                Some(_) => m.popup = None,
                None => {}
            },
            Popup::Rename {
                scope,
                name,
                input,
                error,
            } => {
                if km.is(&k, Action::Cancel) {
                    m.popup = None;
                } else if k.code == KeyCode::Enter {
                    match SecretName::new(text_of(input)) {
                        Ok(new_name) => out.push(Intent::Rename {
                            name: name.clone(),
                            scope: *scope,
                            new_name,
                        }),
                        Err(e) => *error = Some(e.to_string()),
                    }
                } else {
                    input.input(k);
                    *error = SecretName::new(text_of(input)).err().map(|e| e.to_string());
                }
            }
            Popup::Form(form) => {
                if form.busy {
                    return None;
                }
                let multiline = form.focused_is_multiline();
                let nav = if multiline {
                    // Arrows edit inside a text area; only Tab moves between fields.
                    km.pick(
                        &k,
                        &[
                            Action::Save,
                            Action::Cancel,
                            Action::AddKey,
                            Action::RemoveKey,
                            Action::ToggleMask,
                        ],
                    )
                    .or(match k.code {
                        KeyCode::Tab => Some(Action::NextField),
                        KeyCode::BackTab => Some(Action::PrevField),
                        _ => None,
                    })
                } else {
                    km.pick(
                        &k,
                        &[
                            Action::Save,
                            Action::Cancel,
                            Action::NextField,
                            Action::PrevField,
                            Action::AddKey,
                            Action::RemoveKey,
                            Action::ToggleMask,
                        ],
                    )
                };
                match nav {
                    Some(Action::Cancel) => {
                        form.wipe();
                        m.popup = None;
                        return Some(Status {
                            text: "cancelled: nothing was saved".into(),
                            kind: StatusKind::Info,
                        });
                    }
                    Some(Action::NextField) => form.focus_step(1),
                    Some(Action::PrevField) => form.focus_step(-1),
                    Some(Action::AddKey) => {
                        if form.allow_unknown {
                            form.add_key_row();
                            form.focus = Slot::Key(form.rows.len() - 1);
                        } else {
                            form.error = Some(format!(
                                "schema '{}' has a fixed set of keys",
                                form.schema_name()
                            ));
                        }
                    }
                    Some(Action::RemoveKey) => {
                        if let Err(e) = form.remove_focused_key() {
                            form.error = Some(e);
                        } else {
                            form.changed(&self.schemas);
                        }
                    }
                    Some(Action::ToggleMask) => form.toggle_mask(),
                    Some(Action::Save) => match form.collect(&self.schemas) {
                        Err(e) => form.error = Some(format!("not saved: {e}")),
                        Ok((name, values)) => {
                            form.busy = true;
                            form.error = None;
                            form.forget_history();
                            out.push(match &form.mode {
                                FormMode::Create => Intent::Create {
                                    name,
                                    scope: form.scope,
                                    schema: form.schema_name().to_string(),
                                    values,
                                },
                                FormMode::Edit { scope, .. } => Intent::Update {
                                    name,
                                    scope: *scope,
                                    change: Change {
                                        set: values,
                                        remove: Vec::new(),
                                        schema: None,
                                        replace: true,
                                    },
                                },
                            });
                        }
                    },
                    _ => match form.focus {
                        Slot::Scope => {
                            if matches!(
                                k.code,
                                KeyCode::Left
                                    | KeyCode::Right
                                    | KeyCode::Char(' ')
                                    | KeyCode::Char('h')
                                    | KeyCode::Char('l')
                            ) {
                                form.toggle_scope();
                            } else if k.code == KeyCode::Enter {
                                form.focus_step(1);
                            }
                        }
                        Slot::Schema => match k.code {
                            KeyCode::Left | KeyCode::Char('h') => {
                                form.cycle_schema(&self.schemas, -1)
                            }
                            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => {
                                form.cycle_schema(&self.schemas, 1)
                            }
                            KeyCode::Enter => form.focus_step(1),
                            _ => {}
                        },
                        _ => {
                            if k.code == KeyCode::Enter && !multiline {
                                form.focus_step(1);
                            } else if let Some(t) = form.focused_input() {
                                t.input(k);
                                form.changed(&self.schemas);
                            }
                        }
                    },
                }
            }
        }
        None
    }
}
