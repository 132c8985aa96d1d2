//! The TUI's state transitions as pure functions: event in, new state and intents out.
//! No terminal, no vault, no clock: time is passed in, the worker's answers are events.

use crate::tui_support;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use sesame::Scope;
use sesame::error::ErrorKind;
use sesame::secret::{Secret, SecretValue, Values};
use sesame::tui::action::{ClipOp, Intent, Work};
use sesame::tui::app::{Focus, Popup, Screen, StatusKind, selected_meta};
use sesame::tui::clipboard::ClipReport;
use sesame::tui::event::{Event, Outcome};
use tui_support::*;

fn selected(a: &sesame::tui::app::App) -> String {
    selected_meta(a)
        .map(|m| m.name.to_string())
        .unwrap_or_default()
}

fn github() -> Secret {
    let mut values = Values::new();
    values.insert("token".into(), SecretValue::new("ghp_xyz"));
    Secret {
        meta: meta(Scope::User, "github", "arbitrary", &["token"]),
        values,
    }
}

#[test]
fn unlock_sends_the_passphrase_and_a_wrong_one_lets_you_retry() {
    let now = Instant::now();
    let mut a = app(true, now);
    typ(&mut a, "pw", now);
    let intents = a.update(code(KeyCode::Enter), now);
    assert!(matches!(work(&intents), Work::Unlock(p) if p.expose() == "pw"));
    assert!(a.busy());
    refuse(
        &mut a,
        &intents,
        ErrorKind::WrongPassphrase,
        "wrong passphrase",
        now,
    );
    let Screen::Unlock(u) = &a.screen else {
        panic!("still on unlock")
    };
    assert_eq!(u.error.as_deref(), Some("wrong passphrase"));
    assert!(!u.busy && !a.busy());
    typ(&mut a, "pw2", now);
    let again = a.update(code(KeyCode::Enter), now);
    assert!(matches!(work(&again), Work::Unlock(p) if p.expose() == "pw2"));
}

#[test]
fn q_quits_while_the_key_is_derived_and_resizes_are_taken() {
    let now = Instant::now();
    let mut a = app(true, now);
    typ(&mut a, "pw", now);
    a.update(code(KeyCode::Enter), now);
    // Typing waits for the answer, but a resize is seen and q quits.
    assert!(a.update(key('x'), now).is_empty());
    a.update(Event::Resize(100, 30), now);
    assert_eq!(a.size, (100, 30));
    assert!(render(&a, 100, 30).contains("unlocking"));
    assert!(matches!(&a.update(key('q'), now)[..], [Intent::Quit]));
    assert!(a.quit);
}

#[test]
fn opening_with_an_unlocked_agent_goes_straight_to_the_list() {
    let now = Instant::now();
    let mut a = app(true, now);
    let open = a.open(None, now);
    assert!(matches!(
        &open,
        Intent::Work {
            work: Work::Open { passphrase: None },
            ..
        }
    ));
    assert!(render(&a, 80, 24).contains("opening the vault"));
    // No agent unlocked: the answer asks for the passphrase.
    answer(&mut a, &[open], Outcome::NeedPassphrase, now);
    let Screen::Unlock(u) = &a.screen else {
        panic!()
    };
    assert!(!u.busy);
    let a = unlocked(sample(), now);
    assert_eq!(a.main().unwrap().list.len(), 5);
}

#[test]
fn esc_or_ctrl_c_quits_the_unlock_screen() {
    let now = Instant::now();
    let mut a = app(true, now);
    assert!(matches!(
        &a.update(code(KeyCode::Esc), now)[..],
        [Intent::Quit]
    ));
    let mut a = app(true, now);
    assert!(matches!(&a.update(ctrl('c'), now)[..], [Intent::Quit]));
    assert!(a.quit);
}

#[test]
fn wizard_needs_the_same_passphrase_twice() {
    let now = Instant::now();
    let mut a = app(false, now);
    typ(&mut a, "abc", now);
    a.update(code(KeyCode::Enter), now);
    typ(&mut a, "abd", now);
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    typ(&mut a, "abc", now);
    a.update(code(KeyCode::Enter), now);
    typ(&mut a, "abc", now);
    let intents = a.update(code(KeyCode::Enter), now);
    assert!(matches!(work(&intents), Work::CreateVault(p) if p.expose() == "abc"));
}

