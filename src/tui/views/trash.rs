//! The Trash tab: deleted secrets (newest first) with when they were deleted and when they
//! are purged; restore, purge one, empty it. Metadata only: nothing here decrypts a value.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{Theme, pane};
use crate::secret::format_time;
use crate::tui::app::TrashView;
use crate::tui::text::{fit, pad, wrap};

pub fn draw(f: &mut Frame, area: Rect, t: &TrashView, theme: Theme) {
    let title = if t.loaded {
        format!(" Trash ({}) ", t.entries.len())
    } else {
        " Trash ".to_string()
    };
    let block = pane(title, true, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    if !t.loaded {
        f.render_widget(
            Paragraph::new(Line::styled(" reading the trash…", theme.dim())),
            inner,
        );
        return;
    }
    if t.entries.is_empty() {
        let mut lines = vec![
            Line::styled(" The trash is empty.", theme.heading()),
            Line::raw(""),
        ];
        for l in wrap(
            "Deleted secrets wait here, with their history, until restored or purged (after vault.trash_days; 0 keeps no trash). Purging removes them from the vault files at once.",
            w.saturating_sub(2),
            6,
        ) {
            lines.push(Line::raw(format!(" {l}")));
        }
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    // name, scope, deleted, purged after: dates drop off on narrow panes.
    let dates = w >= 64;
    let name_w = if dates {
        w.saturating_sub(48)
    } else {
        w.saturating_sub(13)
    };
    let mut head = format!(" {} {}", pad("name", name_w), pad("scope", 10));
    if dates {
        head.push_str(&format!(" {} {}", pad("deleted", 17), "purged after"));
    }
    let mut lines = vec![Line::styled(fit(&head, w).into_owned(), theme.dim())];
    let visible = (inner.height as usize).saturating_sub(1);
    let offset = (t.selected + 1).saturating_sub(visible);
    for (i, e) in t.entries.iter().enumerate().skip(offset).take(visible) {
        let mut row = format!(
            " {} {}",
            pad(e.meta.name.as_str(), name_w),
            pad(e.meta.scope.as_str(), 10)
        );
        if dates {
            row.push_str(&format!(
                " {} {}",
                pad(
                    &format_time(e.deleted)
                        .replace('T', " ")
                        .chars()
                        .take(16)
                        .collect::<String>(),
                    17
                ),
                format_time(e.purge_after)
                    .chars()
                    .take(10)
                    .collect::<String>()
            ));
        }
        let style = if i == t.selected {
            theme.selected(true)
        } else {
            Style::default()
        };
        lines.push(Line::styled(pad(&row, w), style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
