//! The Sync tab and the conflict view, driven through `App::update` with the worker's
//! answers (as the runtime feeds them) and rendered to the TestBackend: backends and their
//! connection state, every secret's state, push/pull of one or all, a conflict asking before
//! one side is taken whole, progress, and a conflict settled key by key.

use crate::tui_support;

use std::time::Instant;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use sesame::backend::{RemoteId, RemoteSecret, RemoteVersion};
use sesame::error::ErrorKind;
use sesame::secret::{Secret, SecretValue, Values, Version};
use sesame::sync::merge::Sides;
use sesame::sync::plan::{self, Direction, Filter};
use sesame::tui::action::{Intent, Work};
use sesame::tui::app::{App, Popup, Screen};
use sesame::tui::event::{Event, Outcome, SyncReport};
use sesame::vault::{LocalState, SyncBase};
use sesame::{Scope, SecretName};
use tui_support::*;

fn id(n: &str) -> RemoteId {
    RemoteId::new(Scope::Workspace, SecretName::new(n).unwrap())
}

fn vals(kv: &[(&str, &str)]) -> Values {
    kv.iter()
        .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
        .collect()
}

/// An unlocked app with two backends configured, on the Sync tab; returns the status job.
fn on_sync_tab(now: Instant) -> (App, Vec<Intent>) {
    let mut a = app(true, now);
    a.backends = vec![
        ("team".into(), "vault".into()),
        ("cloud".into(), "aws".into()),
    ];
    let open = a.open(None, now);
    answer(&mut a, &[open], Outcome::Unlocked(listing(sample())), now);
    let asked = a.update(key('['), now); // Secrets -> Sync (the tabs wrap)
    (a, asked)
}

fn local(n: &str, hash: u8) -> LocalState {
    LocalState {
        id: id(n),
        version: 3,
        schema: "arbitrary".into(),
        hash: [hash; 32],
    }
}

fn base(n: &str, hash: u8, v: &str) -> (RemoteId, SyncBase) {
    (
        id(n),
        SyncBase {
            hash: [hash; 32],
            remote_version: RemoteVersion(v.into()),
            synced_at: 0,
        },
    )
}

/// One of each state.
fn rows() -> Vec<plan::Row> {
    let locals = [
        local("api", 1),
        local("db", 9),
        local("fresh", 1),
        local("cache", 1),
    ];
    let bases = [
        base("api", 1, "1"),
        base("db", 1, "1"),
        base("cache", 1, "1"),
    ];
    let remote = [
        (id("api"), RemoteVersion("1".into())),
        (id("db"), RemoteVersion("2".into())),
        (id("cache"), RemoteVersion("5".into())),
        (id("theirs"), RemoteVersion("1".into())),
    ];
    plan::rows(&locals, &bases, &remote, &Filter::default())
}

fn report(rows: Vec<plan::Row>) -> Outcome {
    Outcome::Sync(Box::new(SyncReport {
        backend: "team".into(),
        rows,
        foreign: 1,
        results: Vec::new(),
        summary: None,
        listing: None,
    }))
}

fn sync_pane(a: &App) -> &sesame::tui::app::SyncPane {
    &a.main().unwrap().sync
}

#[test]
fn opening_the_tab_asks_the_chosen_backend_and_shows_every_state() {
    let now = Instant::now();
    let (mut a, asked) = on_sync_tab(now);
    assert!(
        matches!(work(&asked), Work::SyncStatus { backend } if backend == "team"),
        "{asked:?}"
    );
    assert!(render(&a, 80, 24).contains("asking 'team' where everything stands"));
    answer(&mut a, &asked, report(rows()), now);
    let screen = render(&a, 80, 24);
    assert_snapshot!("sync_tab_states", screen);
    for want in [
        "1 in sync · 1 to push · 2 to pull · 1 in conflict · 1 not sesame's",
        "changed on both sides",
        "remote only",
        "changed there",
    ] {
        assert!(screen.contains(want), "{want} in\n{screen}");
    }
    // Another backend: asked when chosen; a refusal is shown on the tab, named.
    let other = a.update(key('}'), now);
    assert!(matches!(work(&other), Work::SyncStatus { backend } if backend == "cloud"));
    refuse(
        &mut a,
        &other,
        ErrorKind::Remote,
        "backend 'cloud' is unreachable: connection refused",
        now,
    );
    let screen = render(&a, 80, 24);
    assert!(
        screen.contains("could not be reached or refused"),
        "{screen}"
    );
    assert!(screen.contains("connection refused"), "{screen}");
    assert_snapshot!("sync_tab_unreachable", screen);
    // F5 tries again.
    let again = a.update(code(KeyCode::F(5)), now);
    assert!(matches!(work(&again), Work::SyncStatus { backend } if backend == "cloud"));
}

