//! The unlock screen: one hidden input; a wrong passphrase says so and lets you retry.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{Theme, hint_spans, popup};
use crate::tui::app::{App, StatusKind, Unlock};

pub fn draw(f: &mut Frame, area: Rect, app: &App, u: &Unlock, theme: Theme) {
    let inner = popup(f, area, 66, 12, "sesame · unlock", theme);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" Vault  ", theme.dim()),
            Span::raw(app.vault_label.clone()),
        ]),
        Line::raw(""),
        Line::raw(" Passphrase"),
    ];
    f.render_widget(Paragraph::new(std::mem::take(&mut lines)), inner);
    let input = Rect::new(inner.x + 1, inner.y + 3, inner.width.saturating_sub(2), 3);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.accent());
    let field = block.inner(input);
    f.render_widget(block, input);
    f.render_widget(&*u.input, field);
    let mut below = Vec::new();
    if u.busy {
        below.push(Line::styled(
            " unlocking… (deriving the key)",
            theme.accent(),
        ));
    } else if let Some(e) = &u.error {
        below.push(Line::styled(format!(" {e}"), theme.error()));
        below.push(Line::raw(" try again"));
    } else if let Some(s) = &app.status {
        let style = if s.kind == StatusKind::Error {
            theme.error()
        } else {
            theme.dim()
        };
        below.push(Line::styled(format!(" {}", s.text), style));
    }
    let rest = Rect::new(
        inner.x,
        inner.y + 6,
        inner.width,
        inner.height.saturating_sub(6),
    );
    while below.len() < rest.height as usize - 1 {
        below.push(Line::raw(""));
    }
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[("enter".into(), "unlock"), ("esc".into(), "quit")],
        theme,
    ));
    below.push(Line::from(hints));
    f.render_widget(Paragraph::new(below), rest);
}
