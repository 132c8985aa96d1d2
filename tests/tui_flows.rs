//! The TUI's newer flows as pure state transitions: answers routed by ticket, conflicts
//! and reloads, changes made elsewhere, the form's rules (empty values, asking before
//! dropping edits, schema changes), move, history values, the viewer, copy formats, and
//! the `:` line.

use crate::tui_support;

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use sesame::Scope;
use sesame::error::ErrorKind;
use sesame::secret::{Secret, SecretValue, Values, Version};
use sesame::tui::action::{ClipOp, Intent, Work};
use sesame::tui::app::{App, Popup, Screen, StatusKind, selected_meta};
use sesame::tui::event::{Event, Outcome};
use tui_support::*;

fn secret(scope: Scope, name: &str, schema: &str, pairs: &[(&str, &str)], version: u64) -> Secret {
    let mut values = Values::new();
    for (k, v) in pairs {
        values.insert(k.to_string(), SecretValue::new(*v));
    }
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    let mut meta = meta(scope, name, schema, &keys);
    meta.version = version;
    Secret { meta, values }
}

fn github() -> Secret {
    secret(
        Scope::User,
        "github",
        "arbitrary",
        &[("token", "ghp_xyz")],
        2,
    )
}

fn form(a: &App) -> &sesame::tui::form::Form {
    match &a.main().unwrap().popup {
        Some(Popup::Form(f)) => f,
        _ => panic!("no form open"),
    }
}

fn status(a: &App) -> String {
    a.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Opens the edit form on the selected secret with `s` as the vault's answer.
fn edit(a: &mut App, s: Secret, now: Instant) {
    let load = a.update(key('e'), now);
    answer(a, &load, Outcome::Secret(s), now);
}

#[test]
fn a_conflict_keeps_the_form_open_and_reload_brings_the_new_version() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    edit(&mut a, github(), now);
    a.update(code(KeyCode::Tab), now);
    typ(&mut a, "-mine", now);
    let save = a.update(ctrl('s'), now);
    refuse(
        &mut a,
        &save,
        ErrorKind::Conflict,
        "github changed: it is at version 3, not 2",
        now,
    );
    let f = form(&a);
    assert!(f.stale && !f.busy());
    assert!(
        f.error.as_ref().unwrap().contains("changed elsewhere"),
        "{:?}",
        f.error
    );
    assert!(f.error.as_ref().unwrap().contains("f5 reloads"));
    // A second save is refused until reloaded: nothing is overwritten by accident.
    assert!(a.update(ctrl('s'), now).is_empty());
    let reload = a.update(code(KeyCode::F(5)), now);
    assert!(matches!(work(&reload), Work::Get { .. }));
    let theirs = secret(
        Scope::User,
        "github",
        "arbitrary",
        &[("token", "theirs")],
        3,
    );
    answer(&mut a, &reload, Outcome::Secret(theirs), now);
    let f = form(&a);
    assert!(!f.stale);
    assert_eq!(f.expected(), Some(3));
    assert_eq!(f.rows[0].value_text(), "theirs");
    assert!(status(&a).contains("version 3"));
}

#[test]
fn a_failure_lands_where_it_was_asked_not_in_the_open_popup() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('d'), now);
    let delete = a.update(key('y'), now);
    // While the delete is in flight, the user opens the rename popup.
    a.update(key('m'), now);
    refuse(&mut a, &delete, ErrorKind::Storage, "disk full", now);
    let Some(Popup::Rename { error, .. }) = &a.main().unwrap().popup else {
        panic!("the rename popup stays open")
    };
    assert!(error.is_none(), "the delete's error is not the rename's");
    assert!(status(&a).starts_with("deleting github failed: disk full"));
}

#[test]
fn a_refused_compare_and_set_reloads_the_list() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('d'), now);
    let delete = a.update(key('y'), now);
    let after = refuse(&mut a, &delete, ErrorKind::Conflict, "github changed", now);
    assert!(matches!(work(&after), Work::List));
}