#[test]
fn vim_keys_and_arrows_move_and_skip_headings() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    assert_eq!(selected(&a), "github");
    a.update(key('j'), now);
    assert_eq!(selected(&a), "npm");
    a.update(code(KeyCode::Down), now);
    assert_eq!(selected(&a), "aws-prod");
    a.update(key('k'), now);
    assert_eq!(selected(&a), "npm");
    a.update(key('G'), now);
    assert_eq!(selected(&a), "mlflow");
    a.update(code(KeyCode::Home), now);
    assert_eq!(selected(&a), "github");
    a.update(code(KeyCode::PageDown), now);
    assert_eq!(selected(&a), "mlflow");
    a.update(key('{'), now);
    assert_eq!(selected(&a), "github", "{{ jumps to the previous scope");
    a.update(key('}'), now);
    assert_eq!(selected(&a), "aws-prod", "}} jumps to the next scope");
}

#[test]
fn groups_collapse_and_expand() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key(' '), now);
    let m = a.main().unwrap();
    assert_eq!(m.list.selected_header(), Some(Scope::User));
    assert!(!render(&a, 80, 24).contains("github"));
    a.update(key('j'), now);
    assert_eq!(selected(&a), "aws-prod");
    a.update(key('k'), now);
    a.update(code(KeyCode::Enter), now); // enter on a collapsed group expands it
    assert_eq!(selected(&a), "github");
}

#[test]
fn search_ranks_narrows_on_every_keystroke_and_esc_clears() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('/'), now);
    a.update(key('m'), now);
    let shown = |a: &sesame::tui::app::App| a.main().unwrap().list.shown();
    let after_m = shown(&a);
    a.update(key('l'), now);
    assert_eq!(shown(&a), 1);
    assert!(after_m >= 1);
    assert_eq!(selected(&a), "mlflow");
    // `q` while searching is text, not quit.
    assert!(a.update(key('q'), now).is_empty());
    assert_eq!(shown(&a), 0);
    a.update(code(KeyCode::Backspace), now);
    assert_eq!(shown(&a), 1);
    a.update(code(KeyCode::Esc), now);
    assert_eq!(shown(&a), 5);
    assert!(!a.main().unwrap().filtering);
    // "pass" matches keys only; names-only mode finds nothing.
    a.update(key('/'), now);
    typ(&mut a, "pass", now);
    assert_eq!(shown(&a), 2);
    a.update(ctrl('t'), now);
    assert_eq!(shown(&a), 0);
    a.update(ctrl('t'), now);
    typ(&mut a, "$", now);
    assert_eq!(shown(&a), 0, "no field ends in pass");
    a.update(ctrl('u'), now);
    assert_eq!(a.main().unwrap().list.query(), "", "ctrl-u clears the line");
    assert!(a.main().unwrap().filtering);
}

#[test]
fn delete_asks_first_and_enter_means_no() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('d'), now);
    assert!(matches!(a.main().unwrap().popup, Some(Popup::Confirm(_))));
    assert!(
        a.update(code(KeyCode::Enter), now).is_empty(),
        "Enter is no"
    );
    assert!(a.main().unwrap().popup.is_none());
    a.update(key('d'), now);
    assert!(a.update(key('n'), now).is_empty());
    a.update(key('d'), now);
    let intents = a.update(key('y'), now);
    assert!(matches!(
        work(&intents),
        Work::Delete { name, scope: Scope::User, expected: 2 } if name.as_str() == "github"
    ));
    let m = selected_meta(&a).unwrap().clone();
    answer(&mut a, &intents, Outcome::Deleted(trashed(m)), now);
    assert_eq!(a.main().unwrap().list.len(), 4);
    let status = &a.status.as_ref().unwrap().text;
    assert!(
        status.starts_with("deleted github (user) to the trash until 2025-12-24: u undoes"),
        "{status}"
    );
}

