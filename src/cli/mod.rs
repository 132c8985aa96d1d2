//! The headless one-shot face: clap definitions, one module per command group, and the few
//! things every command shares (the session, the vault, the output format). No storage or
//! crypto here: every command is a short walk over `sesame::vault::Vault`.

pub mod args;
pub mod init;
pub mod maintain;
pub mod misc;
pub mod output;
pub mod prompt;
pub mod schema;
pub mod secret;
pub mod start;
pub mod transfer;
pub mod values;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::session::{Options, Session};
use crate::vault::Vault;

/// Developer secrets in an encrypted local vault.
#[derive(Parser, Debug)]
#[command(
    name = "sesame",
    version,
    about = "Developer secrets in an encrypted local vault",
    long_about = "Developer secrets in an encrypted local vault.\n\n\
        Run without a command for the interactive interface, or with a command for one \
        headless step. Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, \
        4 wrong passphrase or locked, 5 validation failed, 6 conflict, 7 remote unreachable."
)]
pub struct Cli {
    /// Vault directory [default: the platform data dir, e.g. ~/.local/share/sesame/vault]
    #[arg(long, global = true, env = "SESAME_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Config file [default: the platform config dir, e.g. ~/.config/sesame/config.toml]
    #[arg(long, global = true, env = "SESAME_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE (or set SESAME_PASSPHRASE)
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Never prompt: anything that would ask fails with an error instead (for scripts and CI)
    #[arg(long, global = true)]
    pub headless: bool,
    /// Output format where the output is data (each command accepts the formats that fit it)
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new vault
    Init(init::InitArgs),
    /// Change the vault passphrase (re-wraps the vault key; secrets are not re-encrypted)
    Passwd(init::PasswdArgs),
    /// Create, read, change and move secrets
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Show the schemas secrets can follow
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// Read and authenticate every record, snapshot and the header, and report
    Verify,
    /// Rebuild a damaged vault from its snapshots and every readable record
    Recover(maintain::RecoverArgs),
    /// Rewrite the vault without its dead records (deleted secrets leave the files)
    Compact,
    /// Print a shell completion script
    Completions(misc::CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

/// Output formats. Each command says which of them it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
    Env,
    Csv,
    Tsv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Env => "env",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
        }
    }
}

/// What a command gets: the loaded session and the global flags that are not in it.
pub struct Context {
    pub session: Session,
    pub format: Option<Format>,
}

impl Context {
    pub fn headless(&self) -> bool {
        self.session.options.headless
    }

    /// The requested format if `command` accepts it, else `default`.
    pub fn format(&self, command: &str, allowed: &[Format], default: Format) -> Result<Format> {
        let Some(f) = self.format else {
            return Ok(default);
        };
        if allowed.contains(&f) {
            return Ok(f);
        }
        let names: Vec<_> = allowed.iter().map(|f| f.name()).collect();
        Err(Error::Usage(format!(
            "'{command}' cannot print --format {}: use one of {}",
            f.name(),
            names.join(", ")
        )))
    }

    /// Opens and unlocks the vault, asking for the passphrase only where that is allowed.
    /// What the vault has to tell (a migration, permissions tightened, a secret whose
    /// freshness could not be confirmed) is printed when it is dropped.
    pub fn open_vault(&self) -> Result<OpenVault> {
        self.session.require_vault()?;
        let vault = self.with_passphrase(|pass| self.session.unlock(pass))?;
        Ok(OpenVault(vault))
    }

    /// Runs `f` with the passphrase from the environment, a file, or (where allowed) a
    /// prompt; on a terminal a typo gets two more tries, as with sudo or ssh.
    pub fn with_passphrase<T>(&self, f: impl Fn(&[u8]) -> Result<T>) -> Result<T> {
        if let Some(pass) = self.session.passphrase_without_prompt()? {
            return f(pass.as_bytes());
        }
        if !prompt::can_prompt(self.headless()) {
            return Err(Error::NoPassphrase);
        }
        let mut attempts = 0;
        loop {
            let pass = prompt::hidden(&format!(
                "Passphrase for {}: ",
                self.session.vault_dir.display()
            ))?;
            match f(pass.as_bytes()) {
                Err(Error::WrongPassphrase(_)) if attempts < 2 => {
                    attempts += 1;
                    eprintln!("sesame: wrong passphrase, try again");
                }
                other => return other,
            }
        }
    }
}