#[test]
fn a_change_made_elsewhere_reloads_the_list_keeping_selection_and_search() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('/'), now);
    typ(&mut a, "ml", now);
    a.update(code(KeyCode::Enter), now);
    assert_eq!(selected_meta(&a).unwrap().name.as_str(), "mlflow");
    let mut metas = sample();
    metas.push(meta(
        Scope::Workspace,
        "mlflow-staging",
        "arbitrary",
        &["k"],
    ));
    a.update(Event::Changed(listing(metas)), now);
    let m = a.main().unwrap();
    assert_eq!(m.list.len(), 6);
    assert_eq!(m.list.shown(), 2, "the search applies to the new list");
    assert_eq!(selected_meta(&a).unwrap().name.as_str(), "mlflow");
    assert!(status(&a).contains("1 new"));
}

#[test]
fn a_vault_locked_elsewhere_returns_to_the_unlock_screen() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Lost("the vault was locked elsewhere".into()), now);
    assert!(matches!(a.screen, Screen::Unlock(_)));
    assert!(status(&a).contains("locked elsewhere"));
    // A job refused because the agent locked itself does the same.
    let mut b = unlocked(sample(), now);
    let reveal = b.update(key('r'), now);
    refuse(
        &mut b,
        &reveal,
        ErrorKind::Locked,
        "the agent is locked",
        now,
    );
    assert!(matches!(b.screen, Screen::Unlock(_)));
}

#[test]
fn esc_on_a_changed_form_asks_and_only_yes_drops_the_edits() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('n'), now);
    // Untouched: Esc just closes.
    a.update(code(KeyCode::Esc), now);
    assert!(a.main().unwrap().popup.is_none());
    a.update(key('n'), now);
    typ(&mut a, "half-typed", now);
    a.update(code(KeyCode::Esc), now);
    assert!(form(&a).asking_discard);
    a.update(code(KeyCode::Enter), now); // not yes: back to the form
    assert!(!form(&a).asking_discard);
    assert_eq!(form(&a).name.lines()[0], "half-typed");
    a.update(code(KeyCode::Esc), now);
    a.update(key('y'), now);
    assert!(a.main().unwrap().popup.is_none());
}

#[test]
fn saving_an_unchanged_edit_writes_nothing() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    edit(&mut a, github(), now);
    assert!(a.update(ctrl('s'), now).is_empty());
    assert!(a.main().unwrap().popup.is_none());
    assert!(status(&a).contains("nothing changed"), "{}", status(&a));
}

#[test]
fn empty_values_the_schema_allows_are_kept() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    for _ in 0..3 {
        a.update(key('j'), now); // db
    }
    // Made by the CLI with an empty password (postgres: "may be empty") and an empty
    // optional sslmode: saved unchanged apart from the host, both stay empty strings.
    let db = secret(
        Scope::Workspace,
        "db",
        "postgres",
        &[
            ("database", "app"),
            ("host", "old"),
            ("password", ""),
            ("port", "5432"),
            ("sslmode", ""),
            ("user", "app"),
        ],
        2,
    );
    edit(&mut a, db, now);
    assert_eq!(form(&a).rows[0].key_text(), "host");
    typ(&mut a, "-new", now);
    let save = a.update(ctrl('s'), now);
    let Work::Update { change, .. } = work(&save) else {
        panic!("{save:?}")
    };
    assert_eq!(change.set["password"].expose(), "");
    assert_eq!(change.set["sslmode"].expose(), "");
    assert_eq!(change.set["host"].expose(), "old-new");
}