#[test]
fn reveal_decrypts_on_demand_and_masks_again() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    assert!(
        a.main().unwrap().revealed.is_none(),
        "nothing decrypted to list"
    );
    let intents = a.update(key('r'), now);
    assert!(matches!(work(&intents), Work::Get { name, .. } if name.as_str() == "github"));
    answer(&mut a, &intents, Outcome::Secret(github()), now);
    let shown =
        |a: &sesame::tui::app::App| a.main().unwrap().revealed.as_ref().map(|r| r.shown.len());
    assert_eq!(shown(&a), Some(1));
    // Toggling again needs no decryption.
    assert!(a.update(key('r'), now).is_empty());
    assert_eq!(shown(&a), Some(0));
    a.update(key('R'), now);
    a.update(Event::Tick, now + Duration::from_secs(60));
    assert!(a.main().unwrap().revealed.is_none());
    // Moving drops revealed values at once.
    let intents = a.update(key('R'), now);
    answer(&mut a, &intents, Outcome::Secret(github()), now);
    a.update(key('j'), now);
    assert!(a.main().unwrap().revealed.is_none());
}

#[test]
fn an_answer_for_a_secret_no_longer_selected_is_dropped() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let intents = a.update(key('r'), now);
    a.update(key('j'), now); // moved on before the answer came
    answer(&mut a, &intents, Outcome::Secret(github()), now);
    assert!(a.main().unwrap().revealed.is_none());
}

#[test]
fn copy_names_the_key_never_the_value_and_clears_later() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let intents = a.update(key('y'), now);
    assert!(matches!(work(&intents), Work::Get { .. }));
    let out = answer(&mut a, &intents, Outcome::Secret(github()), now);
    assert!(matches!(&out[..], [Intent::Clipboard(ClipOp::Set(v))] if v.expose() == "ghp_xyz"));
    a.update(
        Event::Clipboard(ClipReport::Set {
            how: "OSC 52".into(),
        }),
        now,
    );
    let status = a.status.clone().unwrap();
    assert!(
        status.text.contains("'token' of github") && status.text.contains("30 s"),
        "{}",
        status.text
    );
    assert!(!status.text.contains("ghp_xyz"));
    assert!(
        a.update(Event::Tick, now + Duration::from_secs(29))
            .is_empty()
    );
    let later = a.update(Event::Tick, now + Duration::from_secs(30));
    assert!(matches!(&later[..], [Intent::Clipboard(ClipOp::Clear)]));
    // The report of the clear is the truth the runtime found.
    a.update(
        Event::Clipboard(ClipReport::Cleared(
            "clipboard cleared (tmux buffer overwritten and deleted)".into(),
        )),
        now + Duration::from_secs(30),
    );
    assert!(a.status.as_ref().unwrap().text.contains("tmux buffer"));
}

#[test]
fn status_messages_expire() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('s'), now); // "sorted by updated"
    assert!(a.status.is_some());
    a.update(Event::Tick, now + Duration::from_secs(7));
    assert!(a.status.is_none(), "information goes after a few seconds");
}

#[test]
fn auto_lock_after_idle_returns_to_unlock_and_forgets_everything() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('j'), now + Duration::from_secs(60));
    assert!(
        a.update(Event::Tick, now + Duration::from_secs(300))
            .is_empty()
    );
    let intents = a.update(Event::Tick, now + Duration::from_secs(360));
    assert!(matches!(work(&intents), Work::Lock));
    assert!(matches!(a.screen, Screen::Unlock(_)));
    assert!(a.main().is_none());
}

#[test]
fn auto_lock_with_work_in_flight_drops_its_answer() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let reveal = a.update(key('R'), now);
    let lock = a.update(Event::Tick, now + Duration::from_secs(301));
    assert!(matches!(work(&lock), Work::Lock));
    assert!(
        a.status.as_ref().unwrap().text.contains("finish first"),
        "{:?}",
        a.status
    );
    // The reveal's answer arrives after the lock: nothing lands on the locked screen.
    answer(
        &mut a,
        &reveal,
        Outcome::Secret(github()),
        now + Duration::from_secs(302),
    );
    assert!(matches!(a.screen, Screen::Unlock(_)));
    assert!(!render(&a, 80, 24).contains("ghp_xyz"));
}

