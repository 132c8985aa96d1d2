//! Kill -9 at random moments loses no acknowledged write and never corrupts the vault
//! (DESIGN §8). A shell loop runs one `sesame secret create` after another and prints an
//! acknowledgement only after sesame exits 0; we SIGKILL the whole loop at a random time,
//! again and again, then check that every acknowledged secret reads back intact.

mod common;

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
            .env("SESAME_CONFIG", vault.with_extension("toml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        let wait = Duration::from_millis(150 + next(&mut seed) % 400);
        let start = Instant::now();
        while start.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(5));
        }
        // SIGKILL the whole group: the shell and whichever sesame is mid-write.
        // SAFETY: kill(2) on our own child's process group.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        child.wait().unwrap();
        for line in reader.join().unwrap() {
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
