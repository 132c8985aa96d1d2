//! The two bottom lines: the last message (errors stand out) and the keys that work here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans};
use crate::tui::action::Action;
use crate::tui::app::{App, Focus, Popup, Screen, StatusKind, Tab};

pub fn draw(f: &mut Frame, message: Rect, hints: Rect, app: &App, theme: Theme) {
    if let Some(s) = &app.status {
        let style = match s.kind {
            StatusKind::Error => theme.error(),
            StatusKind::Info => theme.ok(),
        };
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(format!(" {}", s.text), style))),
            message,
        );
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(hint_spans(&main_hints(app), theme));
    f.render_widget(Paragraph::new(Line::from(spans)), hints);
}

/// The hints for where the user is: the first key of each action that works there.
pub fn main_hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap.short(a);
    let Screen::Main(m) = &app.screen else {
        return Vec::new();
    };
    if m.popup
        .as_ref()
        .is_some_and(|p| !matches!(p, Popup::Help { .. }))
    {
        return vec![(k(Action::Cancel), "close")];
    }
    if m.filtering {
        return vec![
            ("type".into(), "to narrow"),
            ("enter".into(), "keep filter"),
            ("esc".into(), "clear"),
            ("↑↓".into(), "move"),
        ];
    }
    if m.tab == Tab::Sync {
        return vec![
            (k(Action::NextTab), "secrets tab"),
            (k(Action::Help), "help"),
            (k(Action::Quit), "quit"),
        ];
    }
    let mut h = Vec::new();
    if m.list.selected().is_some() {
        if m.focus == Focus::List {
            h.push((k(Action::FocusDetail), "keys"));
        } else {
            h.push((k(Action::FocusList), "list"));
        }
        h.push((k(Action::Reveal), "reveal"));
        h.push((k(Action::Copy), "copy"));
        h.push((k(Action::Edit), "edit"));
    }
    h.push((k(Action::New), "new"));
    if m.list.selected().is_some() {
        h.push((k(Action::Delete), "delete"));
    }
    h.push((k(Action::Filter), "filter"));
    h.push((k(Action::Help), "help"));
    h.push((k(Action::Quit), "quit"));
    h
}