#[test]
fn form_creates_a_secret_with_typed_keys() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "redis", now);
    a.update(code(KeyCode::Tab), now); // scope
    a.update(code(KeyCode::Tab), now); // schema
    a.update(code(KeyCode::Tab), now); // key
    typ(&mut a, "url", now);
    a.update(code(KeyCode::Tab), now); // value
    typ(&mut a, "redis://x", now);
    a.update(Event::Paste(SecretValue::new("\n")), now); // a stray newline from a paste is kept in values
    a.update(ctrl('n'), now);
    typ(&mut a, "password", now);
    a.update(code(KeyCode::Enter), now);
    typ(&mut a, "pw", now);
    let intents = a.update(ctrl('s'), now);
    let Work::Create {
        name,
        scope,
        schema,
        values,
    } = work(&intents)
    else {
        panic!("expected a create, got {intents:?}");
    };
    assert_eq!(name.as_str(), "redis");
    assert_eq!(*scope, Scope::Workspace);
    assert_eq!(schema, "arbitrary");
    assert_eq!(values.keys().collect::<Vec<_>>(), ["password", "url"]);
    assert_eq!(values["password"].expose(), "pw");
    assert_eq!(values["url"].expose(), "redis://x\n");
}

#[test]
fn form_refuses_to_save_with_the_reason_at_the_field() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    assert!(a.update(ctrl('s'), now).is_empty(), "empty name refused");
    let Some(Popup::Form(f)) = &a.main().unwrap().popup else {
        panic!()
    };
    assert!(f.name_error.is_some());
    assert!(f.error.as_ref().unwrap().starts_with("not saved"));
    // The vault's own refusal (e.g. the name exists) shows in the form, which stays open.
    typ(&mut a, "github", now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Tab), now);
    a.update(code(KeyCode::Tab), now);
    typ(&mut a, "k", now);
    a.update(code(KeyCode::Tab), now);
    typ(&mut a, "v", now);
    let save = a.update(ctrl('s'), now);
    refuse(
        &mut a,
        &save,
        ErrorKind::Exists,
        "a secret named 'github' already exists",
        now,
    );
    let Some(Popup::Form(f)) = &a.main().unwrap().popup else {
        panic!("form closed")
    };
    assert!(f.error.as_ref().unwrap().contains("already exists"));
    assert!(!f.busy());
}

#[test]
fn edit_loads_then_updates_replacing_values_with_the_loaded_version() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let intents = a.update(key('e'), now);
    assert!(matches!(work(&intents), Work::Get { .. }));
    answer(&mut a, &intents, Outcome::Secret(github()), now);
    a.update(code(KeyCode::Tab), now); // key -> value
    typ(&mut a, "2", now);
    let intents = a.update(ctrl('s'), now);
    let Work::Update {
        change, expected, ..
    } = work(&intents)
    else {
        panic!("{intents:?}")
    };
    assert!(change.replace);
    assert_eq!(*expected, 2, "the version the form was loaded from");
    assert_eq!(change.set["token"].expose(), "ghp_xyz2");
}

#[test]
fn quit_and_help_and_tabs() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('?'), now);
    assert!(matches!(a.main().unwrap().popup, Some(Popup::Help { .. })));
    a.update(code(KeyCode::Esc), now);
    assert!(a.main().unwrap().popup.is_none());
    a.update(key(']'), now);
    assert_eq!(a.main().unwrap().tab, sesame::tui::app::Tab::Trash);
    assert!(matches!(&a.update(key('q'), now)[..], [Intent::Quit]));
}

#[test]
fn help_scrolls_to_its_end_and_no_further() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('?'), now);
    for _ in 0..500 {
        a.update(key('j'), now);
    }
    let Some(Popup::Help { scroll }) = a.main().unwrap().popup else {
        panic!()
    };
    assert!(scroll > 0 && scroll < 100, "{scroll}");
    a.update(key('k'), now);
    let Some(Popup::Help { scroll: after }) = a.main().unwrap().popup else {
        panic!()
    };
    assert_eq!(after, scroll - 1, "one key up moves one line");
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let click = |col, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Rows: tabs (0), border (1), "user" heading (2), github (3), npm (4), heading (5), aws-prod (6)
    a.update(click(5, 6), now);
    assert_eq!(selected(&a), "aws-prod");
    a.update(
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollUp,
            column: 5,
            row: 6,
            modifiers: KeyModifiers::NONE,
        }),
        now,
    );
    assert_eq!(selected(&a), "github");
    a.update(click(50, 10), now);
    assert_eq!(a.main().unwrap().focus, Focus::Detail);
}

