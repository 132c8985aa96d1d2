//! Vault tests at the library level: the guarantees of DESIGN §4 that the CLI cannot reach
//! directly (record binding, hostile headers, format versions).

use super::*;
use crate::secret::{SecretValue, Values};
use record::record_id;
use std::path::Path;
use store::Batch;

const PASS: &[u8] = b"correct horse";

fn small() -> KdfParams {
    KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
}

fn name(s: &str) -> SecretName {
    SecretName::new(s).unwrap()
}

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
        .collect()
}

fn pol() -> Policy {
    Policy::default()
}

fn new_vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::init(&dir.path().join("v"), PASS, small()).unwrap();
    (dir, v)
}

#[test]
fn init_unlock_and_wrong_passphrase() {
    let (dir, v) = new_vault();
    v.create(
        &pol(),
        name("db"),
        Scope::Workspace,
        "arbitrary",
        values(&[("password", "pw1")]),
    )
    .unwrap();
    drop(v);
    let path = dir.path().join("v");
    assert!(matches!(
        Vault::unlock(&path, b"nope"),
        Err(Error::WrongPassphrase(_))
    ));
    let v = Vault::unlock(&path, PASS).unwrap();
    assert_eq!(
        v.get(&name("db"), None)
            .unwrap()
            .get("password")
            .unwrap()
            .expose(),
        "pw1"
    );
    assert!(matches!(
        Vault::init(&path, PASS, small()),
        Err(Error::VaultExists(_))
    ));
}

#[test]
fn missing_vault_says_so() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Vault::unlock(&dir.path().join("none"), PASS),
        Err(Error::VaultMissing(_))
    ));
}

#[test]
fn second_open_is_busy_and_names_the_holder() {
    let (dir, _v) = new_vault();
    let err = Vault::unlock(&dir.path().join("v"), PASS).unwrap_err();
    assert!(matches!(err, Error::VaultBusy { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
}

#[test]
fn user_scope_wins_lookup_and_scopes_are_namespaces() {
    let (_d, v) = new_vault();
    v.create(
        &pol(),
        name("db"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "team")]),
    )
    .unwrap();
    v.create(
        &pol(),
        name("db"),
        Scope::User,
        "arbitrary",
        values(&[("k", "mine")]),
    )
    .unwrap();
    assert_eq!(
        v.get(&name("db"), None).unwrap().get("k").unwrap().expose(),
        "mine"
    );
    assert_eq!(
        v.get(&name("db"), Some(Scope::Workspace))
            .unwrap()
            .get("k")
            .unwrap()
            .expose(),
        "team"
    );
    assert!(matches!(
        v.create(
            &pol(),
            name("db"),
            Scope::User,
            "arbitrary",
            values(&[("k", "x")])
        ),
        Err(Error::SecretExists { .. })
    ));
    assert_eq!(v.list().unwrap().secrets.len(), 2);
}

#[test]
fn update_history_restore_and_limit() {
    let (_d, v) = new_vault();
    let p3 = Policy {
        history: 3,
        ..Policy::default()
    };
    let n = name("api");
    v.create(
        &p3,
        n.clone(),
        Scope::User,
        "arbitrary",
        values(&[("token", "v1")]),
    )
    .unwrap();
    for i in 2..=6 {
        let set = values(&[("token", &format!("v{i}"))]);
        let m = v
            .update(
                &p3,
                &n,
                None,
                Change {
                    set,
                    ..Change::default()
                },
                None,
            )
            .unwrap();
        assert_eq!(m.version, i);
    }
    // An update that changes nothing writes no version.
    let same = values(&[("token", "v6")]);
    assert_eq!(
        v.update(
            &p3,
            &n,
            None,
            Change {
                set: same,
                ..Change::default()
            },
            None
        )
        .unwrap()
        .version,
        6
    );
    let (cur, hist) = v.history(&n, None).unwrap();
    assert_eq!(cur.get("token").unwrap().expose(), "v6");
    assert_eq!(
        hist.iter().map(|h| h.version).collect::<Vec<_>>(),
        vec![5, 4, 3]
    );
    let m = v.restore(&p3, &n, None, 4, None).unwrap();
    assert_eq!(m.version, 7);
    assert_eq!(
        v.get(&n, None).unwrap().get("token").unwrap().expose(),
        "v4"
    );
    assert!(matches!(
        v.restore(&p3, &n, None, 1, None),
        Err(Error::VersionNotFound { .. })
    ));
    // Removing keys, and a key that is not there.
    let change = Change {
        set: values(&[("user", "u")]),
        ..Change::default()
    };
    v.update(&p3, &n, None, change, None).unwrap();
    let m = v
        .update(
            &p3,
            &n,
            None,
            Change {
                remove: vec!["token".into()],
                ..Change::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(m.keys, vec!["user".to_string()]);
    let err = v
        .update(
            &p3,
            &n,
            None,
            Change {
                remove: vec!["nope".into()],
                ..Change::default()
            },
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::KeyNotFound { .. }));
}

#[test]
fn rename_and_delete() {
    let (_d, v) = new_vault();
    v.create(
        &pol(),
        name("a"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "1")]),
    )
    .unwrap();
    v.create(
        &pol(),
        name("b"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "2")]),
    )
    .unwrap();
    assert!(matches!(
        v.rename(&name("a"), None, name("b"), None),
        Err(Error::SecretExists { .. })
    ));
    v.rename(&name("a"), None, name("c"), None).unwrap();
    assert!(matches!(
        v.get(&name("a"), None),
        Err(Error::SecretNotFound { .. })
    ));
    assert_eq!(
        v.get(&name("c"), None).unwrap().get("k").unwrap().expose(),
        "1"
    );
    v.delete(&pol(), &name("c"), None, None, false).unwrap();
    assert_eq!(v.count(), 1);
    assert!(matches!(
        v.delete(&pol(), &name("c"), None, None, false),
        Err(Error::SecretNotFound { .. })
    ));
}

