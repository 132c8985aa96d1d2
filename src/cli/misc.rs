//! Shell completions and the man page, both generated from the clap definitions.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::output::emit;
use crate::error::{Error, Result};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "sesame", &mut buf);
    emit(&String::from_utf8_lossy(&buf))
}

pub fn man() -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    emit(&String::from_utf8_lossy(&buf))
}
