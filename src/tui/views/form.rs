//! The create / edit form: name, scope and schema (on create), then one row per field:
//! `*` marks required ones, the type is named, and the inline error sits under the field.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, hint_spans, popup};
use crate::schema::FieldType;
use crate::tui::action::Action;
use crate::tui::form::{Form, FormMode, Slot};
use crate::tui::keymap::Keymap;

/// Narrowest and widest label column; between the two it fits the longest field name.
const LABEL_MIN: u16 = 18;
const LABEL_MAX: u16 = 30;
/// A multi-line value grows with its text, between these heights.
const MULTI_MIN: u16 = 3;
const MULTI_MAX: u16 = 12;

/// Lines a value takes on screen (masked ones are one line: no shape shows).
fn value_height(form: &Form, r: &crate::tui::form::FieldRow) -> u16 {
    if !r.multiline || (form.masked && r.is_secret()) {
        return 1;
    }
    (r.value.lines().len() as u16 + 1).clamp(MULTI_MIN, MULTI_MAX)
}

enum Item {
    Name,
    Scope,
    Schema,
    Gap,
    Row(usize),
}

/// The label column: wide enough for the longest field name plus its marks and a gap.
fn label_width(form: &Form, body_width: u16) -> u16 {
    let longest = form
        .rows
        .iter()
        .filter_map(|r| r.field.as_ref())
        .map(|f| f.name.chars().count() as u16 + 4)
        .max()
        .unwrap_or(0);
    longest.clamp(LABEL_MIN, LABEL_MAX.min(body_width / 2).max(LABEL_MIN))
}

fn fit(text: &str, width: usize) -> String {
    crate::tui::text::fit(text, width).into_owned()
}

/// A type hint for the label; plain text needs none.
fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "",
        FieldType::Bool => "true/false",
        FieldType::Int => "integer",
        FieldType::Url => "url",
        FieldType::Multiline => "multi-line",
    }
}

fn item_height(form: &Form, item: &Item) -> u16 {
    match item {
        Item::Name => 1 + form.name_error.is_some() as u16,
        Item::Scope | Item::Schema | Item::Gap => 1,
        Item::Row(i) => {
            let r = &form.rows[*i];
            value_height(form, r) + r.error.is_some() as u16
        }
    }
}

fn item_has_focus(form: &Form, item: &Item) -> bool {
    match (item, form.focus) {
        (Item::Name, Slot::Name) | (Item::Scope, Slot::Scope) | (Item::Schema, Slot::Schema) => {
            true
        }
        (Item::Row(i), Slot::Key(j) | Slot::Value(j)) => *i == j,
        _ => false,
    }
}