#[test]
fn passphrase_change_rewraps_only_the_key() {
    let (dir, mut v) = new_vault();
    v.create(
        &pol(),
        name("x"),
        Scope::User,
        "arbitrary",
        values(&[("k", "v")]),
    )
    .unwrap();
    v.change_passphrase(b"new pass", None).unwrap();
    drop(v);
    let p = dir.path().join("v");
    assert!(matches!(
        Vault::unlock(&p, PASS),
        Err(Error::WrongPassphrase(_))
    ));
    let v = Vault::unlock(&p, b"new pass").unwrap();
    assert_eq!(
        v.get(&name("x"), None).unwrap().get("k").unwrap().expose(),
        "v"
    );
}

/// Overwrites (or with `None` removes) one raw record, bypassing the vault: what an
/// attacker with the files can do.
fn poke(v: &Vault, key: &[u8], blob: Option<Vec<u8>>) {
    let mut b = Batch::default();
    match blob {
        Some(blob) => b.insert(key, blob),
        None => b.remove(key),
    }
    v.store().apply(b).unwrap();
    // A fresh process would verify again: forget what this one already checked.
    v.verified
        .lock()
        .unwrap()
        .iter_mut()
        .for_each(|x| *x = false);
}

fn raw(v: &Vault, kind: u8, n: &str) -> (Vec<u8>, Vec<u8>) {
    let key = v.keys.secret_key(kind, Scope::Workspace, &name(n));
    let blob = v.store().get(&key).unwrap().unwrap();
    (key, blob)
}

fn put(v: &Vault, n: &str, val: &str) {
    v.create(
        &pol(),
        name(n),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", val)]),
    )
    .unwrap();
}

fn set(v: &Vault, n: &str, val: &str) -> SecretMeta {
    v.update(
        &pol(),
        &name(n),
        None,
        Change {
            set: values(&[("k", val)]),
            ..Change::default()
        },
        None,
    )
    .unwrap()
}

fn value(v: &Vault, n: &str) -> String {
    v.get(&name(n), None)
        .unwrap()
        .get("k")
        .unwrap()
        .expose()
        .to_string()
}

#[test]
fn a_record_moved_to_another_key_fails_to_open() {
    let (_d, v) = new_vault();
    put(&v, "a", "secret-a");
    put(&v, "b", "secret-b");
    let (_, a_body) = raw(&v, KIND_BODY, "a");
    let (b_key, _) = raw(&v, KIND_BODY, "b");
    poke(&v, &b_key, Some(a_body));
    let err = v.get(&name("b"), None).unwrap_err();
    assert!(matches!(err, Error::CorruptRecord { .. }), "{err}");
    assert!(err.to_string().contains("'b'"), "named: {err}");
    assert_eq!(value(&v, "a"), "secret-a", "the rest stays readable");
}

