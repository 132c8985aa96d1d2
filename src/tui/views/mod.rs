//! Drawing: one file per screen or pane. Views read the state and never change it; every
//! decision (what is selected, revealed, valid) was made in `App::update`.

pub mod confirm;
pub mod detail;
pub mod form;
pub mod help;
pub mod history;
pub mod list;
pub mod status;
pub mod sync;
pub mod unlock;
pub mod wizard;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Popup, Screen, Tab};

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
}

pub fn layout(area: Rect) -> MainLayout {
    let [tabs, body, message, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(42), Constraint::Min(10)]).areas(body);
    let list_inner = Block::bordered().inner(list);
    MainLayout {
        tabs,
        body,
        list,
        list_inner,
        detail,
        message,
        hints,
    }
}

const TAB_START: u16 = 9;

/// Which tab title is at column `x` of the tab bar.
pub fn tab_at(tabs: Rect, x: u16) -> Option<Tab> {
    let mut col = tabs.x + TAB_START;
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
        return too_small(f, area, theme);
    }
    match &app.screen {
        Screen::Wizard(w) => wizard::draw(f, area, app, w, theme),
        Screen::Unlock(u) => unlock::draw(f, area, app, u, theme),
        Screen::Main(m) => {
            let lay = layout(area);
            draw_tabs(f, lay.tabs, m.tab, theme);
            match m.tab {
                Tab::Secrets => {
                    list::draw(f, lay.list, m, theme);
                    detail::draw(f, lay.detail, m, theme);
                }
                Tab::Sync => sync::draw(f, lay.body, theme),
            }
            status::draw(f, lay.message, lay.hints, app, theme);
            match &m.popup {
                None => {}
                Some(Popup::Help { scroll }) => help::draw(f, area, app, *scroll, theme),
                Some(Popup::ConfirmDelete { scope, name }) => {
                    confirm::delete(f, area, name.as_str(), *scope, theme)
                }
                Some(Popup::ConfirmRestore {
                    name,
                    scope,
                    version,
                }) => confirm::restore(f, area, name.as_str(), *scope, *version, theme),
                Some(Popup::Rename {
                    name, input, error, ..
                }) => confirm::rename(f, area, name.as_str(), input, error.as_deref(), theme),
                Some(Popup::Form(form)) => form::draw(f, area, form, &app.keymap, theme),
                Some(Popup::History(h)) => history::draw(f, area, h, theme),
            }
        }
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, current: Tab, theme: Theme) {
    let mut spans = vec![Span::styled(" sesame ", theme.accent()), Span::raw("│")];
    for t in Tab::ALL {
        let style = if t == current {
            theme.selected(true)
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {} ", t.title()), style));
        spans.push(Span::raw("│"));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn too_small(f: &mut Frame, area: Rect, theme: Theme) {
    let text = vec![
        Line::styled("Terminal too small", theme.error()),
        Line::raw(format!(
            "{}x{}: sesame needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window, or press q to quit."),
    ];
    let h = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    f.render_widget(
        Paragraph::new(text).centered().wrap(Wrap { trim: true }),
        Rect::new(
            area.x,
            y,
            area.width,
            h.max(area.height.saturating_sub(y - area.y)),
        ),
    );
}

/// A centered popup `w` x `h` (clamped to the area), cleared, with a rounded border.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16, title: &str, theme: Theme) -> Rect {
    // A popup that would leave a sliver of the screen behind it takes the whole of that
    // dimension instead: half-hidden borders beside it read as a rendering glitch.
    let fill = |want: u16, have: u16| {
        if have.saturating_sub(want) < 6 {
            have
        } else {
            want
        }
    };
    let w = fill(w, area.width);
    let h = fill(h, area.height);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.accent())
        .title(Span::styled(format!(" {title} "), theme.accent()));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    inner
}

/// "key what · key what" hints, as spans.
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
