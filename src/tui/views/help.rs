//! `?`: every key binding, read from the keymap (so overrides show), scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, popup};
use crate::tui::action::Action;
use crate::tui::app::App;

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        " Keys (change them under [tui.keys] in the config file)",
        theme.heading(),
    )];
    for (action, name, what) in Action::ALL {
        let _ = name;
        out.push(Line::from(vec![
            Span::styled(format!(" {:<22}", app.keymap.label(*action)), theme.key()),
            Span::raw((*what).to_string()),
            Span::styled(format!("  [{}]", action.name()), theme.dim()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(" Filter", theme.heading()));
    out.push(Line::raw(
        " type to narrow, Enter keeps it, Esc clears; words match in any",
    ));
    out.push(Line::raw(
        " order; ^x prefix, x$ suffix, 'x exact, !x excludes",
    ));
    out.push(Line::styled(" Forms", theme.heading()));
    out.push(Line::raw(
        " * marks a required field; ←/→ change scope and schema;",
    ));
    out.push(Line::raw(
        " Enter goes to the next field (a new line in multi-line values)",
    ));
    out.push(Line::styled(" Mouse", theme.heading()));
    out.push(Line::raw(
        " click selects, the wheel scrolls, click a tab to switch",
    ));
    out
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, scroll: usize, theme: Theme) {
    let inner = popup(
        f,
        area,
        76,
        22,
        "help · ↑↓ scroll · any other key closes",
        theme,
    );
    let all = lines(app, theme);
    let max = all.len().saturating_sub(inner.height as usize);
    let shown: Vec<Line> = all.into_iter().skip(scroll.min(max)).collect();
    f.render_widget(Paragraph::new(shown), inner);
}
