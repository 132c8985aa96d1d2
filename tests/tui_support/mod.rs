//! Shared helpers for the TUI tests: an app in a known state, key events, the worker's
//! answers (matched to the intent's ticket, as the runtime does), rendering.
#![allow(dead_code)]

use std::time::Instant;

pub mod tmux;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sesame::config::TuiConfig;
use sesame::error::ErrorKind;
use sesame::schema::Registry;
use sesame::tui::action::{Intent, Ticket, Work};
use sesame::tui::app::{App, Settings};
use sesame::tui::event::{Event, Failure, Outcome};
use sesame::tui::keymap::Keymap;
use sesame::vault::Listing;
use sesame::{Scope, SecretMeta, SecretName};

pub fn app(vault_exists: bool, now: Instant) -> App {
    let mut app = App::new(
        Keymap::default_map(),
        Settings::from_config(&TuiConfig::default()),
        Registry::builtin(),
        "/home/dev/.local/share/sesame/vault".into(),
        vault_exists,
        now,
    );
    app.color = false;
    app.update(Event::Resize(80, 24), now);
    app
}

pub fn meta(scope: Scope, name: &str, schema: &str, keys: &[&str]) -> SecretMeta {
    SecretMeta {
        name: SecretName::new(name).unwrap(),
        scope,
        schema: schema.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        created: 1_763_900_000,
        updated: 1_763_986_400,
        version: 2,
    }
}

pub fn sample() -> Vec<SecretMeta> {
    vec![
        meta(Scope::User, "github", "arbitrary", &["token"]),
        meta(Scope::User, "npm", "arbitrary", &["token"]),
        meta(
            Scope::Workspace,
            "aws-prod",
            "aws",
            &["access_key_id", "secret_access_key"],
        ),
        meta(
            Scope::Workspace,
            "db",
            "postgres",
            &["host", "password", "port", "username"],
        ),
        meta(
            Scope::Workspace,
            "mlflow",
            "basic_auth",
            &["password", "username"],
        ),
    ]
}

pub fn listing(metas: Vec<SecretMeta>) -> Listing {
    Listing {
        secrets: metas,
        damaged: Vec::new(),
        problems: Vec::new(),
    }
}

/// What the vault answers to a delete: the secret, in the trash until a month later.
pub fn trashed(meta: SecretMeta) -> sesame::vault::Deleted {
    sesame::vault::Deleted {
        trash: Some(trash_entry(meta.clone())),
        meta,
    }
}

pub fn trash_entry(meta: SecretMeta) -> sesame::vault::TrashEntry {
    sesame::vault::TrashEntry {
        id: sesame::vault::TrashId {
            scope: meta.scope,
            name: meta.name.clone(),
            generation: 7,
        },
        meta,
        deleted: 1_764_000_000,
        purge_after: 1_766_592_000,
    }
}

/// An unlocked app showing `metas` (opened as the runtime does: the first job, answered).
pub fn unlocked(metas: Vec<SecretMeta>, now: Instant) -> App {
    let mut a = app(true, now);
    let open = a.open(None, now);
    answer(&mut a, &[open], Outcome::Unlocked(listing(metas)), now);
    a
}

/// The ticket of the (only) vault job among `intents`.
pub fn ticket(intents: &[Intent]) -> Ticket {
    let tickets: Vec<Ticket> = intents
        .iter()
        .filter_map(|i| match i {
            Intent::Work { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .collect();
    assert_eq!(tickets.len(), 1, "expected one job, got {intents:?}");
    tickets[0]
}

/// The work of the (only) vault job among `intents`.
pub fn work(intents: &[Intent]) -> &Work {
    intents
        .iter()
        .find_map(|i| match i {
            Intent::Work { work, .. } => Some(work),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no job in {intents:?}"))
}

/// The worker's answer to the job among `intents`.
pub fn answer(app: &mut App, intents: &[Intent], outcome: Outcome, now: Instant) -> Vec<Intent> {
    app.update(
        Event::Done {
            ticket: ticket(intents),
            result: Ok(outcome),
        },
        now,
    )
}

/// The worker's refusal of the job among `intents`.
pub fn refuse(
    app: &mut App,
    intents: &[Intent],
    kind: ErrorKind,
    message: &str,
    now: Instant,
) -> Vec<Intent> {
    app.update(
        Event::Done {
            ticket: ticket(intents),
            result: Err(Failure::new(kind, message)),
        },
        now,
    )
}

pub fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn alt(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::ALT))
}

pub fn typ(app: &mut App, text: &str, now: Instant) {
    for c in text.chars() {
        app.update(key(c), now);
    }
}

pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| sesame::tui::views::draw(f, app)).unwrap();
    if w == 0 || h == 0 {
        return String::new();
    }
    t.backend().to_string()
}