#[test]
fn a_record_copied_into_another_vault_fails_to_open() {
    let (_d1, v1) = new_vault();
    let (_d2, v2) = new_vault();
    put(&v1, "a", "one");
    put(&v2, "a", "two");
    let (_, blob) = raw(&v1, KIND_BODY, "a");
    let (k2, _) = raw(&v2, KIND_BODY, "a");
    poke(&v2, &k2, Some(blob));
    assert!(matches!(
        v2.get(&name("a"), None),
        Err(Error::CorruptRecord { .. })
    ));
}

#[test]
fn an_older_body_under_a_newer_meta_is_refused() {
    let (_d, v) = new_vault();
    put(&v, "db", "old-password");
    let (key, old_body) = raw(&v, KIND_BODY, "db");
    set(&v, "db", "new-password");
    poke(&v, &key, Some(old_body));
    let err = v.get(&name("db"), None).unwrap_err();
    assert!(matches!(err, Error::CorruptRecord { .. }), "{err}");
    assert!(!err.to_string().contains("password"), "no value: {err}");
}

#[test]
fn a_replayed_older_secret_is_detected_not_served() {
    let (_d, v) = new_vault();
    put(&v, "db", "old-password");
    let (mk, old_meta) = raw(&v, KIND_META, "db");
    let (bk, old_body) = raw(&v, KIND_BODY, "db");
    set(&v, "db", "new-password");
    // Both records of version 1 put back together: each opens, the pair is consistent.
    poke(&v, &mk, Some(old_meta));
    poke(&v, &bk, Some(old_body));
    let err = v.get(&name("db"), None).unwrap_err();
    assert!(matches!(err, Error::Tampered { .. }), "{err}");
    assert!(err.to_string().contains("'db'"), "{err}");
    let listing = v.list().unwrap();
    assert_eq!(listing.problems.len(), 1, "{:?}", listing.problems);
    assert!(listing.problems[0].contains("db (workspace)"));
}

#[test]
fn a_resurrected_deleted_secret_is_detected() {
    let (_d, v) = new_vault();
    put(&v, "keep", "k");
    put(&v, "leaked", "credential");
    let (mk, m) = raw(&v, KIND_META, "leaked");
    let (bk, b) = raw(&v, KIND_BODY, "leaked");
    v.delete(&pol(), &name("leaked"), None, None, false)
        .unwrap();
    poke(&v, &mk, Some(m));
    poke(&v, &bk, Some(b));
    assert!(matches!(
        v.get(&name("leaked"), None),
        Err(Error::Tampered { .. })
    ));
    let listing = v.list().unwrap();
    assert!(
        listing.problems.iter().any(|p| p.contains("leaked")),
        "{:?}",
        listing.problems
    );
    assert!(
        listing
            .problems
            .iter()
            .any(|p| p.contains("1 secret record")
                || p.contains("holds 2 secret record(s) but its state records 1")),
        "the count is off too: {:?}",
        listing.problems
    );
    // A removed secret is caught the same way.
    let (kk, _) = raw(&v, KIND_META, "keep");
    poke(&v, &kk, None);
    assert!(!v.list().unwrap().problems.is_empty());
}

#[test]
fn a_flipped_byte_is_detected_named_and_contained() {
    let (_d, v) = new_vault();
    for n in ["one", "two", "three"] {
        put(&v, n, n);
    }
    let (key, mut blob) = raw(&v, KIND_META, "two");
    let mid = blob.len() / 2;
    blob[mid] ^= 1;
    poke(&v, &key, Some(blob));
    let listing = v.list().unwrap();
    assert_eq!(listing.secrets.len(), 2);
    assert_eq!(listing.damaged, vec![record_id(&key)]);
    assert!(
        listing.problems.is_empty(),
        "damage explains its own group: {:?}",
        listing.problems
    );
    assert!(matches!(
        v.get(&name("two"), None),
        Err(Error::CorruptRecord { .. })
    ));
    assert_eq!(value(&v, "three"), "three");
    poke(&v, &key, Some(vec![1, 2, 3]));
    assert!(matches!(
        v.get(&name("two"), None),
        Err(Error::CorruptRecord { .. })
    ));
    // Deleting is how a damaged secret is cleared away.
    v.delete(&pol(), &name("two"), None, None, false).unwrap();
    let listing = v.list().unwrap();
    assert!(listing.damaged.is_empty() && listing.problems.is_empty());
    assert_eq!(listing.secrets.len(), 2);
}

