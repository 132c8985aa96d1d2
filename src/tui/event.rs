//! Everything `App::update` reacts to: terminal input, the clock, and the outcome of the
//! intents the runtime performed. Reading crossterm's queue lives here too.

use std::time::Duration;

use crossterm::event::{self as ct, KeyEvent, KeyEventKind, MouseEvent};

use crate::secret::{Secret, SecretMeta, Version};
use crate::vault::Listing;

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Pasted text: often a secret, so it is held as one (redacted Debug, zeroized).
    Paste(crate::secret::SecretValue),
    Resize(u16, u16),
    /// The clock moved on (the runtime ticks a few times a second).
    Tick,
    // ---- outcomes of intents ------------------------------------------------------------
    Unlocked(Listing),
    /// Unlock or create failed: the message to show on that screen.
    UnlockFailed(String),
    Revealed(Secret),
    Copied {
        key: String,
        name: String,
    },
    LoadedForEdit(Secret),
    /// A secret was created, updated or restored: its new metadata.
    Saved {
        meta: SecretMeta,
        verb: &'static str,
    },
    Renamed {
        old: SecretMeta,
        new: SecretMeta,
    },
    Deleted(SecretMeta),
    History {
        current: Secret,
        versions: Vec<Version>,
    },
    /// An intent failed; the vault's message, shown in the status bar or the open form.
    Failed(String),
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
        _ => Some(Event::Tick),
    })
}
