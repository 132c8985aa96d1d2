//! Every screen rendered to ratatui's TestBackend at 80x24 and compared to a snapshot,
//! error states included.

use crate::tui_support;

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use sesame::Scope;
use sesame::error::ErrorKind;
use sesame::secret::{Secret, SecretValue, Values, Version};
use sesame::tui::event::{Event, Outcome};
use tui_support::*;

#[test]
fn wizard() {
    let now = Instant::now();
    let mut a = app(false, now);
    typ(&mut a, "correct horse", now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn wizard_mismatch() {
    let now = Instant::now();
    let mut a = app(false, now);
    typ(&mut a, "one two three four", now);
    a.update(code(KeyCode::Enter), now);
    typ(&mut a, "one two three five", now);
    a.update(code(KeyCode::Enter), now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn unlock() {
    let now = Instant::now();
    let mut a = app(true, now);
    typ(&mut a, "hunter2", now);
    let screen = render(&a, 80, 24);
    assert!(!screen.contains("hunter2"));
    assert_snapshot!(screen);
}

#[test]
fn unlock_wrong_passphrase() {
    let now = Instant::now();
    let mut a = app(true, now);
    typ(&mut a, "wrong", now);
    let unlock = a.update(code(KeyCode::Enter), now);
    refuse(
        &mut a,
        &unlock,
        ErrorKind::WrongPassphrase,
        "wrong passphrase",
        now,
    );
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn main_empty_vault() {
    let now = Instant::now();
    let a = unlocked(Vec::new(), now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn main_list() {
    let now = Instant::now();
    let a = unlocked(sample(), now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn filter_matches() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('/'), now);
    typ(&mut a, "pass", now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn filter_no_match() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('/'), now);
    typ(&mut a, "zzz", now);
    assert_snapshot!(render(&a, 80, 24));
}

fn db_secret() -> Secret {
    let mut values = Values::new();
    for (k, v) in [
        ("host", "db.internal"),
        ("password", "s3cret-pw"),
        ("port", "5432"),
        ("username", "app"),
    ] {
        values.insert(k.into(), SecretValue::new(v));
    }
    Secret {
        meta: meta(
            Scope::Workspace,
            "db",
            "postgres",
            &["host", "password", "port", "username"],
        ),
        values,
    }
}

#[test]
fn detail_revealed_one_key() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    // Move to db (user: github, npm; workspace: aws-prod, db).
    for _ in 0..3 {
        a.update(key('j'), now);
    }
    a.update(key('l'), now);
    a.update(key('j'), now); // password
    let intents = a.update(key('r'), now);
    assert_eq!(intents.len(), 1);
    answer(&mut a, &intents, Outcome::Secret(db_secret()), now);
    let screen = render(&a, 80, 24);
    assert!(screen.contains("s3cret-pw"));
    assert!(
        !screen.contains("db.internal"),
        "only the chosen key is revealed"
    );
    assert_snapshot!(screen);
    // After the reveal time the value is masked again.
    a.update(Event::Tick, now + Duration::from_secs(21));
    assert!(!render(&a, 80, 24).contains("s3cret-pw"));
}

#[test]
fn delete_confirm() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('d'), now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn rename_popup_invalid_name() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('m'), now);
    typ(&mut a, ".x", now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn form_create() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "redis", now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn form_validation_error() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "bad name", now);
    let intents = a.update(ctrl('s'), now);
    assert!(intents.is_empty(), "save refused");
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn form_edit_masks_values() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let mut s = db_secret();
    s.meta.schema = "arbitrary".into();
    let edit = a.update(key('e'), now);
    answer(&mut a, &edit, Outcome::Secret(s), now);
    let screen = render(&a, 80, 24);
    assert!(!screen.contains("s3cret-pw"));
    assert_snapshot!(screen);
}

#[test]
fn help() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('?'), now);
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn history() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let current = db_secret();
    let mut old = current.values.clone();
    old.insert("password".into(), SecretValue::new("older"));
    old.remove("port");
    for _ in 0..3 {
        a.update(key('j'), now); // db
    }
    let history = a.update(key('H'), now);
    answer(
        &mut a,
        &history,
        Outcome::History {
            current,
            versions: vec![Version {
                version: 1,
                schema: "postgres".into(),
                updated: 1_763_900_000,
                values: old,
            }],
        },
        now,
    );
    let screen = render(&a, 80, 24);
    assert!(!screen.contains("older"));
    assert_snapshot!(screen);
}

#[test]
fn sync_tab() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('['), now); // the tabs wrap around: Secrets -> Sync
    assert_snapshot!(render(&a, 80, 24));
}

#[test]
fn trash_tab() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let list = a.update(key(']'), now);
    let mut older = trash_entry(meta(Scope::Workspace, "old-db", "postgres", &["password"]));
    older.deleted -= 86_400;
    let newer = trash_entry(meta(Scope::User, "leaked-token", "arbitrary", &["t"]));
    answer(&mut a, &list, Outcome::Trash(vec![older, newer]), now);
    assert_snapshot!(render(&a, 80, 24));
    a.update(Event::Resize(44, 14), now);
    assert_snapshot!("trash_tab_narrow", render(&a, 44, 14));
}

#[test]
fn too_small() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Resize(36, 10), now);
    assert_snapshot!(render(&a, 36, 10));
    // Tiny sizes never panic.
    for (w, h) in [
        (0, 0),
        (1, 1),
        (10, 3),
        (80, 1),
        (1, 24),
        (40, 12),
        (39, 40),
    ] {
        a.update(Event::Resize(w, h), now);
        render(&a, w, h);
    }
}

#[test]
fn narrow_shows_one_pane_at_a_time() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Resize(60, 20), now);
    let list = render(&a, 60, 20);
    assert!(list.contains("github") && !list.contains("Details"));
    assert_snapshot!("narrow_list", list);
    a.update(code(KeyCode::Enter), now);
    let detail = render(&a, 60, 20);
    assert!(detail.contains("Details") && detail.contains("token"));
    assert_snapshot!("narrow_detail", detail);
    // The smallest size sesame draws: 40x12, with every screen.
    a.update(Event::Resize(40, 12), now);
    assert_snapshot!("smallest_detail", render(&a, 40, 12));
    a.update(code(KeyCode::Esc), now);
    assert_snapshot!("smallest_list", render(&a, 40, 12));
    a.update(key('e'), now);
    let mut b = app(true, now);
    b.update(Event::Resize(40, 12), now);
    assert_snapshot!("smallest_unlock", render(&b, 40, 12));
    let mut c = app(false, now);
    c.update(Event::Resize(40, 12), now);
    assert_snapshot!("smallest_wizard", render(&c, 40, 12));
}

#[test]
fn bigger_terminals_render() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Resize(200, 60), now);
    let s = render(&a, 200, 60);
    assert!(s.contains("mlflow"));
}

#[test]
fn form_schema_fields_with_inline_type_error() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "pg", now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Tab), now);
    while !render(&a, 80, 24).contains("‹ postgres ›") {
        a.update(code(KeyCode::Right), now);
    }
    a.update(code(KeyCode::Tab), now); // host
    typ(&mut a, "db.internal", now);
    a.update(code(KeyCode::Tab), now); // port, pre-filled with its default
    typ(&mut a, "x", now);
    assert!(a.update(ctrl('s'), now).is_empty(), "save refused");
    assert_snapshot!(render(&a, 80, 24));
}