#[test]
fn a_neighbour_of_a_damaged_record_is_served_with_a_notice() {
    let (_d, v) = new_vault();
    // Find two names whose records share a commitment group.
    let mut names = Vec::new();
    let mut by_bucket: BTreeMap<u8, String> = BTreeMap::new();
    for i in 0.. {
        let n = format!("n{i}");
        let k = v.keys.secret_key(KIND_META, Scope::Workspace, &name(&n));
        if let Some(first) = by_bucket.insert(k[1], n.clone()) {
            names = vec![first, n];
            break;
        }
    }
    put(&v, &names[0], "a");
    put(&v, &names[1], "b");
    let (key, blob) = raw(&v, KIND_META, &names[0]);
    // Damage inside the ciphertext leaves the group's sum as it was (the commitment hashes
    // nonce and tag): the neighbour reads as verified.
    let mut inside = blob.clone();
    inside[30] ^= 4;
    poke(&v, &key, Some(inside));
    assert_eq!(value(&v, &names[1]), "b");
    assert!(v.take_notices().is_empty());
    assert!(matches!(
        v.get(&name(&names[0]), None),
        Err(Error::CorruptRecord { .. })
    ));
    // Damage to the nonce changes the sum: the neighbour is served, with a notice naming
    // the damaged record, since its freshness cannot be confirmed.
    let mut nonce = blob;
    nonce[3] ^= 4;
    poke(&v, &key, Some(nonce));
    assert_eq!(value(&v, &names[1]), "b");
    let notices = v.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains(&record_id(&key)), "{notices:?}");
}

#[test]
fn newer_formats_and_hostile_headers_are_refused() {
    let (dir, v) = new_vault();
    drop(v);
    let path = dir.path().join("v");
    let good = std::fs::read(path.join("header")).unwrap();
    let mut h = Header::decode(&good).ok().unwrap();

    // A newer sesame writes a valid frame (the checksum covers the format number).
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let end = newer.len() - 32;
    let sum = header::checksum(&newer[..end]);
    newer[end..].copy_from_slice(&sum);
    std::fs::write(path.join("header"), &newer).unwrap();
    let err = Vault::unlock(&path, PASS).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { found: 3, .. }),
        "{err}"
    );

    // A header asking for 4 TiB of memory is refused before any allocation (both copies,
    // or the backup would be used instead).
    h.kdf.memory_kib = u32::MAX;
    for f in ["header", "header.bak"] {
        std::fs::write(path.join(f), h.encode()).unwrap();
    }
    assert!(matches!(
        Vault::unlock(&path, PASS),
        Err(Error::KdfParams(_))
    ));
    for f in ["header", "header.bak"] {
        std::fs::write(path.join(f), &good[..good.len() / 2]).unwrap();
    }
    let err = Vault::unlock(&path, PASS).unwrap_err();
    assert!(matches!(err, Error::CorruptVault { .. }), "{err}");
    assert!(err.to_string().contains("recover"), "{err}");
}

#[test]
fn a_damaged_header_is_rebuilt_from_its_backup_not_called_a_wrong_passphrase() {
    let (dir, v) = new_vault();
    put(&v, "a", "1");
    drop(v);
    let path = dir.path().join("v");
    let mut bytes = std::fs::read(path.join("header")).unwrap();
    bytes[40] ^= 0xff;
    std::fs::write(path.join("header"), &bytes).unwrap();
    let v = Vault::unlock(&path, PASS).unwrap();
    assert_eq!(value(&v, "a"), "1");
    assert!(
        v.take_notices().iter().any(|n| n.contains("header.bak")),
        "the user is told"
    );
    drop(v);
    // The header was rewritten: it opens without the backup now.
    std::fs::remove_file(path.join("header.bak")).unwrap();
    assert_eq!(value(&Vault::unlock(&path, PASS).unwrap(), "a"), "1");
}

