//! The headless one-shot face: clap definitions, one module per command group, and the few
//! things every command shares (the session, the vault, the output format). No storage or
//! crypto here: every command is a short walk over `sesame::vault::Vault`.

pub mod agent;
pub mod args;
pub mod backend;
pub mod backup;
pub mod fast;
pub mod init;
pub mod maintain;
pub mod misc;
pub mod output;
pub mod prompt;
pub mod refs;
pub mod run;
pub mod schema;
pub mod scope;
pub mod secret;
pub mod start;
pub mod sync;
pub mod transfer;
pub mod trash;
pub mod usage;
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
    // SESAME_VAULT and SESAME_CONFIG are read by `session`, not clap: clap reports an empty
    // variable as a missing `--vault` value, which names a flag the user never typed.
    /// Vault directory [env: SESAME_VAULT] [default: the platform data dir, e.g.
    /// ~/.local/share/sesame/vault]
    #[arg(long, global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Config file [env: SESAME_CONFIG] [default: the platform config dir, e.g.
    /// ~/.config/sesame/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the passphrase from the first line of FILE ('-' for stdin), or set SESAME_PASSPHRASE
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Never prompt: anything that would ask fails with an error instead (for scripts and CI)
    #[arg(long, global = true)]
    pub headless: bool,
    /// Print names and values exactly as stored, control characters included (on a terminal
    /// they are otherwise shown as \xNN; a pipe always gets them as stored)
    #[arg(long, global = true)]
    pub raw: bool,
    /// Open the vault in this process instead of through the agent (also SESAME_NO_AGENT=1)
    #[arg(long, global = true)]
    pub no_agent: bool,
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
    /// Write a file with every {{name.key}} reference replaced by its value
    Render(refs::RenderArgs),
    /// Check the references of files: that they parse, and that what they name exists
    Check(refs::CheckArgs),
    /// Ask for every secret and key a file references that the vault lacks
    RegisterMissing(refs::RegisterArgs),
    /// Run a command with secrets in its environment: sesame run -s db -- ./deploy.sh
    Run(run::RunArgs),
    /// Remote stores to sync with: add, list, show, remove, test, flavors
    #[command(subcommand)]
    Backend(backend::BackendCommand),
    /// Three-way sync with a backend: status, push, pull
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Copy every secret to the backup store, verifying each copy
    Backup(backup::BackupArgs),
    /// Copy secrets back from the backup store
    Restore(backup::RestoreArgs),
    /// Open the vault in the agent, so later commands and the TUI need no passphrase
    Unlock,
    /// Lock the agent: it wipes its keys and exits (every value out of reach)
    Lock,
    /// The agent that holds the unlocked vault: start, stop, status
    #[command(subcommand)]
    Agent(agent::AgentCommand),
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
    pub agent: crate::api::AgentUse,
}

impl Context {
    pub fn headless(&self) -> bool {
        self.session.options.headless
    }

