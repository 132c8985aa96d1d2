//! `sesame sync status | push | pull BACKEND [NAME ...]`: three-way sync with a remote
//! store (DESIGN §6). One line per secret on stdout (what it is, or what was done to it),
//! a progress bar on a terminal, and an exit code that says how it went: 0 done, 6 something
//! was left in conflict, 7 a remote failed (a re-run finishes the job).

use clap::{Args, Subcommand};
use serde::Serialize;

use super::backend::configured;
use super::output::{Table, emit, json};
use super::{Context, Format, note, warn};
use crate::error::Result;
use crate::sync::apply::{Outcome, Report};
use crate::sync::plan::{self, Direction, Filter, State};

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Where each secret stands: in sync, local only, remote only, changed here or there,
    /// deleted here or there, conflict
    Status(StatusArgs),
    /// Write what changed here to the backend
    Push(RunArgs),
    /// Take what changed there into the vault
    Pull(RunArgs),
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    pub backend: String,
    /// Only these secrets (NAME, or user:NAME / workspace:NAME)
    pub names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    pub backend: String,
    /// Only these secrets (NAME, or user:NAME / workspace:NAME)
    pub names: Vec<String>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Settle conflicts by taking this side (push) or that side (pull)
    #[arg(long)]
    pub force: bool,
    /// Requests at a time
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

pub fn run(ctx: &Context, cmd: SyncCommand) -> Result<()> {
    match cmd {
        SyncCommand::Status(a) => status(ctx, a),
        SyncCommand::Push(a) => go(ctx, a, Direction::Push),
        SyncCommand::Pull(a) => go(ctx, a, Direction::Pull),
    }
}

#[derive(Serialize)]
struct RowView {
    name: String,
    scope: crate::Scope,
    state: State,
    detail: String,
}

fn detail(r: &plan::Row) -> String {
    match r.state {
        State::Conflict => r.conflict_detail().to_string(),
        _ => r.state.describe().to_string(),
    }
}

fn status(ctx: &Context, a: StatusArgs) -> Result<()> {
    let format = ctx.format("sync status", &[Format::Table, Format::Json], Format::Table)?;
    let cfg = configured(ctx, &a.backend)?;
    let filter = Filter {
        include_user_scope: cfg.include_user_scope,
        names: crate::sync::name_filter(&a.names)?,
    };
    let vault = ctx.secrets()?;
    let backend = crate::sync::open(&a.backend, cfg, &*vault)?;
    let st = crate::sync::status(&*vault, &*backend, &a.backend, &filter)?;
    warn_foreign(&a.backend, &st.foreign);
    let views: Vec<RowView> = st
        .rows
        .iter()
        .map(|r| RowView {
            name: r.id.name.to_string(),
            scope: r.id.scope,
            state: r.state,
            detail: detail(r),
        })
        .collect();
    if format == Format::Json {
        return emit(&json(&views)?);
    }
    if views.is_empty() {
        note(&format!("Nothing to sync with '{}' yet.", a.backend));
        return Ok(());
    }
    let mut t = Table::new(&["name", "scope", "state"]);
    for v in &views {
        t.push(vec![v.name.clone(), v.scope.to_string(), v.detail.clone()]);
    }
    emit(&t.aligned())?;
    let counts = |s: State| st.rows.iter().filter(|r| r.state == s).count();
    note(&format!(
        "{} in sync, {} to push, {} to pull, {} in conflict.",
        counts(State::InSync),
        counts(State::LocalOnly) + counts(State::ChangedHere) + counts(State::DeletedHere),
        counts(State::RemoteOnly) + counts(State::ChangedThere) + counts(State::DeletedThere),
        counts(State::Conflict)
    ));
    Ok(())
}

fn go(ctx: &Context, a: RunArgs, direction: Direction) -> Result<()> {
    let cfg = configured(ctx, &a.backend)?;
    let filter = Filter {
        include_user_scope: cfg.include_user_scope,
        names: crate::sync::name_filter(&a.names)?,
    };
    let vault = ctx.secrets()?;
    let backend = crate::sync::open(&a.backend, cfg, &*vault)?;
    let st = crate::sync::status(&*vault, &*backend, &a.backend, &filter)?;
    warn_foreign(&a.backend, &st.foreign);
    for (scope, name) in &filter.names {
        if !st
            .rows
            .iter()
            .any(|r| r.id.name == *name && scope.is_none_or(|s| s == r.id.scope))
        {
            warn(&format!("'{name}' is neither here nor in '{}'", a.backend));
        }
    }
    let plan = plan::plan(&st.rows, direction, a.force);
    let verb = if direction == Direction::Push {
        "push"
    } else {
        "pull"
    };
    if a.dry_run {
        let mut out = String::new();
        for action in &plan.actions {
            out.push_str(&format!("would {}\n", action.describe()));
        }
        for c in &plan.conflicts {
            out.push_str(&format!(
                "conflict {} ({}): left alone\n",
                c.id,
                c.conflict_detail()
            ));
        }
        emit(&out)?;
        note(&format!(
            "Dry run of a {verb} with '{}': {} action(s), {} conflict(s); nothing was changed.",
            a.backend,
            plan.actions.len(),
            plan.conflicts.len()
        ));
        return Ok(());
    }
    let bar = progress_bar(plan.actions.len());
    let reports = crate::sync::apply::apply(
        &*vault,
        &*backend,
        &a.backend,
        &plan.actions,
        usize::from(a.jobs),
        &|done, _, _| {
            if let Some(b) = &bar {
                b.set_position(done as u64);
            }
        },
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = String::new();
    for r in &reports {
        out.push_str(&line(r));
    }
    for c in &plan.conflicts {
        out.push_str(&format!(
            "conflict  {} ({}): left alone\n",
            c.id,
            c.conflict_detail()
        ));
    }
    emit(&out)?;
    let done = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Done(_) | Outcome::Equal))
        .count();
    note(&format!(
        "{} with '{}': {done} of {} done.",
        if direction == Direction::Push {
            "Pushed"
        } else {
            "Pulled"
        },
        a.backend,
        reports.len()
    ));
    match crate::sync::exit_error(&reports, plan.conflicts.len()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Remote names under the prefix that are not sesame's: said once per command, never touched.
fn warn_foreign(backend: &str, foreign: &[crate::backend::Foreign]) {
    for f in foreign {
        warn(&format!(
            "{backend}: '{}' is not a sesame secret ({}); left alone",
            f.raw, f.why
        ));
    }
}

fn line(r: &Report) -> String {
    match &r.outcome {
        Outcome::Done(what) => format!("ok        {}: {what}\n", r.id),
        Outcome::Equal => format!("ok        {}: the same on both sides\n", r.id),
        Outcome::Conflict(why) => format!("conflict  {why}\n"),
        Outcome::Failed(e) => format!("failed    {}: {e}\n", r.id),
    }
}

/// A progress bar on stderr when it is a terminal and there is enough to do to show one.
fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if total < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(total as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}