#[test]
fn a_store_that_lost_writes_is_reported_and_left_alone() {
    let (dir, v) = new_vault();
    put(&v, "a", "1");
    let path = dir.path().join("v");
    let store_dir = v.store().dir().to_path_buf();
    let copy = dir.path().join("older-store");
    drop(v);
    copy_tree(&store_dir, &copy);
    let v = Vault::unlock(&path, PASS).unwrap();
    put(&v, "b", "2");
    put(&v, "c", "3");
    drop(v);
    // The store goes back in time (sled dropping a damaged tail looks like this).
    std::fs::remove_dir_all(&store_dir).unwrap();
    copy_tree(&copy, &store_dir);
    let err = Vault::unlock(&path, PASS).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::CorruptVault { .. }), "{msg}");
    assert!(
        msg.contains("1 secret(s)") && msg.contains("3 secret(s)") && msg.contains("recover"),
        "{msg}"
    );
    // Nothing was written: the same error again.
    assert!(Vault::unlock(&path, PASS).is_err());
    // recover brings back what the snapshot holds.
    let report = Vault::recover(&path, PASS, None).unwrap();
    assert!(report.lost.is_empty(), "{:?}", report.lost);
    let v = Vault::unlock(&path, PASS).unwrap();
    assert_eq!(value(&v, "a"), "1");
}

#[test]
fn a_crash_between_store_and_header_is_completed_on_open() {
    let (dir, v) = new_vault();
    put(&v, "a", "1");
    let path = dir.path().join("v");
    let header_before = std::fs::read(path.join("header")).unwrap();
    put(&v, "b", "2");
    drop(v);
    // The header as it was before the last write: the store is one write ahead.
    std::fs::write(path.join("header"), &header_before).unwrap();
    let v = Vault::unlock(&path, PASS).unwrap();
    assert_eq!(value(&v, "b"), "2");
    drop(v);
    assert_ne!(std::fs::read(path.join("header")).unwrap(), header_before);
}

#[test]
fn passwd_leaves_the_old_wrapped_key_in_no_file() {
    let (dir, mut v) = new_vault();
    put(&v, "x", "v");
    let path = dir.path().join("v");
    let old = Header::decode(&std::fs::read(path.join("header")).unwrap())
        .ok()
        .unwrap();
    v.change_passphrase(b"new pass", None).unwrap();
    drop(v);
    assert!(
        no_file_contains(&path, &old.wrapped_key),
        "the old wrapped key lingers"
    );
    assert!(matches!(
        Vault::unlock(&path, PASS),
        Err(Error::WrongPassphrase(_))
    ));
    let v = Vault::unlock(&path, b"new pass").unwrap();
    assert_eq!(value(&v, "x"), "v");
}

#[test]
fn rotate_key_reseals_everything_and_retires_the_old_key() {
    let (dir, mut v) = new_vault();
    put(&v, "a", "1");
    set(&v, "a", "2");
    put(&v, "b", "3");
    v.snapshot_if_due(true).unwrap();
    let path = dir.path().join("v");
    let old_store = v.store().dir().to_path_buf();
    let (_, old_blob) = raw(&v, KIND_BODY, "a");
    let old_key = v.keys.vault.clone();
    v.rotate_key(b"rotated", None).unwrap();
    assert!(!old_store.exists());
    assert!(no_file_contains(&path, &old_blob), "old records linger");
    drop(v);
    let v = Vault::unlock(&path, b"rotated").unwrap();
    assert_ne!(v.keys.vault.as_bytes(), old_key.as_bytes());
    assert_eq!(value(&v, "a"), "2");
    assert_eq!(v.history(&name("a"), None).unwrap().1.len(), 1);
    assert_eq!(value(&v, "b"), "3");
    drop(v);
    assert!(Vault::verify(&path, b"rotated").unwrap().ok());
}

#[test]
fn delete_then_compaction_removes_the_sealed_bytes_from_every_file() {
    let (dir, v) = new_vault();
    put(&v, "keep", "k");
    put(&v, "leaked", "credential");
    v.snapshot_if_due(true).unwrap();
    let (_, blob) = raw(&v, KIND_BODY, "leaked");
    let path = dir.path().join("v");
    v.delete(&pol(), &name("leaked"), None, None, true).unwrap();
    // A small vault compacts at once, and says so.
    assert!(!v.scrub_pending());
    assert!(
        v.take_notices()
            .iter()
            .any(|n| n.contains("gone from the vault's files")),
        "the user is told"
    );
    assert!(no_file_contains(&path, &blob), "the deleted record lingers");
    assert_eq!(value(&v, "keep"), "k");
    drop(v);
    assert!(Vault::verify(&path, PASS).unwrap().ok());
}