#[test]
fn a_line_break_can_be_typed_and_the_schema_changed_on_edit() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    edit(&mut a, github(), now);
    a.update(code(KeyCode::Tab), now); // the value
    a.update(alt(KeyCode::Enter), now);
    typ(&mut a, "second", now);
    assert!(form(&a).rows[0].multiline);
    // Back to the schema slot, and to another schema.
    a.update(code(KeyCode::BackTab), now);
    a.update(code(KeyCode::BackTab), now);
    a.update(code(KeyCode::Right), now);
    let schema = form(&a).schema_name().to_string();
    assert_ne!(schema, "arbitrary");
    assert!(form(&a).schema_changed().is_some());
    // Back to arbitrary for a save that passes validation; the value kept its line break.
    a.update(code(KeyCode::Left), now);
    let save = a.update(ctrl('s'), now);
    let Work::Update { change, .. } = work(&save) else {
        panic!("{save:?}")
    };
    assert_eq!(change.set["token"].expose(), "ghp_xyz\nsecond");
    assert_eq!(change.schema, None, "the same schema as before");
}

#[test]
fn move_to_the_other_scope_asks_then_says_it_is_a_new_secret() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('M'), now);
    let Some(Popup::Confirm(c)) = &a.main().unwrap().popup else {
        panic!()
    };
    assert!(c.lines.iter().any(|l| l.contains("new secret there")));
    let mv = a.update(key('y'), now);
    assert!(matches!(
        work(&mv),
        Work::Move { name, scope: Scope::User, expected: 2 } if name.as_str() == "github"
    ));
    let old = meta(Scope::User, "github", "arbitrary", &["token"]);
    let mut new = meta(Scope::Workspace, "github", "arbitrary", &["token"]);
    new.version = 1;
    answer(&mut a, &mv, Outcome::Moved { old, new }, now);
    let m = a.main().unwrap();
    assert!(
        m.list
            .contains(Scope::Workspace, &"github".parse().unwrap())
    );
    assert!(!m.list.contains(Scope::User, &"github".parse().unwrap()));
    assert!(status(&a).contains("a new secret there"));
}

#[test]
fn an_earlier_version_is_read_masked_then_revealed_then_restored() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let h = a.update(key('H'), now);
    let mut old = Values::new();
    old.insert("token".into(), SecretValue::new("ghp_old"));
    answer(
        &mut a,
        &h,
        Outcome::History {
            current: github(),
            versions: vec![Version {
                version: 1,
                schema: "arbitrary".into(),
                updated: 1_763_900_000,
                values: old,
            }],
        },
        now,
    );
    a.update(code(KeyCode::Enter), now); // view version 1
    let screen = render(&a, 80, 24);
    assert!(screen.contains("version 1") && !screen.contains("ghp_old"));
    a.update(key('r'), now);
    assert!(render(&a, 80, 24).contains("ghp_old"));
    a.update(Event::Tick, now + Duration::from_secs(25));
    assert!(
        !render(&a, 80, 24).contains("ghp_old"),
        "masked again in time"
    );
    a.update(code(KeyCode::Enter), now); // restore…
    assert!(a.update(key('n'), now).is_empty());
    assert!(
        matches!(a.main().unwrap().popup, Some(Popup::History(_))),
        "no goes back to the history"
    );
    a.update(code(KeyCode::Enter), now);
    let restore = a.update(key('y'), now);
    assert!(matches!(
        work(&restore),
        Work::Restore {
            version: 1,
            expected: 2,
            ..
        }
    ));
}

#[test]
fn the_viewer_shows_a_whole_multi_line_value_masked_until_revealed() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('l'), now);
    let view = a.update(key('v'), now);
    let pem: String = (0..60).map(|i| format!("line{i}\tx\r\n")).collect();
    let s = secret(Scope::User, "github", "arbitrary", &[("token", &pem)], 2);
    answer(&mut a, &view, Outcome::Secret(s), now);
    assert!(matches!(
        a.main().unwrap().popup,
        Some(Popup::Viewer { .. })
    ));
    assert!(!render(&a, 80, 24).contains("line0"));
    a.update(key('r'), now);
    let screen = render(&a, 80, 24);
    assert!(
        screen.contains("line0⇥x␍"),
        "tabs and CRs visible:\n{screen}"
    );
    for _ in 0..200 {
        a.update(key('j'), now);
    }
    let screen = render(&a, 80, 24);
    assert!(
        screen.contains("line59") && screen.contains("of 61"),
        "{screen}"
    );
    let Some(Popup::Viewer { scroll, .. }) = a.main().unwrap().popup else {
        panic!()
    };
    a.update(key('k'), now);
    let Some(Popup::Viewer { scroll: up, .. }) = a.main().unwrap().popup else {
        panic!()
    };
    assert_eq!(up + 1, scroll, "scrolling stops at the end");
}

