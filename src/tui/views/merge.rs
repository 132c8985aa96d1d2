//! The conflict view: one secret's keys side by side (here, the base agreed at the last
//! sync, there), masked until revealed, each with the side it takes; a typed value is shown
//! in an edit line. Nothing is written until save.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::MASK;
use super::{Theme, hint_spans, popup};
use crate::secret::SecretValue;
use crate::sync::merge::Pick;
use crate::tui::action::Action;
use crate::tui::app::MergeView;
use crate::tui::keymap::Keymap;
use crate::tui::text::{fit, pad, shown};

/// A value's cell: absent, masked, or its first line made visible (controls spelled out).
fn cell(v: Option<&SecretValue>, revealed: bool) -> String {
    match v {
        None => "(absent)".into(),
        Some(_) if !revealed => MASK.into(),
        Some(v) => {
            let s = v.expose();
            let first = s.split('\n').next().unwrap_or("");
            let more = if s.contains('\n') { " ↵…" } else { "" };
            format!("{}{more}", shown(first))
        }
    }
}

pub fn draw(f: &mut Frame, area: Rect, v: &MergeView, keymap: &Keymap, theme: Theme) {
    let title = format!("settle {} with '{}', key by key", v.id, v.backend);
    let inner = popup(f, area, 100, 20, &title, theme);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    let base_note = if v.base_known {
        "base: the values agreed at the last sync"
    } else {
        "base: unknown (never synced, or no longer in this secret's history): every difference is a conflict"
    };
    lines.push(Line::styled(
        fit(&format!(" {base_note}"), w).into_owned(),
        theme.dim(),
    ));
    // key | here | base | there | takes
    let col = (w.saturating_sub(14 + 12)) / 3;
    let key_w = 14.min(w / 5).max(6);
    lines.push(Line::styled(
        fit(
            &format!(
                "   {} {} {} {} takes",
                pad("key", key_w),
                pad("here", col),
                pad("base", col),
                pad("there", col)
            ),
            w,
        )
        .into_owned(),
        theme.dim(),
    ));
    let editing_rows = usize::from(v.editing.is_some()) * 3;
    let visible = (inner.height as usize)
        .saturating_sub(5 + editing_rows)
        .max(1);
    let offset = (v.selected + 1).saturating_sub(visible);
    for (i, r) in v.rows.iter().enumerate().skip(offset).take(visible) {
        let revealed = v.shown.contains(&r.key);
        let takes = match &r.pick {
            Pick::Here => "here",
            Pick::There => "there",
            Pick::Edited(_) => "typed",
        };
        let takes = if r.chosen().is_none() {
            format!("{takes} (drops key)")
        } else {
            takes.to_string()
        };
        let mark = if r.conflict { "! " } else { "  " };
        let text = format!(
            " {mark}{} {} {} {} {takes}",
            pad(&shown(&r.key), key_w),
            pad(&cell(r.here.as_ref(), revealed), col),
            pad(&cell(r.base.as_ref(), revealed), col),
            pad(&cell(r.there.as_ref(), revealed), col),
        );
        let style = if i == v.selected {
            theme.selected(true)
        } else if r.conflict {
            theme.error()
        } else {
            Style::default()
        };
        lines.push(Line::styled(pad(&text, w), style));
    }
    if let Some(t) = &v.editing {
        let key = v.rows.get(v.selected).map_or("", |r| r.key.as_str());
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            fit(
                &format!(
                    " value for '{}' (enter keeps it, {} a line break, {} drops the edit):",
                    shown(key),
                    keymap.short(Action::Newline),
                    keymap.short(Action::Cancel)
                ),
                w,
            )
            .into_owned(),
            theme.heading(),
        ));
        // Masked like every value here until this key is revealed (r).
        let text = if v.shown.contains(key) {
            let last = t.lines().last().map(String::as_str).unwrap_or("");
            let more = if t.lines().len() > 1 {
                format!("(+{} lines) ", t.lines().len() - 1)
            } else {
                String::new()
            };
            format!(" {more}{}▏", shown(last))
        } else {
            format!(" {MASK}▏ ({} shows it)", keymap.short(Action::ToggleMask))
        };
        lines.push(Line::raw(fit(&text, w).into_owned()));
    }
    while lines.len() + 2 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    match &v.error {
        Some(e) => lines.push(Line::styled(
            fit(&format!(" {}", shown(e)), w).into_owned(),
            theme.error(),
        )),
        None if v.saving => lines.push(Line::styled(" writing there, then here…", theme.dim())),
        None => lines.push(Line::raw("")),
    }
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[
            (keymap.short(Action::FocusList), "take here"),
            (keymap.short(Action::FocusDetail), "take there"),
            (keymap.short(Action::Edit), "type a value"),
            (keymap.short(Action::Reveal), "reveal"),
            (keymap.short(Action::Save), "write both sides"),
            (keymap.short(Action::Cancel), "close"),
        ],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}
