//! The Sync tab: the configured backends with their connection state, and for the chosen
//! one every secret's state, what the last sync did to it, and a sync's progress. Metadata
//! only: nothing here shows a value (the conflict view, `merge.rs`, masks them).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, pane};
use crate::sync::plan::{Direction, Row, State};
use crate::tui::action::Action;
use crate::tui::app::{Conn, SyncPane};
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, pad, shown, wrap};

/// The words for a row's state, and whether it needs the user.
fn state_text(r: &Row) -> (&'static str, bool) {
    match r.state {
        State::Conflict => (r.conflict_detail(), true),
        State::Unknown => ("on both sides, never synced", false),
        s => (s.describe(), false),
    }
}

pub fn draw(f: &mut Frame, area: Rect, p: &SyncPane, keymap: &Keymap, theme: Theme) {
    let block = pane(" Sync ".into(), true, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    if p.backends.is_empty() {
        let mut text = vec![
            Line::styled(" No backends configured yet.", theme.heading()),
            Line::raw(""),
        ];
        for l in wrap(
            "Add one from a shell, with its credentials held in the vault as references, e.g. sesame backend add team --flavor vault --option address=https://bao.example:8200 --option 'token={{bao.token}}'; then come back here (sesame backend flavors lists the stores sesame speaks to).",
            w.saturating_sub(2),
            8,
        ) {
            text.push(Line::raw(format!(" {l}")));
        }
        f.render_widget(Paragraph::new(text), inner);
        return;
    }
    let mut lines = Vec::new();
    // The backends, the chosen one marked; each with what the last contact said.
    let mut spans = vec![Span::raw(" ")];
    for (i, b) in p.backends.iter().enumerate() {
        let (mark, style) = match &b.conn {
            Conn::NotYet => ("·", theme.dim()),
            Conn::Checking => ("…", theme.dim()),
            Conn::Reached(_) => ("✓", theme.ok()),
            Conn::Failed(_) => ("✗", theme.error()),
        };
        let label = format!("{} ({})", b.name, b.flavor);
        let label_style = if i == p.chosen {
            theme.selected(true)
        } else {
            Style::default()
        };
        spans.push(Span::styled(label, label_style));
        spans.push(Span::styled(format!(" {mark}"), style));
        spans.push(Span::raw("   "));
    }
    if p.backends.len() > 1 {
        spans.push(Span::styled(
            format!(
                "{}/{} other backend",
                keymap.short(Action::PrevScope),
                keymap.short(Action::NextScope)
            ),
            theme.dim(),
        ));
    }
    lines.push(Line::from(spans));
    let Some(b) = p.backend() else {
        return;
    };
    match &b.conn {
        Conn::NotYet | Conn::Checking => {
            lines.push(Line::styled(
                format!(" asking '{}' where everything stands…", b.name),
                theme.dim(),
            ));
        }
        Conn::Failed(why) => {
            lines.push(Line::styled(
                format!(" '{}' could not be reached or refused:", b.name),
                theme.error(),
            ));
            for l in wrap(&shown(why), w.saturating_sub(2), 4) {
                lines.push(Line::raw(format!(" {l}")));
            }
            lines.push(Line::styled(
                format!(
                    " {} tries again; sesame backend test {} says more",
                    keymap.short(Action::Reload),
                    b.name
                ),
                theme.dim(),
            ));
        }
        Conn::Reached(_) => {
            let count = |f: &dyn Fn(State) -> bool| p.rows.iter().filter(|r| f(r.state)).count();
            let push = count(&|s| {
                matches!(
                    s,
                    State::LocalOnly | State::ChangedHere | State::DeletedHere
                )
            });
            let pull = count(&|s| {
                matches!(
                    s,
                    State::RemoteOnly | State::ChangedThere | State::DeletedThere
                )
            });
            let conflicts = count(&|s| s == State::Conflict);
            let mut summary = format!(
                " {} in sync · {push} to push · {pull} to pull · {conflicts} in conflict",
                count(&|s| s == State::InSync)
            );
            if p.foreign > 0 {
                summary.push_str(&format!(" · {} not sesame's (left alone)", p.foreign));
            }
            let style = if conflicts > 0 {
                theme.error()
            } else {
                theme.dim()
            };
            lines.push(Line::styled(fit(&summary, w).into_owned(), style));
        }
    }
    if let Some((_, d, done, total)) = p.running {
        let verb = match d {
            Direction::Push => "pushing",
            Direction::Pull => "pulling",
        };
        let bar_w = w.saturating_sub(24).min(40);
        let filled = (done * bar_w).checked_div(total).unwrap_or(0);
        lines.push(Line::styled(
            format!(
                " {verb} {done}/{total} [{}{}]",
                "█".repeat(filled),
                "·".repeat(bar_w - filled)
            ),
            theme.accent(),
        ));
    }
    if matches!(b.conn, Conn::Reached(_)) && p.rows.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            " Nothing to sync with '{}' yet: no secret here or there.",
            b.name
        )));
    } else if !p.rows.is_empty() {
        let name_w = (w / 4).clamp(10, 30);
        let state_w = 26.min(w.saturating_sub(name_w + 12));
        lines.push(Line::styled(
            fit(
                &format!(
                    " {} {} {} last sync",
                    pad("name", name_w),
                    pad("scope", 9),
                    pad("state", state_w)
                ),
                w,
            )
            .into_owned(),
            theme.dim(),
        ));
        // The selected secret's last result, whole, under the table.
        let detail: Vec<String> = p
            .row()
            .and_then(|r| p.results.get(&r.id).map(|res| (r, res)))
            .map(|(r, (_, text))| {
                wrap(
                    &format!("{}: {}", r.id, shown(text)),
                    w.saturating_sub(2),
                    2,
                )
            })
            .unwrap_or_default();
        let used = lines.len() + detail.len() + usize::from(!detail.is_empty());
        let visible = (inner.height as usize).saturating_sub(used).max(1);
        let offset = (p.selected + 1).saturating_sub(visible);
        for (i, r) in p.rows.iter().enumerate().skip(offset).take(visible) {
            let (state, needs_user) = state_text(r);
            let result = p.results.get(&r.id);
            let row = format!(
                " {} {} {} {}",
                pad(r.id.name.as_str(), name_w),
                pad(r.id.scope.as_str(), 9),
                pad(state, state_w),
                result.map_or(std::borrow::Cow::Borrowed(""), |(_, t)| shown(t))
            );
            let style = if i == p.selected {
                theme.selected(true)
            } else if needs_user || result.is_some_and(|(bad, _)| *bad) {
                theme.error()
            } else if r.state == State::InSync {
                theme.dim()
            } else {
                Style::default()
            };
            lines.push(Line::styled(pad(&row, w), style));
        }
        if !detail.is_empty() {
            while lines.len() + detail.len() < inner.height as usize {
                lines.push(Line::raw(""));
            }
            let bad = p
                .row()
                .and_then(|r| p.results.get(&r.id))
                .is_some_and(|(bad, _)| *bad);
            for l in detail {
                lines.push(Line::styled(
                    format!(" {l}"),
                    if bad { theme.error() } else { theme.dim() },
                ));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
