//! Drawing: one file per screen or pane. Views read the state and never change it; every
//! decision (what is selected, revealed, valid) was made in `App::update`. Text that does
//! not fit is cut with an ellipsis (`tui::text`), never mid-glyph and never silently.

pub mod confirm;
pub mod detail;
pub mod form;
pub mod help;
pub mod history;
pub mod list;
pub mod merge;
pub mod status;
pub mod sync;
pub mod trash;
pub mod unlock;
pub mod viewer;
pub mod wizard;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::app::{App, Focus, MIN_HEIGHT, MIN_WIDTH, Popup, Screen, Tab};
use super::text::fit;

/// Styles, with colour or (NO_COLOR) with bold/reverse/underline only.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn selected(self, focused: bool) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        if focused {
            Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().bg(Color::DarkGray)
        }
    }
    pub fn matched(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn heading(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    pub fn border(self, focused: bool) -> Style {
        if focused { self.accent() } else { self.dim() }
    }
}

/// The one pane frame every pane uses: rounded, titled, bright when focused.
pub fn pane(title: String, focused: bool, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.border(focused)))
}

/// Where everything goes on the main screen; App uses it for mouse hits and page sizes.
#[derive(Clone, Copy, Debug)]
pub struct MainLayout {
    pub tabs: Rect,
    pub body: Rect,
    pub list: Rect,
    pub list_inner: Rect,
    pub detail: Rect,
    pub message: Rect,
    pub hints: Rect,
    /// One pane at a time (list, or the secret after Enter).
    pub narrow: bool,
}

pub fn layout(app: &App, area: Rect) -> MainLayout {
    let message_h = status::message_height(app, area.width);
    let [tabs, body, message, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(message_h),
        Constraint::Length(1),
    ])
    .areas(area);
    let narrow = area.width < super::app::SPLIT_WIDTH;
    let (list, detail) = if narrow {
        (body, body)
    } else {
        // Wide terminals give the list room for its extra columns.
        let pct = if area.width >= 140 { 50 } else { 42 };
        let [l, d] =
            Layout::horizontal([Constraint::Percentage(pct), Constraint::Min(10)]).areas(body);
        (l, d)
    };
    let list_inner = Block::bordered().inner(list);
    MainLayout {
        tabs,
        body,
        list,
        list_inner,
        detail,
        message,
        hints,
        narrow,
    }
}

fn tab_start(narrow: bool) -> u16 {
    if narrow { 0 } else { 9 }
}

/// Which tab title is at column `x` of the tab bar.
pub fn tab_at(tabs: Rect, x: u16) -> Option<Tab> {
    let narrow = tabs.width < super::app::SPLIT_WIDTH;
    let mut col = tabs.x + tab_start(narrow);
    for t in Tab::ALL {
        let w = t.title().len() as u16 + 2;
        if x >= col && x < col + w {
            return Some(t);
        }
        col += w + 1;
    }
    None
}