pub fn draw(f: &mut Frame, area: Rect, form: &Form, keymap: &Keymap, theme: Theme) {
    let title = match &form.mode {
        FormMode::Create => "new secret".to_string(),
        FormMode::Edit {
            name,
            scope,
            version,
            ..
        } => format!("edit {name} ({scope}) · version {version}"),
    };
    let outer = popup(f, area, 78, 22, &title, theme);
    let body = Rect::new(
        outer.x,
        outer.y,
        outer.width,
        outer.height.saturating_sub(2),
    );

    let mut items = Vec::new();
    if form.mode == FormMode::Create {
        items.extend([Item::Name, Item::Scope]);
    }
    items.extend([Item::Schema, Item::Gap]);
    items.extend((0..form.rows.len()).map(Item::Row));

    // Scroll so the focused item is fully visible.
    let heights: Vec<u16> = items.iter().map(|i| item_height(form, i)).collect();
    let focus_idx = items
        .iter()
        .position(|i| item_has_focus(form, i))
        .unwrap_or(0);
    let mut start = 0;
    while start < focus_idx && heights[start..=focus_idx].iter().sum::<u16>() > body.height {
        start += 1;
    }

    let label_w = label_width(form, body.width);
    let mut y = body.y;
    for (item, h) in items.iter().zip(&heights).skip(start) {
        if y + h > body.y + body.height {
            break;
        }
        let focused = item_has_focus(form, item);
        let pointer = if focused { "›" } else { " " };
        let label_style = if focused {
            theme.accent()
        } else {
            ratatui::style::Style::default()
        };
        let label_rect = Rect::new(body.x, y, label_w, 1);
        let value_rect = Rect::new(
            body.x + label_w,
            y,
            body.width.saturating_sub(label_w + 1),
            1,
        );
        match item {
            Item::Gap => {
                f.render_widget(
                    Paragraph::new(Line::styled(
                        format!(" {}", "─".repeat(body.width as usize - 2)),
                        theme.dim(),
                    )),
                    label_rect.union(value_rect),
                );
            }
            Item::Name => {
                f.render_widget(
                    Paragraph::new(Line::styled(format!("{pointer}* name"), label_style)),
                    label_rect,
                );
                f.render_widget(&form.name, value_rect);
                if let Some(e) = &form.name_error {
                    error_line(
                        f,
                        Rect::new(value_rect.x, y + 1, value_rect.width, 1),
                        e,
                        theme,
                    );
                }
            }
            Item::Scope => {
                f.render_widget(
                    Paragraph::new(Line::styled(format!("{pointer}  scope"), label_style)),
                    label_rect,
                );
                let opt = |s: crate::secret::Scope| {
                    if s == form.scope {
                        Span::styled(format!("[{s}]"), theme.accent())
                    } else {
                        Span::styled(format!(" {s} "), theme.dim())
                    }
                };
                f.render_widget(
                    Paragraph::new(Line::from(vec![
                        opt(crate::secret::Scope::Workspace),
                        Span::raw(" "),
                        opt(crate::secret::Scope::User),
                        Span::styled("   ←/→ to change", theme.dim()),
                    ])),
                    value_rect,
                );
            }
            Item::Schema => {
                f.render_widget(
                    Paragraph::new(Line::styled(format!("{pointer}  schema"), label_style)),
                    label_rect,
                );
                let note = match form.schema_changed() {
                    Some(_) => "   changed: saved with the secret".to_string(),
                    None => format!(
                        "   {} of {} · ←/→ to change",
                        form.schema + 1,
                        form.schemas.len().max(1)
                    ),
                };
                f.render_widget(
                    Paragraph::new(Line::from(vec![
                        Span::styled(format!("‹ {} ›", form.schema_name()), theme.accent()),
                        Span::styled(
                            fit(&note, value_rect.width.saturating_sub(14) as usize),
                            theme.dim(),
                        ),
                    ])),
                    value_rect,
                );
            }
            Item::Row(i) => {
                let r = &form.rows[*i];
                match &r.field {
                    Some(field) => {
                        let req = if field.required { "*" } else { " " };
                        // One column stays free so a label never runs into its value.
                        let room = label_w as usize - 1;
                        let label = fit(&format!("{pointer}{req} {}", field.name), room);
                        let ty = match type_name(field.ty) {
                            "" => String::new(),
                            t => format!(" {t}"),
                        };
                        let left = room.saturating_sub(label.chars().count());
                        let ty: String = if ty.len() <= left { ty } else { String::new() };
                        f.render_widget(
                            Paragraph::new(Line::from(vec![
                                Span::styled(label, label_style),
                                Span::styled(ty, theme.dim()),
                            ])),
                            label_rect,
                        );
                    }
                    None => {
                        f.render_widget(
                            Paragraph::new(Line::styled(format!("{pointer}+"), label_style)),
                            label_rect,
                        );
                        let key_rect = Rect::new(label_rect.x + 2, y, label_w - 3, 1);
                        if r.key.is_empty() && form.focus != Slot::Key(*i) {
                            f.render_widget(
                                Paragraph::new(Line::styled("(key)", theme.dim())),
                                key_rect,
                            );
                        } else {
                            f.render_widget(&r.key, key_rect);
                        }
                    }
                }
                let vh = value_height(form, r);
                let vr = Rect::new(value_rect.x, y, value_rect.width, vh);
                if vh > 1 {
                    for dy in 0..vh {
                        f.render_widget(
                            Paragraph::new(Line::styled("▏", theme.dim())),
                            Rect::new(vr.x.saturating_sub(1), y + dy, 1, 1),
                        );
                    }
                }
                let focused_here = form.focus == Slot::Value(*i);
                if form.masked && r.is_secret() && !r.value.is_empty() {
                    // A fixed mark: neither the length nor the line count shows.
                    let mut spans = vec![Span::styled(super::detail::MASK, theme.dim())];
                    if focused_here {
                        spans.push(Span::styled(" ", theme.selected(true)));
                    }
                    f.render_widget(Paragraph::new(Line::from(spans)), vr);
                } else if r.value.is_empty() && !focused_here {
                    let hint = r
                        .field
                        .as_ref()
                        .map(|f| {
                            if f.description.is_empty() {
                                "(empty)".to_string()
                            } else {
                                f.description.clone()
                            }
                        })
                        .unwrap_or_else(|| "(value)".into());
                    f.render_widget(
                        Paragraph::new(Line::styled(fit(&hint, vr.width as usize), theme.dim())),
                        vr,
                    );
                } else if form.masked && r.is_secret() {
                    f.render_widget(
                        Paragraph::new(Line::from(Span::styled(" ", theme.selected(true)))),
                        vr,
                    );
                } else {
                    f.render_widget(&r.value, vr);
                }
                if let Some(e) = &r.error {
                    error_line(
                        f,
                        Rect::new(value_rect.x, y + vh, value_rect.width, 1),
                        e,
                        theme,
                    );
                }
            }
        }
        y += h;
    }

    let foot = Rect::new(
        outer.x,
        outer.y + outer.height.saturating_sub(2),
        outer.width,
        2,
    );
    let w = outer.width.saturating_sub(1) as usize;
    let mut lines = vec![match (&form.error, form.busy()) {
        _ if form.asking_discard => Line::styled(
            fit(
                &format!(
                    " Drop your changes? {} drops them; any other key goes back",
                    keymap.short(Action::Confirm)
                ),
                w,
            ),
            theme.error(),
        ),
        (_, true) => Line::styled(" saving…", theme.accent()),
        (Some(e), _) => Line::styled(fit(&format!(" {e}"), w), theme.error()),
        (None, _) => Line::raw(""),
    }];
    let mut hints = vec![Span::raw(" ")];
    let k = |a: Action| keymap.short(a);
    let mut h = vec![
        (k(Action::Save), "save"),
        (k(Action::Cancel), "cancel"),
        (k(Action::NextField), "next"),
    ];
    if form.allow_unknown {
        h.push((k(Action::AddKey), "add"));
        h.push((k(Action::RemoveKey), "remove"));
    }
    h.push((
        k(Action::ToggleMask),
        if form.masked { "show" } else { "hide" },
    ));
    h.push((k(Action::Newline), "line break"));
    if form.stale {
        h.insert(0, (k(Action::Reload), "reload"));
    }
    let fitting = super::hints_fitting(&h, w);
    let refs: Vec<(String, &str)> = fitting
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str()))
        .collect();
    hints.extend(hint_spans(&refs, theme));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), foot);
}

fn error_line(f: &mut Frame, r: Rect, e: &str, theme: Theme) {
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(&format!("↳ {e}"), r.width as usize),
            theme.error(),
        )),
        r,
    );
}
