//! The detail pane: the selected secret's metadata and keys, values masked until revealed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::Theme;
use crate::secret::format_time;
use crate::tui::app::{Focus, Main};

/// Line (inside the border) where the key list starts; the mouse code uses it too.
pub const KEYS_TOP: u16 = 7;
const MASK: &str = "••••••••";

/// First key shown when the cursor is at `cursor` and `visible` key lines fit.
pub fn key_offset(cursor: usize, visible: usize) -> usize {
    (cursor + 1).saturating_sub(visible.max(1))
}

pub fn draw(f: &mut Frame, area: Rect, m: &Main, theme: Theme) {
    let focused = m.focus == Focus::Detail && m.popup.is_none();
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(Span::styled(" Details ", theme.border(focused)));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(meta) = m.list.selected() else {
        let msg = if m.list.is_empty() {
            "Your vault is empty."
        } else {
            "No secret selected."
        };
        f.render_widget(
            Paragraph::new(Line::styled(format!(" {msg}"), theme.dim())),
            inner,
        );
        return;
    };
    let label = |s: &str| Span::styled(format!(" {s:<9}"), theme.dim());
    let mut lines = vec![
        Line::from(Span::styled(format!(" {}", meta.name), theme.heading())),
        Line::from(vec![label("scope"), Span::raw(meta.scope.as_str())]),
        Line::from(vec![label("schema"), Span::raw(meta.schema.clone())]),
        Line::from(vec![label("version"), Span::raw(meta.version.to_string())]),
        Line::from(vec![label("created"), Span::raw(format_time(meta.created))]),
        Line::from(vec![label("updated"), Span::raw(format_time(meta.updated))]),
        Line::raw(""),
    ];
    debug_assert_eq!(lines.len(), KEYS_TOP as usize);
    let revealed = m
        .revealed
        .as_ref()
        .filter(|r| r.name == meta.name && r.scope == meta.scope);
    let key_w = meta.keys.iter().map(|k| k.len()).max().unwrap_or(0).min(20);
    let visible = (inner.height as usize).saturating_sub(KEYS_TOP as usize + 1);
    if meta.keys.is_empty() {
        lines.push(Line::styled(" (no keys)", theme.dim()));
    }
    let cursor = m.key_cursor.min(meta.keys.len().saturating_sub(1));
    let offset = key_offset(cursor, visible);
    for (i, key) in meta.keys.iter().enumerate().skip(offset).take(visible) {
        let here = i == cursor;
        let style = if here && focused {
            theme.selected(true)
        } else if here {
            theme.selected(false)
        } else {
            ratatui::style::Style::default()
        };
        let pointer = if here { "›" } else { " " };
        let value = match revealed {
            Some(r) if r.shown.contains(key) => match r.values.get(key) {
                Some(v) => {
                    let text = v.expose();
                    let mut it = text.lines();
                    let first = it.next().unwrap_or("").to_string();
                    let more = it.count();
                    if more > 0 {
                        Span::raw(format!("{first} (+{more} lines)"))
                    } else {
                        Span::raw(first)
                    }
                }
                None => Span::styled("(missing)", theme.dim()),
            },
            _ => Span::styled(MASK, theme.dim()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{pointer}{key:<key_w$} "), style),
            Span::raw(" "),
            value,
        ]));
    }
    let hint = match revealed {
        Some(r) if !r.shown.is_empty() => " revealed for a few seconds; r hides",
        _ => "",
    };
    if !hint.is_empty() && lines.len() < inner.height as usize {
        while lines.len() + 1 < inner.height as usize {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(hint, theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