pub fn draw(f: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return too_small(f, area, app, theme);
    }
    match &app.screen {
        Screen::Wizard(w) => wizard::draw(f, area, app, w, theme),
        Screen::Unlock(u) => unlock::draw(f, area, app, u, theme),
        Screen::Main(m) => {
            let lay = layout(app, area);
            draw_tabs(f, lay.tabs, app, m.tab, theme);
            match m.tab {
                Tab::Secrets => {
                    if !lay.narrow || m.focus == Focus::List {
                        list::draw(f, lay.list, m, theme);
                    }
                    if !lay.narrow || m.focus == Focus::Detail {
                        detail::draw(f, lay.detail, m, &app.keymap, theme);
                    }
                }
                Tab::Trash => trash::draw(f, lay.body, &m.trash, theme),
                Tab::Sync => sync::draw(f, lay.body, &m.sync, &app.keymap, theme),
            }
            status::draw(f, lay.message, lay.hints, app, theme);
            match &m.popup {
                None => {}
                Some(Popup::Help { scroll }) => help::draw(f, area, app, *scroll, theme),
                Some(Popup::Confirm(c)) => confirm::draw(f, area, c, &app.keymap, theme),
                Some(Popup::Rename {
                    name, input, error, ..
                }) => confirm::name_input(
                    f,
                    area,
                    "rename",
                    &format!("New name for '{name}':"),
                    "rename",
                    input,
                    error.as_deref(),
                    theme,
                ),
                Some(Popup::RestoreAs { id, input, error }) => confirm::name_input(
                    f,
                    area,
                    "restore as",
                    &format!(
                        "'{}' ({}) is taken again; restore it as:",
                        id.name, id.scope
                    ),
                    "restore",
                    input,
                    error.as_deref(),
                    theme,
                ),
                Some(Popup::Form(form)) => form::draw(f, area, form, &app.keymap, theme),
                Some(Popup::History(h)) => history::draw(f, area, h, &app.keymap, theme),
                Some(Popup::Viewer { key, scroll }) => {
                    viewer::draw(f, area, m, key, *scroll, &app.keymap, theme)
                }
                Some(Popup::CopyMenu { key }) => confirm::copy_menu(f, area, m, key, theme),
                Some(Popup::Merge(v)) => merge::draw(f, area, v, &app.keymap, theme),
            }
        }
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App, current: Tab, theme: Theme) {
    let mut spans = Vec::new();
    if area.width >= super::app::SPLIT_WIDTH {
        spans.push(Span::styled(" sesame ", theme.accent()));
        spans.push(Span::raw("│"));
    }
    for t in Tab::ALL {
        let style = if t == current {
            theme.selected(true)
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {} ", t.title()), style));
        spans.push(Span::raw("│"));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if !app.warnings.is_empty() {
        let n = app.warnings.len();
        let text = format!(" ⚠ {n} warning{} (?) ", if n == 1 { "" } else { "s" });
        let room = (area.width as usize).saturating_sub(used);
        if room > text.chars().count() {
            spans.push(Span::raw(" ".repeat(room - text.chars().count())));
            spans.push(Span::styled(text, theme.error()));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn too_small(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let w = area.width as usize;
    let mut text = vec![
        Line::styled(fit("Terminal too small", w).into_owned(), theme.error()),
        Line::raw(
            fit(
                &format!(
                    "{}x{}: sesame needs {MIN_WIDTH}x{MIN_HEIGHT}.",
                    area.width, area.height
                ),
                w,
            )
            .into_owned(),
        ),
    ];
    let lock = app
        .main()
        .map(|_| app.keymap.short(super::action::Action::Lock));
    let keys = match lock {
        Some(l) => format!("q quits, {l} locks"),
        None => "q quits".to_string(),
    };
    text.push(Line::raw(fit(&keys, w).into_owned()));
    let h = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    text.truncate(h as usize);
    f.render_widget(
        Paragraph::new(text).centered(),
        Rect::new(area.x, y, area.width, h),
    );
}

/// Where a popup `w` x `h` goes on `area`: centered, clamped; one that would leave a sliver
/// of the screen beside it takes the whole of that dimension instead (half-hidden borders
/// beside it read as a rendering glitch).
pub fn popup_rect(area: Rect, w: u16, h: u16) -> Rect {
    let fill = |want: u16, have: u16| {
        if have.saturating_sub(want) < 6 {
            have
        } else {
            want
        }
    };
    let w = fill(w, area.width);
    let h = fill(h, area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// A popup (see [`popup_rect`]), cleared, with a rounded border; returns its inside.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16, title: &str, theme: Theme) -> Rect {
    let rect = popup_rect(area, w, h);
    f.render_widget(Clear, rect);
    let title = fit(&format!(" {title} "), rect.width.saturating_sub(2) as usize).into_owned();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.accent())
        .title(Span::styled(title, theme.accent()));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    inner
}

/// "key what  key what" hints, as spans.
pub fn hint_spans(hints: &[(String, &str)], theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, (k, what)) in hints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(k.clone(), theme.key()));
        spans.push(Span::raw(format!(" {what}")));
    }
    spans
}

/// As many hints as fit in `width` columns, in order (the caller puts the ones that must
/// show first).
pub fn hints_fitting(hints: &[(String, &str)], width: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut used = 1;
    for (k, what) in hints {
        let w = super::text::width(k) + 1 + super::text::width(what) + 2;
        if used + w > width + 2 {
            break;
        }
        used += w;
        out.push((k.clone(), what.to_string()));
    }
    out
}