#[test]
fn import_is_all_or_nothing() {
    let (_d, v) = new_vault();
    put(&v, "exists", "old");
    let item = |n: &str, val: &str| ImportItem {
        name: name(n),
        scope: Scope::Workspace,
        schema: "arbitrary".into(),
        values: values(&[("k", val)]),
        created: None,
        updated: None,
    };
    let err = v
        .import(
            &pol(),
            vec![item("new", "1"), item("exists", "2")],
            false,
            false,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(v.count(), 1, "nothing imported");
    let err = v
        .import(&pol(), vec![item("x", "1"), item("x", "2")], true, false)
        .unwrap_err();
    assert!(err.to_string().contains("more than once"));
    let r = v
        .import(
            &pol(),
            vec![item("new", "1"), item("exists", "2")],
            true,
            true,
        )
        .unwrap();
    assert_eq!((r.created.len(), r.updated.len()), (1, 1));
    assert_eq!(v.count(), 1, "dry run writes nothing");
    v.import(
        &pol(),
        vec![item("new", "1"), item("exists", "2")],
        true,
        false,
    )
    .unwrap();
    assert_eq!(v.get(&name("exists"), None).unwrap().meta.version, 2);
    assert_eq!(v.count(), 2);
}

#[test]
fn files_reveal_no_names_keys_or_values() {
    let (dir, v) = new_vault();
    v.create(
        &pol(),
        name("zzmarkername"),
        Scope::User,
        "arbitrary",
        values(&[("zzmarkerkey", "zzmarkervalue")]),
    )
    .unwrap();
    let mut c = Change::default();
    c.set
        .insert("zzmarkerkey".into(), SecretValue::new("zzmarkervalue2"));
    v.update(&pol(), &name("zzmarkername"), None, c, None)
        .unwrap();
    v.snapshot_if_due(true).unwrap();
    drop(v);
    let path = dir.path().join("v");
    for needle in [&b"zzmarker"[..], b"arbitrary"] {
        assert!(no_file_contains(&path, needle));
    }
    assert!(path.join("snapshots").read_dir().unwrap().count() >= 1);
}

#[test]
fn a_read_only_vault_reads_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, v) = new_vault();
    put(&v, "a", "1");
    drop(v);
    let path = dir.path().join("v");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o500)).unwrap();
    let v = Vault::unlock(&path, PASS).unwrap();
    assert!(v.is_read_only());
    assert_eq!(value(&v, "a"), "1");
    assert_eq!(v.list().unwrap().secrets.len(), 1);
    let err = v
        .create(
            &pol(),
            name("b"),
            Scope::User,
            "arbitrary",
            values(&[("k", "v")]),
        )
        .unwrap_err();
    assert!(matches!(err, Error::ReadOnly(_)), "{err}");
    assert!(err.to_string().contains("read-only"));
    drop(v);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .filter(|e| e
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("sesame-ro-{}-", std::process::id())))
            .count(),
        0,
        "the scratch copy is removed"
    );
}