#[test]
fn push_one_or_all_with_progress_and_a_conflict_asks_before_taking_a_side() {
    let now = Instant::now();
    let (mut a, asked) = on_sync_tab(now);
    answer(&mut a, &asked, report(rows()), now);
    // Rows are sorted by id: api, cache, db, fresh, theirs. The first is in sync.
    let push = a.update(key('p'), now);
    assert!(
        matches!(work(&push), Work::Sync { backend, direction: Direction::Push, only: Some(i), force: false } if backend == "team" && *i == id("api")),
        "{push:?}"
    );
    // A second sync waits for the first.
    let none = a.update(key('P'), now);
    assert!(none.is_empty(), "{none:?}");
    a.update(
        Event::Progress {
            ticket: ticket(&push),
            done: 1,
            total: 4,
        },
        now,
    );
    assert!(render(&a, 80, 24).contains("pushing 1/4"));
    answer(
        &mut a,
        &push,
        Outcome::Sync(Box::new(SyncReport {
            backend: "team".into(),
            rows: rows(),
            foreign: 0,
            results: vec![(id("fresh"), true, "backend 'team' is unreachable".into())],
            summary: Some(("pushed to 'team': 0 of 1 done, 1 failed".into(), true)),
            listing: None,
        })),
        now,
    );
    let screen = render(&a, 80, 24);
    assert!(!screen.contains("pushing 1/4"), "{screen}");
    assert!(screen.contains("0 of 1 done, 1 failed"), "{screen}");
    a.update(key('j'), now);
    a.update(key('j'), now);
    a.update(key('j'), now);
    assert_eq!(sync_pane(&a).row().unwrap().id, id("fresh"));
    let screen = render(&a, 80, 24);
    assert!(
        screen.contains("workspace/fresh: backend 'team' is unreachable"),
        "{screen}"
    );
    a.update(key('g'), now);
    // Everything, conflicts left alone.
    let all = a.update(key('F'), now);
    assert!(matches!(
        work(&all),
        Work::Sync {
            direction: Direction::Pull,
            only: None,
            force: false,
            ..
        }
    ));
    answer(&mut a, &all, report(rows()), now);
    // The conflict (db, third row): pull asks; Enter says no; y takes that side whole.
    a.update(key('j'), now);
    a.update(key('j'), now);
    assert_eq!(sync_pane(&a).row().unwrap().id, id("db"));
    assert!(a.update(key('f'), now).is_empty());
    assert!(render(&a, 80, 24).contains("take one side?"));
    assert!(a.update(code(KeyCode::Enter), now).is_empty());
    assert!(a.main().unwrap().popup.is_none());
    a.update(key('f'), now);
    let forced = a.update(key('y'), now);
    assert!(
        matches!(work(&forced), Work::Sync { direction: Direction::Pull, only: Some(i), force: true, .. } if *i == id("db")),
        "{forced:?}"
    );
}

