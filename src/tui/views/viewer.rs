//! The value viewer: one value whole, wrapped to the popup's width, scrollable, masked until
//! revealed; tabs and carriage returns shown as marks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans, popup};
use crate::tui::action::Action;
use crate::tui::app::Main;
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, shown};

/// The popup's inner area on a screen of `area`.
pub fn inner(area: Rect) -> Rect {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2).min(40);
    let x = area.x + (area.width - w) / 2;
    let y = area.y + (area.height - h) / 2;
    Rect::new(x + 1, y + 1, w.saturating_sub(2), h.saturating_sub(2))
}

/// The value's lines, wrapped to `w` columns (by characters: a key or a token has no
/// words to break at).
pub fn wrapped(value: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for line in value.split('\n') {
        let line = shown(line);
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(w) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

/// How far the viewer scrolls for `value` on a screen of `area`.
pub fn max_scroll(value: &str, area: Rect) -> usize {
    let inner = inner(area);
    let body = inner.height.saturating_sub(2) as usize;
    wrapped(value, inner.width as usize)
        .len()
        .saturating_sub(body)
}

pub fn draw(
    f: &mut Frame,
    area: Rect,
    m: &Main,
    key: &str,
    scroll: usize,
    keymap: &Keymap,
    theme: Theme,
) {
    let name = m
        .list
        .selected()
        .map(|s| s.name.to_string())
        .unwrap_or_default();
    let outer = inner(area);
    let inner = popup(
        f,
        area,
        outer.width + 2,
        outer.height + 2,
        &format!("{name} · {key}"),
        theme,
    );
    let body_h = inner.height.saturating_sub(2) as usize;
    let revealed = m
        .revealed
        .as_ref()
        .filter(|r| r.shown.contains(key))
        .and_then(|r| r.values.get(key));
    let mut lines: Vec<Line> = Vec::new();
    let mut count = String::new();
    match revealed {
        Some(v) => {
            let all = wrapped(v.expose(), inner.width as usize);
            let scroll = scroll.min(all.len().saturating_sub(body_h));
            count = format!(
                " lines {}-{} of {} ",
                scroll + 1,
                (scroll + body_h).min(all.len()),
                all.len()
            );
            lines.extend(all.into_iter().skip(scroll).take(body_h).map(Line::raw));
        }
        None => {
            lines.push(Line::styled(super::detail::MASK, theme.dim()));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                fit(
                    &format!("masked: {} reveals it", keymap.short(Action::Reveal)),
                    inner.width as usize,
                )
                .into_owned(),
                theme.dim(),
            ));
        }
    }
    while lines.len() < body_h {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(count, theme.dim()));
    let k = |a: Action| keymap.short(a);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            (k(Action::Reveal), "reveal/hide"),
            (k(Action::Copy), "copy"),
            ("↑↓ pgup pgdn".into(), "scroll"),
            (k(Action::Cancel), "close"),
        ],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}