#[test]
fn loose_permissions_are_tightened_and_said() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, v) = new_vault();
    drop(v);
    let path = dir.path().join("v");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(path.join("header"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let v = Vault::unlock(&path, PASS).unwrap();
    let notices = v.take_notices();
    assert!(
        notices.iter().any(|n| n.contains("tightened")),
        "{notices:?}"
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o700);
}

#[test]
fn init_refuses_a_directory_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = Vault::init(dir.path(), PASS, small()).unwrap_err();
    assert!(err.to_string().contains("other files"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

/// Copies the format-1 fixture (written by the last format-1 release) to a temp dir.
fn v1_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-vault"),
        &path,
    );
    (dir, path)
}

const V1_PASS: &[u8] = b"v1 fixture passphrase";

#[test]
fn a_real_format_1_vault_migrates_on_open_and_is_verified() {
    let (_d, path) = v1_fixture();
    assert!(matches!(
        Vault::unlock(&path, b"wrong"),
        Err(Error::WrongPassphrase(_))
    ));
    assert!(
        path.join("data").exists(),
        "a wrong passphrase migrates nothing"
    );
    let v = Vault::unlock(&path, V1_PASS).unwrap();
    let notices = v.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("format 2") && n.contains("5 secret")),
        "{notices:?}"
    );
    let db = v.get(&name("db"), Some(Scope::Workspace)).unwrap();
    assert_eq!(db.get("password").unwrap().expose(), "pw3 ünïcödé");
    assert_eq!(db.meta.version, 3);
    let (_, history) = v.history(&name("db"), Some(Scope::Workspace)).unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.values["password"].expose().to_string())
            .collect::<Vec<_>>(),
        ["pw2", "pw1"]
    );
    assert_eq!(
        v.get(&name("db"), None)
            .unwrap()
            .get("token")
            .unwrap()
            .expose(),
        "mine"
    );
    let cert = v.get(&name("cert"), None).unwrap();
    assert_eq!(cert.get("pem").unwrap().expose(), "line1\nline2");
    let pg = v.get(&name("pg"), None).unwrap();
    assert_eq!(pg.get("password").unwrap().expose(), "");
    assert_eq!(pg.meta.schema, "postgres");
    assert!(v.get(&name("gone"), None).is_err());
    assert_eq!(v.list().unwrap().secrets.len(), 5);
    drop(v);
    assert!(!path.join("data").exists(), "format-1 files removed");
    assert_eq!(crate::vault::snapshot::list(&path).len(), 1);
    assert!(Vault::verify(&path, V1_PASS).unwrap().ok());
    // Opening again says nothing more.
    assert!(
        Vault::unlock(&path, V1_PASS)
            .unwrap()
            .take_notices()
            .is_empty()
    );
}

#[test]
fn an_interrupted_migration_is_finished_or_redone() {
    // Crashed before the commit point: a half-built store beside the format-1 files.
    let (_d, path) = v1_fixture();
    std::fs::create_dir(path.join("store-0123456789abcdef")).unwrap();
    let v = Vault::unlock(&path, V1_PASS).unwrap();
    assert_eq!(v.list().unwrap().secrets.len(), 5);
    drop(v);
    assert!(!path.join("store-0123456789abcdef").exists());

    // Crashed after it: a format-2 vault with the format-1 files still there.
    let (_d2, path2) = v1_fixture();
    let v = Vault::unlock(&path2, V1_PASS).unwrap();
    drop(v);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-vault/data"),
        &path2.join("data"),
    );
    let v = Vault::unlock(&path2, V1_PASS).unwrap();
    assert_eq!(v.list().unwrap().secrets.len(), 5);
    drop(v);
    assert!(!path2.join("data").exists());
}

#[test]
fn recover_into_another_directory_leaves_the_original_alone() {
    let (dir, v) = new_vault();
    put(&v, "a", "1");
    drop(v);
    let path = dir.path().join("v");
    let out = dir.path().join("rescued");
    let before = std::fs::read(path.join("header")).unwrap();
    let report = Vault::recover(&path, PASS, Some(&out)).unwrap();
    assert_eq!(report.recovered.len(), 1, "{:?}", report.recovered);
    assert_eq!(std::fs::read(path.join("header")).unwrap(), before);
    assert_eq!(value(&Vault::unlock(&out, PASS).unwrap(), "a"), "1");
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

/// True when no file under `dir` contains `needle`.
fn no_file_contains(dir: &Path, needle: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if std::fs::read(&p)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            eprintln!("found in {}", p.display());
            return false;
        }
    }
    true
}

