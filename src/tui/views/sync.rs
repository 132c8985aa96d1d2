//! The Sync tab. Backends are a later feature; until then this pane says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Theme;

pub fn draw(f: &mut Frame, area: Rect, theme: Theme) {
    let block = Block::bordered().title(" Sync ").border_style(theme.dim());
    let text = vec![
        Line::styled("No sync backends configured yet.", theme.heading()),
        Line::raw(""),
        Line::raw("Syncing with remote stores (HashiCorp Vault / OpenBao, AWS, GCP, Azure,"),
        Line::raw("a shared folder, exec plugins) is not built yet: this pane is a placeholder"),
        Line::raw("and nothing here talks to a remote store."),
    ];
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}
