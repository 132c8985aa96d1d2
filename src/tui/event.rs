//! Everything `App::update` reacts to: terminal input, the clock, the worker's answers (each
//! naming the intent it answers) and what the runtime did with the clipboard. All of them
//! arrive on one channel.

use std::time::Duration;

use crossterm::event::{self as ct, KeyEvent, KeyEventKind, MouseEvent};

use super::action::Ticket;
use super::clipboard::ClipReport;
use crate::error::{Error, ErrorKind};
use crate::secret::{Secret, SecretMeta, Version};
use crate::vault::{Deleted, Listing, TrashEntry};

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Pasted text: often a secret, so it is held as one (redacted Debug, zeroized).
    Paste(crate::secret::SecretValue),
    Resize(u16, u16),
    /// The clock moved on (the runtime ticks a few times a second, faster while busy).
    Tick,
    /// The worker finished the job `ticket`.
    Done {
        ticket: Ticket,
        result: Result<Outcome, Failure>,
    },
    /// Another process (a CLI command through the agent) changed the vault: the new list.
    Changed(Listing),
    /// The vault went out of reach by itself (the agent locked on its idle timer or on
    /// `sesame lock`, or exited): the message says which.
    Lost(String),
    /// What the runtime did with a clipboard intent.
    Clipboard(ClipReport),
    /// Something the vault had to tell (a backup write that failed and was queued, a record
    /// served from the backup store): shown in the status bar.
    Notice(String),
    /// How far the job `ticket` (a sync) has come.
    Progress {
        ticket: Ticket,
        done: usize,
        total: usize,
    },
}

/// What a job produced.
#[derive(Debug)]
pub enum Outcome {
    /// A passphrase is needed (no unlocked agent, none given up front).
    NeedPassphrase,
    Unlocked(Listing),
    Locked,
    Listed(Listing),
    Secret(Secret),
    /// A secret was created, updated or restored: its new metadata.
    Saved(SecretMeta),
    Renamed {
        old: SecretMeta,
        new: SecretMeta,
    },
    /// Deleted: in the trash (`trash`), or gone at once when the vault keeps no trash.
    Deleted(Deleted),
    Moved {
        old: SecretMeta,
        new: SecretMeta,
    },
    History {
        current: Secret,
        versions: Vec<Version>,
    },
    Trash(Vec<TrashEntry>),
    /// A trashed secret is back: its metadata.
    Untrashed(SecretMeta),
    /// How many trashed secrets were purged.
    Purged(usize),
    /// Where every secret stands with a backend (after a status, a sync or a resolve).
    Sync(Box<SyncReport>),
    /// One secret's three sides, for the conflict view.
    Sides(Box<crate::sync::merge::Sides>),
}

/// A backend's rows, and what the last sync did to each secret it touched.
#[derive(Debug)]
pub struct SyncReport {
    pub backend: String,
    pub rows: Vec<crate::sync::plan::Row>,
    /// Remote names under the prefix that are not sesame's (left alone).
    pub foreign: usize,
    /// Per secret touched: failed or not, and what happened, in words.
    pub results: Vec<(crate::backend::RemoteId, bool, String)>,
    /// One line for the status bar, and whether it reports a failure.
    pub summary: Option<(String, bool)>,
    /// The vault's list when the sync wrote to it.
    pub listing: Option<Listing>,
}

/// Why a job failed: the error's kind (a conflict, a locked vault, a refusal...) and its
/// one-line message. Never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Waits up to `timeout` for terminal input. `Ok(None)` means the time passed.
pub fn read(timeout: Duration) -> std::io::Result<Option<Event>> {
    if !ct::poll(timeout)? {
        return Ok(None);
    }
    Ok(match ct::read()? {
        // Only presses: Windows and the kitty protocol also report releases.
        ct::Event::Key(k) if k.kind != KeyEventKind::Release => Some(Event::Key(k)),
        ct::Event::Mouse(m) => Some(Event::Mouse(m)),
        ct::Event::Paste(s) => Some(Event::Paste(crate::secret::SecretValue::new(s))),
        ct::Event::Resize(w, h) => Some(Event::Resize(w, h)),
        _ => None,
    })
}
