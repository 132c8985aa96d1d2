//! init, passwd, unlocking, and the vault-level failures: missing vault, wrong or missing
//! passphrase, a vault held open by another process.

use crate::common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{INIT_FAST, PASSPHRASE, TestVault, fails};
use predicates::prelude::*;

#[test]
fn init_creates_a_private_vault_and_refuses_a_second_time() {
    let v = TestVault::empty();
    v.cmd()
        .args(INIT_FAST)
        .assert()
        .success()
        .stderr(predicate::str::contains("Created a vault"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(v.vault_dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let mut again = v.cmd();
    again.args(INIT_FAST);
    fails(again, 6, &["already exists"]);
}

#[test]
fn init_without_passphrase_headless_says_how_to_give_one() {
    let v = TestVault::empty();
    let mut c = v.bare();
    c.args(INIT_FAST).arg("--headless");
    fails(c, 4, &["SESAME_PASSPHRASE", "--passphrase-file"]);
    assert!(!v.vault_dir().exists());
}

#[test]
fn init_refuses_unsafe_kdf_parameters() {
    let v = TestVault::empty();
    let mut c = v.cmd();
    // Out-of-bounds flags are usage errors (exit 2), like any other bad flag value.
    c.args(["init", "--kdf-memory-mib", "100000"]);
    fails(c, 2, &["--kdf-*", "1024 MiB"]);
    let mut c = v.cmd();
    c.args(["init", "--kdf-iterations", "0"]);
    fails(c, 2, &["iterations"]);
    assert!(!v.vault_dir().exists());
}

#[test]
fn passphrase_file_works_and_empty_file_is_refused() {
    let v = TestVault::empty();
    let pw = v.file("pw.txt", "from-a-file\n");
    v.bare()
        .args(INIT_FAST)
        .arg("--passphrase-file")
        .arg(&pw)
        .assert()
        .success();
    v.bare()
        .args(["secret", "list", "--passphrase-file"])
        .arg(&pw)
        .assert()
        .success();
    let empty = v.file("empty.txt", "");
    let mut c = v.bare();
    c.args(["secret", "list", "--passphrase-file"]).arg(&empty);
    fails(c, 4, &["empty"]);
}

#[test]
fn wrong_passphrase_is_exit_4() {
    let v = TestVault::new();
    let mut c = v.bare();
    c.env("SESAME_PASSPHRASE", "not it")
        .args(["secret", "list"]);
    fails(c, 4, &["wrong passphrase"]);
}

#[test]
fn no_passphrase_headless_is_exit_4_and_says_how() {
    let v = TestVault::new();
    let mut c = v.bare();
    c.args(["--headless", "secret", "list"]);
    fails(c, 4, &["SESAME_PASSPHRASE", "--passphrase-file"]);
    // Without a terminal it fails the same way rather than hanging.
    let mut c = v.bare();
    c.args(["secret", "get", "x"]);
    fails(c, 4, &["SESAME_PASSPHRASE"]);
}

#[test]
fn missing_vault_says_run_init() {
    let v = TestVault::empty();
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 3, &["no vault", "sesame init"]);
    let mut c = v.cmd();
    c.args(["--vault", "/nonexistent/elsewhere", "secret", "get", "x"]);
    fails(c, 3, &["/nonexistent/elsewhere", "sesame init"]);
}

#[test]
fn passwd_rewraps_with_file_env_and_new_kdf() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=kept"]);
    let new = v.file("new.txt", "second passphrase\n");
    v.cmd()
        .args(["passwd", "--new-passphrase-file"])
        .arg(&new)
        .assert()
        .success()
        .stderr(predicate::str::contains("Passphrase changed"));
    let mut old = v.cmd();
    old.args(["secret", "list"]);
    fails(old, 4, &["wrong passphrase"]);
    v.bare()
        .env("SESAME_PASSPHRASE", "second passphrase")
        .env("SESAME_NEW_PASSPHRASE", "third")
        .args(["passwd", "--kdf-memory-mib", "2", "--kdf-iterations", "1"])
        .assert()
        .success();
    v.bare()
        .env("SESAME_PASSPHRASE", "third")
        .args(["secret", "get", "db", "--key", "password"])
        .assert()
        .success()
        .stdout("kept\n");
}

#[test]
fn passwd_without_new_passphrase_headless_fails_clearly() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args(["--headless", "passwd"]);
    fails(c, 4, &["SESAME_NEW_PASSPHRASE", "--new-passphrase-file"]);
    // Nothing changed.
    v.ok(&["secret", "list"]);
}

