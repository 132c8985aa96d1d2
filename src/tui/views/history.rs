//! Earlier versions of a secret: how their keys differ from the current one; Enter shows a
//! version's values (masked until revealed), from where it can be restored.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans, popup};
use crate::secret::format_time;
use crate::tui::action::Action;
use crate::tui::app::HistoryView;
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, pad, shown};

pub fn draw(f: &mut Frame, area: Rect, h: &HistoryView, keymap: &Keymap, theme: Theme) {
    if h.viewing {
        return version(f, area, h, keymap, theme);
    }
    let title = format!("history of {} ({}) · now v{}", h.name, h.scope, h.current);
    let inner = popup(f, area, 76, 18, &title, theme);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    if h.entries.is_empty() {
        lines.push(Line::styled(
            fit(
                " No earlier versions yet: each edit keeps the one before.",
                w,
            )
            .into_owned(),
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled(
            fit(
                " version  saved                 schema      keys vs. now",
                w,
            )
            .into_owned(),
            theme.dim(),
        ));
    }
    let visible = (inner.height as usize).saturating_sub(3);
    let offset = (h.selected + 1).saturating_sub(visible);
    for (i, e) in h.entries.iter().enumerate().skip(offset).take(visible) {
        let mut diff = Vec::new();
        diff.extend(e.diff.added.iter().map(|k| format!("+{k}")));
        diff.extend(e.diff.removed.iter().map(|k| format!("-{k}")));
        diff.extend(e.diff.changed.iter().map(|k| format!("~{k}")));
        let diff = if diff.is_empty() {
            "same values".to_string()
        } else {
            diff.join(" ")
        };
        let style = if i == h.selected {
            theme.selected(true)
        } else {
            Style::default()
        };
        let text = format!(
            " v{:<7} {:<21} {} {}",
            e.version,
            fit(&format_time(e.updated), 21),
            pad(&e.schema, 11),
            diff
        );
        lines.push(Line::styled(pad(&text, w), style));
    }
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            (keymap.short(Action::View), "values"),
            ("↑↓".into(), "move"),
            (keymap.short(Action::Cancel), "close"),
        ],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}

fn version(f: &mut Frame, area: Rect, h: &HistoryView, keymap: &Keymap, theme: Theme) {
    let Some(e) = h.entry() else {
        return;
    };
    let title = format!(
        "{} ({}) · version {} of now {}",
        h.name, h.scope, e.version, h.current
    );
    let inner = popup(f, area, 76, 18, &title, theme);
    let w = inner.width as usize;
    let mut lines = vec![Line::styled(
        fit(
            &format!(" saved {} · schema {}", format_time(e.updated), e.schema),
            w,
        )
        .into_owned(),
        theme.dim(),
    )];
    lines.push(Line::raw(""));
    let key_w = e
        .values
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(24)
        .min(w / 3)
        .max(4);
    let visible = (inner.height as usize).saturating_sub(4);
    let cursor = h.key_cursor.min(e.values.len().saturating_sub(1));
    let offset = (cursor + 1).saturating_sub(visible);
    for (i, (k, v)) in e.values.iter().enumerate().skip(offset).take(visible) {
        let style = if i == cursor {
            theme.selected(true)
        } else {
            Style::default()
        };
        let mark = if e.diff.changed.contains(k) {
            "~"
        } else if e.diff.added.contains(k) {
            "+"
        } else {
            " "
        };
        let value = if h.shown.contains(k) {
            let first = v.expose().split('\n').next().unwrap_or("");
            let more = v.expose().split('\n').count() - 1;
            let tail = if more > 0 {
                format!(" (+{more} lines)")
            } else {
                String::new()
            };
            Span::raw(
                fit(
                    &format!("{}{tail}", shown(first)),
                    w.saturating_sub(key_w + 4),
                )
                .into_owned(),
            )
        } else {
            Span::styled(super::detail::MASK, theme.dim())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark}{} ", pad(k, key_w)), style),
            Span::raw(" "),
            value,
        ]));
    }
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    let k = |a: Action| keymap.short(a);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            (k(Action::Reveal), "reveal"),
            (k(Action::RevealAll), "all"),
            (k(Action::Restore), "restore this version"),
            (k(Action::Cancel), "back"),
        ],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}
