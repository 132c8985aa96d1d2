//! Mouse (click selects, wheel scrolls) and bracketed paste.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::*;
use crate::tui::form::Slot;

impl App {
    pub(super) fn on_paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match &mut self.screen {
            Screen::Unlock(u) => {
                u.input.insert_str(text.trim_end_matches('\n'));
            }
            Screen::Wizard(w) => {
                let t = if w.on_second {
                    &mut w.second
                } else {
                    &mut w.first
                };
                t.insert_str(text.trim_end_matches('\n'));
            }
            Screen::Main(m) => match &mut m.popup {
                Some(Popup::Form(f)) => {
                    let multi = matches!(f.focus, Slot::Value(_));
                    let text = if multi {
                        text.as_str()
                    } else {
                        text.trim_end_matches('\n')
                    };
                    if let Some(t) = f.focused_input() {
                        t.insert_str(text);
                        f.changed(&self.schemas);
                    }
                }
                Some(Popup::Rename { input, .. }) => {
                    input.insert_str(text.trim());
                }
                None if m.filtering => {
                    let q = format!("{}{}", m.list.query(), text.trim());
                    m.list.set_query(&q);
                }
                None if m.command.is_some() => {
                    if let Some(c) = &mut m.command {
                        text.trim().chars().for_each(|ch| c.push(ch));
                    }
                }
                _ => {}
            },
        }
    }

    pub(super) fn on_mouse(&mut self, ev: MouseEvent) {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let lay = views::layout(self, area);
        let Screen::Main(m) = &mut self.screen else {
            return;
        };
        if m.popup.is_some() {
            if let (MouseEventKind::Down(MouseButton::Left), Some(Popup::Help { .. })) =
                (ev.kind, &m.popup)
            {
                m.popup = None;
            }
            return;
        }
        let pos = Position::new(ev.column, ev.row);
        let list_shown = !lay.narrow || m.focus == Focus::List;
        let detail_shown = !lay.narrow || m.focus == Focus::Detail;
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if lay.tabs.contains(pos) {
                    if let Some(t) = views::tab_at(lay.tabs, ev.column) {
                        m.tab = t;
                    }
                } else if m.tab == Tab::Secrets && list_shown && lay.list_inner.contains(pos) {
                    let before = m.list.selected_row();
                    m.list.click(
                        (ev.row - lay.list_inner.y) as usize,
                        lay.list_inner.height as usize,
                    );
                    m.focus = Focus::List;
                    if m.list.selected_row() != before {
                        m.key_cursor = 0;
                        m.revealed = None;
                    }
                } else if m.tab == Tab::Secrets
                    && detail_shown
                    && lay.detail.contains(pos)
                    && let Some(meta) = m.list.selected()
                {
                    m.focus = Focus::Detail;
                    let inner = views::detail::inner(lay.detail);
                    let geo = views::detail::geometry(inner, meta.keys.len(), m.key_cursor);
                    if ev.row >= geo.keys_y && ev.row < geo.keys_y + geo.visible as u16 {
                        let i = geo.offset + (ev.row - geo.keys_y) as usize;
                        if i < meta.keys.len() {
                            m.key_cursor = i;
                        }
                    }
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp if m.tab == Tab::Secrets => {
                let d = if ev.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                let before = m.list.selected_row();
                m.list.move_by(d);
                if m.list.selected_row() != before {
                    m.key_cursor = 0;
                    m.revealed = None;
                }
            }
            _ => {}
        }
    }
}