    /// `--passphrase-file -`: stdin holds the passphrase, so nothing else may read it.
    pub fn passphrase_from_stdin(&self) -> bool {
        self.session
            .options
            .passphrase_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
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

    /// The vault for this command, through the agent when it may (started and unlocked as
    /// needed), else opened here; asks for the passphrase only when needed and allowed.
    /// What the vault has to tell is printed when the command is done.
    pub fn secrets(&self) -> Result<Opened> {
        let inner = self.secrets_unmirrored()?;
        let Some((name, cfg)) = crate::backup::configured(&self.session.config) else {
            return Ok(Opened(inner));
        };
        let m = crate::backup::Mirrored::new(inner, name, cfg, &self.session.vault_dir);
        // What an earlier command could not write to the backup store is written now.
        match m.drain() {
            Ok(0) => {}
            Ok(n) => note(&format!(
                "Backup store '{name}': {n} pending write(s) done."
            )),
            Err(e) => warn(&format!(
                "backup store '{name}': the writes queued earlier could not be written ({e}); they, and this command's, stay queued for the next command (sesame backend show {name})"
            )),
        }
        Ok(Opened(Box::new(m)))
    }

    /// [`Context::secrets`] without the backup store's mirror (the `backup` and `restore`
    /// commands talk to the store themselves).
    pub fn secrets_unmirrored(&self) -> Result<Box<dyn crate::api::Secrets>> {
        Ok(match crate::api::door(&self.session, self.agent)? {
            crate::api::Door::Open(s) => s,
            crate::api::Door::Locked(lock) => {
                let lock = std::cell::RefCell::new(lock);
                self.with_passphrase(|pass| lock.borrow_mut().unlock(pass))?
            }
        })
    }

    /// The schemas, with any problem loading the user's own said once.
    pub fn schemas(&self) -> &crate::schema::Registry {
        static SAID: std::sync::Once = std::sync::Once::new();
        let schemas = self.session.schemas();
        SAID.call_once(|| {
            for w in self.session.schema_warnings() {
                warn(w);
            }
        });
        schemas
    }

    /// Opens the vault in this process, for the commands that need it to themselves
    /// (`passwd`, `compact`): a running agent is asked to lock first (it exits).
    pub fn open_vault(&self) -> Result<OpenVault> {
        self.session.require_vault()?;
        self.stop_agent()?;
        let vault = self.with_passphrase(|pass| self.session.unlock(pass))?;
        Ok(OpenVault(vault))
    }

    /// Asks the vault's agent, if one runs, to lock (wipe its keys and exit), and waits
    /// until it has let go of the vault.
    pub fn stop_agent(&self) -> Result<bool> {
        crate::agent::client::stop(&self.session.vault_dir)
    }

    /// Runs `f` with the passphrase from the environment, a file, or (where allowed) a
    /// prompt; on a terminal a typo gets two more tries, as with sudo or ssh.
    pub fn with_passphrase<T>(&self, f: impl Fn(&[u8]) -> Result<T>) -> Result<T> {
        if let Some(pass) = self.session.passphrase_without_prompt()? {
            return f(pass.as_bytes());
        }
        if !prompt::can_prompt(self.headless()) {
            return Err(Error::NoPassphrase {
                headless: self.headless(),
            });
        }
        let mut attempts = 0;
        loop {
            let pass = prompt::hidden(&format!(
                "Passphrase for {}: ",
                self.session.vault_dir.display()
            ))?;
            match f(pass.as_bytes()) {
                Err(e) if e.kind() == crate::error::ErrorKind::WrongPassphrase && attempts < 2 => {
                    attempts += 1;
                    prompt::tell("sesame: wrong passphrase, try again");
                }
                other => return other,
            }
        }
    }
}

/// The vault for one command, in this process or through the agent; prints the vault's
/// notices when the command is done.
pub struct Opened(Box<dyn crate::api::Secrets>);

impl std::ops::Deref for Opened {
    type Target = dyn crate::api::Secrets;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        for n in self.0.take_notices() {
            output::message(&format!("sesame: {n}"));
        }
    }
}

/// The vault opened in this process for one command; prints its notices when done.
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
            output::message(&format!("sesame: {n}"));
        }
    }
}

/// Parses the command line. Arbitrary `--KEY=VALUE` flags of `secret create|update` are
/// rewritten first (see [`args::rewrite_assignments`]). Usage errors are printed as one
/// line that quotes no value (see [`usage`]) and exit 2; `--help` and `--version` print and
/// exit 0.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Cli {
    match try_parse(argv.into_iter().collect()) {
        Ok(cli) => cli,
        Err(Usage::Print(e)) => e.exit(),
        Err(Usage::Error(msg)) => {
            output::message(&format!("sesame: {msg}"));
            std::process::exit(crate::error::exit::USAGE);
        }
    }
}

/// Why parsing did not give a [`Cli`].
pub enum Usage {
    /// `--help` or `--version`: clap prints it (stdout, exit 0).
    Print(clap::Error),
    /// A usage error: the one-line message, without the `sesame: ` prefix.
    Error(String),
}

