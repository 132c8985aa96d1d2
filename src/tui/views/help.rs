//! `?`: warnings first (keymap, custom schemas), then every key binding read from the
//! keymap (so overrides show), then how searching and forms work. Scrolls to its end and no
//! further.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, popup, popup_rect};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::text::{fit, pad};

const W: u16 = 80;
const H: u16 = 24;

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if !app.warnings.is_empty() {
        out.push(Line::styled(" Warnings", theme.error()));
        for w in &app.warnings {
            out.push(Line::styled(format!(" ⚠ {w}"), theme.error()));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(
        " Keys (change them under [tui.keys] in the config file; : runs any by name)",
        theme.heading(),
    ));
    for (action, name, what) in Action::ALL {
        out.push(Line::from(vec![
            Span::styled(
                format!(" {}", pad(&app.keymap.label(*action), 20)),
                theme.key(),
            ),
            Span::raw(format!(" {what}")),
            Span::styled(format!("  :{name}"), theme.dim()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(" Search", theme.heading()));
    for l in [
        " type to narrow; best matches first, names before keys and schemas;",
        " a row matched by a key or schema says which. Words match in any order,",
        " each in one field: ^x starts a field, x$ ends one, 'x is exact, !x excludes.",
        " ctrl-t searches names only. Enter keeps the search, Esc clears it.",
    ] {
        out.push(Line::raw(l));
    }
    out.push(Line::styled(" Forms", theme.heading()));
    for l in [
        " * marks a required field (it may be left empty where its type allows);",
        " ←/→ change scope and schema; Enter goes to the next field, alt-enter or",
        " ctrl-j adds a line break; masked values show no length (ctrl-r shows them).",
        " An edit saves only over the version it loaded: a change made elsewhere",
        " meanwhile is reported, and f5 reloads it.",
    ] {
        out.push(Line::raw(l));
    }
    out.push(Line::styled(" Mouse", theme.heading()));
    out.push(Line::raw(
        " click selects, the wheel scrolls, click a tab to switch",
    ));
    out
}

/// Lines of help that fit on a screen of `area`.
pub fn inner_height(area: Rect) -> u16 {
    popup_rect(area, W, H).height.saturating_sub(2)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, scroll: usize, theme: Theme) {
    let inner = popup(
        f,
        area,
        W,
        H,
        "help · ↑↓ scroll · any other key closes",
        theme,
    );
    let all = lines(app, theme);
    let max = all.len().saturating_sub(inner.height as usize);
    let w = inner.width as usize;
    let shown: Vec<Line> = all
        .into_iter()
        .skip(scroll.min(max))
        .map(|l| {
            // Cut with an ellipsis rather than at the border.
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            if crate::tui::text::width(&text) > w {
                let style = l.spans.first().map(|s| s.style).unwrap_or_default();
                Line::styled(fit(&text, w).into_owned(), style)
            } else {
                l
            }
        })
        .collect();
    f.render_widget(Paragraph::new(shown), inner);
}
