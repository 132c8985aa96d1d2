//! Keys on the unlock and wizard screens and on the main screen (list, detail, filter).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

use super::*;

impl App {
    pub(super) fn on_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        match &mut self.screen {
            Screen::Wizard(w) => {
                if w.busy {
                    return;
                }
                if is_ctrl_c(&k) || k.code == KeyCode::Esc {
                    return self.quit(out);
                }
                match k.code {
                    KeyCode::Enter | KeyCode::Tab if !w.on_second => {
                        if text_of(&w.first).is_empty() {
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
                            w.first = masked_input();
                            w.second = masked_input();
                            w.on_second = false;
                        } else {
                            w.busy = true;
                            w.error = None;
                            w.first = masked_input();
                            w.second = masked_input();
                            out.push(Intent::CreateVault(SecretValue::new(a)));
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
                if u.busy {
                    return;
                }
                if is_ctrl_c(&k) || k.code == KeyCode::Esc {
                    return self.quit(out);
                }
                if k.code == KeyCode::Enter {
                    let p = text_of(&u.input);
                    if p.is_empty() {
                        u.error = Some("type the vault's passphrase, then Enter".into());
                    } else {
                        u.input = masked_input();
                        u.busy = true;
                        u.error = None;
                        out.push(Intent::Unlock(SecretValue::new(p)));
                    }
                } else {
                    u.input.input(k);
                }
            }
            Screen::Main(_) => self.on_main_key(k, now, out),
        }
    }

    pub(super) fn on_main_key(&mut self, k: KeyEvent, now: Instant, out: &mut Vec<Intent>) {
        let page = self.list_height().saturating_sub(1).max(1) as isize;
        let km = self.keymap.clone();
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            let status = self.on_popup_key(k, out);
            if let Some(s) = status {
                self.status = Some(s);
            }
            return;
        }
        if m.filtering {
            // Typing goes to the filter; only a few keys mean something else.
            match k.code {
                KeyCode::Esc => {
                    m.filtering = false;
                    m.list.set_query("");
                }
                KeyCode::Enter => m.filtering = false,
                KeyCode::Backspace => {
                    let mut q = m.list.query().to_string();
                    q.pop();
                    m.list.set_query(&q);
                }
                KeyCode::Up => m.list.move_by(-1),
                KeyCode::Down => m.list.move_by(1),
                KeyCode::PageUp => m.list.move_by(-page),
                KeyCode::PageDown => m.list.move_by(page),
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    m.list.set_query("")
                }
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return self.quit(out);
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    let mut q = m.list.query().to_string();
                    q.push(c);
                    m.list.set_query(&q);
                }
                _ => {}
            }
            m.key_cursor = 0;
            m.revealed = None;
            return;
        }
        let Some(action) = km.pick(
            &k,
            &[
                Action::Quit,
                Action::Help,
                Action::Lock,
                Action::NextTab,
                Action::PrevTab,
                Action::Filter,
                Action::Up,
                Action::Down,
                Action::PageUp,
                Action::PageDown,
                Action::Top,
                Action::Bottom,
                Action::FocusDetail,
                Action::FocusList,
                Action::Reveal,
                Action::RevealAll,
                Action::Copy,
                Action::New,
                Action::Edit,
                Action::Rename,
                Action::Delete,
                Action::History,
                Action::Cancel,
            ],
        ) else {
            if is_ctrl_c(&k) {
                self.quit(out);
            }
            return;
        };
        match action {
            Action::Quit => self.quit(out),
            Action::Lock => self.lock("locked", out),
            Action::Help => m.popup = Some(Popup::Help { scroll: 0 }),
            Action::NextTab | Action::PrevTab => {
                m.tab = if m.tab == Tab::Secrets {
                    Tab::Sync
                } else {
                    Tab::Secrets
                };
            }
            _ if m.tab == Tab::Sync => {}
            Action::Filter => {
                m.filtering = true;
                m.focus = Focus::List;
            }
            Action::Cancel => {
                if m.focus == Focus::Detail {
                    m.focus = Focus::List;
                } else if !m.list.query().is_empty() {
                    m.list.set_query("");
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
            Action::FocusDetail if m.list.selected().is_some() => {
                m.focus = Focus::Detail;
            }
            Action::FocusList => m.focus = Focus::List,
            Action::Reveal | Action::RevealAll => {
                let Some(meta) = m.list.selected() else {
                    return;
                };
                let want = if action == Action::RevealAll || meta.keys.is_empty() {
                    Want::All
                } else {
                    Want::Key(meta.keys[m.key_cursor.min(meta.keys.len() - 1)].clone())
                };
                let (scope, name) = (meta.scope, meta.name.clone());
                let keys = meta.keys.clone();
                match &mut m.revealed {
                    Some(r) if r.scope == scope && r.name == name && now < r.until => {
                        toggle(r, &want, &keys);
                        r.until = now + self.settings.reveal_for;
                    }
                    _ => {
                        m.pending_reveal = Some(want);
                        out.push(Intent::Reveal { name, scope });
                    }
                }
            }
            Action::Copy => {
                let Some(meta) = m.list.selected() else {
                    return;
                };
                if let Some(key) = meta
                    .keys
                    .get(m.key_cursor.min(meta.keys.len().saturating_sub(1)))
                {
                    out.push(Intent::Copy {
                        name: meta.name.clone(),
                        scope: meta.scope,
                        key: key.clone(),
                    });
                } else {
                    self.error("this secret has no keys to copy");
                }
            }
            Action::New => {
                // New secrets default to the shared scope (DESIGN §1); ←/→ changes it.
                m.revealed = None;
                m.popup = Some(Popup::Form(Box::new(Form::create(
                    &self.schemas,
                    Scope::default(),
                ))));
            }
            Action::Edit | Action::Rename | Action::Delete | Action::History => {
                let Some(meta) = m.list.selected() else {
                    self.error("no secret selected");
                    return;
                };
                let (name, scope) = (meta.name.clone(), meta.scope);
                match action {
                    Action::Edit => out.push(Intent::LoadForEdit { name, scope }),
                    Action::Rename => {
                        m.popup = Some(Popup::Rename {
                            input: Box::new(plain_input(name.as_str())),
                            scope,
                            name,
                            error: None,
                        })
                    }
                    Action::Delete => m.popup = Some(Popup::ConfirmDelete { scope, name }),
                    _ => out.push(Intent::LoadHistory { name, scope }),
                }
            }
            _ => {}
        }
    }
}
