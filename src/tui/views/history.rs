//! Earlier versions of a secret, how their keys differ from the current one, restore.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans, popup};
use crate::secret::format_time;
use crate::tui::app::HistoryView;

pub fn draw(f: &mut Frame, area: Rect, h: &HistoryView, theme: Theme) {
    let title = format!("history of {} ({}) · now v{}", h.name, h.scope, h.current);
    let inner = popup(f, area, 76, 18, &title, theme);
    let mut lines = Vec::new();
    if h.entries.is_empty() {
        lines.push(Line::styled(
            " No earlier versions yet: each edit keeps the one before.",
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled(
            " version  saved                 schema      keys vs. now",
            theme.dim(),
        ));
    }
    let visible = (inner.height as usize).saturating_sub(3);
    let offset = (h.selected + 1).saturating_sub(visible);
    for (i, e) in h.entries.iter().enumerate().skip(offset).take(visible) {
        let mut diff = Vec::new();
        diff.extend(e.added.iter().map(|k| format!("+{k}")));
        diff.extend(e.removed.iter().map(|k| format!("-{k}")));
        diff.extend(e.changed.iter().map(|k| format!("~{k}")));
        let diff = if diff.is_empty() {
            "same values".to_string()
        } else {
            diff.join(" ")
        };
        let style = if i == h.selected {
            theme.selected(true)
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![Span::styled(
            format!(
                " v{:<7} {:<21} {:<11} {}",
                e.version,
                format_time(e.updated),
                e.schema,
                diff
            ),
            style,
        )]));
    }
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            ("enter".into(), "restore"),
            ("↑↓".into(), "move"),
            ("esc".into(), "close"),
        ],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}
