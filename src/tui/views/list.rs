//! The secret list pane: scope headings with counts (the current one stays at the top while
//! scrolling), or ranked search results showing why each matched; extra columns on wide
//! terminals; position and scrollbar. Only the visible rows are drawn, so 100,000 secrets
//! cost the same to draw as 20.

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};

use super::{Theme, pane};
use crate::secret::{Scope, SecretMeta, format_time};
use crate::tui::app::{Focus, Main};
use crate::tui::list::{self, Row, Sort};
use crate::tui::text::{fit, pad, width, wrap};

/// Inner widths from which the extra columns show.
const WITH_SCHEMA: usize = 34;
const WITH_VERSION: usize = 46;
const WITH_UPDATED: usize = 62;

pub fn draw(f: &mut Frame, area: Rect, m: &Main, theme: Theme) {
    let list = &m.list;
    let focused = m.focus == Focus::List && m.popup.is_none();
    let mut title = if list.query().is_empty() {
        format!(" Secrets ({}) ", list.len())
    } else {
        format!(" Secrets ({} of {}, ranked) ", list.shown(), list.len())
    };
    if list.sort() != Sort::Name && !list.ranked() {
        title = format!("{}· by {} ", title, list.sort().label());
    }
    let mut block = pane(
        fit(&title, area.width.saturating_sub(2) as usize).into_owned(),
        focused,
        theme,
    );
    if m.filtering || !list.query().is_empty() {
        let cursor = if m.filtering { "▏" } else { "" };
        let mode = if list.names_only() { "names " } else { "" };
        let room = area.width.saturating_sub(14) as usize;
        block = block.title_bottom(Line::from(vec![
            Span::styled(format!(" {mode}/ "), theme.key()),
            Span::raw(format!("{}{cursor} ", fit(list.query(), room))),
        ]));
    }
    let (n, total) = list.position();
    if total > 0 {
        block =
            block.title_bottom(Line::styled(format!(" {n}/{total} "), theme.dim()).right_aligned());
    }
    let inner = block.inner(area);
    f.render_widget(block, area);

    if list.shown() == 0 {
        let w = inner.width.saturating_sub(1) as usize;
        let (head, body, style) = if list.is_empty() {
            (
                " No secrets yet.".to_string(),
                "Press n to create one: a name, a scope, and the keys and values it holds.",
                theme.heading(),
            )
        } else {
            (
                format!(" Nothing matches '{}'.", list.query()),
                "Backspace widens the search, Esc clears it. ^x x$ 'x !x apply to each field.",
                theme.error(),
            )
        };
        let mut text = vec![
            Line::raw(""),
            Line::styled(fit(&head, w + 1).into_owned(), style),
            Line::raw(""),
        ];
        text.extend(
            wrap(body, w, 6)
                .into_iter()
                .map(|l| Line::raw(format!(" {l}"))),
        );
        f.render_widget(Paragraph::new(text), inner);
        return;
    }

    let width = inner.width.saturating_sub(1) as usize; // the scrollbar's column
    let lines: Vec<Line> = list
        .lines(inner.height as usize)
        .into_iter()
        .map(|line| match line {
            list::Line::Sticky(scope) => heading(list, scope, true, false, width, theme),
            list::Line::Row(r) => match list.rows()[r] {
                Row::Header { scope, .. } => {
                    heading(list, scope, false, r == list.selected_row(), width, theme)
                }
                Row::Item(i) => item(m, r, list.meta(i), focused, width, theme),
            },
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    if list.rows().len() > inner.height as usize {
        let mut state =
            ScrollbarState::new(list.rows().len().saturating_sub(inner.height as usize))
                .position(list.offset());
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .track_symbol(Some("│"))
                .thumb_symbol("┃")
                .style(theme.dim()),
            area.inner(Margin {
                vertical: 1,
                horizontal: 0,
            }),
            &mut state,
        );
    }
}

fn heading(
    list: &list::SecretList,
    scope: Scope,
    sticky: bool,
    selected: bool,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let (shown, total, collapsed) = list
        .rows()
        .iter()
        .find_map(|r| match r {
            Row::Header {
                scope: s,
                shown,
                total,
                collapsed,
            } if *s == scope => Some((*shown, *total, *collapsed)),
            _ => None,
        })
        .unwrap_or((0, 0, false));
    let count = if shown == total {
        format!("{total}")
    } else {
        format!("{shown}/{total}")
    };
    let arrow = if collapsed { "▸" } else { "▾" };
    let more = if sticky { " …" } else { "" };
    let text = format!("{arrow} {scope} ({count}){more}");
    let style = if selected {
        theme.selected(true)
    } else {
        theme.heading()
    };
    Line::from(Span::styled(pad(&text, width), style))
}

fn item(
    m: &Main,
    r: usize,
    meta: &SecretMeta,
    focused: bool,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let list = &m.list;
    let selected = r == list.selected_row();
    let base = if selected {
        theme.selected(focused)
    } else {
        Style::default()
    };
    // Extra columns as room allows: schema, version, last update (a ranked row first
    // needs room to say why it matched).
    let room = if list.ranked() {
        width.saturating_sub(20)
    } else {
        width
    };
    let mut cols = Vec::new();
    if room >= WITH_SCHEMA {
        let schema = if meta.schema == "arbitrary" {
            ""
        } else {
            meta.schema.as_str()
        };
        cols.push(pad(schema, 10));
    }
    if room >= WITH_VERSION {
        cols.push(pad(&format!("v{}", meta.version), 5));
    }
    if room >= WITH_UPDATED {
        cols.push(pad(&format_time(meta.updated), 10));
    }
    let right_text = if cols.is_empty() {
        String::new()
    } else {
        format!(" {}", cols.join(" "))
    };
    let hit = list.hit(r);
    let tag = if list.ranked() {
        match meta.scope {
            Scope::User => "u ",
            Scope::Workspace => "w ",
        }
    } else {
        "  "
    };
    let left_room = width.saturating_sub(width_of(&right_text) + 2);
    let mut spans = vec![Span::styled(tag, base.patch(theme.dim()))];
    let name = meta.name.as_str();
    let name_room = left_room;
    let shown_name = fit(name, name_room);
    let mut used = 2 + marked(&mut spans, &shown_name, list, base, theme);
    // Why it matched, when not by name: the key or schema that did.
    if let Some(h) = hit
        && h.tier == 1
    {
        let (what, field) = list.field(meta, h.via);
        let room = left_room.saturating_sub(used - 2 + 3);
        if room > what.len() + 3 {
            spans.push(Span::styled(format!("  {what} "), base.patch(theme.dim())));
            used += what.len() + 3;
            let shown = fit(field, room - what.len() - 2);
            used += marked(&mut spans, &shown, list, base, theme);
        }
    }
    let pad_w = width.saturating_sub(used + width_of(&right_text));
    spans.push(Span::styled(" ".repeat(pad_w), base));
    if !right_text.is_empty() {
        spans.push(Span::styled(right_text, base.patch(theme.dim())));
    }
    Line::from(spans)
}

fn width_of(s: &str) -> usize {
    width(s)
}

/// Pushes `text` with the search's matched characters highlighted; returns its width.
fn marked(
    spans: &mut Vec<Span<'static>>,
    text: &str,
    list: &list::SecretList,
    base: Style,
    theme: Theme,
) -> usize {
    let marks = if list.ranked() {
        list.search().highlights(text.trim_end_matches('…'))
    } else {
        Vec::new()
    };
    if marks.is_empty() {
        spans.push(Span::styled(text.to_string(), base));
        return width(text);
    }
    for (ci, ch) in text.chars().enumerate() {
        let style = if marks.binary_search(&(ci as u32)).is_ok() {
            base.patch(theme.matched())
        } else {
            base
        };
        spans.push(Span::styled(ch.to_string(), style));
    }
    width(text)
}
