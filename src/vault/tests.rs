//! Vault tests at the library level: the guarantees of DESIGN §4 that the CLI cannot reach
//! directly (record binding, hostile headers, format versions).

use super::*;
use crate::secret::SecretValue;

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

fn new_vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::init(&dir.path().join("v"), PASS, small()).unwrap();
    (dir, v)
}

#[test]
fn init_unlock_and_wrong_passphrase() {
    let (dir, v) = new_vault();
    v.create(
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
        name("db"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "team")]),
    )
    .unwrap();
    v.create(
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
        v.create(name("db"), Scope::User, "arbitrary", Values::new()),
        Err(Error::SecretExists { .. })
    ));
    assert_eq!(v.list().unwrap().secrets.len(), 2);
}

#[test]
fn update_history_restore_and_limit() {
    let (_d, mut v) = new_vault();
    v.set_history_limit(3);
    let n = name("api");
    v.create(
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
                &n,
                None,
                Change {
                    set,
                    ..Change::default()
                },
            )
            .unwrap();
        assert_eq!(m.version, i);
    }
    // An update that changes nothing writes no version.
    let same = values(&[("token", "v6")]);
    assert_eq!(
        v.update(
            &n,
            None,
            Change {
                set: same,
                ..Change::default()
            }
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
    let m = v.restore(&n, None, 4).unwrap();
    assert_eq!(m.version, 7);
    assert_eq!(
        v.get(&n, None).unwrap().get("token").unwrap().expose(),
        "v4"
    );
    assert!(matches!(
        v.restore(&n, None, 1),
        Err(Error::VersionNotFound { .. })
    ));
    // Removing keys, and a key that is not there.
    let change = Change {
        set: values(&[("user", "u")]),
        ..Change::default()
    };
    v.update(&n, None, change).unwrap();
    let m = v
        .update(
            &n,
            None,
            Change {
                remove: vec!["token".into()],
                ..Change::default()
            },
        )
        .unwrap();
    assert_eq!(m.keys, vec!["user".to_string()]);
    let err = v
        .update(
            &n,
            None,
            Change {
                remove: vec!["nope".into()],
                ..Change::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::KeyNotFound { .. }));
}

#[test]
fn rename_and_delete() {
    let (_d, v) = new_vault();
    v.create(
        name("a"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "1")]),
    )
    .unwrap();
    v.create(
        name("b"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "2")]),
    )
    .unwrap();
    assert!(matches!(
        v.rename(&name("a"), None, name("b")),
        Err(Error::SecretExists { .. })
    ));
    v.rename(&name("a"), None, name("c")).unwrap();
    assert!(matches!(
        v.get(&name("a"), None),
        Err(Error::SecretNotFound { .. })
    ));
    assert_eq!(
        v.get(&name("c"), None).unwrap().get("k").unwrap().expose(),
        "1"
    );
    v.delete(&name("c"), None).unwrap();
    assert_eq!(v.count(), 1);
    assert!(matches!(
        v.delete(&name("c"), None),
        Err(Error::SecretNotFound { .. })
    ));
}

#[test]
fn passphrase_change_rewraps_only_the_key() {
    let (dir, mut v) = new_vault();
    v.create(name("x"), Scope::User, "arbitrary", values(&[("k", "v")]))
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

/// Overwrites one raw record, bypassing the vault: what an attacker with the files can do.
fn poke(v: &Vault, key: &[u8], blob: Vec<u8>) {
    let mut b = Batch::default();
    b.insert(key, blob);
    v.store.apply(b).unwrap();
}

#[test]
fn a_record_moved_to_another_key_fails_to_open() {
    let (_d, v) = new_vault();
    v.create(
        name("a"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "secret-a")]),
    )
    .unwrap();
    v.create(
        name("b"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "secret-b")]),
    )
    .unwrap();
    let a_body = v
        .store
        .get(&v.key(KIND_BODY, Scope::Workspace, &name("a")))
        .unwrap()
        .unwrap();
    poke(&v, &v.key(KIND_BODY, Scope::Workspace, &name("b")), a_body);
    let err = v.get(&name("b"), None).unwrap_err();
    assert!(matches!(err, Error::CorruptRecord { .. }));
    assert!(
        err.to_string().contains("'b'"),
        "the damaged secret is named: {err}"
    );
    // The rest stays readable.
    assert_eq!(
        v.get(&name("a"), None).unwrap().get("k").unwrap().expose(),
        "secret-a"
    );
}

#[test]
fn a_record_copied_into_another_vault_fails_to_open() {
    let (_d1, v1) = new_vault();
    let (_d2, v2) = new_vault();
    v1.create(
        name("a"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "one")]),
    )
    .unwrap();
    v2.create(
        name("a"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "two")]),
    )
    .unwrap();
    let k1 = v1.key(KIND_BODY, Scope::Workspace, &name("a"));
    let blob = v1.store.get(&k1).unwrap().unwrap();
    // Different vaults have different index keys, so the blob lands under v2's own key for 'a'.
    poke(&v2, &v2.key(KIND_BODY, Scope::Workspace, &name("a")), blob);
    assert!(matches!(
        v2.get(&name("a"), None),
        Err(Error::CorruptRecord { .. })
    ));
}

