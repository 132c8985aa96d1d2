//! One contract for the vault API (`sesame::api::Secrets`), run against both
//! implementations: `Local` (the vault opened in this process) and the agent client talking
//! to a real `sesame agent serve` process. The same assertions hold for both: results,
//! error kinds and exit codes, messages, compare-and-set, and concurrent writers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sesame::agent::client::{AgentClient, Found};
use sesame::agent::protocol::PolicySpec;
use sesame::api::{Local, Policy, Secrets};
use sesame::crypto::KdfParams;
use sesame::error::ErrorKind;
use sesame::vault::{Change, ImportItem};
use sesame::{Scope, SecretName, SecretValue, Values, Vault};

const PASS: &str = "contract passphrase";

fn name(s: &str) -> SecretName {
    SecretName::new(s).unwrap()
}

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
        .collect()
}

fn new_vault(dir: &Path) -> PathBuf {
    let path = dir.join("vault");
    let kdf = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    drop(Vault::init(&path, PASS.as_bytes(), kdf).unwrap());
    path
}

/// A real agent process for `vault`, with its runtime dir under `dir`; stopped on drop.
struct RunningAgent {
    child: Child,
    client: Arc<AgentClient>,
}

impl RunningAgent {
    fn start(dir: &Path, vault: &Path) -> RunningAgent {
        let runtime = dir.join("runtime");
        let child = Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(["--vault"])
            .arg(vault)
            .args(["agent", "serve", "--idle-lock-seconds", "600"])
            .env_clear()
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("SESAME_CONFIG", dir.join("none.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let socket = sesame::agent::socket_dir_in(Some(runtime))
            .unwrap()
            .join(sesame::agent::socket_name(vault));
        let start = Instant::now();
        let client = loop {
            if let Found::Agent(c) =
                AgentClient::connect_at(&socket, PolicySpec::default()).unwrap()
            {
                break c;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the agent never listened"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        client.unlock(PASS).unwrap();
        RunningAgent {
            child,
            client: Arc::new(client),
        }
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.client.lock();
        let _ = self.child.wait();
    }
}

/// Runs `check` against a fresh vault through `Local`, then through a real agent.
fn both(check: impl Fn(Arc<dyn Secrets>)) {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let local = Local::new(
        Vault::unlock(&vault, PASS.as_bytes()).unwrap(),
        Policy::default(),
    );
    check(Arc::new(local));

    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path());
    let agent = RunningAgent::start(dir.path(), &vault);
    check(agent.client.clone());
}

#[test]
fn reads_writes_and_errors_are_the_same_through_both() {
    both(|s| {
        let g0 = s.generation().unwrap();
        let m = s
            .create(
                name("db"),
                Scope::Workspace,
                "arbitrary",
                values(&[("user", "app"), ("pw", "one")]),
            )
            .unwrap();
        assert_eq!((m.version, m.keys.len()), (1, 2));
        assert!(s.generation().unwrap() > g0, "a write moves the generation");
        assert_eq!(
            s.get(&name("db"), None)
                .unwrap()
                .get("pw")
                .unwrap()
                .expose(),
            "one"
        );
        assert_eq!(s.resolve(&name("db"), None).unwrap(), Scope::Workspace);
        assert_eq!(s.meta(&name("db"), None).unwrap(), m);

        // Errors: same kind, same exit code, same message, whichever side.
        let e = s.get(&name("nope"), None).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::NotFound, 3));
        assert_eq!(
            e.to_string(),
            "no secret named 'nope' in the user or workspace scope"
        );
        let e = s
            .create(
                name("db"),
                Scope::Workspace,
                "arbitrary",
                values(&[("k", "v")]),
            )
            .unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Exists, 6));
        let e = s
            .create(
                name("pg"),
                Scope::User,
                "postgres",
                values(&[("nonsense", "x")]),
            )
            .unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Invalid, 5));
        assert!(e.to_string().contains("nonsense"), "{e}");
        assert!(!e.to_string().contains("x\""), "no value: {e}");

        // Compare-and-set.
        let change = |v: &str| Change {
            set: values(&[("pw", v)]),
            ..Change::default()
        };
        let m2 = s.update(&name("db"), None, change("two"), Some(1)).unwrap();
        assert_eq!(m2.version, 2);
        let e = s
            .update(&name("db"), None, change("three"), Some(1))
            .unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::Conflict, 6));
        assert!(e.to_string().contains("version 2, not 1"), "{e}");
        assert_eq!(
            s.get(&name("db"), None)
                .unwrap()
                .get("pw")
                .unwrap()
                .expose(),
            "two"
        );
        assert!(s.rename(&name("db"), None, name("db2"), Some(1)).is_err());
        assert!(s.delete(&name("db"), None, Some(1), false).is_err());
        assert!(s.restore(&name("db"), None, 1, Some(1)).is_err());

        // History and restore.
        let (cur, older) = s.history(&name("db"), None).unwrap();
        assert_eq!((cur.meta.version, older.len()), (2, 1));
        let m3 = s.restore(&name("db"), None, 1, Some(2)).unwrap();
        assert_eq!(m3.version, 3);
        assert_eq!(
            s.get(&name("db"), None)
                .unwrap()
                .get("pw")
                .unwrap()
                .expose(),
            "one"
        );

        // Rename, delete to the trash, restore from it, purge.
        s.rename(&name("db"), None, name("db2"), Some(3)).unwrap();
        let d = s.delete(&name("db2"), None, Some(3), false).unwrap();
        let entry = d.trash.expect("in the trash");
        assert_eq!(s.trash_list().unwrap(), vec![entry.clone()]);
        s.trash_restore(&entry.id, None).unwrap();
        assert_eq!(s.list().unwrap().secrets.len(), 1);
        let d = s.delete(&name("db2"), None, None, false).unwrap();
        assert_eq!(s.trash_purge(Some(&d.trash.unwrap().id)).unwrap(), 1);
        assert!(s.trash_list().unwrap().is_empty());

        // Import (all or nothing) and export.
        let item = |n: &str| ImportItem {
            name: name(n),
            scope: Scope::User,
            schema: "arbitrary".into(),
            values: values(&[("k", n)]),
            created: None,
            updated: None,
        };
        let r = s.import(vec![item("a"), item("b")], false, false).unwrap();
        assert_eq!(r.created.len(), 2);
        let e = s
            .import(vec![item("a"), item("c")], false, false)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            s.get(&name("c"), None).is_err(),
            "nothing of a refused import"
        );
        let plan = s.import(vec![item("a"), item("c")], false, true).unwrap();
        assert_eq!((plan.created.len(), plan.conflicts.len()), (1, 1));
        let exported = s.export(Some(Scope::User)).unwrap();
        assert_eq!(exported.len(), 2);
        assert_eq!(exported[0].values["k"].expose(), "a");
    });
}

