//! `sesame agent start|stop|status`, `sesame lock`, `sesame unlock`: the agent from the
//! command line. (`agent serve` is what `start` runs in the background.)

use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{emit, json};
use super::{Context, Format, note};
use crate::agent::client::{AgentClient, Found};
use crate::agent::protocol::PolicySpec;
use crate::api::{AgentUse, Door, Holder};
use crate::error::{Error, Result};

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Start the agent and unlock the vault in it (asks for the passphrase)
    Start,
    /// Lock the agent: it wipes its keys and exits
    Stop,
    /// Say whether an agent holds the vault, and for how long it stays unlocked
    Status,
    /// Run the agent in the foreground (what 'start' runs in the background)
    #[command(hide = true)]
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Lock (wipe the keys and exit) after this many seconds unused
    #[arg(long, value_name = "N")]
    pub idle_lock_seconds: Option<u64>,
}

pub fn run(ctx: &Context, cmd: AgentCommand) -> Result<()> {
    match cmd {
        AgentCommand::Start => unlock(ctx),
        AgentCommand::Stop => lock(ctx),
        AgentCommand::Status => status(ctx),
        AgentCommand::Serve(a) => {
            ctx.session.require_vault()?;
            let idle = a
                .idle_lock_seconds
                .unwrap_or(ctx.session.config.agent.idle_lock_minutes * 60)
                .max(1);
            crate::agent::server::serve(&ctx.session.vault_dir, Duration::from_secs(idle))
        }
    }
}

/// `sesame unlock` / `sesame agent start`: an agent holding the unlocked vault.
pub fn unlock(ctx: &Context) -> Result<()> {
    if ctx.agent == AgentUse::Off {
        return Err(Error::Usage(
            "unlock keeps the vault open in the agent, which --no-agent (or SESAME_NO_AGENT) turns off".into(),
        ));
    }
    let minutes = ctx.session.config.agent.idle_lock_minutes;
    let secrets = match crate::api::door(&ctx.session, AgentUse::Start)? {
        Door::Open(s) => {
            note(&format!(
                "Already unlocked: the agent{} holds the vault.",
                pid_of(s.holder())
            ));
            return Ok(());
        }
        Door::Locked(lock) => {
            let lock = std::cell::RefCell::new(lock);
            ctx.with_passphrase(|pass| lock.borrow_mut().unlock(pass))?
        }
    };
    for n in secrets.take_notices() {
        super::output::message(&format!("sesame: {n}"));
    }
    note(&format!(
        "Unlocked: the agent{} holds the vault; it locks itself after {minutes} minute(s) unused, or with 'sesame lock'.",
        pid_of(secrets.holder())
    ));
    Ok(())
}

/// `sesame lock` / `sesame agent stop`.
pub fn lock(ctx: &Context) -> Result<()> {
    if ctx.stop_agent()? {
        note("Locked: the agent wiped its keys and exited.");
    } else {
        note(
            "Nothing to lock: no agent holds this vault (a command that opens the vault itself closes it when it ends).",
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct StatusView {
    running: bool,
    pid: Option<u32>,
    unlocked: bool,
    idle_lock_in_seconds: Option<u64>,
    vault: String,
    socket: Option<String>,
}

fn status(ctx: &Context) -> Result<()> {
    let format = ctx.format(
        "agent status",
        &[Format::Table, Format::Json],
        Format::Table,
    )?;
    let socket = crate::agent::client::socket_for(&ctx.session.vault_dir);
    let view = match AgentClient::connect(&ctx.session.vault_dir, PolicySpec::default())? {
        Found::Agent(c) => {
            let s = c.status()?;
            StatusView {
                running: true,
                pid: Some(s.pid),
                unlocked: s.unlocked,
                idle_lock_in_seconds: Some(s.idle_lock_in),
                vault: s.vault.display().to_string(),
                socket: socket.map(|p| p.display().to_string()),
            }
        }
        Found::None => StatusView {
            running: false,
            pid: None,
            unlocked: false,
            idle_lock_in_seconds: None,
            vault: ctx.session.vault_dir.display().to_string(),
            socket: None,
        },
    };
    if format == Format::Json {
        return emit(&json(&view)?);
    }
    let text = match (view.running, view.pid, view.idle_lock_in_seconds) {
        (true, Some(pid), Some(secs)) if view.unlocked => format!(
            "agent running (pid {pid}) for {}: unlocked, locks itself in {}\n",
            view.vault,
            human_secs(secs)
        ),
        (true, Some(pid), _) => format!(
            "agent running (pid {pid}) for {}: locked (it exits within a minute unless unlocked)\n",
            view.vault
        ),
        _ => format!("no agent is running for {}\n", view.vault),
    };
    emit(&text)
}

fn pid_of(h: Holder) -> String {
    match h {
        Holder::Agent { pid } => format!(" (pid {pid})"),
        Holder::ThisProcess => String::new(),
    }
}

fn human_secs(s: u64) -> String {
    if s >= 120 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}
