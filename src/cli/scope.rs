//! `--scope user|workspace` and `-p`, shared by every command that names a secret.

use clap::Args;

use crate::secret::Scope;

/// `--scope` and its shorthand `-p`.
#[derive(Args, Debug, Default, Clone)]
pub struct ScopeArgs {
    /// Scope: user (private to you) or workspace (shared); without it, user is tried first
    #[arg(long, value_name = "user|workspace", value_parser = parse_scope)]
    pub scope: Option<Scope>,
    /// Short for --scope user
    #[arg(short = 'p', long, conflicts_with = "scope")]
    pub private: bool,
}

impl ScopeArgs {
    pub fn get(&self) -> Option<Scope> {
        if self.private {
            Some(Scope::User)
        } else {
            self.scope
        }
    }
}

fn parse_scope(s: &str) -> std::result::Result<Scope, String> {
    // Not echoed: clap's message shows the flag, and what was typed might not be a scope.
    s.parse::<Scope>()
        .map_err(|_| "use 'user' or 'workspace'".to_string())
}
