//! The sync engine over the vault API and the in-process memory backend: three-way states,
//! push and pull, conflicts left alone, compare-and-set against a writer that moves between
//! the plan and the write (on either side), one secret's failure not stopping the rest, and
//! a re-run finishing the job.

use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use common::backends::{id, values};
use sesame::api::{Local, Policy, Secrets};
use sesame::backend::{
    self, Backend, BackendError, Expect, Listing, RemoteId, RemoteSecret, RemoteVersion,
};
use sesame::crypto::KdfParams;
use sesame::secret::Values;
use sesame::sync::apply::{Outcome, apply};
use sesame::sync::plan::{self, Direction, Filter, State};
use sesame::vault::Change;
use sesame::{Scope, SecretName, Vault};

fn vault() -> (tempfile::TempDir, Arc<dyn Secrets>) {
    let dir = tempfile::tempdir().unwrap();
    let kdf = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let v = Vault::init(&dir.path().join("v"), b"pw", kdf).unwrap();
    (dir, Arc::new(Local::new(v, Policy::default())))
}

fn name(n: &str) -> SecretName {
    SecretName::new(n).unwrap()
}

/// The memory backend, with secrets that fail on demand (an unreachable remote for them).
#[derive(Debug)]
struct Faulty {
    inner: Box<dyn Backend>,
    failing: Mutex<BTreeSet<String>>,
}

impl Faulty {
    fn new() -> Faulty {
        Faulty {
            inner: backend::open("memory", Default::default()).unwrap(),
            failing: Mutex::new(BTreeSet::new()),
        }
    }
    fn check(&self, id: &RemoteId) -> Result<(), BackendError> {
        if self.failing.lock().unwrap().contains(id.name.as_str()) {
            return Err(BackendError::Unreachable {
                backend: "memory".into(),
                detail: "connection refused (injected)".into(),
            });
        }
        Ok(())
    }
}

impl Backend for Faulty {
    fn flavor(&self) -> &'static str {
        "memory"
    }
    fn test(&self) -> Result<String, BackendError> {
        self.inner.test()
    }
    fn list(&self) -> Result<Listing, BackendError> {
        self.inner.list()
    }
    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        self.check(id)?;
        self.inner.get(id)
    }
    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        v: &Values,
        e: Expect,
    ) -> Result<RemoteVersion, BackendError> {
        self.check(id)?;
        self.inner.put(id, schema, v, e)
    }
    fn delete(&self, id: &RemoteId, e: Expect) -> Result<(), BackendError> {
        self.check(id)?;
        self.inner.delete(id, e)
    }
}

const B: &str = "mem";

fn states(vault: &dyn Secrets, remote: &dyn Backend) -> Vec<(String, State)> {
    sesame::sync::status(vault, remote, B, &Filter::default())
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.id.name.to_string(), r.state))
        .collect()
}

fn sync(
    vault: &dyn Secrets,
    remote: &dyn Backend,
    d: Direction,
    force: bool,
) -> (Vec<String>, usize) {
    let st = sesame::sync::status(vault, remote, B, &Filter::default()).unwrap();
    let p = plan::plan(&st.rows, d, force);
    let reports = apply(vault, remote, B, &p.actions, 4, &|_, _, _| {});
    let lines = reports
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.id.name,
                match &r.outcome {
                    Outcome::Done(w) => w.clone(),
                    Outcome::Equal => "equal".into(),
                    Outcome::Conflict(_) => "conflict".into(),
                    Outcome::Failed(e) => format!("failed: {e}"),
                }
            )
        })
        .collect();
    (lines, p.conflicts.len())
}

fn put_local(v: &dyn Secrets, n: &str, val: &str) {
    v.create(
        name(n),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", val)]),
    )
    .unwrap();
}

fn set_local(v: &dyn Secrets, n: &str, val: &str) {
    let change = Change {
        set: values(&[("k", val)]),
        ..Change::default()
    };
    v.update(&name(n), None, change, None).unwrap();
}

fn local_value(v: &dyn Secrets, n: &str) -> String {
    v.get(&name(n), None)
        .unwrap()
        .get("k")
        .unwrap()
        .expose()
        .to_string()
}

fn remote_value(r: &dyn Backend, n: &str) -> Option<String> {
    r.get(&id(n))
        .unwrap()
        .map(|s| s.values["k"].expose().to_string())
}

