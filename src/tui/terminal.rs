//! Entering and leaving the TUI's terminal mode. The panic hook restores the terminal
//! before the panic message is printed, so a crash never leaves a raw, alternate screen.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::error::{Error, Result};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

static HOOK: Once = Once::new();
/// Set while the alternate screen is ours, so `restore` blanks it only then.
static IN_ALTERNATE: AtomicBool = AtomicBool::new(false);

/// Raw mode, alternate screen, mouse and bracketed paste; installs the panic hook once.
pub fn setup() -> Result<Term> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::error::panic_is_expected() {
                return;
            }
            restore();
            previous(info);
        }));
    });
    enable_raw_mode().map_err(|e| Error::io("cannot switch the terminal to raw mode", e))?;
    let mut out = io::stdout();
    if let Err(e) = execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    ) {
        restore();
        return Err(Error::io("cannot set up the terminal", e));
    }
    IN_ALTERNATE.store(true, Ordering::SeqCst);
    Terminal::new(CrosstermBackend::new(out)).map_err(|e| {
        restore();
        Error::io("cannot set up the terminal", e)
    })
}

/// Undoes `setup`. Safe to call twice (the panic hook and the normal exit both may).
pub fn restore() {
    let mut out = io::stdout();
    // Blank the alternate screen before leaving it: some terminals (tmux 3.3 after a resize)
    // copy its rows into the shell's scrollback on the way out, revealed values included.
    if IN_ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            out,
            crossterm::cursor::MoveTo(0, 0),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        );
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Writes an OSC 52 "set clipboard" sequence. An empty `payload_b64` asks the terminal to
/// clear the clipboard. tmux forwards OSC 52 when `set-clipboard` is `on` (its default,
/// `external`, keeps it to outer applications only).
pub fn write_osc52(out: &mut impl Write, payload_b64: &str) -> io::Result<()> {
    write!(out, "\x1b]52;c;{payload_b64}\x07")?;
    out.flush()
}
