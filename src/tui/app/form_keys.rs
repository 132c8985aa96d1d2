//! Keys in the create / edit form: fields, schema and scope, save (with the version it was
//! loaded from), cancel (asking first when something was typed), reload after a conflict.

use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::tui::form::{FormMode, Slot};
use crate::tui::keymap::context;
use crate::vault::Change;

impl App {
    pub(super) fn on_form_key(&mut self, k: KeyEvent, out: &mut Vec<Intent>) {
        let km = self.keymap.clone();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(Popup::Form(form)) = &mut m.popup else {
            return;
        };
        if form.busy() {
            return;
        }
        if form.asking_discard {
            // Only the confirm key drops the edits; anything else goes back to them.
            if km.is(&k, Action::Confirm) {
                form.wipe();
                m.popup = None;
                self.info("cancelled: nothing was saved");
            } else {
                form.asking_discard = false;
            }
            return;
        }
        let multiline = form.focused_is_multiline();
        let nav = km.pick(&k, context::FORM).filter(|a| {
            // Arrows edit inside a text area; only Tab moves out of one.
            !(multiline
                && matches!(a, Action::NextField | Action::PrevField)
                && !matches!(k.code, KeyCode::Tab | KeyCode::BackTab))
        });
        match nav {
            Some(Action::Cancel) => {
                if form.dirty() {
                    form.asking_discard = true;
                } else {
                    form.wipe();
                    m.popup = None;
                    self.info("closed: nothing was changed");
                }
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
            Some(Action::Newline) => form.insert_newline(&self.schemas),
            Some(Action::Reload) => {
                let FormMode::Edit { name, scope, .. } = &form.mode else {
                    return;
                };
                let (name, scope) = (name.clone(), *scope);
                let i = self.work(
                    Purpose::FormReload {
                        scope,
                        name: name.clone(),
                    },
                    format!("reloading {name}…"),
                    Work::Get { name, scope },
                );
                out.push(i);
            }
            Some(Action::Save) => self.save_form(out),
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
                    KeyCode::Left | KeyCode::Char('h') => form.cycle_schema(&self.schemas, -1),
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

    fn save_form(&mut self, out: &mut Vec<Intent>) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(Popup::Form(form)) = &mut m.popup else {
            return;
        };
        if form.stale {
            form.error = Some(format!(
                "changed elsewhere since you opened it: {} reloads it (your edits are dropped)",
                self.keymap.short(Action::Reload)
            ));
            return;
        }
        if let FormMode::Edit { .. } = form.mode
            && !form.dirty()
        {
            form.wipe();
            m.popup = None;
            self.info("nothing changed: nothing to save");
            return;
        }
        let (name, values) = match form.collect(&self.schemas) {
            Ok(v) => v,
            Err(e) => {
                form.error = Some(format!("not saved: {e}"));
                return;
            }
        };
        form.error = None;
        form.forget_history();
        let (purpose_scope, verb, work) = match &form.mode {
            FormMode::Create => (
                form.scope,
                "created",
                Work::Create {
                    name: name.clone(),
                    scope: form.scope,
                    schema: form.schema_name().to_string(),
                    values,
                },
            ),
            FormMode::Edit { scope, version, .. } => (
                *scope,
                "saved",
                Work::Update {
                    name: name.clone(),
                    scope: *scope,
                    change: Change {
                        set: values,
                        remove: Vec::new(),
                        schema: form.schema_changed().map(str::to_string),
                        replace: true,
                    },
                    expected: *version,
                },
            ),
        };
        let i = self.work(
            Purpose::Save {
                scope: purpose_scope,
                name: name.clone(),
                verb,
            },
            format!("saving {name}…"),
            work,
        );
        if let (Intent::Work { ticket, .. }, Screen::Main(m)) = (&i, &mut self.screen)
            && let Some(Popup::Form(form)) = &mut m.popup
        {
            form.saving = Some(*ticket);
        }
        out.push(i);
    }
}