#[test]
fn a_vault_held_open_names_its_holder() {
    let v = TestVault::new();
    // `-i` without a terminal reads KEY=VALUE lines from stdin with the vault open: keeping
    // that pipe open holds the vault for as long as the test needs.
    let mut holder = std::process::Command::new(assert_cmd::cargo::cargo_bin("sesame"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.path())
        .env("SESAME_VAULT", v.vault_dir())
        .env("SESAME_CONFIG", v.path().join("config.toml"))
        .env("SESAME_PASSPHRASE", PASSPHRASE)
        .env("SESAME_NO_AGENT", "1")
        .args(["secret", "create", "held", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn holder");
    // The lock file names its holder once the vault is open.
    let lock = v.vault_dir().join("lock");
    let pid = holder.id().to_string();
    let start = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.starts_with(&format!("{pid} "))) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "holder never opened the vault"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(
        c,
        1,
        &["in use by another process", &pid, "close it there first"],
    );
    let mut stdin = holder.stdin.take().unwrap();
    stdin.write_all(b"user=me\n").unwrap();
    drop(stdin);
    assert!(holder.wait().unwrap().success());
    assert_eq!(v.ok(&["secret", "get", "held", "--key", "user"]), "me\n");
}

#[test]
fn no_command_prints_getting_started() {
    let v = TestVault::empty();
    v.bare()
        .assert()
        .success()
        .stdout(predicate::str::contains("sesame init"));
    let v = TestVault::new();
    v.bare()
        .assert()
        .success()
        .stdout(predicate::str::contains("Your vault is at"));
}

#[test]
fn a_broken_config_file_is_one_line_naming_the_key() {
    let v = TestVault::new();
    v.file("config.toml", "[vault]\nhistroy = 3\n");
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 1, &["config.toml", "histroy", "line 2"]);
}

/// Forges the vault files through the library's store (the CLI has no way to do this), then
/// waits until sled's background threads in this process have let go of the lock.
fn with_store(v: &TestVault, f: impl FnOnce(&sesame::vault::store::Store)) {
    let store_dir = std::fs::read_dir(v.vault_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store-")
        })
        .expect("the live store");
    let store = sesame::vault::store::Store::open(&store_dir).expect("open store");
    f(&store);
    drop(store);
    let start = Instant::now();
    loop {
        let out = v.cmd().args(["secret", "list"]).output().unwrap();
        if !String::from_utf8_lossy(&out.stderr).contains("in use by") {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the store never let go"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_newer_format_version_is_refused_clearly() {
    let v = TestVault::new();
    // The header's frame is fixed in every format: magic, format number, length, body,
    // and a BLAKE2b-256 checksum of all that. A newer sesame writes a valid frame.
    use blake2::Digest;
    for f in ["header", "header.bak"] {
        let path = v.vault_dir().join(f);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
        let end = bytes.len() - 32;
        let sum = blake2::Blake2b::<blake2::digest::consts::U32>::digest(&bytes[..end]);
        bytes[end..].copy_from_slice(&sum);
        std::fs::write(&path, bytes).unwrap();
    }
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 1, &["format version 99", "upgrade sesame"]);
}

#[test]
fn a_flipped_byte_is_named_and_the_rest_stays_readable() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "one", "--a=1"]);
    v.ok(&["secret", "create", "two", "--b=2"]);
    with_store(&v, |s| {
        let (key, mut blob) = s.scan(b"m").into_iter().next().unwrap().unwrap();
        let mid = blob.len() / 2;
        blob[mid] ^= 0x01;
        let mut batch = sesame::vault::store::Batch::default();
        batch.insert(&key, blob);
        s.apply(batch).unwrap();
    });
    let out = v
        .cmd()
        .args(["secret", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("sesame: warning: 1 damaged record"),
        "{stderr}"
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let (good, bad) = if listed[0]["name"] == "one" {
        ("one", "two")
    } else {
        ("two", "one")
    };
    v.ok(&["secret", "get", good]);
    let mut c = v.cmd();
    c.args(["secret", "get", bad]);
    fails(c, 1, &[&format!("secret '{bad}'"), "damaged"]);
}

#[test]
fn a_config_file_not_written_yet_means_the_defaults() {
    let v = TestVault::empty();
    v.cmd()
        .env("SESAME_CONFIG", v.path().join("not-yet.toml"))
        .args(INIT_FAST)
        .assert()
        .success();
    v.cmd()
        .args(["--config"])
        .arg(v.path().join("nor-this.toml"))
        .args(["secret", "list"])
        .assert()
        .success();
}

fn store_db(v: &TestVault) -> std::path::PathBuf {
    std::fs::read_dir(v.vault_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store-")
        })
        .expect("the live store")
        .join("db")
}

