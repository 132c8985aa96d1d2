//! The bottom lines: the last message (errors wrap at words, up to two lines; work in
//! flight shows a spinner), or the `:` line with its completions; then the keys that work
//! here, as many as fit, help always last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans, hints_fitting};
use crate::tui::action::Action;
use crate::tui::app::{App, Focus, Popup, Screen, StatusKind, Tab};
use crate::tui::text::{fit, wrap};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame and "label (3 s)" for the oldest job in flight.
pub fn busy_text(app: &App) -> Option<String> {
    let job = app.current_job()?;
    let age = app.now.saturating_duration_since(job.started);
    let frame = SPINNER[(age.as_millis() / 100) as usize % SPINNER.len()];
    let secs = if age.as_secs() >= 1 {
        format!(" ({} s)", age.as_secs())
    } else {
        String::new()
    };
    let more = match app.jobs.len() {
        1 => String::new(),
        n => format!(" +{} queued", n - 1),
    };
    Some(format!("{frame} {}{secs}{more}", job.label))
}

/// Lines the message takes: two for an error that does not fit on one (on screens tall
/// enough to spare it), else one.
pub fn message_height(app: &App, width: u16) -> u16 {
    match &app.status {
        Some(s)
            if s.kind == StatusKind::Error
                && app.size.1 >= 16
                && crate::tui::text::width(&s.text) + 1 > width as usize =>
        {
            2
        }
        _ => 1,
    }
}

pub fn draw(f: &mut Frame, message: Rect, hints: Rect, app: &App, theme: Theme) {
    let w = message.width.saturating_sub(1) as usize;
    if let Some(line) = app.main().and_then(|m| m.command.as_ref()) {
        let mut spans = vec![
            Span::styled(":", theme.key()),
            Span::raw(format!("{}▏", line.text)),
        ];
        if let Some(e) = &line.error {
            spans.push(Span::styled(format!("  {e}"), theme.error()));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), message);
        let candidates: Vec<&str> = line
            .candidates(command_context(app))
            .iter()
            .map(|a| a.name())
            .collect();
        let text = format!(" tab completes: {}", candidates.join(" "));
        f.render_widget(
            Paragraph::new(Line::styled(
                fit(&text, hints.width as usize).into_owned(),
                theme.dim(),
            )),
            hints,
        );
        return;
    }
    let mut lines = Vec::new();
    if let Some(busy) = busy_text(app) {
        lines.push(Line::styled(format!(" {}", fit(&busy, w)), theme.accent()));
    } else if let Some(s) = &app.status {
        let style = match s.kind {
            StatusKind::Error => theme.error(),
            StatusKind::Info => theme.ok(),
        };
        for l in wrap(&s.text, w, message.height as usize) {
            lines.push(Line::styled(format!(" {l}"), style));
        }
    }
    f.render_widget(Paragraph::new(lines), message);
    let mut spans = vec![Span::raw(" ")];
    let mut all = main_hints(app);
    // Help is always shown: the others make room for it.
    let help = all.pop_if(|(_, what)| *what == "help");
    let reserve = help
        .as_ref()
        .map_or(0, |(k, w)| crate::tui::text::width(k) + w.len() + 3);
    let room = (hints.width.saturating_sub(1) as usize).saturating_sub(reserve);
    let mut fitting = hints_fitting(&all, room);
    if let Some((k, w)) = help {
        fitting.push((k, w.to_string()));
    }
    let as_refs: Vec<(String, &str)> = fitting
        .iter()
        .map(|(k, w)| (k.clone(), w.as_str()))
        .collect();
    spans.extend(hint_spans(&as_refs, theme));
    f.render_widget(Paragraph::new(Line::from(spans)), hints);
}

fn command_context(app: &App) -> &'static [Action] {
    use crate::tui::keymap::context;
    match app.main() {
        Some(m) if m.tab == Tab::Sync => context::SYNC,
        Some(m) if m.tab == Tab::Trash => context::TRASH,
        Some(m) if m.focus == Focus::Detail => context::DETAIL,
        _ => context::LIST,
    }
}

/// The hints for where the user is, most useful first; help is always shown last.
pub fn main_hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap.short(a);
    let Screen::Main(m) = &app.screen else {
        return Vec::new();
    };
    let help = (k(Action::Help), "help");
    if m.popup
        .as_ref()
        .is_some_and(|p| !matches!(p, Popup::Help { .. }))
    {
        return vec![(k(Action::Cancel), "close")];
    }
    if m.filtering {
        return vec![
            ("type".into(), "to search"),
            ("enter".into(), "keep"),
            (k(Action::Cancel), "clear"),
            (
                k(Action::NamesOnly),
                if m.list.names_only() {
                    "all fields"
                } else {
                    "names only"
                },
            ),
            ("↑↓".into(), "move"),
        ];
    }
    if m.tab == Tab::Trash {
        return vec![
            (k(Action::Restore), "restore"),
            (k(Action::Delete), "purge"),
            (k(Action::Purge), "empty trash"),
            (k(Action::NextTab), "next tab"),
            (k(Action::Command), "command"),
            (k(Action::Quit), "quit"),
            help,
        ];
    }
    if m.tab == Tab::Sync && m.sync.backends.is_empty() {
        return vec![
            (k(Action::NextTab), "next tab"),
            (k(Action::Command), "command"),
            (k(Action::Quit), "quit"),
            help,
        ];
    }
    if m.tab == Tab::Sync {
        return vec![
            (k(Action::Push), "push"),
            (k(Action::Pull), "pull"),
            (k(Action::PushAll), "push all"),
            (k(Action::PullAll), "pull all"),
            (k(Action::View), "compare / settle"),
            (k(Action::Reload), "check again"),
            (k(Action::NextTab), "next tab"),
            (k(Action::Quit), "quit"),
            help,
        ];
    }
    // Most useful first, per place: the list is about finding and managing secrets, the
    // keys pane about one secret's values. What does not fit is in ? and on the : line.
    let mut h = Vec::new();
    if m.last_deleted.is_some() {
        h.push((k(Action::Undo), "undo delete"));
    }
    if m.list.selected_header().is_some() {
        h.push((k(Action::ToggleGroup), "expand"));
    }
    let one = m.list.selected().is_some();
    if m.focus == Focus::Detail && one {
        h.push((k(Action::FocusList), "list"));
        h.push((k(Action::View), "view"));
        h.push((k(Action::Reveal), "reveal"));
        h.push((k(Action::RevealAll), "all"));
        h.push((k(Action::Copy), "copy"));
        h.push((k(Action::CopyAs), "copy as"));
        h.push((k(Action::Edit), "edit"));
        h.push((k(Action::History), "history"));
        h.push((k(Action::Rename), "rename"));
        h.push((k(Action::MoveScope), "move"));
    } else {
        if one {
            h.push((k(Action::FocusDetail), "open"));
            h.push((k(Action::Reveal), "reveal"));
            h.push((k(Action::Copy), "copy"));
            h.push((k(Action::Edit), "edit"));
        }
        h.push((k(Action::New), "new"));
        if one {
            h.push((k(Action::Delete), "delete"));
        }
        h.push((k(Action::Filter), "search"));
        if one {
            h.push((k(Action::Rename), "rename"));
            h.push((k(Action::History), "history"));
            h.push((k(Action::RevealAll), "reveal all"));
        }
    }
    h.push((k(Action::Lock), "lock"));
    h.push((k(Action::Command), "command"));
    h.push((k(Action::Sort), "sort"));
    h.push((k(Action::Quit), "quit"));
    h.push(help);
    h
}
