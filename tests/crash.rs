//! Kill -9 at random moments loses no acknowledged write and never corrupts the vault
//! (DESIGN §8). A shell loop runs one `sesame secret create` after another and prints an
//! acknowledgement only after sesame exits 0; we SIGKILL the whole loop at a random time,
//! again and again, then check that every acknowledged secret reads back intact.

use crate::common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sesame");

fn sesame(vault: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--vault").arg(vault).arg("--headless");
    c.env("SESAME_PASSPHRASE", "crash test")
        .env("SESAME_NO_AGENT", "1")
        .env("SESAME_CONFIG", vault.with_extension("toml"));
    c
}

/// A cheap, seedless pseudo-random sequence: the kill points only need to vary.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn sigkill_at_random_points_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault");
    let out = sesame(&vault).args(common::INIT_FAST).output().unwrap();
    assert!(
        out.status.success(),
        "init: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut acked = BTreeSet::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ u64::from(std::process::id());
    let mut counter = 0u32;
    for round in 0..8 {
        // Each round writes s<round>_<i> for i = 0.. until killed.
        let script = format!(
            "i=0; while :; do \"$SESAME\" --vault \"$VAULT\" --headless secret create s{round}_$i --value=v{round}_$i \
             >/dev/null 2>&1 && echo ack s{round}_$i; i=$((i+1)); done"
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("SESAME", BIN)
            .env("VAULT", &vault)
            .env("SESAME_PASSPHRASE", "crash test")
            .env("SESAME_NO_AGENT", "1")
            .env("SESAME_CONFIG", vault.with_extension("toml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Kill at a random point after the round has made some writes (a fixed window gave
        // a loaded machine too few to test anything).
        let mut lines = Vec::new();
        let start = Instant::now();
        while lines.len() < 2 && start.elapsed() < Duration::from_secs(60) {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
                lines.push(line);
            }
        }
        std::thread::sleep(Duration::from_millis(next(&mut seed) % 400));
        // SIGKILL the whole group: the shell and whichever sesame is mid-write.
        // SAFETY: kill(2) on our own child's process group.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        for line in lines {
            if let Some(name) = line.strip_prefix("ack ") {
                acked.insert(name.to_string());
                counter += 1;
            }
        }
    }
    assert!(
        counter > 8,
        "the writers acknowledged only {counter} writes: too few to test anything"
    );

    // The vault opens, lists cleanly, and holds every acknowledged secret with its value.
    let out = sesame(&vault)
        .args(["secret", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "list after crashes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no damaged records after crashes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    for name in &acked {
        assert!(
            listed.contains(&format!("\"{name}\"")),
            "acknowledged {name} is missing after kill -9"
        );
        let value = name.replacen('s', "v", 1);
        let out = sesame(&vault)
            .args(["secret", "get", name, "--key", "value"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "get {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), value);
    }
}

/// Runs `sesame ARGS` and kills it with SIGKILL after `after`; returns whether it finished
/// on its own first.
fn run_and_kill(mut cmd: Command, after: Duration) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill();
    child.wait().unwrap();
    false
}

/// An export file of the secrets `r{i}` = `{k: v{i}}` for `i` in `range`.
fn export_file(path: &std::path::Path, range: std::ops::Range<usize>) {
    let secrets: Vec<String> = range
        .map(|i| {
            format!(
                r#"{{"name":"r{i}","scope":"workspace","schema":"arbitrary","values":{{"k":"v{i}"}}}}"#
            )
        })
        .collect();
    let doc = format!(r#"{{"sesame_export":1,"secrets":[{}]}}"#, secrets.join(","));
    std::fs::write(path, doc).unwrap();
}

/// A vault of `n` secrets made through the CLI's import (one write), with fast KDF params.
fn vault_with(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let vault = dir.join("vault");
    assert!(
        sesame(&vault)
            .args(common::INIT_FAST)
            .status()
            .unwrap()
            .success()
    );
    let file = dir.join("import.json");
    export_file(&file, 0..n);
    assert!(
        sesame(&vault)
            .args(["secret", "import"])
            .arg(&file)
            .status()
            .unwrap()
            .success()
    );
    vault
}

fn assert_all_values(vault: &std::path::Path, pass: &str, n: usize) {
    let out = sesame(vault)
        .env("SESAME_PASSPHRASE", pass)
        .args(["secret", "export", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), n);
    for s in secrets {
        let i: usize = s["name"].as_str().unwrap()[1..].parse().unwrap();
        assert_eq!(s["values"]["k"], format!("v{i}"));
    }
}

#[test]
fn sigkill_during_rotate_key_leaves_the_old_vault_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with(dir.path(), 300);
    // How long an uninterrupted rotation takes, to aim the kills inside it.
    let t = Instant::now();
    assert!(
        sesame(&vault)
            .env("SESAME_NEW_PASSPHRASE", "crash test")
            .args(["passwd", "--rotate-key"])
            .status()
            .unwrap()
            .success()
    );
    let full = t.elapsed();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    let mut pass = "crash test".to_string();
    let (mut killed, mut finished) = (0, 0);
    for round in 0..12 {
        let new = format!("pass {round}");
        let after = Duration::from_micros(next(&mut seed) % (full.as_micros() as u64 + 1));
        let mut cmd = sesame(&vault);
        cmd.env("SESAME_PASSPHRASE", &pass)
            .env("SESAME_NEW_PASSPHRASE", &new)
            .args(["passwd", "--rotate-key"]);
        if run_and_kill(cmd, after) {
            finished += 1;
        } else {
            killed += 1;
        }
        // Exactly one of the two passphrases opens the vault, and everything is there.
        let opens = |p: &str| {
            sesame(&vault)
                .env("SESAME_PASSPHRASE", p)
                .args(["secret", "list"])
                .output()
                .unwrap()
        };
        let (old_ok, new_ok) = (opens(&pass).status.success(), opens(&new).status.success());
        assert!(
            old_ok != new_ok,
            "round {round}: old opens {old_ok}, new opens {new_ok}: {}",
            String::from_utf8_lossy(&opens(&pass).stderr)
        );
        if new_ok {
            pass = new;
        }
        assert_all_values(&vault, &pass, 300);
    }
    assert!(
        killed > 0,
        "no rotation was interrupted ({finished} finished)"
    );
    let out = sesame(&vault)
        .env("SESAME_PASSPHRASE", &pass)
        .arg("verify")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Nothing half-built is left behind.
    let stores = std::fs::read_dir(&vault)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("store-"))
        .count();
    assert_eq!(stores, 1);
}

#[test]
fn sigkill_during_migration_leaves_a_vault_that_opens_whole() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-vault");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ u64::from(std::process::id());
    let mut killed = 0;
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault");
        copy_tree(&fixture, &vault);
        let after = Duration::from_micros(next(&mut seed) % 60_000);
        let mut cmd = sesame(&vault);
        cmd.env("SESAME_PASSPHRASE", "v1 fixture passphrase")
            .args(["secret", "list"]);
        if !run_and_kill(cmd, after) {
            killed += 1;
        }
        let out = sesame(&vault)
            .env("SESAME_PASSPHRASE", "v1 fixture passphrase")
            .args([
                "secret",
                "get",
                "db",
                "--scope",
                "workspace",
                "--key",
                "password",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "after a kill at {after:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "pw3 ünïcödé\n");
        assert!(!vault.join("data").exists(), "format-1 files left behind");
    }
    assert!(killed > 0, "no migration was interrupted");
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
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

/// An import of more than 2,048 secrets (`BULK`, src/vault/transfer.rs) builds a new store (sealing on one
/// thread, inserting on another, its snapshot written beside it) and swaps it in: killed at
/// any point, the vault is the one before the import or the one after it, whole, and what a
/// killed build left behind is gone after the next command.
#[test]
fn sigkill_during_a_bulk_import_leaves_the_vault_before_or_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = vault_with(dir.path(), 100);
    let bulk = dir.path().join("bulk.json");
    export_file(&bulk, 100..3100);
    let vault = dir.path().join("work");
    // How long an uninterrupted import takes, to aim the kills inside it.
    copy_tree(&pristine, &vault);
    let t = Instant::now();
    let import = || {
        let mut c = sesame(&vault);
        c.args(["secret", "import"]).arg(&bulk);
        c
    };
    assert!(import().status().unwrap().success());
    let full = t.elapsed();
    assert_all_values(&vault, "crash test", 3100);
    let mut seed = 0x6a09_e667_f3bc_c908_u64 ^ u64::from(std::process::id());
    let (mut killed, mut finished) = (0, 0);
    for round in 0..8 {
        std::fs::remove_dir_all(&vault).unwrap();
        copy_tree(&pristine, &vault);
        let after = Duration::from_micros(next(&mut seed) % (full.as_micros() as u64 + 1));
        if run_and_kill(import(), after) {
            finished += 1;
        } else {
            killed += 1;
        }
        let out = sesame(&vault).args(["secret", "list"]).output().unwrap();
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n = String::from_utf8_lossy(&out.stdout).lines().count() - 1;
        assert!(n == 100 || n == 3100, "round {round}: {n} secrets");
        assert_all_values(&vault, "crash test", n);
        let verify = sesame(&vault).arg("verify").output().unwrap();
        assert!(
            verify.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
        // Nothing half-built is left: one store, no temporary snapshot.
        let leftovers: Vec<String> = std::fs::read_dir(&vault)
            .unwrap()
            .chain(std::fs::read_dir(vault.join("snapshots")).unwrap())
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
        let stores = std::fs::read_dir(&vault)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("store-"))
            .count();
        assert_eq!(stores, 1, "round {round}");
    }
    assert!(
        killed > 0,
        "no import was interrupted ({finished} finished)"
    );
}