#[test]
fn verify_reports_and_recover_repairs_a_flipped_byte_in_the_store() {
    let v = TestVault::new();
    for i in 0..20 {
        v.ok(&["secret", "create", &format!("s{i}"), &format!("--k=v{i}")]);
    }
    let out = v.ok(&["verify"]);
    assert!(
        out.contains("every group of records adds up (20 secret(s))"),
        "{out}"
    );
    // One byte in the middle of what sled wrote.
    let db = store_db(&v);
    let mut bytes = std::fs::read(&db).unwrap();
    let used = bytes.iter().rposition(|&b| b != 0).unwrap();
    bytes[used / 2] ^= 0x08;
    std::fs::write(&db, bytes).unwrap();

    let mut c = v.cmd();
    c.args(["secret", "list"]);
    let err = fails(c, 1, &["damaged", "sesame recover"]);
    assert!(!err.contains("No secrets"), "{err}");
    let out = v.cmd().arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PROBLEM"));
    common::one_line_error(&out.stderr, &["sesame recover"]);

    let out = v.ok(&["recover"]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("recovered: ")).count(),
        20,
        "{out}"
    );
    for i in 0..20 {
        assert_eq!(
            v.ok(&["secret", "get", &format!("s{i}"), "--key", "k"]),
            format!("v{i}\n")
        );
    }
    v.ok(&["verify"]);
}

#[test]
fn rotate_key_keeps_every_secret_under_a_new_passphrase() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=one"]);
    v.ok(&["secret", "update", "db", "--password=two"]);
    v.cmd()
        .env("SESAME_NEW_PASSPHRASE", "rotated passphrase")
        .args(["passwd", "--rotate-key"])
        .assert()
        .success()
        .stderr(predicate::str::contains("vault key replaced"));
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 4, &["wrong passphrase"]);
    v.cmd()
        .env("SESAME_PASSPHRASE", "rotated passphrase")
        .args(["secret", "get", "db", "--key", "password"])
        .assert()
        .success()
        .stdout("two\n");
    v.cmd()
        .env("SESAME_PASSPHRASE", "rotated passphrase")
        .args(["secret", "history", "db"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 "));
}

#[test]
fn delete_says_where_the_bytes_went_and_compact_runs_on_demand() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "leaked", "--token=abc"]);
    v.cmd()
        .args(["secret", "delete", "leaked", "--purge", "-y"])
        .assert()
        .success()
        .stderr(predicate::str::contains("gone from the vault's files"));
    v.cmd()
        .arg("compact")
        .assert()
        .success()
        .stderr(predicate::str::contains("Compacted"));
    v.ok(&["verify"]);
}

#[test]
fn init_does_not_take_over_a_directory_with_other_files() {
    let v = TestVault::empty();
    std::fs::create_dir(v.vault_dir()).unwrap();
    std::fs::write(v.vault_dir().join("thesis.tex"), "mine").unwrap();
    let mut c = v.cmd();
    c.args(common::INIT_FAST);
    fails(c, 6, &["other files", "empty or new directory"]);
    assert_eq!(
        std::fs::read_to_string(v.vault_dir().join("thesis.tex")).unwrap(),
        "mine"
    );
}

#[test]
fn a_real_format_1_vault_upgrades_once_and_says_so() {
    let v = TestVault::empty();
    copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-vault"),
        &v.vault_dir(),
    );
    let out = v
        .bare()
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
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "pw3 ünïcödé\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("upgraded the vault"), "{stderr}");
    let again = v
        .bare()
        .env("SESAME_PASSPHRASE", "v1 fixture passphrase")
        .args(["secret", "list"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("upgraded"),
        "said only once"
    );
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