/// An unlocked vault for one command; prints the vault's notices when the command is done.
pub struct OpenVault(Vault);

impl std::ops::Deref for OpenVault {
    type Target = Vault;
    fn deref(&self) -> &Vault {
        &self.0
    }
}

impl std::ops::DerefMut for OpenVault {
    fn deref_mut(&mut self) -> &mut Vault {
        &mut self.0
    }
}

impl Drop for OpenVault {
    fn drop(&mut self) {
        for n in self.0.take_notices() {
            eprintln!("sesame: {}", one_line(&n));
        }
    }
}

/// Parses the command line. Arbitrary `--KEY=VALUE` flags of `secret create|update` are
/// rewritten first (see [`args::rewrite_assignments`]). Usage errors are printed as one
/// line and exit 2; `--help` and `--version` print and exit 0.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Cli {
    let argv = args::rewrite_assignments(argv.into_iter().collect(), &Cli::command());
    let result = Cli::command()
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m));
    match result {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
                _ => {
                    eprintln!("sesame: {}", one_line_clap_error(&e.render().to_string()));
                    std::process::exit(crate::error::exit::USAGE);
                }
            }
        }
    }
}

/// clap's message without its usage block, folded onto one line.
fn one_line_clap_error(rendered: &str) -> String {
    let lines: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let msg = lines.join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    format!("{msg} (see --help)")
}

/// The session of the global flags; prints its warnings (e.g. broken custom schemas).
pub fn session(cli: &Cli) -> Result<Session> {
    let session = Session::load(Options {
        vault: cli.vault.clone(),
        config: cli.config.clone(),
        passphrase_file: cli.passphrase_file.clone(),
        headless: cli.headless,
    })?;
    for w in &session.warnings {
        warn(w);
    }
    Ok(session)
}

/// Runs one command; without one, `start` (the TUI on a terminal, else a short guide).
pub fn run(mut cli: Cli) -> Result<()> {
    let Some(command) = cli.command.take() else {
        return start::run(session(&cli)?);
    };
    // These need neither a config nor a vault.
    match &command {
        Command::Completions(a) => return misc::completions(a),
        Command::Man => return misc::man(),
        _ => {}
    }
    let ctx = Context {
        session: session(&cli)?,
        format: cli.format,
    };
    match command {
        Command::Init(a) => init::init(&ctx, a),
        Command::Passwd(a) => init::passwd(&ctx, a),
        Command::Secret(c) => secret::run(&ctx, c),
        Command::Schema(c) => schema::run(&ctx, c),
        Command::Verify => maintain::verify(&ctx),
        Command::Recover(a) => maintain::recover(&ctx, a),
        Command::Compact => maintain::compact(&ctx),
        Command::Completions(_) | Command::Man => unreachable!("handled above"),
    }
}

/// Prints an error as one line and returns its exit code.
pub fn report(e: &Error) -> i32 {
    eprintln!("sesame: {}", one_line(&e.to_string()));
    e.exit_code()
}

/// A status line for the person at the keyboard (stderr: stdout carries only data).
pub fn note(msg: &str) {
    eprintln!("{}", one_line(msg));
}

pub fn warn(msg: &str) {
    eprintln!("sesame: warning: {}", one_line(msg));
}

fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A panic hook that prints one line and no payload: a panic message could quote a value.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if crate::error::panic_is_expected() {
            return;
        }
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "sesame: internal error{place} (a bug; details withheld because they could contain secret values): please report it"
        );
    }));
}