#[test]
fn copy_as_env_json_and_reference() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key('Y'), now);
    let out = a.update(key('r'), now);
    assert!(
        matches!(&out[..], [Intent::Clipboard(ClipOp::Set(v))] if v.expose() == "{{github.token}}"),
        "a reference needs no decryption: {out:?}"
    );
    a.update(key('Y'), now);
    let out = a.update(key('p'), now);
    assert!(
        matches!(&out[..], [Intent::Clipboard(ClipOp::Set(v))] if v.expose() == "{{user:github.token}}")
    );
    a.update(key('Y'), now);
    let get = a.update(key('e'), now);
    let out = answer(&mut a, &get, Outcome::Secret(github()), now);
    assert!(
        matches!(&out[..], [Intent::Clipboard(ClipOp::Set(v))] if v.expose() == "TOKEN='ghp_xyz'\n")
    );
    a.update(key('Y'), now);
    let get = a.update(key('j'), now);
    let out = answer(&mut a, &get, Outcome::Secret(github()), now);
    let [Intent::Clipboard(ClipOp::Set(v))] = &out[..] else {
        panic!("{out:?}")
    };
    let doc: serde_json::Value = serde_json::from_str(v.expose()).unwrap();
    assert_eq!(doc["values"]["token"], "ghp_xyz");
    assert_eq!(doc["scope"], "user");
}

#[test]
fn the_command_line_completes_and_runs_any_action() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(key(':'), now);
    typ(&mut a, "del", now);
    a.update(code(KeyCode::Tab), now);
    assert_eq!(a.main().unwrap().command.as_ref().unwrap().text, "delete");
    assert!(render(&a, 80, 24).contains(":delete"));
    a.update(code(KeyCode::Enter), now);
    assert!(matches!(a.main().unwrap().popup, Some(Popup::Confirm(_))));
    a.update(code(KeyCode::Esc), now);
    a.update(key(':'), now);
    typ(&mut a, "frobnicate", now);
    a.update(code(KeyCode::Enter), now);
    let line = a.main().unwrap().command.as_ref().unwrap();
    assert!(line.error.as_ref().unwrap().contains("unknown command"));
    a.update(code(KeyCode::Esc), now);
    assert!(a.main().unwrap().command.is_none());
    a.update(key(':'), now);
    typ(&mut a, "quit", now);
    assert!(matches!(
        &a.update(code(KeyCode::Enter), now)[..],
        [Intent::Quit]
    ));
}

#[test]
fn sort_cycles_and_esc_goes_back_to_names() {
    let now = Instant::now();
    let mut metas = sample();
    metas[3].updated = 1_800_000_000; // db, most recent
    let mut a = unlocked(metas, now);
    a.update(key('s'), now);
    a.update(key('}'), now);
    assert_eq!(
        selected_meta(&a).unwrap().name.as_str(),
        "db",
        "newest first"
    );
    assert!(render(&a, 80, 24).contains("by updated"));
    a.update(code(KeyCode::Esc), now);
    assert_eq!(
        selected_meta(&a).unwrap().name.as_str(),
        "db",
        "the selection stays"
    );
    a.update(key('k'), now);
    assert_eq!(
        selected_meta(&a).unwrap().name.as_str(),
        "aws-prod",
        "by name again"
    );
}

#[test]
fn warnings_stay_visible() {
    let now = Instant::now();
    let mut a = app(true, now);
    a.warnings = vec!["line 3: [tui.keys] history: 'history' has no key now".into()];
    let open = a.open(None, now);
    answer(&mut a, &[open], Outcome::Unlocked(listing(sample())), now);
    assert_eq!(a.status.as_ref().unwrap().kind, StatusKind::Error);
    assert!(status(&a).contains("has no key"));
    assert!(render(&a, 80, 24).contains("1 warning"));
    a.update(key('?'), now);
    assert!(render(&a, 80, 24).contains("⚠ line 3"));
}