#[test]
fn delete_moves_to_the_trash_and_restore_brings_it_back_with_its_history() {
    let (dir, mut v) = new_vault();
    put(&v, "db", "one");
    set(&v, "db", "two");
    let d = v.delete(&pol(), &name("db"), None, None, false).unwrap();
    let entry = d.trash.expect("kept in the trash");
    assert!(v.get(&name("db"), None).is_err());
    assert_eq!(v.count(), 0);
    assert_eq!(v.trash_list().unwrap(), vec![entry.clone()]);
    assert!(entry.purge_after >= entry.deleted + 30 * 86_400);
    // The commitment covers the trash: listing and verification are clean.
    let listing = v.list().unwrap();
    assert!(listing.problems.is_empty() && listing.damaged.is_empty());
    // Its name can be used again; restoring then needs another name.
    put(&v, "db", "new");
    assert!(matches!(
        v.trash_restore(&entry.id, None),
        Err(Error::SecretExists { .. })
    ));
    let m = v.trash_restore(&entry.id, Some(name("db-old"))).unwrap();
    assert_eq!(m.version, 2);
    assert_eq!(value(&v, "db-old"), "two");
    assert_eq!(v.history(&name("db-old"), None).unwrap().1.len(), 1);
    assert!(v.trash_list().unwrap().is_empty());
    // Trash survives key rotation and compaction.
    v.delete(&pol(), &name("db"), None, None, false).unwrap();
    v.rotate_key(b"rotated", None).unwrap();
    v.compact().unwrap();
    let e = v.trash_list().unwrap().pop().unwrap();
    v.trash_restore(&e.id, None).unwrap();
    assert_eq!(value(&v, "db"), "new");
    drop(v);
    assert!(
        Vault::verify(&dir.path().join("v"), b"rotated")
            .unwrap()
            .ok()
    );
}

#[test]
fn purge_and_no_trash_policy_remove_the_bytes_from_every_file() {
    let (dir, v) = new_vault();
    put(&v, "leaked", "credential");
    let (_, blob) = raw(&v, KIND_BODY, "leaked");
    let d = v
        .delete(&pol(), &name("leaked"), None, None, false)
        .unwrap();
    assert_eq!(v.trash_purge(Some(&d.trash.unwrap().id)).unwrap(), 1);
    assert!(v.trash_list().unwrap().is_empty());
    let path = dir.path().join("v");
    assert!(no_file_contains(&path, &blob), "purged bytes linger");
    // A policy without trash (trash_days = 0) purges at once.
    let none = Policy {
        trash_days: 0,
        ..Policy::default()
    };
    put(&v, "other", "x");
    let (_, blob) = raw(&v, KIND_BODY, "other");
    assert!(
        v.delete(&none, &name("other"), None, None, false)
            .unwrap()
            .trash
            .is_none()
    );
    assert!(no_file_contains(&path, &blob));
    // And so does an explicit purge.
    put(&v, "third", "y");
    assert!(
        v.delete(&pol(), &name("third"), None, None, true)
            .unwrap()
            .trash
            .is_none()
    );
    assert!(v.trash_list().unwrap().is_empty());
}

#[test]
fn expired_trash_is_purged() {
    let (_d, v) = new_vault();
    put(&v, "a", "1");
    let day = Policy {
        trash_days: 1,
        ..Policy::default()
    };
    v.delete(&day, &name("a"), None, None, false).unwrap();
    assert_eq!(v.purge_expired().unwrap(), 0, "not yet");
    // A day later, as the vault would see it: its purge time rewritten through a real commit
    // (so the commitment follows), then the expiry sweep removes it.
    let (tk, blob) = v
        .store()
        .scan(&[record::KIND_TRASH])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let mut t: trash::TrashV2 = v.keys.open(&v.vault_id, &tk, None, &blob).unwrap();
    t.purge_after = now().saturating_sub(1);
    let w = v.writer().unwrap();
    let sealed = v.keys.seal(&v.vault_id, &tk, None, &t);
    v.commit(&w, vec![(tk, Some(sealed))], false).unwrap();
    drop(w);
    assert!(v.list().unwrap().problems.is_empty());
    assert_eq!(v.purge_expired().unwrap(), 1);
    assert!(v.trash_list().unwrap().is_empty());
    assert!(v.list().unwrap().problems.is_empty());
}

#[test]
fn a_replayed_trash_record_is_caught() {
    let (_d, v) = new_vault();
    put(&v, "a", "1");
    v.delete(&pol(), &name("a"), None, None, false).unwrap();
    let (tk, blob) = v
        .store()
        .scan(&[record::KIND_TRASH])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let entry = v.trash_list().unwrap().pop().unwrap();
    v.trash_restore(&entry.id, None).unwrap();
    // The restored secret's trash record put back behind the vault's back.
    poke(&v, &tk, Some(blob));
    assert!(!v.list().unwrap().problems.is_empty());
}
