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
            Span::raw(
                crate::tui::text::fit(&app.vault_label, inner.width.saturating_sub(9) as usize)
                    .into_owned(),
            ),
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
    masked(f, field, &u.input, true, theme);
    let mut below = Vec::new();
    if u.busy {
        let busy = super::status::busy_text(app).unwrap_or_else(|| "unlocking…".into());
        below.push(Line::styled(
            crate::tui::text::fit(&format!(" {busy}"), inner.width as usize).into_owned(),
            theme.accent(),
        ));
        below.push(Line::styled(
            format!(
                " {} quits",
                app.keymap.short(crate::tui::action::Action::Quit)
            ),
            theme.dim(),
        ));
    } else if let Some(e) = &u.error {
        for l in crate::tui::text::wrap(e, inner.width.saturating_sub(2) as usize, 2) {
            below.push(Line::styled(format!(" {l}"), theme.error()));
        }
    } else if let Some(s) = &app.status {
        let style = if s.kind == StatusKind::Error {
            theme.error()
        } else {
            theme.dim()
        };
        for l in crate::tui::text::wrap(&s.text, inner.width.saturating_sub(2) as usize, 2) {
            below.push(Line::styled(format!(" {l}"), style));
        }
    }
    let rest = Rect::new(
        inner.x,
        inner.y + 6,
        inner.width,
        inner.height.saturating_sub(6),
    );
    below.truncate(rest.height.saturating_sub(1) as usize);
    while below.len() + 1 < rest.height as usize {
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

/// A hidden input: a fixed mark once anything is typed (never one mark per character, which
/// would show the length), and a cursor when it has the focus.
pub fn masked(
    f: &mut Frame,
    area: Rect,
    input: &crate::tui::app::MaskedInput,
    focused: bool,
    theme: Theme,
) {
    let mut spans = Vec::new();
    if !input.is_empty() {
        spans.push(Span::raw(super::detail::MASK));
    }
    if focused {
        spans.push(Span::styled(" ", theme.selected(true)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