#[test]
fn push_then_pull_moves_every_change_and_settles_in_sync() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    for n in ["a", "b", "c"] {
        put_local(&*here, n, &format!("{n}1"));
    }
    assert!(
        states(&*here, &remote)
            .iter()
            .all(|(_, s)| *s == State::LocalOnly)
    );
    let (lines, _) = sync(&*here, &remote, Direction::Push, false);
    assert_eq!(
        lines,
        ["a created there", "b created there", "c created there"]
    );
    assert!(
        states(&*here, &remote)
            .iter()
            .all(|(_, s)| *s == State::InSync)
    );

    // Changes on each side, one each way, and a deletion each way.
    set_local(&*here, "a", "a2");
    remote
        .inner
        .put(&id("b"), "arbitrary", &values(&[("k", "b2")]), Expect::Any)
        .unwrap();
    here.delete(&name("c"), None, None, false).unwrap();
    put_local(&*here, "d", "d1");
    let st = states(&*here, &remote);
    assert_eq!(
        st,
        [
            ("a".into(), State::ChangedHere),
            ("b".into(), State::ChangedThere),
            ("c".into(), State::DeletedHere),
            ("d".into(), State::LocalOnly),
        ]
    );
    let (lines, _) = sync(&*here, &remote, Direction::Push, false);
    assert_eq!(
        lines,
        ["a updated there", "c deleted there", "d created there"]
    );
    assert_eq!(remote_value(&remote, "a").as_deref(), Some("a2"));
    assert_eq!(remote_value(&remote, "c"), None);
    let (lines, _) = sync(&*here, &remote, Direction::Pull, false);
    assert_eq!(lines, ["b updated here"]);
    assert_eq!(local_value(&*here, "b"), "b2");
    assert!(
        states(&*here, &remote)
            .iter()
            .all(|(_, s)| *s == State::InSync)
    );
    // A deletion there comes here as a deletion (into the trash).
    remote.inner.delete(&id("d"), Expect::Any).unwrap();
    let (lines, _) = sync(&*here, &remote, Direction::Pull, false);
    assert_eq!(lines, ["d deleted here (in the trash)"]);
    assert_eq!(here.trash_list().unwrap().len(), 2);
}

#[test]
fn conflicts_are_never_overwritten_and_equal_changes_are_no_conflict() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    put_local(&*here, "x", "1");
    put_local(&*here, "same", "1");
    sync(&*here, &remote, Direction::Push, false);
    set_local(&*here, "x", "mine");
    remote
        .inner
        .put(
            &id("x"),
            "arbitrary",
            &values(&[("k", "theirs")]),
            Expect::Any,
        )
        .unwrap();
    set_local(&*here, "same", "2");
    remote
        .inner
        .put(
            &id("same"),
            "arbitrary",
            &values(&[("k", "2")]),
            Expect::Any,
        )
        .unwrap();
    for d in [Direction::Push, Direction::Pull] {
        let (lines, _) = sync(&*here, &remote, d, false);
        assert!(lines.contains(&"x conflict".to_string()), "{lines:?}");
        assert_eq!(local_value(&*here, "x"), "mine");
        assert_eq!(remote_value(&remote, "x").as_deref(), Some("theirs"));
    }
    // The same change on both sides settled as in sync by the first comparison.
    assert!(states(&*here, &remote).contains(&("same".into(), State::InSync)));
    // --force picks a side.
    sync(&*here, &remote, Direction::Pull, true);
    assert_eq!(local_value(&*here, "x"), "theirs");
    assert!(
        states(&*here, &remote)
            .iter()
            .all(|(_, s)| *s == State::InSync)
    );
}

#[test]
fn a_writer_between_plan_and_write_is_never_overwritten() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    put_local(&*here, "x", "1");
    sync(&*here, &remote, Direction::Push, false);
    // Push planned, then the remote moves before the write: the backend's CAS refuses.
    set_local(&*here, "x", "2");
    let st = sesame::sync::status(&*here, &remote, B, &Filter::default()).unwrap();
    let p = plan::plan(&st.rows, Direction::Push, false);
    remote
        .inner
        .put(
            &id("x"),
            "arbitrary",
            &values(&[("k", "theirs")]),
            Expect::Any,
        )
        .unwrap();
    let r = apply(&*here, &remote, B, &p.actions, 2, &|_, _, _| {});
    assert!(
        matches!(r[0].outcome, Outcome::Conflict(_)),
        "{:?}",
        r[0].outcome
    );
    assert_eq!(remote_value(&remote, "x").as_deref(), Some("theirs"));
    // Pull planned, then a local edit (the TUI, say) before the write: the vault's CAS
    // refuses.
    let st = sesame::sync::status(&*here, &remote, B, &Filter::default()).unwrap();
    let p = plan::plan(&st.rows, Direction::Pull, true);
    set_local(&*here, "x", "edited meanwhile");
    let r = apply(&*here, &remote, B, &p.actions, 2, &|_, _, _| {});
    assert!(
        matches!(r[0].outcome, Outcome::Conflict(_)),
        "{:?}",
        r[0].outcome
    );
    assert_eq!(local_value(&*here, "x"), "edited meanwhile");
}

#[test]
fn one_failing_secret_does_not_stop_the_rest_and_a_rerun_finishes() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    for i in 0..20 {
        put_local(&*here, &format!("s{i:02}"), "v");
    }
    remote.failing.lock().unwrap().insert("s07".into());
    let st = sesame::sync::status(&*here, &remote, B, &Filter::default()).unwrap();
    let p = plan::plan(&st.rows, Direction::Push, false);
    let reports = apply(&*here, &remote, B, &p.actions, 8, &|_, _, _| {});
    let failed: Vec<&RemoteId> = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .map(|r| &r.id)
        .collect();
    assert_eq!(failed, [&id("s07")]);
    let e = sesame::sync::exit_error(&reports, 0).unwrap();
    assert_eq!(e.exit_code(), 7, "{e}");
    assert!(!e.to_string().contains("\n"));
    assert_eq!(remote.list().unwrap().entries.len(), 19);
    remote.failing.lock().unwrap().clear();
    let (lines, _) = sync(&*here, &remote, Direction::Push, false);
    assert_eq!(lines, ["s07 created there"]);
    assert!(
        states(&*here, &remote)
            .iter()
            .all(|(_, s)| *s == State::InSync)
    );
}

