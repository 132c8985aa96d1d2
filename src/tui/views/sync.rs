//! The Sync tab. Backends are a later feature; until then this pane says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{Theme, pane};
use crate::tui::text::wrap;

pub fn draw(f: &mut Frame, area: Rect, theme: Theme) {
    let block = pane(" Sync ".into(), true, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width.saturating_sub(2) as usize;
    let mut text = vec![Line::styled(
        " No sync backends configured yet.",
        theme.heading(),
    )];
    text.push(Line::raw(""));
    for l in wrap(
        "Syncing with remote stores (HashiCorp Vault / OpenBao, AWS, GCP, Azure, a shared folder, exec plugins) is not built yet: this pane is a placeholder and nothing here talks to a remote store.",
        w,
        6,
    ) {
        text.push(Line::raw(format!(" {l}")));
    }
    f.render_widget(Paragraph::new(text), inner);
}
