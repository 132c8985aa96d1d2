//! Issue 9 in the TUI: a value, message or schema text holding terminal sequences (ESC, OSC
//! 52, CSI, C1 controls) is drawn without a single control character reaching the screen
//! buffer; earlier states of a value do not stay reachable through undo after a save.

use crate::tui_support;

use std::time::Instant;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sesame::Scope;
use sesame::error::ErrorKind;
use sesame::secret::{Secret, SecretValue, Values, Version};
use sesame::tui::action::Work;
use sesame::tui::app::{App, Popup};
use sesame::tui::event::Outcome;
use tui_support::*;

/// OSC 52 (clipboard), CSI (clear screen, colours), OSC 0 (title), BEL, C1 CSI and DEL.
const HOSTILE: &str =
    "a\x1b]52;c;cHduZWQ=\x07b\x1b[2Jc\x1b[31md\x1b]0;title\x07e\u{9b}1mf\x7fg\x00h\rj\x08k";

/// Every cell's symbol, concatenated: what a real terminal would be sent to draw.
fn cells(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| sesame::tui::views::draw(f, app)).unwrap();
    t.backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect()
}

fn assert_no_controls(app: &App, what: &str) {
    let drawn = cells(app);
    let bad: Vec<char> = drawn.chars().filter(|c| c.is_control()).collect();
    assert!(bad.is_empty(), "{what}: control characters drawn: {bad:?}");
}

fn hostile_secret() -> Secret {
    let mut values = Values::new();
    values.insert("token".into(), SecretValue::new(HOSTILE));
    values.insert(
        "note".into(),
        SecretValue::new(format!("{HOSTILE}\nsecond line")),
    );
    Secret {
        meta: meta(Scope::User, "github", "arbitrary", &["note", "token"]),
        values,
    }
}

#[test]
fn revealed_values_with_terminal_sequences_draw_no_control_characters() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let reveal = a.update(key('R'), now);
    answer(&mut a, &reveal, Outcome::Secret(hostile_secret()), now);
    let drawn = cells(&a);
    assert!(
        drawn.contains("52;c;cHduZWQ="),
        "the value is shown (its text)"
    );
    assert_no_controls(&a, "detail pane");
}

#[test]
fn messages_and_history_with_terminal_sequences_draw_no_control_characters() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let h = a.update(key('H'), now);
    refuse(
        &mut a,
        &h,
        ErrorKind::Invalid,
        &format!("refused: {HOSTILE}"),
        now,
    );
    assert_no_controls(&a, "status bar");
    let secret = hostile_secret();
    let old = Version {
        version: 1,
        schema: HOSTILE.into(),
        updated: u64::MAX,
        values: Values::new(),
    };
    let h = a.update(key('H'), now);
    answer(
        &mut a,
        &h,
        Outcome::History {
            current: secret,
            versions: vec![old],
        },
        now,
    );
    assert!(matches!(a.main().unwrap().popup, Some(Popup::History(_))));
    assert_no_controls(&a, "history popup");
    assert!(
        cells(&a).contains("invalid time"),
        "an impossible time is said"
    );
}

#[test]
fn a_form_holding_terminal_sequences_draws_no_control_characters() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let edit = a.update(key('e'), now);
    answer(&mut a, &edit, Outcome::Secret(hostile_secret()), now);
    assert!(matches!(a.main().unwrap().popup, Some(Popup::Form(_))));
    assert_no_controls(&a, "form, masked");
    a.update(ctrl('r'), now); // show values
    assert_no_controls(&a, "form, unmasked");
}

#[test]
fn undo_cannot_bring_back_a_value_after_a_save() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let edit = a.update(key('e'), now);
    let mut values = Values::new();
    values.insert("token".into(), SecretValue::new("old"));
    answer(
        &mut a,
        &edit,
        Outcome::Secret(Secret {
            meta: meta(Scope::User, "github", "arbitrary", &["token"]),
            values,
        }),
        now,
    );
    a.update(code(KeyCode::Tab), now); // key -> value
    typ(&mut a, "NEW", now);
    let saved = a.update(ctrl('s'), now);
    assert_eq!(saved.len(), 1);
    // The vault refuses; the form stays open with the text as typed.
    refuse(&mut a, &saved, ErrorKind::Invalid, "refused", now);
    a.update(ctrl('u'), now); // the editor's undo
    let again = a.update(ctrl('s'), now);
    let Work::Update { change, .. } = work(&again) else {
        panic!("{again:?}")
    };
    assert_eq!(
        change.set["token"].expose(),
        "oldNEW",
        "undo after a save must find no history"
    );
}

#[test]
fn a_passphrase_never_enters_an_undo_history() {
    let now = Instant::now();
    let mut a = app(true, now);
    typ(&mut a, "secret", now);
    a.update(ctrl('u'), now);
    let intents = a.update(code(KeyCode::Enter), now);
    let Work::Unlock(p) = work(&intents) else {
        panic!("{intents:?}")
    };
    assert_eq!(p.expose(), "secret", "ctrl-u undid nothing");
}

#[test]
fn the_form_refuses_a_secret_without_keys() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "empty", now);
    assert!(a.update(ctrl('s'), now).is_empty(), "nothing saved");
    let Some(Popup::Form(f)) = &a.main().unwrap().popup else {
        panic!("form closed")
    };
    assert!(
        f.error.as_ref().unwrap().contains("at least one key"),
        "{:?}",
        f.error
    );
}

#[test]
fn a_rename_that_shadows_says_so() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    // User "npm" renamed to "db", which the workspace scope has too.
    let old = meta(Scope::User, "npm", "arbitrary", &["token"]);
    let new = meta(Scope::User, "db", "arbitrary", &["token"]);
    a.update(key('j'), now);
    a.update(key('m'), now);
    for _ in 0..3 {
        a.update(code(KeyCode::Backspace), now);
    }
    typ(&mut a, "db", now);
    let rename = a.update(code(KeyCode::Enter), now);
    answer(&mut a, &rename, Outcome::Renamed { old, new }, now);
    let status = &a.status.as_ref().unwrap().text;
    assert!(
        status.contains("'db' also exists in the workspace scope"),
        "{status}"
    );
}
