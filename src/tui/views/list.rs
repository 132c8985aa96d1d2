//! The secret list pane: scope headings with counts, the visible rows only (so 100,000
//! secrets cost the same to draw as 20), matched characters highlighted, the filter line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::Theme;
use crate::tui::app::{Focus, Main};
use crate::tui::list::Row;

pub fn draw(f: &mut Frame, area: Rect, m: &Main, theme: Theme) {
    let list = &m.list;
    let focused = m.focus == Focus::List && m.popup.is_none();
    let title = if list.query().is_empty() {
        format!(" Secrets ({}) ", list.len())
    } else {
        format!(" Secrets ({} of {}) ", list.shown(), list.len())
    };
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.border(focused)));
    if m.filtering || !list.query().is_empty() {
        let cursor = if m.filtering { "▏" } else { "" };
        block = block.title_bottom(Line::from(vec![
            Span::styled(" / ", theme.key()),
            Span::raw(format!("{}{cursor} ", list.query())),
        ]));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);

    if list.shown() == 0 {
        let text = if list.is_empty() {
            vec![
                Line::raw(""),
                Line::styled(" No secrets yet.", theme.heading()),
                Line::raw(""),
                Line::raw(" Press n to create one:"),
                Line::raw(" a name, a scope, and the"),
                Line::raw(" keys and values it holds."),
            ]
        } else {
            vec![
                Line::raw(""),
                Line::styled(
                    format!(" Nothing matches '{}'.", list.query()),
                    theme.error(),
                ),
                Line::raw(""),
                Line::raw(" Backspace widens the filter,"),
                Line::raw(" Esc clears it."),
            ]
        };
        f.render_widget(Paragraph::new(text), inner);
        return;
    }

    let width = inner.width as usize;
    let lines: Vec<Line> = list
        .rows()
        .iter()
        .enumerate()
        .skip(list.offset())
        .take(inner.height as usize)
        .map(|(r, row)| match *row {
            Row::Header {
                scope,
                shown,
                total,
            } => {
                let count = if shown == total {
                    format!("{total}")
                } else {
                    format!("{shown}/{total}")
                };
                Line::from(vec![
                    Span::styled(format!("▾ {scope}"), theme.heading()),
                    Span::styled(format!(" ({count})"), theme.dim()),
                ])
            }
            Row::Item(i) => {
                let meta = list.meta(i);
                let selected = r == list.selected_row();
                let base = if selected {
                    theme.selected(focused)
                } else {
                    ratatui::style::Style::default()
                };
                let name = meta.name.as_str();
                let marks = list.highlights(name);
                let mut spans = vec![Span::styled("  ", base)];
                // Names are ASCII (SecretName), so char index = byte index.
                for (ci, ch) in name.chars().enumerate() {
                    let style = if marks.binary_search(&(ci as u32)).is_ok() {
                        base.patch(theme.matched())
                    } else {
                        base
                    };
                    spans.push(Span::styled(ch.to_string(), style));
                }
                let used = 2 + name.len();
                let schema = if meta.schema == "arbitrary" {
                    ""
                } else {
                    meta.schema.as_str()
                };
                let tail = if !schema.is_empty() && used + schema.len() + 2 <= width {
                    let pad = width - used - schema.len() - 1;
                    vec![
                        Span::styled(" ".repeat(pad), base),
                        Span::styled(format!("{schema} "), base.patch(theme.dim())),
                    ]
                } else {
                    vec![Span::styled(" ".repeat(width.saturating_sub(used)), base)]
                };
                spans.extend(tail);
                Line::from(spans)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
