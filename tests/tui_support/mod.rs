//! Shared helpers for the TUI tests: an app in a known state, key events, rendering.
#![allow(dead_code)]

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sesame::config::TuiConfig;
use sesame::schema::Registry;
use sesame::tui::app::{App, Settings};
use sesame::tui::event::Event;
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

/// An unlocked app showing `metas`.
pub fn unlocked(metas: Vec<SecretMeta>, now: Instant) -> App {
    let mut a = app(true, now);
    a.update(
        Event::Unlocked(Listing {
            secrets: metas,
            damaged: Vec::new(),
            problems: Vec::new(),
        }),
        now,
    );
    a
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