#[test]
fn narrow_terminals_take_turns_between_list_and_secret() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    a.update(Event::Resize(50, 16), now);
    a.update(code(KeyCode::Enter), now);
    let s = render(&a, 50, 16);
    assert!(s.contains("Details") && !s.contains("Secrets (5)"), "{s}");
    a.update(key('h'), now);
    let s = render(&a, 50, 16);
    assert!(s.contains("Secrets (5)") && !s.contains("Details"), "{s}");
}

#[test]
fn undo_brings_the_last_delete_back_from_the_trash() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let gh = selected_meta(&a).unwrap().clone();
    a.update(key('d'), now);
    let delete = a.update(key('y'), now);
    answer(&mut a, &delete, Outcome::Deleted(trashed(gh.clone())), now);
    assert!(render(&a, 80, 24).contains("u undo delete"));
    let undo = a.update(key('u'), now);
    let Work::TrashRestore { id, new_name } = work(&undo) else {
        panic!("{undo:?}")
    };
    assert_eq!(
        (id.name.as_str(), id.generation, new_name),
        ("github", 7, &None)
    );
    answer(&mut a, &undo, Outcome::Untrashed(gh), now);
    assert_eq!(a.main().unwrap().list.len(), 5);
    assert_eq!(selected_meta(&a).unwrap().name.as_str(), "github");
    assert!(status(&a).contains("restored github (user) from the trash"));
    // Nothing left to undo.
    assert!(a.update(key('u'), now).is_empty());
    assert!(status(&a).contains("Trash tab"));
}

#[test]
fn the_trash_tab_lists_restores_and_purges_asking_first() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    let list = a.update(key(']'), now);
    assert!(
        matches!(work(&list), Work::TrashList),
        "opening the tab reads the trash"
    );
    let old = trash_entry(meta(Scope::Workspace, "old-db", "postgres", &["password"]));
    let mut newer = trash_entry(meta(Scope::User, "token", "arbitrary", &["t"]));
    newer.deleted += 10;
    answer(
        &mut a,
        &list,
        Outcome::Trash(vec![old.clone(), newer.clone()]),
        now,
    );
    let s = render(&a, 80, 24);
    assert!(s.contains("Trash (2)"), "{s}");
    let first = s.lines().position(|l| l.contains(" token ")).unwrap();
    let second = s.lines().position(|l| l.contains(" old-db ")).unwrap();
    assert!(first < second, "newest deletion first:\n{s}");
    // Purging asks; Enter is no.
    a.update(key('d'), now);
    assert!(render(&a, 80, 24).contains("Purge 'token' (user) from the trash"));
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    a.update(key('P'), now);
    assert!(render(&a, 80, 24).contains("Purge all 2 secret(s)"));
    let purge = a.update(key('y'), now);
    assert!(matches!(work(&purge), Work::TrashPurge { id: None }));
    let reload = answer(&mut a, &purge, Outcome::Purged(2), now);
    assert!(
        matches!(work(&reload), Work::TrashList),
        "the tab reads the trash again"
    );
    assert!(status(&a).contains("gone from the vault files"));
    // Restoring a name that is taken again asks for another name.
    answer(&mut a, &reload, Outcome::Trash(vec![old.clone()]), now);
    let restore = a.update(code(KeyCode::Enter), now);
    refuse(
        &mut a,
        &restore,
        ErrorKind::Exists,
        "a secret named 'old-db' already exists",
        now,
    );
    assert!(matches!(
        a.main().unwrap().popup,
        Some(Popup::RestoreAs { .. })
    ));
    let again = a.update(code(KeyCode::Enter), now);
    assert!(matches!(
        work(&again),
        Work::TrashRestore { new_name: Some(n), .. } if n.as_str() == "old-db-restored"
    ));
}
