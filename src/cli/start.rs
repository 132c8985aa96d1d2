//! `sesame` without a command. The TUI takes this over; until then, a getting-started text.

use super::output::emit;
use crate::error::Result;
use crate::session::Session;

pub fn run(session: &Session) -> Result<()> {
    let dir = session.vault_dir.display();
    let first = if session.vault_exists() {
        format!("Your vault is at {dir}.")
    } else {
        format!("No vault yet at {dir}: create one with\n    sesame init")
    };
    emit(&format!(
        "sesame keeps developer secrets in an encrypted local vault.\n\n{first}\n\n\
         Then:\n\
         \x20   sesame secret create db --user=admin --password=@pw.txt\n\
         \x20   sesame secret get db --key password\n\
         \x20   sesame secret list\n\
         \x20   sesame schema list\n\n\
         See 'sesame --help' for every command, and 'sesame man' for the manual.\n"
    ))
}
