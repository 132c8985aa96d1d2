//! First run: create the vault. The passphrase twice (hidden), a strength hint, and where
//! the vault will live.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{Theme, hint_spans, popup};
use crate::passphrase::{Strength, strength};
use crate::tui::app::{App, Wizard};

pub fn draw(f: &mut Frame, area: Rect, app: &App, w: &Wizard, theme: Theme) {
    let inner = popup(f, area, 72, 20, "sesame · create your vault", theme);
    if inner.height < 18 {
        return compact(f, inner, app, w, theme);
    }
    let head = vec![
        Line::raw(" No vault here yet. It will live in:"),
        Line::styled(format!(" {}", app.vault_label), theme.accent()),
        Line::raw(""),
        Line::raw(" Choose a passphrase. It cannot be recovered if you forget it."),
    ];
    f.render_widget(Paragraph::new(head), inner);
    let field =
        |f: &mut Frame, y: u16, label: &str, t: &crate::tui::app::MaskedInput, active: bool| {
            f.render_widget(
                Paragraph::new(Line::raw(format!(" {label}"))),
                Rect::new(inner.x, inner.y + y, inner.width, 1),
            );
            let r = Rect::new(
                inner.x + 1,
                inner.y + y + 1,
                inner.width.saturating_sub(2),
                3,
            );
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.border(active));
            let i = block.inner(r);
            f.render_widget(block, r);
            super::unlock::masked(f, i, t, active, theme);
        };
    field(f, 5, "Passphrase", &w.first, !w.on_second);
    let (rank, advice) = strength(&w.first.lines().join(""));
    let label = rank.label();
    let style = match rank {
        Strength::Strong => theme.ok(),
        Strength::Fair => theme.key(),
        Strength::Weak | Strength::Empty => theme.error(),
    };
    let mut s = vec![Span::raw(" ")];
    if !label.is_empty() {
        s.push(Span::styled(format!("{label}: "), style));
    }
    s.push(Span::styled(advice, theme.dim()));
    f.render_widget(
        Paragraph::new(Line::from(s)),
        Rect::new(inner.x, inner.y + 9, inner.width, 1),
    );
    field(f, 10, "Repeat it", &w.second, w.on_second);
    let mut below = Vec::new();
    if w.busy {
        below.push(Line::styled(
            " creating the vault… (deriving the key)",
            theme.accent(),
        ));
    } else if let Some(e) = &w.error {
        below.push(Line::styled(format!(" {e}"), theme.error()));
    } else {
        below.push(Line::raw(""));
    }
    let mut hints = vec![Span::raw(" ")];
    let enter = if w.on_second {
        "create the vault"
    } else {
        "next"
    };
    hints.extend(hint_spans(
        &[
            ("enter".into(), enter),
            ("shift-tab".into(), "back"),
            ("esc".into(), "quit"),
        ],
        theme,
    ));
    below.push(Line::from(hints));
    let y = inner.y + 15;
    f.render_widget(
        Paragraph::new(below),
        Rect::new(inner.x, y, inner.width, inner.height.saturating_sub(15)),
    );
}

/// The same on a short terminal: one line per input, no boxes.
fn compact(f: &mut Frame, inner: Rect, app: &App, w: &Wizard, theme: Theme) {
    use crate::tui::text::fit;
    let width = inner.width as usize;
    let (rank, advice) = strength(&w.first.lines().join(""));
    let input = |t: &crate::tui::app::MaskedInput, active: bool| {
        let mut spans = Vec::new();
        if !t.is_empty() {
            spans.push(Span::raw(super::detail::MASK));
        }
        if active {
            spans.push(Span::styled(" ", theme.selected(true)));
        }
        spans
    };
    let mut first = vec![Span::styled(" Passphrase ", theme.border(!w.on_second))];
    first.extend(input(&w.first, !w.on_second));
    let mut second = vec![Span::styled(" Repeat it  ", theme.border(w.on_second))];
    second.extend(input(&w.second, w.on_second));
    let style = match rank {
        Strength::Strong => theme.ok(),
        Strength::Fair => theme.key(),
        Strength::Weak | Strength::Empty => theme.error(),
    };
    let mut lines = vec![
        Line::raw(fit(" New vault, in:", width).into_owned()),
        Line::styled(
            fit(&format!(" {}", app.vault_label), width).into_owned(),
            theme.accent(),
        ),
        Line::from(first),
        Line::styled(
            fit(&format!(" {} {advice}", rank.label()), width).into_owned(),
            style,
        ),
        Line::from(second),
    ];
    if w.busy {
        lines.push(Line::styled(" creating the vault…", theme.accent()));
    } else if let Some(e) = &w.error {
        lines.push(Line::styled(
            fit(&format!(" {e}"), width).into_owned(),
            theme.error(),
        ));
    }
    while lines.len() + 1 < inner.height as usize {
        lines.push(Line::raw(""));
    }
    lines.truncate(inner.height.saturating_sub(1) as usize);
    let mut hints = vec![Span::raw(" ")];
    hints.extend(hint_spans(
        &[("enter".into(), "next"), ("esc".into(), "quit")],
        theme,
    ));
    lines.push(Line::from(hints));
    f.render_widget(Paragraph::new(lines), inner);
}