#[test]
fn a_flipped_byte_is_detected_named_and_contained() {
    let (_d, v) = new_vault();
    for n in ["one", "two", "three"] {
        v.create(name(n), Scope::Workspace, "arbitrary", values(&[("k", n)]))
            .unwrap();
    }
    let key = v.key(KIND_META, Scope::Workspace, &name("two"));
    let mut blob = v.store.get(&key).unwrap().unwrap();
    let mid = blob.len() / 2;
    blob[mid] ^= 1;
    poke(&v, &key, blob);
    let listing = v.list().unwrap();
    assert_eq!(listing.secrets.len(), 2);
    assert_eq!(listing.damaged, vec![record_id(&key)]);
    assert!(matches!(
        v.get(&name("two"), None),
        Err(Error::CorruptRecord { .. })
    ));
    assert_eq!(
        v.get(&name("three"), None)
            .unwrap()
            .get("k")
            .unwrap()
            .expose(),
        "three"
    );
    // Truncated to less than a tag.
    poke(&v, &key, vec![1, 2, 3]);
    assert!(matches!(
        v.get(&name("two"), None),
        Err(Error::CorruptRecord { .. })
    ));
    // Deleting is how a damaged secret is cleared away.
    v.delete(&name("two"), None).unwrap();
    let listing = v.list().unwrap();
    assert!(listing.damaged.is_empty() && listing.secrets.len() == 2);
}

#[test]
fn newer_format_and_hostile_headers_are_refused() {
    let (dir, v) = new_vault();
    let path = dir.path().join("v");
    let header = v.store.header().unwrap().unwrap();
    v.store.put_header(FORMAT_VERSION + 1, &header).unwrap();
    drop(v);
    let err = Vault::unlock(&path, PASS).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { found: 2, .. }),
        "{err}"
    );

    // A header asking for 4 TiB of memory is refused before any allocation.
    let store = Store::open(&path).unwrap();
    let mut h: Header = codec::decode(&header).unwrap();
    h.kdf.memory_kib = u32::MAX;
    store
        .put_header(FORMAT_VERSION, &codec::encode(&h))
        .unwrap();
    drop(store);
    assert!(matches!(
        Vault::unlock(&path, PASS),
        Err(Error::KdfParams(_))
    ));

    let store = Store::open(&path).unwrap();
    store
        .put_header(FORMAT_VERSION, &header[..header.len() / 2])
        .unwrap();
    drop(store);
    assert!(matches!(
        Vault::unlock(&path, PASS),
        Err(Error::CorruptVault { .. })
    ));
}

#[test]
fn import_is_all_or_nothing() {
    let (_d, v) = new_vault();
    v.create(
        name("exists"),
        Scope::Workspace,
        "arbitrary",
        values(&[("k", "old")]),
    )
    .unwrap();
    let item = |n: &str, val: &str| ImportItem {
        name: name(n),
        scope: Scope::Workspace,
        schema: "arbitrary".into(),
        values: values(&[("k", val)]),
        created: None,
        updated: None,
    };
    let err = v
        .import(vec![item("new", "1"), item("exists", "2")], false, false)
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(v.count(), 1, "nothing imported");
    let err = v
        .import(vec![item("x", "1"), item("x", "2")], true, false)
        .unwrap_err();
    assert!(err.to_string().contains("more than once"));
    let r = v
        .import(vec![item("new", "1"), item("exists", "2")], true, true)
        .unwrap();
    assert_eq!((r.created.len(), r.updated.len()), (1, 1));
    assert_eq!(v.count(), 1, "dry run writes nothing");
    v.import(vec![item("new", "1"), item("exists", "2")], true, false)
        .unwrap();
    assert_eq!(v.get(&name("exists"), None).unwrap().meta.version, 2);
    assert_eq!(v.count(), 2);
}

#[test]
fn files_reveal_no_names_keys_or_values() {
    let (dir, v) = new_vault();
    v.create(
        name("zzmarkername"),
        Scope::User,
        "arbitrary",
        values(&[("zzmarkerkey", "zzmarkervalue")]),
    )
    .unwrap();
    let mut c = Change::default();
    c.set
        .insert("zzmarkerkey".into(), SecretValue::new("zzmarkervalue2"));
    v.update(&name("zzmarkername"), None, c).unwrap();
    drop(v);
    let mut files = vec![dir.path().join("v")];
    let mut checked = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            for needle in [&b"zzmarker"[..], b"arbitrary"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} leaks",
                    p.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2);
}