#[test]
fn concurrent_writers_all_land_and_stale_writes_are_refused() {
    both(|s| {
        s.create(
            name("shared"),
            Scope::Workspace,
            "arbitrary",
            values(&[("n", "0")]),
        )
        .unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut conflicts = 0;
                    for i in 0..10 {
                        s.create(
                            name(&format!("t{t}-{i}")),
                            Scope::User,
                            "arbitrary",
                            values(&[("v", &format!("{t}/{i}"))]),
                        )
                        .unwrap();
                        // Read-modify-write with compare-and-set, retried on conflict: no
                        // increment may be lost.
                        loop {
                            let cur = s.get(&name("shared"), None).unwrap();
                            let n: u64 = cur.get("n").unwrap().expose().parse().unwrap();
                            let change = Change {
                                set: values(&[("n", &(n + 1).to_string())]),
                                ..Change::default()
                            };
                            match s.update(&name("shared"), None, change, Some(cur.meta.version)) {
                                Ok(_) => break,
                                Err(e) if e.kind() == ErrorKind::Conflict => conflicts += 1,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        let conflicts: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        let listing = s.list().unwrap();
        assert_eq!(listing.secrets.len(), 41);
        let shared = s.get(&name("shared"), None).unwrap();
        assert_eq!(shared.get("n").unwrap().expose(), "40", "no increment lost");
        assert_eq!(shared.meta.version, 41, "every write a version of its own");
        // (Conflicts depend on scheduling; all that matters is that none overwrote.)
        let _ = conflicts;
    });
}
