//! Small popups: yes/no confirmations (naming the secret; No is the default, only the
//! confirm key says yes), a name (rename, restore as), and the copy menu.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};
use ratatui_textarea::TextArea;

use super::{Theme, hint_spans, popup};
use crate::tui::action::Action;
use crate::tui::app::{Confirm, Main};
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, wrap};

pub fn draw(f: &mut Frame, area: Rect, c: &Confirm, keymap: &Keymap, theme: Theme) {
    // Wrap first: the popup is as tall as its text.
    let w = super::popup_rect(area, 60, 3).width.saturating_sub(3) as usize;
    let mut text: Vec<Line> = Vec::new();
    for (i, l) in c.lines.iter().enumerate() {
        let style = if i == 0 { theme.accent() } else { theme.dim() };
        if l.is_empty() {
            text.push(Line::raw(""));
        }
        for part in wrap(l, w, 3) {
            text.push(Line::styled(format!(" {part}"), style));
        }
    }
    let inner = popup(f, area, 60, text.len() as u16 + 4, &c.title, theme);
    while text.len() + 1 < inner.height as usize {
        text.push(Line::raw(""));
    }
    text.truncate(inner.height.saturating_sub(1) as usize);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            (keymap.short(Action::Confirm), c.yes),
            ("any other key".into(), "no (the default)"),
        ],
        theme,
    ));
    text.push(Line::from(hints));
    f.render_widget(Paragraph::new(text), inner);
}

/// A popup asking for a name (rename, restore under another name).
#[allow(clippy::too_many_arguments)]
pub fn name_input(
    f: &mut Frame,
    area: Rect,
    title: &str,
    prompt: &str,
    verb: &str,
    input: &TextArea<'static>,
    error: Option<&str>,
    theme: Theme,
) {
    let inner = popup(f, area, 60, 9, title, theme);
    let w = inner.width as usize;
    f.render_widget(
        Paragraph::new(Line::raw(fit(&format!(" {prompt}"), w).into_owned())),
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
        Some(e) => Line::styled(fit(&format!(" {e}"), w).into_owned(), theme.error()),
        None => Line::raw(""),
    }];
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[("enter".into(), verb), ("esc".into(), "cancel")],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(
        Paragraph::new(lines),
        Rect::new(
            inner.x,
            inner.y + 4,
            inner.width,
            inner.height.saturating_sub(4),
        ),
    );
}

pub fn copy_menu(f: &mut Frame, area: Rect, m: &Main, key: &Option<String>, theme: Theme) {
    let Some(meta) = m.list.selected() else {
        return;
    };
    let inner = popup(f, area, 60, 9, &format!("copy {}", meta.name), theme);
    let w = inner.width.saturating_sub(6) as usize;
    let (name, scope) = (meta.name.as_str(), meta.scope);
    let mut items: Vec<(&str, String)> = Vec::new();
    if let Some(k) = key {
        items.push(("v", format!("the value of '{k}'")));
    }
    items.push(("e", "every key as .env lines (KEY='value')".into()));
    items.push(("j", "the whole secret as JSON".into()));
    if let Some(k) = key {
        items.push(("r", format!("its reference {{{{{name}.{k}}}}}")));
        items.push((
            "p",
            format!("pinned to its scope {{{{{scope}:{name}.{k}}}}}"),
        ));
    }
    let mut lines: Vec<Line> = items
        .into_iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("  {k}  "), theme.key()),
                Span::raw(fit(&what, w).into_owned()),
            ])
        })
        .collect();
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(" any other key closes", theme.dim()));
    f.render_widget(Paragraph::new(lines), inner);
}