fn conflict_sides() -> Sides {
    let here = Secret {
        meta: meta(
            Scope::Workspace,
            "db",
            "arbitrary",
            &["host", "pass", "user"],
        ),
        values: vals(&[("host", "h1"), ("pass", "mine"), ("user", "app")]),
    };
    Sides {
        id: id("db"),
        base: Some(Version {
            version: 2,
            schema: "arbitrary".into(),
            updated: 0,
            values: vals(&[("host", "h0"), ("pass", "p0"), ("user", "app")]),
        }),
        there: Some(RemoteSecret {
            id: id("db"),
            version: RemoteVersion("7".into()),
            schema: None,
            values: vals(&[("host", "h0"), ("pass", "theirs"), ("user", "root")]),
        }),
        here: Some(here),
    }
}

#[test]
fn a_conflict_is_settled_key_by_key_and_values_stay_masked_until_revealed() {
    let now = Instant::now();
    let (mut a, asked) = on_sync_tab(now);
    answer(&mut a, &asked, report(rows()), now);
    a.update(key('j'), now);
    a.update(key('j'), now);
    let view = a.update(key('v'), now);
    assert!(
        matches!(work(&view), Work::SyncSides { backend, id: i } if backend == "team" && *i == id("db"))
    );
    answer(
        &mut a,
        &view,
        Outcome::Sides(Box::new(conflict_sides())),
        now,
    );
    let screen = render(&a, 100, 24);
    assert_snapshot!("merge_masked", screen);
    for secret in ["mine", "theirs", "p0", "h1", "root"] {
        assert!(!screen.contains(secret), "{secret} shown masked:\n{screen}");
    }
    // host: changed here only -> here; pass: both -> conflict (here suggested); user: there.
    a.update(key('R'), now);
    let screen = render(&a, 100, 24);
    assert_snapshot!("merge_revealed", screen);
    assert!(screen.contains("! pass"), "{screen}");
    // pass: take there, then type a value instead; user: take here.
    a.update(key('j'), now);
    a.update(key('l'), now);
    a.update(key('e'), now);
    for _ in 0.."theirs".len() {
        a.update(code(KeyCode::Backspace), now);
    }
    typ(&mut a, "merged", now);
    // The edit line is masked like the values: ctrl-r hides and shows the key being typed.
    assert!(render(&a, 100, 24).contains("merged"));
    a.update(ctrl('r'), now);
    let screen = render(&a, 100, 24);
    assert!(
        !screen.contains("merged") && screen.contains("shows it"),
        "{screen}"
    );
    a.update(ctrl('r'), now);
    assert!(render(&a, 100, 24).contains("merged"));
    a.update(code(KeyCode::Enter), now);
    a.update(key('j'), now);
    a.update(key('h'), now);
    let save = a.update(ctrl('s'), now);
    match work(&save) {
        Work::SyncResolve {
            backend,
            id: i,
            values,
            local_version,
            remote_version,
            ..
        } => {
            assert_eq!(backend, "team");
            assert_eq!(*i, id("db"));
            assert_eq!(
                *values,
                vals(&[("host", "h1"), ("pass", "merged"), ("user", "app")])
            );
            assert_eq!(*local_version, Some(2));
            assert_eq!(*remote_version, Some(RemoteVersion("7".into())));
        }
        other => panic!("{other:?}"),
    }
    // Refused (it moved there meanwhile): said in the view, which stays open.
    refuse(
        &mut a,
        &save,
        ErrorKind::Conflict,
        "'db' changed in 'team' since it was read",
        now,
    );
    let screen = render(&a, 100, 24);
    assert!(
        screen.contains("not written: 'db' changed in 'team'"),
        "{screen}"
    );
    assert!(matches!(a.main().unwrap().popup, Some(Popup::Merge(_))));
    // Written: the view closes and the rows are fresh.
    let save = a.update(ctrl('s'), now);
    answer(&mut a, &save, report(rows()), now);
    assert!(a.main().unwrap().popup.is_none());
    assert!(matches!(a.screen, Screen::Main(_)));
}

#[test]
fn no_backend_says_how_to_add_one() {
    let now = Instant::now();
    let mut a = unlocked(sample(), now);
    assert!(a.update(key('['), now).is_empty());
    let screen = render(&a, 80, 24);
    assert!(screen.contains("No backends configured yet"), "{screen}");
    assert!(a.update(key('p'), now).is_empty());
}