#[test]
fn too_small_ignores_keys_but_quit_and_lock() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Resize(30, 10), now);
    assert!(a.update(key('d'), now).is_empty());
    assert!(a.main().unwrap().popup.is_none());
    a.update(Event::Resize(80, 24), now);
    assert!(a.update(key('d'), now).is_empty());
    assert!(a.main().unwrap().popup.is_some());
    let mut b = unlocked(sample(), now);
    b.update(Event::Resize(20, 5), now);
    let lock = b.update(ctrl('l'), now);
    assert!(
        matches!(work(&lock), Work::Lock),
        "ctrl-l locks at any size"
    );
    assert!(matches!(b.screen, Screen::Unlock(_)));
}

#[test]
fn keymap_overrides_from_config_apply() {
    let now = Instant::now();
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("quit".to_string(), vec!["ctrl-q".to_string()]);
    let (km, problems) = sesame::tui::keymap::Keymap::build(&keys);
    assert!(problems.is_empty());
    let mut a = unlocked(sample(), now);
    a.keymap = km;
    assert!(a.update(key('q'), now).is_empty());
    assert!(matches!(&a.update(ctrl('q'), now)[..], [Intent::Quit]));
}

#[test]
fn errors_show_in_the_status_bar_naming_what_failed() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let intents = a.update(key('H'), now);
    refuse(
        &mut a,
        &intents,
        ErrorKind::CorruptRecord,
        "the record of x is damaged",
        now,
    );
    let s = a.status.as_ref().unwrap();
    assert_eq!(s.kind, StatusKind::Error);
    assert!(
        s.text.starts_with("reading the history of github failed"),
        "{}",
        s.text
    );
}

#[test]
fn paste_of_a_large_multiline_value_is_kept_exactly() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    typ(&mut a, "deploy-key", now);
    a.update(code(KeyCode::Tab), now); // scope
    a.update(code(KeyCode::Tab), now); // schema
    for _ in 0..7 {
        a.update(code(KeyCode::Right), now); // arbitrary -> ... -> ssh
    }
    a.update(code(KeyCode::Tab), now); // private_key, a multi-line field
    // A 4096-bit key is ~3.2 KiB; paste 64 KiB of PEM-shaped lines to be sure.
    let body: String = (0..1000)
        .map(|i| format!("{:064x}\n", u128::from(i as u32) * 0x9e37_79b9_7f4a_7c15))
        .collect();
    let pem =
        format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}-----END OPENSSH PRIVATE KEY-----\n");
    a.update(Event::Paste(SecretValue::new(pem.clone())), now);
    let intents = a.update(ctrl('s'), now);
    let Work::Create {
        name,
        schema,
        values,
        ..
    } = work(&intents)
    else {
        panic!("expected a create, got {intents:?}");
    };
    assert_eq!((name.as_str(), schema.as_str()), ("deploy-key", "ssh"));
    assert_eq!(values["private_key"].expose(), pem);
}

#[test]
fn quitting_with_a_copy_pending_clears_the_clipboard_first() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let intents = a.update(key('y'), now);
    answer(&mut a, &intents, Outcome::Secret(github()), now);
    a.update(
        Event::Clipboard(ClipReport::Set {
            how: "OSC 52".into(),
        }),
        now,
    );
    let intents = a.update(key('q'), now + Duration::from_secs(5));
    assert!(
        matches!(
            &intents[..],
            [Intent::Clipboard(ClipOp::Clear), Intent::Quit]
        ),
        "{intents:?}"
    );
    // Without a pending copy, quitting touches nothing.
    let mut b = unlocked(sample(), now);
    assert!(matches!(&b.update(key('q'), now)[..], [Intent::Quit]));
}
