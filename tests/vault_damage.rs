//! A flipped byte anywhere in the vault's files (DESIGN §8): never a panic, never a wrong
//! value, always a message that names the damage (and `sesame recover`), and `recover` brings
//! back every secret, exactly as last written (the newest snapshot plus the journal stand in
//! for a lost store; the store stands in for a lost snapshot or journal).
//!
//! The vault: 100 secrets imported in one write (the first snapshot holds them), then 10 of
//! them updated (newer than the snapshot). Every Nth byte of every file is flipped in turn on
//! a fresh copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sesame::crypto::KdfParams;
use sesame::vault::{Change, ImportItem};
use sesame::{Error, Scope, SecretName, SecretValue, Values, Vault};

const PASS: &[u8] = b"damage sweep";
const SECRETS: usize = 100;
const UPDATED: usize = 10;
/// Flips per file (spread evenly over the bytes in use).
const FLIPS_PER_FILE: usize = 24;

fn name(i: usize) -> SecretName {
    SecretName::new(format!("s{i:03}")).unwrap()
}

fn original(i: usize) -> String {
    format!("value-{i}-{}", "x".repeat(i % 40))
}

fn updated(i: usize) -> String {
    format!("updated-{i}")
}

/// The pristine vault, built once per test binary.
fn pristine() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault");
        let kdf = KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let v = Vault::init(&path, PASS, kdf).unwrap();
        let items = (0..SECRETS)
            .map(|i| ImportItem {
                name: name(i),
                scope: Scope::Workspace,
                schema: "arbitrary".into(),
                values: Values::from([("k".to_string(), SecretValue::new(original(i)))]),
                created: None,
                updated: None,
            })
            .collect();
        v.import(&sesame::vault::Policy::default(), items, false, false)
            .unwrap();
        // The first change writes the first snapshot.
        assert!(v.snapshot_if_due(false).unwrap());
        for i in 0..UPDATED {
            let mut c = Change::default();
            c.set.insert("k".into(), SecretValue::new(updated(i)));
            v.update(&sesame::vault::Policy::default(), &name(i), None, c, None)
                .unwrap();
        }
        drop(v);
        (dir, path)
    })
    .1
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Every file of the vault, by path relative to it (the lock file holds no data).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.file_name().unwrap() != "lock" {
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out.sort();
    out
}

/// A value is right if it is the current one (or, where allowed, the one the snapshot holds).
/// Anything else is a wrong value.
fn acceptable(i: usize, value: &str, allow_snapshot: bool) -> bool {
    if i < UPDATED {
        value == updated(i) || (allow_snapshot && value == original(i))
    } else {
        value == original(i)
    }
}

/// Reads every secret; returns how many read cleanly. Panics on a wrong value.
fn read_all(v: &Vault, allow_snapshot: bool, what: &str) -> usize {
    let mut ok = 0;
    for i in 0..SECRETS {
        match v.get(&name(i), None) {
            Ok(s) => {
                let got = s.get("k").unwrap().expose();
                assert!(
                    acceptable(i, got, allow_snapshot),
                    "{what}: WRONG VALUE for s{i:03}"
                );
                ok += 1;
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&format!("s{i:03}")) || msg.contains("recover"),
                    "{what}: the error for s{i:03} names neither it nor recover: {msg}"
                );
                assert!(
                    !msg.contains("value-"),
                    "{what}: a value in an error: {msg}"
                );
            }
        }
    }
    ok
}

fn sweep(file_filter: impl Fn(&Path) -> bool) -> BTreeMap<String, usize> {
    let base = pristine();
    let work = tempfile::tempdir().unwrap();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for rel in files(base).into_iter().filter(|f| file_filter(f)) {
        let bytes = std::fs::read(base.join(&rel)).unwrap();
        // sled's log is a preallocated segment: flip where data is, and a little past it.
        let used = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        let span = (used + 64).min(bytes.len());
        let step = (span / FLIPS_PER_FILE).max(1);
        for offset in (0..span).step_by(step) {
            let what = format!("{} byte {offset}", rel.display());
            let dir = work
                .path()
                .join(format!("v{}", outcomes.values().sum::<usize>()));
            copy_tree(base, &dir);
            let mut damaged = bytes.clone();
            damaged[offset] ^= 0x20;
            std::fs::write(dir.join(&rel), &damaged).unwrap();

            let outcome = match Vault::unlock(&dir, PASS) {
                Ok(v) => {
                    let listing = v.list().unwrap();
                    let read = read_all(&v, false, &what);
                    if read < SECRETS || listing.secrets.len() < SECRETS {
                        assert!(
                            !listing.damaged.is_empty() || !listing.problems.is_empty(),
                            "{what}: secrets missing with nothing reported"
                        );
                        "opened, damage named"
                    } else {
                        "opened, all intact"
                    }
                }
                Err(Error::WrongPassphrase(_)) => {
                    panic!("{what}: damage reported as a wrong passphrase")
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains("recover"), "{what}: {msg}");
                    assert_eq!(msg.lines().count(), 1, "{what}: {msg}");
                    "refused, recover named"
                }
            };
            *outcomes.entry(outcome.to_string()).or_default() += 1;

            // recover brings everything back (the snapshot holds every secret).
            let report = Vault::recover(&dir, PASS, None)
                .unwrap_or_else(|e| panic!("{what}: recover failed: {e}"));
            assert!(report.lost.is_empty(), "{what}: lost {:?}", report.lost);
            let v =
                Vault::unlock(&dir, PASS).unwrap_or_else(|e| panic!("{what}: after recover: {e}"));
            // One file damaged, the others intact (store, or newest snapshot plus journal):
            // recovery is exact, the updates made after the snapshot included.
            assert_eq!(read_all(&v, false, &what), SECRETS, "{what}: not all back");
            assert!(v.list().unwrap().problems.is_empty(), "{what}");
            drop(v);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    eprintln!("{outcomes:?}");
    outcomes
}

#[test]
fn flips_in_the_store_are_detected_and_recovered() {
    let o = sweep(|f| f.starts_with_store());
    assert!(o.values().sum::<usize>() >= FLIPS_PER_FILE, "{o:?}");
}

#[test]
fn flips_in_the_header_snapshots_and_backup_are_detected_or_harmless() {
    let o = sweep(|f| !f.starts_with_store());
    assert!(o.values().sum::<usize>() >= 3 * FLIPS_PER_FILE, "{o:?}");
}

trait StorePath {
    fn starts_with_store(&self) -> bool;
}

impl StorePath for Path {
    fn starts_with_store(&self) -> bool {
        self.components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("store-"))
    }
}
