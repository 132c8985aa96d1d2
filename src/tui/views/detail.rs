//! The detail pane: the selected secret's metadata and keys, values masked until revealed.
//! Keys line up in one column (long ones cut with an ellipsis); a multi-line value shows
//! its first line and how many follow (`v` opens it whole); tabs and carriage returns stay
//! visible.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Theme, pane};
use crate::secret::format_time;
use crate::tui::action::Action;
use crate::tui::app::{Focus, Main};
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, pad, shown};

/// A masked value: the same mark whatever its length.
pub const MASK: &str = "••••••••";

/// Where the keys go inside the pane, for the view and for mouse clicks.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    /// Lines of metadata above the keys (fewer on short panes).
    pub head: u16,
    pub keys_y: u16,
    pub visible: usize,
    pub offset: usize,
}

pub fn inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// Compact metadata (3 lines) below 14 lines, else one fact per line (6 lines).
pub fn geometry(inner: Rect, keys: usize, cursor: usize) -> Geometry {
    let head = if inner.height < 14 { 4 } else { 7 };
    let visible = (inner.height.saturating_sub(head + 1) as usize).max(1);
    let cursor = cursor.min(keys.saturating_sub(1));
    Geometry {
        head,
        keys_y: inner.y + head,
        visible,
        offset: (cursor + 1).saturating_sub(visible),
    }
}

pub fn draw(f: &mut Frame, area: Rect, m: &Main, keymap: &Keymap, theme: Theme) {
    let focused = m.focus == Focus::Detail && m.popup.is_none();
    let block = pane(" Details ".into(), focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let Some(meta) = m.list.selected() else {
        let msg = if m.list.is_empty() {
            "Your vault is empty."
        } else if m.list.selected_header().is_some() {
            "A collapsed group: space expands it."
        } else {
            "No secret selected."
        };
        f.render_widget(
            Paragraph::new(Line::styled(
                fit(&format!(" {msg}"), w).into_owned(),
                theme.dim(),
            )),
            inner,
        );
        return;
    };
    let geo = geometry(inner, meta.keys.len(), m.key_cursor);
    let label = |s: &str| Span::styled(format!(" {s:<9}"), theme.dim());
    let value = |s: String| Span::raw(fit(&s, w.saturating_sub(10)).into_owned());
    let mut lines = vec![Line::from(Span::styled(
        fit(&format!(" {}", meta.name), w).into_owned(),
        theme.heading(),
    ))];
    if geo.head == 4 {
        lines.push(Line::styled(
            fit(
                &format!(" {} · {} · v{}", meta.scope, meta.schema, meta.version),
                w,
            )
            .into_owned(),
            theme.dim(),
        ));
        lines.push(Line::styled(
            fit(&format!(" updated {}", format_time(meta.updated)), w).into_owned(),
            theme.dim(),
        ));
    } else {
        lines.push(Line::from(vec![
            label("scope"),
            value(meta.scope.to_string()),
        ]));
        lines.push(Line::from(vec![
            label("schema"),
            value(meta.schema.clone()),
        ]));
        lines.push(Line::from(vec![
            label("version"),
            value(meta.version.to_string()),
        ]));
        lines.push(Line::from(vec![
            label("created"),
            value(format_time(meta.created)),
        ]));
        lines.push(Line::from(vec![
            label("updated"),
            value(format_time(meta.updated)),
        ]));
    }
    lines.push(Line::raw(""));
    let revealed = m
        .revealed
        .as_ref()
        .filter(|r| r.name == meta.name && r.scope == meta.scope);
    // One column for keys, so values line up; long keys are cut, never the alignment.
    let longest = meta
        .keys
        .iter()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    let key_w = longest.min(24).min(w / 3).max(4);
    let value_w = w.saturating_sub(key_w + 3);
    if meta.keys.is_empty() {
        lines.push(Line::styled(" (no keys)", theme.dim()));
    }
    let cursor = m.key_cursor.min(meta.keys.len().saturating_sub(1));
    for (i, key) in meta
        .keys
        .iter()
        .enumerate()
        .skip(geo.offset)
        .take(geo.visible)
    {
        let here = i == cursor;
        let style = if here && focused {
            theme.selected(true)
        } else if here {
            theme.selected(false)
        } else {
            Style::default()
        };
        let pointer = if here { "›" } else { " " };
        let value = match revealed {
            Some(r) if r.shown.contains(key) => match r.values.get(key) {
                Some(v) => value_spans(v.expose(), value_w, keymap, theme),
                None => vec![Span::styled("(missing)", theme.dim())],
            },
            _ => vec![Span::styled(MASK, theme.dim())],
        };
        let mut spans = vec![Span::styled(
            format!("{pointer}{} ", pad(key, key_w)),
            style,
        )];
        spans.push(Span::raw(" "));
        spans.extend(value);
        lines.push(Line::from(spans));
    }
    let hint = match revealed {
        Some(r) if !r.shown.is_empty() => format!(
            " revealed for a few seconds; {} hides",
            keymap.short(Action::Reveal)
        ),
        _ => String::new(),
    };
    if !hint.is_empty() && lines.len() < inner.height as usize {
        while lines.len() + 1 < inner.height as usize {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(fit(&hint, w).into_owned(), theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A revealed value in `w` columns: its first line (controls made visible), and for a
/// multi-line value how many lines follow.
fn value_spans(text: &str, w: usize, keymap: &Keymap, theme: Theme) -> Vec<Span<'static>> {
    let mut it = text.split('\n');
    let first = it.next().unwrap_or("");
    let more = it.count();
    if more == 0 {
        return vec![Span::raw(fit(&shown(first), w).into_owned())];
    }
    let tail = format!(" (+{more} lines: {} shows all)", keymap.short(Action::View));
    let room = w.saturating_sub(crate::tui::text::width(&tail));
    vec![
        Span::raw(fit(&shown(first), room).into_owned()),
        Span::styled(tail, theme.dim()),
    ]
}
