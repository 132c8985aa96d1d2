//! The backup store through the real binary: every write mirrored to a real OpenBao, `backup`
//! and `restore` round trip into a new vault, a store that is down during writes (the local
//! write kept, the write queued, `backend show` saying what is pending, the next command
//! draining it), `backup --delete-secrets` keeping an original whose copy does not read back
//! the same, and a damaged local record served from the store.

use crate::common;

use std::path::Path;

use common::backends::id;
use common::{TestVault, servers, with_config_of};
use sesame::backend::{Backend, RemoteId};
use sesame::secret::SecretValue;
use sesame::{Scope, SecretName};

fn ok(c: &mut assert_cmd::Command, args: &[&str]) -> (String, String) {
    let out = c.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sesame {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn remote_value(b: &dyn Backend, n: &str, key: &str) -> Option<String> {
    b.get(&id(n))
        .unwrap()
        .map(|s| s.values[key].expose().to_string())
}

#[test]
fn every_write_is_mirrored_to_openbao_and_restore_brings_it_all_back() {
    let bao = servers::bao();
    let prefix = format!("bk{}/", servers::random_hex());
    let a = TestVault::new();
    a.ok(&[
        "secret",
        "create",
        "bao",
        &format!("--token={}", bao.root_token),
    ]);
    let (_, err) = ok(
        &mut a.cmd(),
        &[
            "backend",
            "add",
            "safe",
            "--flavor",
            "vault",
            "--backup",
            "--option",
            &format!("address={}", bao.server.url),
            "--option",
            "token={{bao.token}}",
            "--prefix",
            &prefix,
        ],
    );
    assert!(err.contains("Added backend 'safe'"), "{err}");
    let store = common::backends::vault(&prefix, &[]);
    // A second backup store is refused, naming the first.
    let out = a
        .cmd()
        .args([
            "backend",
            "add",
            "other",
            "--flavor",
            "folder",
            "--backup",
            "--option",
            "path=/tmp/x",
            "--option",
            "passphrase={{bao.token}}",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'safe' is the backup store already"));

    a.ok(&["secret", "create", "db", "--user=app", "--pass=p0"]);
    assert_eq!(remote_value(&*store, "db", "pass").as_deref(), Some("p0"));
    a.ok(&["secret", "update", "db", "--pass=p1"]);
    assert_eq!(remote_value(&*store, "db", "pass").as_deref(), Some("p1"));
    a.ok(&["secret", "rename", "db", "db2"]);
    assert_eq!(remote_value(&*store, "db", "pass"), None);
    assert_eq!(remote_value(&*store, "db2", "pass").as_deref(), Some("p1"));
    a.ok(&["secret", "create", "api", "--token=t0"]);
    a.ok(&["secret", "delete", "db2", "-y"]);
    assert_eq!(remote_value(&*store, "db2", "pass"), None);
    let doc = a.file(
        "two.json",
        r#"{"sesame_export":2,"secrets":[{"name":"x","scope":"user","schema":"arbitrary","values":{"k":"vx"}}],"count":1}"#,
    );
    a.ok(&["secret", "import", doc.to_str().unwrap()]);
    let user_x = RemoteId::new(Scope::User, SecretName::new("x").unwrap());
    assert_eq!(
        store.get(&user_x).unwrap().unwrap().values["k"].expose(),
        "vx"
    );
    // Nothing pending.
    let (show, _) = ok(&mut a.cmd(), &["backend", "show", "safe"]);
    assert!(show.contains("nothing: every write reached it"), "{show}");

    // backup copies and verifies everything (the bao token, api, x).
    let (_, err) = ok(&mut a.cmd(), &["backup"]);
    assert!(
        err.contains("Backed up 3 secret(s) to 'safe', each read back and verified"),
        "{err}"
    );

    // A new vault with the same config: restore brings every secret back.
    let b = TestVault::new();
    ok(
        &mut with_config_of(&b, &a),
        &[
            "secret",
            "create",
            "bao",
            &format!("--token={}", bao.root_token),
        ],
    );
    let (_, err) = ok(&mut with_config_of(&b, &a), &["restore"]);
    assert!(err.contains("2 created"), "{err}");
    assert_eq!(b.ok(&["secret", "get", "api", "--key", "token"]), "t0\n");
    assert_eq!(
        b.ok(&["secret", "get", "x", "--scope", "user", "--key", "k"]),
        "vx\n"
    );
    // A local write is mirrored (B shares A's config, so the same store); a restore after
    // the store moved on (another writer) updates the vault, the replaced version kept.
    ok(
        &mut with_config_of(&b, &a),
        &["secret", "update", "api", "--token=local"],
    );
    assert_eq!(
        remote_value(&*store, "api", "token").as_deref(),
        Some("local")
    );
    store
        .put(
            &id("api"),
            "arbitrary",
            &[("token".to_string(), SecretValue::new("t9"))]
                .into_iter()
                .collect(),
            sesame::backend::Expect::Any,
        )
        .unwrap();
    let (_, err) = ok(&mut with_config_of(&b, &a), &["restore", "api"]);
    assert!(err.contains("1 updated"), "{err}");
    assert_eq!(b.ok(&["secret", "get", "api", "--key", "token"]), "t9\n");
    let hist = b.ok(&["secret", "history", "api", "--show", "2"]);
    assert!(hist.contains("local"), "{hist}");
}

/// Adds the backup store 'safe': a folder backend in `usb/`, its passphrase in the vault.
fn folder_backup(v: &TestVault) -> std::path::PathBuf {
    let dir = v.path().join("usb");
    std::fs::create_dir(&dir).unwrap();
    v.ok(&["secret", "create", "usb", "--passphrase=folder pass"]);
    ok(
        &mut v.cmd(),
        &[
            "backend",
            "add",
            "safe",
            "--flavor",
            "folder",
            "--backup",
            "--option",
            &format!("path={}", dir.display()),
            "--option",
            "passphrase={{usb.passphrase}}",
        ],
    );
    dir
}

/// A folder backend made unreachable by putting a file where its directory was.
fn break_folder(dir: &Path) {
    std::fs::rename(dir, dir.with_extension("away")).unwrap();
    std::fs::write(dir, b"not a directory").unwrap();
}

fn mend_folder(dir: &Path) {
    std::fs::remove_file(dir).unwrap();
    std::fs::rename(dir.with_extension("away"), dir).unwrap();
}

#[test]
fn a_store_that_is_down_queues_the_write_and_the_next_command_drains_it() {
    let v = TestVault::new();
    let dir = folder_backup(&v);
    v.ok(&["backup"]);
    break_folder(&dir);
    let (_, err) = ok(
        &mut v.cmd(),
        &["secret", "create", "late", "--token=do-not-leak"],
    );
    assert!(err.contains("was not written there"), "{err}");
    assert!(err.contains("sesame backend show safe"), "{err}");
    assert!(!err.contains("do-not-leak"), "{err}");
    // The local write stands.
    assert_eq!(
        v.ok(&["secret", "get", "late", "--key", "token"]),
        "do-not-leak\n"
    );
    assert!(
        v.path().join("vault").join("backup-pending").exists()
            || v.vault_dir().join("backup-pending").exists()
    );
    // An import while it is down: one warning for the lot, not one attempt (and timeout)
    // per secret.
    let doc = v.file(
        "three.json",
        r#"{"sesame_export":2,"secrets":[
            {"name":"i1","scope":"workspace","schema":"arbitrary","values":{"k":"1"}},
            {"name":"i2","scope":"workspace","schema":"arbitrary","values":{"k":"2"}},
            {"name":"i3","scope":"workspace","schema":"arbitrary","values":{"k":"3"}}],"count":3}"#,
    );
    let (_, err) = ok(&mut v.cmd(), &["secret", "import", doc.to_str().unwrap()]);
    // (The queue from before is tried first, and found still down: said once.)
    assert_eq!(err.matches("stay queued").count(), 1, "{err}");
    assert_eq!(err.matches("was not written there").count(), 0, "{err}");
    mend_folder(&dir);
    let (show, _) = ok(&mut v.cmd(), &["backend", "show", "safe"]);
    assert!(
        show.contains("4 secret(s), written by the next command")
            && show.contains("late")
            && show.contains("i3"),
        "{show}"
    );
    // The next command writes them.
    let (_, err) = ok(&mut v.cmd(), &["secret", "list"]);
    assert!(
        err.contains("Backup store 'safe': 4 pending write(s) done."),
        "{err}"
    );
    let (show, _) = ok(&mut v.cmd(), &["backend", "show", "safe"]);
    assert!(show.contains("nothing: every write reached it"), "{show}");
    // And it is there: a new vault restores it.
    let b = TestVault::new();
    ok(
        &mut with_config_of(&b, &v),
        &["secret", "create", "usb", "--passphrase=folder pass"],
    );
    ok(&mut with_config_of(&b, &v), &["restore", "late"]);
    assert_eq!(
        b.ok(&["secret", "get", "late", "--key", "token"]),
        "do-not-leak\n"
    );
}

/// The pending mark is written by rename, never through a link: a symlink planted at its
/// path (even a dangling one) is taken as a mark and replaced, and its target never touched.
#[test]
fn a_symlink_at_the_pending_mark_is_not_followed() {
    let v = TestVault::new();
    folder_backup(&v);
    v.ok(&["backup"]);
    let target = v.path().join("elsewhere");
    let mark = v.vault_dir().join("backup-pending");
    std::os::unix::fs::symlink(&target, &mark).unwrap();
    v.ok(&["secret", "create", "x", "--k=1"]);
    assert!(!target.exists(), "the mark's symlink was followed");
    assert!(
        mark.symlink_metadata().is_err(),
        "no mark left: every write reached the store"
    );
    let (show, _) = ok(&mut v.cmd(), &["backend", "show", "safe"]);
    assert!(show.contains("nothing: every write reached it"), "{show}");
}

/// The example exec plugin, changed to answer a different value for 'liar' when read back.
fn lying_plugin(v: &TestVault) -> String {
    let src = std::fs::read_to_string(common::backends::example_plugin()).unwrap();
    let lie = "    if op == \"get\" and req.get(\"name\") == \"liar\" and key in db: return {\"secret\": dict(db[key], version=str(db[key][\"version\"]), values={\"k\": \"tampered\"})}\n";
    let patched = src.replacen(
        "    if op == \"get\":",
        &format!("{lie}    if op == \"get\":"),
        1,
    );
    assert_ne!(patched, src, "the example plugin's get line moved");
    let path = v.file("liar.py", patched);
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
    path.display().to_string()
}

fn exec_backup(v: &TestVault, command: &str) {
    let store = v.path().join("store.json");
    ok(
        &mut v.cmd(),
        &[
            "backend",
            "add",
            "safe",
            "--flavor",
            "exec",
            "--backup",
            "--option",
            &format!("command={command}"),
            "--option",
            &format!("args={}", store.display()),
        ],
    );
}

#[test]
fn delete_secrets_keeps_an_original_whose_copy_does_not_read_back() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "honest", "--k=v1"]);
    v.ok(&["secret", "create", "liar", "--k=v2"]);
    v.ok(&["secret", "create", "other", "--k=v3"]);
    exec_backup(&v, &lying_plugin(&v));
    // Without --ignore-errors: the first failure stops; nothing is deleted.
    let out = v
        .cmd()
        .args(["backup", "--delete-secrets"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("liar") && err.contains("differs"), "{err}");
    assert!(err.contains("nothing deleted"), "{err}");
    let list = v.ok(&["secret", "list"]);
    for n in ["honest", "liar", "other"] {
        assert!(list.contains(n), "{n} gone:\n{list}");
    }
    // With it: the verified ones go, the liar stays; the exit code says something failed.
    let out = v
        .cmd()
        .args(["backup", "--delete-secrets", "--ignore-errors"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 deleted here"), "{err}");
    let list = v.ok(&["secret", "list"]);
    assert!(
        list.contains("liar") && !list.contains("honest") && !list.contains("other"),
        "{list}"
    );
    assert!(!err.contains("v1") && !err.contains("v2"), "{err}");
    // The deleted ones are in the store, and a later command does not delete them there.
    v.ok(&["secret", "list"]);
    let b = TestVault::new();
    ok(&mut with_config_of(&b, &v), &["restore", "honest", "other"]);
    assert_eq!(b.ok(&["secret", "get", "honest", "--key", "k"]), "v1\n");
}

#[test]
fn a_damaged_local_record_is_served_from_the_backup_store() {
    let v = TestVault::new();
    exec_backup(&v, &common::backends::example_plugin());
    v.ok(&["secret", "create", "db", "--pass=from-the-store"]);
    // Flip a byte of the one values record in the vault's store.
    let store_dir = std::fs::read_dir(v.vault_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store-")
        })
        .unwrap();
    {
        let db = sled::open(&store_dir).unwrap();
        let records = db.open_tree(b"records").unwrap();
        let bodies: Vec<_> = records
            .iter()
            .map(|r| r.unwrap())
            .filter(|(k, _)| k[0] == b'b')
            .collect();
        assert_eq!(bodies.len(), 1);
        let (k, val) = &bodies[0];
        let mut bad = val.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        records.insert(k, bad).unwrap();
        db.flush().unwrap();
    }
    let out = v
        .cmd()
        .args(["secret", "get", "db", "--key", "pass"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from-the-store\n");
    assert!(
        err.contains("served from the backup store 'safe'") && err.contains("recover"),
        "{err}"
    );
}

/// The example plugin, made to stop inside a `put` while a `.slow` file sits beside its
/// store (it says so with an `.inside` file), as a store that is slow to answer.
fn slow_plugin(v: &TestVault) -> String {
    let src = std::fs::read_to_string(common::backends::example_plugin()).unwrap();
    let stall = "    if op == \"put\" and os.path.exists(path + \".slow\"):\n        open(path + \".inside\", \"w\").close()\n        import time; time.sleep(60)\n";
    let patched = src.replacen(
        "    if op == \"put\":",
        &format!("{stall}    if op == \"put\":"),
        1,
    );
    assert_ne!(patched, src, "the example plugin's put line moved");
    let path = v.file("slow.py", patched);
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
    path.display().to_string()
}

#[test]
fn kill_9_between_the_vault_write_and_the_store_write_is_caught_by_the_next_command() {
    let v = TestVault::new();
    exec_backup(&v, &slow_plugin(&v));
    let store = v.path().join("store.json");
    let slow = v.path().join("store.json.slow");
    let inside = v.path().join("store.json.inside");
    std::fs::write(&slow, b"").unwrap();
    let mut child = v
        .std_bare()
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .args(["secret", "create", "stalled", "--k=v-stalled"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !inside.exists() {
        assert!(
            start.elapsed().as_secs() < 20,
            "the plugin never got the put"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The vault has the secret; the store is mid-write: kill -9 now.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(v.vault_dir().join("backup-pending").exists());
    std::fs::remove_file(&slow).unwrap();
    // The next command finds the mark, writes what the store lacks, then does its own work.
    let (out, err) = ok(&mut v.cmd(), &["secret", "get", "stalled", "--key", "k"]);
    assert_eq!(out, "v-stalled\n");
    assert!(err.contains("1 pending write(s) done"), "{err}");
    let (show, _) = ok(&mut v.cmd(), &["backend", "show", "safe"]);
    assert!(show.contains("nothing: every write reached it"), "{show}");
    let held = std::fs::read_to_string(&store).unwrap();
    assert!(
        held.contains("workspace/stalled") && held.contains("v-stalled"),
        "{held}"
    );
}
