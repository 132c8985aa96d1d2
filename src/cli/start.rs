//! `sesame` without a command: the TUI on a terminal; elsewhere (a pipe, CI, `--headless`)
//! a short getting-started text, since a full-screen interface has nowhere to draw.

use super::output::emit;
use super::prompt;
use crate::error::Result;
use crate::session::Session;

pub fn run(session: Session, agent: crate::api::AgentUse) -> Result<()> {
    if !session.options.headless && prompt::stdin_is_terminal() && prompt::stdout_is_terminal() {
        return crate::tui::run(session, agent);
    }
    let dir = session.vault_dir.display();
    let first = if session.vault_exists() {
        format!("Your vault is at {dir}.")
    } else {
        format!("No vault yet at {dir}: create one with\n    sesame init")
    };
    emit(&format!(
        "sesame keeps developer secrets in an encrypted local vault.\n\n{first}\n\n\
         Run 'sesame' on a terminal for the interactive interface, or use commands:\n\
         \x20   sesame secret create db --user=admin --password=@pw.txt\n\
         \x20   sesame secret get db --key password\n\
         \x20   sesame secret list\n\
         \x20   sesame schema list\n\n\
         See 'sesame --help' for every command, and 'sesame man' for the manual.\n"
    ))
}