#[test]
fn a_rename_is_a_delete_and_a_create_never_an_orphan() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    put_local(&*here, "old", "1");
    sync(&*here, &remote, Direction::Push, false);
    here.rename(&name("old"), None, name("new"), None).unwrap();
    assert_eq!(
        states(&*here, &remote),
        [
            ("new".into(), State::LocalOnly),
            ("old".into(), State::DeletedHere)
        ]
    );
    sync(&*here, &remote, Direction::Push, false);
    assert_eq!(remote_value(&remote, "old"), None);
    assert_eq!(remote_value(&remote, "new").as_deref(), Some("1"));
}

#[test]
fn user_scope_stays_home_unless_the_backend_takes_it() {
    let (_a, here) = vault();
    let remote = Faulty::new();
    here.create(
        name("mine"),
        Scope::User,
        "arbitrary",
        values(&[("k", "private")]),
    )
    .unwrap();
    put_local(&*here, "team", "shared");
    sync(&*here, &remote, Direction::Push, false);
    assert_eq!(remote.list().unwrap().entries.len(), 1);
    let with_user = Filter {
        include_user_scope: true,
        ..Filter::default()
    };
    let st = sesame::sync::status(&*here, &remote, B, &with_user).unwrap();
    let p = plan::plan(&st.rows, Direction::Push, false);
    apply(&*here, &remote, B, &p.actions, 2, &|_, _, _| {});
    assert_eq!(remote.list().unwrap().entries.len(), 2);
}

#[test]
fn a_conflict_resolved_key_by_key_lands_on_both_sides_under_compare_and_set() {
    use sesame::sync::merge::{Pick, key_rows, merged, resolve, sides};
    let (_a, here) = vault();
    let remote = Faulty::new();
    here.create(
        name("db"),
        Scope::Workspace,
        "arbitrary",
        values(&[("user", "app"), ("pass", "p0"), ("host", "h0")]),
    )
    .unwrap();
    sync(&*here, &remote, Direction::Push, false);
    // Here: host and pass change; there: user and pass change.
    let change = Change {
        set: values(&[("host", "h1"), ("pass", "mine")]),
        ..Change::default()
    };
    here.update(&name("db"), None, change, None).unwrap();
    let v1 = remote.inner.get(&id("db")).unwrap().unwrap().version;
    remote
        .inner
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("user", "root"), ("pass", "theirs"), ("host", "h0")]),
            Expect::Version(v1),
        )
        .unwrap();
    assert!(states(&*here, &remote).contains(&("db".into(), State::Conflict)));

    let s = sides(&*here, &remote, B, &id("db")).unwrap();
    // The base's values were found in the local history.
    assert_eq!(s.base.as_ref().unwrap().values["pass"].expose(), "p0");
    let mut rows = key_rows(&s);
    let conflicted: Vec<&str> = rows
        .iter()
        .filter(|r| r.conflict)
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(conflicted, ["pass"]);
    let pass = rows.iter_mut().find(|r| r.key == "pass").unwrap();
    pass.pick = Pick::Edited(sesame::secret::SecretValue::new("merged"));
    let want = values(&[("host", "h1"), ("pass", "merged"), ("user", "root")]);
    assert_eq!(merged(&rows), want);

    // A write there since the view was read: refused, nothing changed on either side.
    let seen_there = s.there.as_ref().map(|t| t.version.clone());
    let seen_here = s.here.as_ref().map(|h| h.meta.version);
    let moved = remote
        .inner
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("user", "root"), ("pass", "again"), ("host", "h0")]),
            Expect::Any,
        )
        .unwrap();
    let err = resolve(
        &*here,
        &remote,
        B,
        &id("db"),
        "arbitrary",
        &want,
        seen_here,
        seen_there,
    )
    .unwrap_err();
    assert_eq!(err.kind(), sesame::error::ErrorKind::Conflict, "{err}");
    assert_eq!(
        here.get(&name("db"), None)
            .unwrap()
            .get("pass")
            .unwrap()
            .expose(),
        "mine"
    );

    // Looked at again, the resolve lands on both sides and the secret is in sync.
    resolve(
        &*here,
        &remote,
        B,
        &id("db"),
        "arbitrary",
        &want,
        seen_here,
        Some(moved),
    )
    .unwrap();
    assert_eq!(here.get(&name("db"), None).unwrap().values, want);
    assert_eq!(remote.inner.get(&id("db")).unwrap().unwrap().values, want);
    assert_eq!(states(&*here, &remote), [("db".to_string(), State::InSync)]);
}