/// [`parse`] without printing or exiting (tests and fuzzing use it).
pub fn try_parse(argv: Vec<OsString>) -> std::result::Result<Cli, Usage> {
    // Built once (a warm `secret get` is mostly process start and this).
    let mut command = Cli::command();
    let rewritten = args::rewrite_assignments(argv.clone(), &command);
    let result = command
        .try_get_matches_from_mut(rewritten)
        .and_then(|m| Cli::from_arg_matches(&m));
    result.map_err(|e| {
        use clap::error::ErrorKind;
        match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Usage::Print(e),
            _ => Usage::Error(usage::message(&e, &argv, &command)),
        }
    })
}

/// The session of the global flags; prints its warnings (e.g. broken custom schemas).
pub fn session(cli: &Cli) -> Result<Session> {
    let env = crate::session::path_from_env;
    let session = Session::load(Options {
        vault: cli
            .vault
            .clone()
            .map_or_else(|| env(crate::session::ENV_VAULT), |p| Ok(Some(p)))?,
        config: cli
            .config
            .clone()
            .map_or_else(|| env(crate::session::ENV_CONFIG), |p| Ok(Some(p)))?,
        passphrase_file: cli.passphrase_file.clone(),
        headless: cli.headless,
    })?;
    // A broken keymap is a broken config file: refused here as in the TUI (its warnings
    // are the TUI's to show).
    crate::tui::keymap::check(&session.config)?;
    Ok(session)
}

/// How this command may use the agent: never with `--no-agent` or `SESAME_NO_AGENT` set
/// (to anything but "" or "0"); else a running one, started first when the config allows.
pub fn agent_use(cli_no_agent: bool, session: &Session) -> crate::api::AgentUse {
    use crate::api::AgentUse;
    let env_off =
        std::env::var_os(crate::agent::ENV_NO_AGENT).is_some_and(|v| !v.is_empty() && v != "0");
    if cli_no_agent || env_off {
        AgentUse::Off
    } else if session.config.agent.auto_start {
        AgentUse::Start
    } else {
        AgentUse::IfRunning
    }
}

/// Runs one command; without one, `start` (the TUI on a terminal, else a short guide).
pub fn run(mut cli: Cli) -> Result<()> {
    output::set_raw(cli.raw);
    let Some(command) = cli.command.take() else {
        let session = session(&cli)?;
        let agent = agent_use(cli.no_agent, &session);
        return start::run(session, agent);
    };
    // These need neither a config nor a vault.
    match &command {
        Command::Completions(a) => return misc::completions(a),
        Command::Man => return misc::man(),
        _ => {}
    }
    let session = session(&cli)?;
    let ctx = Context {
        agent: agent_use(cli.no_agent, &session),
        session,
        format: cli.format,
    };
    match command {
        Command::Init(a) => init::init(&ctx, a),
        Command::Passwd(a) => init::passwd(&ctx, a),
        Command::Secret(c) => secret::run(&ctx, c),
        Command::Schema(c) => schema::run(&ctx, c),
        Command::Render(a) => refs::render(&ctx, a),
        Command::Check(a) => refs::check(&ctx, a),
        Command::RegisterMissing(a) => refs::register_missing(&ctx, a),
        Command::Run(a) => run::run(&ctx, a),
        Command::Backend(c) => backend::run(&ctx, c),
        Command::Sync(c) => sync::run(&ctx, c),
        Command::Backup(a) => backup::backup(&ctx, a),
        Command::Restore(a) => backup::restore(&ctx, a),
        Command::Unlock => agent::unlock(&ctx),
        Command::Lock => agent::lock(&ctx),
        Command::Agent(c) => agent::run(&ctx, c),
        Command::Verify => maintain::verify(&ctx),
        Command::Recover(a) => maintain::recover(&ctx, a),
        Command::Compact => maintain::compact(&ctx),
        Command::Completions(_) | Command::Man => unreachable!("handled above"),
    }
}

/// Prints an error as one line and returns its exit code.
pub fn report(e: &Error) -> i32 {
    if !matches!(e, Error::Exit(_)) {
        output::message(&format!("sesame: {e}"));
    }
    e.exit_code()
}

/// A status line for the person at the keyboard (stderr: stdout carries only data).
pub fn note(msg: &str) {
    output::message(msg);
}

pub fn warn(msg: &str) {
    output::message(&format!("sesame: warning: {msg}"));
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
