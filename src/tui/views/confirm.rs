//! Small popups: delete and restore confirmations (naming the secret), and rename.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use super::{Theme, hint_spans, popup};
use crate::secret::Scope;

pub fn delete(f: &mut Frame, area: Rect, name: &str, scope: Scope, theme: Theme) {
    let inner = popup(f, area, 56, 9, "delete?", theme);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            ("y/enter".into(), "delete"),
            ("any other key".into(), "keep it"),
        ],
        theme,
    ));
    let text = vec![
        Line::from(vec![
            Span::raw(" Delete "),
            Span::styled(format!("'{name}'"), theme.error()),
            Span::raw(format!(" from the {scope} scope?")),
        ]),
        Line::raw(""),
        Line::raw(" Its values and its earlier versions go too."),
        Line::raw(" This cannot be undone."),
        Line::raw(""),
        Line::from(hints),
    ];
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

pub fn restore(f: &mut Frame, area: Rect, name: &str, scope: Scope, version: u64, theme: Theme) {
    let inner = popup(f, area, 56, 8, "restore?", theme);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            ("y/enter".into(), "restore"),
            ("any other key".into(), "cancel"),
        ],
        theme,
    ));
    let text = vec![
        Line::raw(format!(
            " Make version {version} of '{name}' ({scope}) current?"
        )),
        Line::raw(""),
        Line::raw(" It becomes a new version: the current one stays"),
        Line::raw(" in the history, so this can be undone."),
        Line::from(hints),
    ];
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

pub fn rename(
    f: &mut Frame,
    area: Rect,
    name: &str,
    input: &TextArea<'static>,
    error: Option<&str>,
    theme: Theme,
) {
    let inner = popup(f, area, 60, 9, "rename", theme);
    f.render_widget(
        Paragraph::new(Line::raw(format!(" New name for '{name}':"))),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let r = Rect::new(inner.x + 1, inner.y + 1, inner.width.saturating_sub(2), 3);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.accent());
    let i = block.inner(r);
    f.render_widget(block, r);
    f.render_widget(input, i);
    let mut lines = vec![match error {
        Some(e) => Line::styled(format!(" {e}"), theme.error()),
        None => Line::raw(""),
    }];
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[("enter".into(), "rename"), ("esc".into(), "cancel")],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        Rect::new(
            inner.x,
            inner.y + 4,
            inner.width,
            inner.height.saturating_sub(4),
        ),
    );
}
