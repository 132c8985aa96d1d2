//! Keys on the unlock and wizard screens, and on the main screen: the search line, the `:`
//! line, and the actions of the list and the detail pane (which the `:` line runs too).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

use super::*;
use crate::tui::command::CommandLine;
use crate::tui::form::Form;
use crate::tui::keymap::context;
use crate::tui::list::Sort;

/// Printable keys without ctrl or alt: text in an input.
fn typed_char(k: &KeyEvent) -> Option<char> {
    match k.code {
        KeyCode::Char(c)
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

impl App {
    pub(super) fn on_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        match &mut self.screen {
            Screen::Wizard(w) => {
                if is_ctrl_c(&k) || k.code == KeyCode::Esc {
                    return self.quit(out);
                }
                if w.busy {
                    return;
                }
                match k.code {
                    KeyCode::Enter | KeyCode::Tab if !w.on_second => {
                        if w.first.is_empty() {
                            w.error = Some("the passphrase must not be empty".into());
                        } else {
                            w.on_second = true;
                            w.error = None;
                        }
                    }
                    KeyCode::BackTab => w.on_second = false,
                    KeyCode::Enter => {
                        let (a, b) = (text_of(&w.first), text_of(&w.second));
                        if a != b {
                            w.error = Some("the two passphrases differ: type them again".into());
                            w.first = MaskedInput::new();
                            w.second = MaskedInput::new();
                            w.on_second = false;
                        } else {
                            w.busy = true;
                            w.error = None;
                            w.first = MaskedInput::new();
                            w.second = MaskedInput::new();
                            let i = self.work(
                                Purpose::CreateVault,
                                "creating the vault… (deriving the key)",
                                Work::CreateVault(SecretValue::new(a)),
                            );
                            out.push(i);
                        }
                    }
                    _ => {
                        let t = if w.on_second {
                            &mut w.second
                        } else {
                            &mut w.first
                        };
                        t.input(k);
                    }
                }
            }
            Screen::Unlock(u) => {
                // Quitting works while the key is derived; typing waits for the answer.
                if is_ctrl_c(&k)
                    || k.code == KeyCode::Esc
                    || (u.busy && self.keymap.is(&k, Action::Quit))
                {
                    return self.quit(out);
                }
                if u.busy {
                    return;
                }
                if k.code == KeyCode::Enter {
                    let p = text_of(&u.input);
                    if p.is_empty() {
                        u.error = Some("type the vault's passphrase, then Enter".into());
                    } else {
                        u.input = MaskedInput::new();
                        u.busy = true;
                        u.error = None;
                        let i = self.work(
                            Purpose::Unlock,
                            "unlocking… (deriving the key)",
                            Work::Unlock(SecretValue::new(p)),
                        );
                        out.push(i);
                    }
                } else {
                    u.input.input(k);
                }
            }
            Screen::Main(_) => self.on_main_key(k, now, out),
        }
    }

    fn on_main_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            return self.on_popup_key(k, now, out);
        }
        if m.command.is_some() {
            return self.on_command_key(k, now, out);
        }
        if m.filtering {
            return self.on_filter_key(k, out);
        }
        let ctx = self.context();
        let Some(action) = self.keymap.pick(&k, ctx) else {
            if is_ctrl_c(&k) {
                self.quit(out);
            }
            return;
        };
        self.act(action, now, out);
    }

    /// The actions live where the user is (list, keys pane, a tab).
    pub(super) fn context(&self) -> &'static [Action] {
        match self.main() {
            Some(m) if m.tab == Tab::Sync => context::SYNC,
            Some(m) if m.tab == Tab::Trash => context::TRASH,
            Some(m) if m.focus == Focus::Detail => context::DETAIL,
            _ => context::LIST,
        }
    }

    fn on_filter_key(&mut self, k: KeyEvent, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(1).max(1) as isize;
        let picked = if typed_char(&k).is_some() {
            None
        } else {
            self.keymap.pick(&k, context::FILTER)
        };
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        match (picked, k.code) {
            (Some(Action::Cancel), _) => {
                m.filtering = false;
                m.list.set_query("");
            }
            (Some(Action::NamesOnly), _) => {
                let on = !m.list.names_only();
                m.list.set_names_only(on);
            }
            (Some(Action::Up), _) => m.list.move_by(-1),
            (Some(Action::Down), _) => m.list.move_by(1),
            (_, KeyCode::PageUp) => m.list.move_by(-page),
            (_, KeyCode::PageDown) => m.list.move_by(page),
            (_, KeyCode::Enter) => m.filtering = false,
            (_, KeyCode::Backspace) => {
                let mut q = m.list.query().to_string();
                q.pop();
                m.list.set_query(&q);
            }
            (_, KeyCode::Char('u')) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                m.list.set_query("")
            }
            _ if is_ctrl_c(&k) => return self.quit(out),
            _ => {
                if let Some(c) = typed_char(&k) {
                    let mut q = m.list.query().to_string();
                    q.push(c);
                    m.list.set_query(&q);
                }
            }
        }
        m.key_cursor = 0;
        m.revealed = None;
    }

    fn on_command_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let available = self.context();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(line) = &mut m.command else {
            return;
        };
        match k.code {
            KeyCode::Esc => m.command = None,
            KeyCode::Tab => line.complete(available),
            KeyCode::Backspace if line.text.is_empty() => m.command = None,
            KeyCode::Backspace => line.pop(),
            KeyCode::Enter => match line.resolve(available) {
                Ok(action) => {
                    m.command = None;
                    self.act(action, now, out);
                }
                Err(e) => line.error = Some(e),
            },
            _ if is_ctrl_c(&k) => self.quit(out),
            _ => {
                if let Some(c) = typed_char(&k) {
                    line.push(c);
                }
            }
        }
    }

    /// Does `action` on the main screen (list or keys pane): from its key or the `:` line.
    pub(super) fn act(&mut self, action: Action, now: Instant, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(1).max(1) as isize;
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        match action {
            Action::Quit => self.quit(out),
            Action::Lock => self.lock("locked", out),
            Action::Help => m.popup = Some(Popup::Help { scroll: 0 }),
            Action::Command => m.command = Some(CommandLine::new()),
            Action::NextTab => m.tab = m.tab.step(1),
            Action::PrevTab => m.tab = m.tab.step(-1),
            _ if m.tab == Tab::Sync => self.act_in_sync(action, out),
            _ if m.tab == Tab::Trash => self.act_in_trash(action, out),
            Action::Filter => {
                m.filtering = true;
                m.focus = Focus::List;
            }
            Action::NamesOnly => {
                let on = !m.list.names_only();
                m.list.set_names_only(on);
                self.info(if on {
                    "search: names only"
                } else {
                    "search: names, keys and schemas"
                });
            }
            Action::Sort => {
                let next = m.list.sort().next();
                m.list.set_sort(next);
                self.info(format!("sorted by {}", next.label()));
            }
            Action::ToggleGroup => {
                m.list.toggle_group();
                m.focus = Focus::List;
                m.revealed = None;
            }
            Action::NextScope | Action::PrevScope => {
                m.list
                    .jump_scope(if action == Action::NextScope { 1 } else { -1 });
                m.key_cursor = 0;
                m.revealed = None;
            }
            Action::Cancel => {
                if m.focus == Focus::Detail {
                    m.focus = Focus::List;
                } else if !m.list.query().is_empty() {
                    m.list.set_query("");
                } else if m.list.sort() != Sort::Name {
                    m.list.set_sort(Sort::Name);
                } else {
                    m.revealed = None;
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => {
                if m.focus == Focus::Detail {
                    let n = m.list.selected().map(|s| s.keys.len()).unwrap_or(0);
                    m.key_cursor = match action {
                        Action::Up => m.key_cursor.saturating_sub(1),
                        Action::Down => (m.key_cursor + 1).min(n.saturating_sub(1)),
                        Action::Top | Action::PageUp => 0,
                        _ => n.saturating_sub(1),
                    };
                } else {
                    let before = m.list.selected_row();
                    match action {
                        Action::Up => m.list.move_by(-1),
                        Action::Down => m.list.move_by(1),
                        Action::PageUp => m.list.move_by(-page),
                        Action::PageDown => m.list.move_by(page),
                        Action::Top => m.list.top(),
                        _ => m.list.bottom(),
                    }
                    if m.list.selected_row() != before {
                        m.key_cursor = 0;
                        m.revealed = None;
                    }
                }
            }
            Action::FocusDetail => {
                if m.list.selected_header().is_some() {
                    m.list.toggle_group();
                } else if m.list.selected().is_some() {
                    m.focus = Focus::Detail;
                }
            }
            Action::FocusList => m.focus = Focus::List,
            Action::New => {
                // New secrets default to the shared scope (DESIGN §1); ←/→ changes it.
                m.revealed = None;
                m.popup = Some(Popup::Form(Box::new(Form::create(
                    &self.schemas,
                    Scope::default(),
                ))));
            }
            Action::Undo => self.undo(out),
            _ => self.act_on_selected(action, now, out),
        }
    }

    /// Actions on the selected secret.
    fn act_on_selected(&mut self, action: Action, now: Instant, out: &mut Vec<Intent>) {
        let reveal_for = self.settings.reveal_for;
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        let Some(meta) = m.list.selected() else {
            self.error("no secret selected");
            return;
        };
        let (name, scope, version) = (meta.name.clone(), meta.scope, meta.version);
        let key = meta
            .keys
            .get(m.key_cursor.min(meta.keys.len().saturating_sub(1)))
            .cloned();
        let keys = meta.keys.clone();
        let label = format!("{name} ({scope})");
        let have_values = m
            .revealed
            .as_ref()
            .is_some_and(|r| r.scope == scope && r.name == name && r.version == version);
        match action {
            Action::Reveal | Action::RevealAll => {
                let want = match (&key, action) {
                    (Some(k), Action::Reveal) => Want::Key(k.clone()),
                    _ => Want::All,
                };
                if have_values {
                    if let Some(r) = &mut m.revealed {
                        toggle(r, &want, &keys);
                        r.until = now + reveal_for;
                    }
                } else {
                    let i = self.work(
                        Purpose::Reveal {
                            scope,
                            name: name.clone(),
                            want,
                        },
                        format!("decrypting {label}…"),
                        Work::Get { name, scope },
                    );
                    out.push(i);
                }
            }
            Action::View => {
                let Some(key) = key else {
                    return self.error("this secret has no keys");
                };
                if have_values {
                    m.popup = Some(Popup::Viewer { key, scroll: 0 });
                } else {
                    let i = self.work(
                        Purpose::View {
                            scope,
                            name: name.clone(),
                            key,
                        },
                        format!("decrypting {label}…"),
                        Work::Get { name, scope },
                    );
                    out.push(i);
                }
            }
            Action::Copy => {
                let Some(key) = key else {
                    return self.error("this secret has no keys to copy");
                };
                let i = self.work(
                    Purpose::Copy {
                        scope,
                        name: name.clone(),
                        what: CopyWhat::Value(key),
                    },
                    format!("decrypting {label}…"),
                    Work::Get { name, scope },
                );
                out.push(i);
            }
            Action::CopyAs => m.popup = Some(Popup::CopyMenu { key }),
            Action::Edit => {
                let i = self.work(
                    Purpose::Edit {
                        scope,
                        name: name.clone(),
                    },
                    format!("decrypting {label}…"),
                    Work::Get { name, scope },
                );
                out.push(i);
            }
            Action::Rename => {
                m.popup = Some(Popup::Rename {
                    input: Box::new(plain_input(name.as_str())),
                    scope,
                    name,
                    expected: version,
                    error: None,
                })
            }
            Action::Delete => {
                m.popup = Some(Popup::Confirm(Box::new(Confirm {
                    title: "delete?".into(),
                    lines: vec![
                        format!("Delete '{name}' from the {scope} scope?"),
                        String::new(),
                        "It goes to the trash with its history: u brings it back.".into(),
                        "To remove it for good (a leaked credential), purge it in the Trash tab."
                            .into(),
                    ],
                    yes: "delete",
                    on_yes: OnYes::Delete {
                        scope,
                        name,
                        expected: version,
                    },
                    back: None,
                })))
            }
            Action::MoveScope => {
                let to = scope.other();
                let mut lines = vec![
                    format!("Move '{name}' from the {scope} to the {to} scope?"),
                    String::new(),
                    "It becomes a new secret there (version 1, no history);".to_string(),
                    format!("the {scope} one goes to the trash."),
                ];
                if m.list.contains(to, &name) {
                    lines.push(format!(
                        "The {to} scope has a '{name}' already: it will refuse."
                    ));
                }
                m.popup = Some(Popup::Confirm(Box::new(Confirm {
                    title: "move?".into(),
                    lines,
                    yes: "move",
                    on_yes: OnYes::Move {
                        scope,
                        name,
                        expected: version,
                    },
                    back: None,
                })))
            }
            Action::History => {
                let i = self.work(
                    Purpose::History {
                        scope,
                        name: name.clone(),
                    },
                    format!("reading the history of {label}…"),
                    Work::History { name, scope },
                );
                out.push(i);
            }
            _ => {}
        }
    }
}

/// Reveals or hides what `want` names (everything when all were shown already).
pub(super) fn toggle(r: &mut Revealed, want: &Want, keys: &[String]) {
    match want {
        Want::All => {
            if r.shown.len() == keys.len() {
                r.shown.clear();
            } else {
                r.shown = keys.iter().cloned().collect();
            }
        }
        Want::Key(k) => {
            if !r.shown.remove(k) {
                r.shown.insert(k.clone());
            }
        }
        Want::Nothing => {}
    }
}
