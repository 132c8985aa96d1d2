//! One contract, every flavor: the same assertions run against memory, folder, exec (the
//! example plugin), a real OpenBao (token and AppRole), a real moto, the drongo GCP
//! emulator (bearer token and service-account JWT grant) and the in-repo Azure Key Vault
//! fake (client credentials after the 401 challenge, and a bearer token). What sync relies on
//! is here: create, read, compare-and-set updates and deletes, listing with paging, both
//! scopes, awkward names, unicode and large values.

use crate::common;

use std::collections::BTreeMap;

use common::backends::{self, credential, plain, values};
use common::servers;
use sesame::backend::{Backend, BackendError, Expect, RemoteId, RemoteVersion};
use sesame::{Scope, Values};

/// What a flavor can hold, where the store itself sets a limit.
struct Caps {
    /// Bytes of the largest single value the test writes.
    large_value: usize,
    /// Characters of the longest name the test writes (sesame allows 128).
    long_name: usize,
}

const FULL: Caps = Caps {
    large_value: 64 * 1024,
    long_name: 128,
};
/// AWS caps a whole SecretString at 65,536 bytes, JSON included.
const AWS: Caps = Caps {
    large_value: 64 * 1024 - 200,
    long_name: 128,
};
/// GCP caps a version's payload at 65,536 bytes, JSON included.
const GCP: Caps = AWS;
/// Azure Key Vault holds 25 KB per secret and 127 characters per name, prefix and scope
/// included (`tests/backend_servers.rs` checks that longer ones are refused clearly).
const AZURE: Caps = Caps {
    large_value: 24_000,
    long_name: 100,
};

fn id(scope: Scope, name: &str) -> RemoteId {
    RemoteId::new(scope, name.parse().expect("valid name"))
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T, BackendError>) -> bool {
    matches!(r, Err(BackendError::Conflict { .. }))
}

/// The contract. `b` must be empty (a fresh prefix, file or directory).
fn contract(b: &dyn Backend, caps: Caps) {
    let flavor = b.flavor();
    assert!(
        !b.test().expect("test()").is_empty(),
        "{flavor}: test() says what it reached"
    );
    assert_eq!(b.list().unwrap().entries, vec![], "{flavor}: starts empty");

    // Create, read back exactly.
    let db = id(Scope::Workspace, "db");
    let v1 = b
        .put(
            &db,
            "basic_auth",
            &values(&[("username", "app"), ("password", "s3cret")]),
            Expect::Absent,
        )
        .unwrap();
    let got = b.get(&db).unwrap().expect("created secret is there");
    assert_eq!(got.id, db);
    assert_eq!(got.version, v1);
    assert_eq!(got.schema.as_deref(), Some("basic_auth"));
    assert_eq!(
        got.values,
        values(&[("username", "app"), ("password", "s3cret")])
    );

    // Creating what exists is a conflict, and changes nothing.
    assert!(
        is_conflict(b.put(&db, "arbitrary", &values(&[("x", "y")]), Expect::Absent)),
        "{flavor}: Absent on existing"
    );
    assert_eq!(b.get(&db).unwrap().unwrap().version, v1);

    // Update at the version last seen; a second writer still holding v1 is refused.
    let v2 = b
        .put(
            &db,
            "arbitrary",
            &values(&[("password", "n3w")]),
            Expect::Version(v1.clone()),
        )
        .unwrap();
    assert_ne!(v2, v1, "{flavor}: every write gives a new version");
    let stale = b.put(
        &db,
        "arbitrary",
        &values(&[("password", "lost")]),
        Expect::Version(v1.clone()),
    );
    assert!(
        is_conflict(stale),
        "{flavor}: stale CAS version must be refused"
    );
    let got = b.get(&db).unwrap().unwrap();
    assert_eq!(
        (got.version.clone(), got.values),
        (v2.clone(), values(&[("password", "n3w")]))
    );
    assert_eq!(
        got.schema.as_deref().unwrap_or("arbitrary"),
        "arbitrary",
        "{flavor}: schema follows updates (None means the default)"
    );
    let bogus = b.put(
        &db,
        "arbitrary",
        &values(&[("a", "b")]),
        Expect::Version(RemoteVersion("no-such-version".into())),
    );
    assert!(is_conflict(bogus), "{flavor}: unknown version refused");

    // Any overwrites without a precondition (--force).
    let v3 = b
        .put(
            &db,
            "arbitrary",
            &values(&[("password", "forced")]),
            Expect::Any,
        )
        .unwrap();
    assert_ne!(v3, v2);

    // Deletes: stale version refused, Absent on an existing secret refused, then the real one.
    assert!(
        is_conflict(b.delete(&db, Expect::Version(v2.clone()))),
        "{flavor}: stale delete"
    );
    assert!(
        is_conflict(b.delete(&db, Expect::Absent)),
        "{flavor}: delete Absent on existing"
    );
    assert!(
        b.get(&db).unwrap().is_some(),
        "{flavor}: refused deletes deleted nothing"
    );
    b.delete(&db, Expect::Version(v3.clone())).unwrap();
    assert_eq!(b.get(&db).unwrap(), None, "{flavor}: deleted");
    assert!(
        matches!(
            b.delete(&db, Expect::Any),
            Err(BackendError::NotFound { .. })
        ),
        "{flavor}: delete of nothing"
    );
    b.delete(&db, Expect::Absent)
        .expect("Absent delete of an absent secret is a no-op");
    assert!(
        is_conflict(b.put(
            &db,
            "arbitrary",
            &values(&[("a", "b")]),
            Expect::Version(v3)
        )),
        "{flavor}: update of a deleted secret"
    );
    // ... and it can be created again, with a version never seen before.
    let v4 = b
        .put(&db, "arbitrary", &values(&[("a", "b")]), Expect::Absent)
        .unwrap();
    assert!(
        ![&v1, &v2].contains(&&v4),
        "{flavor}: recreated secret reuses an old version"
    );
    b.delete(&db, Expect::Any).unwrap();

    // Scopes are namespaces: the same name in both holds different secrets.
    let user_db = id(Scope::User, "db");
    let work_db = id(Scope::Workspace, "db");
    b.put(
        &user_db,
        "arbitrary",
        &values(&[("who", "me")]),
        Expect::Absent,
    )
    .unwrap();
    b.put(
        &work_db,
        "arbitrary",
        &values(&[("who", "team")]),
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(
        b.get(&user_db).unwrap().unwrap().values,
        values(&[("who", "me")])
    );
    assert_eq!(
        b.get(&work_db).unwrap().unwrap().values,
        values(&[("who", "team")])
    );

    // Names at the edges of the alphabet, and names differing only in case.
    let long = "n".repeat(caps.long_name);
    let odd = [
        "_",
        "a-b_C9",
        "DB",
        "-_-".trim_start_matches('-'),
        long.as_str(),
    ];
    for name in odd {
        let i = id(Scope::Workspace, name);
        b.put(&i, "arbitrary", &values(&[("name", name)]), Expect::Absent)
            .unwrap_or_else(|e| panic!("{flavor}: name {name:?}: {e}"));
        assert_eq!(
            b.get(&i).unwrap().unwrap().values,
            values(&[("name", name)]),
            "{flavor}: {name:?}"
        );
    }

    // Values travel exactly: unicode, newlines, tabs, escape characters, quotes, and large.
    let big: String = "é🔑xy".repeat(caps.large_value / 8) + &"z".repeat(caps.large_value % 8);
    assert_eq!(big.len(), caps.large_value);
    let odd_values = values(&[
        ("unicode", "pässwörd ✓ 🔑 日本"),
        (
            "pem",
            "-----BEGIN KEY-----\nabc\r\n\tdef\n-----END KEY-----\n",
        ),
        (
            "control",
            "bell\u{7} esc\u{1b}[2J quote\" backslash\\ {{not.a.ref}}",
        ),
        ("empty", ""),
        ("large", &big),
    ]);
    let u = id(Scope::User, "unicode_and_large");
    let vu = b.put(&u, "arbitrary", &odd_values, Expect::Absent).unwrap();
    let got = b.get(&u).unwrap().unwrap();
    assert_eq!(got.version, vu);
    assert!(
        got.values == odd_values,
        "{flavor}: values changed on the way"
    );

    // Nothing sesame would refuse on the way back is written.
    let empty = b.put(
        &id(Scope::User, "empty"),
        "arbitrary",
        &Values::new(),
        Expect::Absent,
    );
    assert!(
        matches!(empty, Err(BackendError::Unsupported { .. })),
        "{flavor}: empty secret written"
    );

    // Many secrets: enough for several pages of every flavor's listing.
    let mut expected: BTreeMap<RemoteId, RemoteVersion> = BTreeMap::new();
    for (i, scope) in [Scope::Workspace, Scope::User].into_iter().enumerate() {
        for n in 0..60 {
            let sid = id(scope, &format!("many-{i}-{n:03}"));
            let v = b
                .put(
                    &sid,
                    "arbitrary",
                    &values(&[("n", &n.to_string())]),
                    Expect::Absent,
                )
                .unwrap();
            expected.insert(sid, v);
        }
    }
    for name in odd {
        let i = id(Scope::Workspace, name);
        expected.insert(i.clone(), b.get(&i).unwrap().unwrap().version);
    }
    expected.insert(u, vu);
    for i in [&user_db, &work_db] {
        expected.insert(i.clone(), b.get(i).unwrap().unwrap().version);
    }
    let listing = b.list().unwrap();
    assert_eq!(
        listing.foreign,
        vec![],
        "{flavor}: nothing foreign was written"
    );
    let listed: BTreeMap<RemoteId, RemoteVersion> = listing
        .entries
        .into_iter()
        .map(|e| (e.id, e.version))
        .collect();
    assert_eq!(listed.len(), expected.len(), "{flavor}: listed count");
    assert!(
        listed == expected,
        "{flavor}: list gives every secret with its current version"
    );
}

#[test]
fn memory() {
    contract(backends::memory().as_ref(), FULL);
}

#[test]
fn folder() {
    let dir = tempfile::tempdir().unwrap();
    contract(backends::folder(dir.path()).as_ref(), FULL);
}

#[test]
fn exec_example_plugin() {
    let dir = tempfile::tempdir().unwrap();
    contract(
        backends::exec(&dir.path().join("secrets.json")).as_ref(),
        FULL,
    );
}

#[test]
fn vault_openbao_with_token() {
    // A small page size makes the 130 secrets span many LIST pages.
    let b = backends::vault(&backends::prefix(), &[("list_page_size", plain("7"))]);
    contract(b.as_ref(), FULL);
}

#[test]
fn vault_openbao_with_approle() {
    let (role_id, secret_id) = servers::bao().approle();
    let mut options = backends::vault_options(&backends::prefix());
    options.retain(|(name, _)| *name != "token");
    options.push(("role_id", credential(&role_id)));
    options.push(("secret_id", credential(&secret_id)));
    let b = backends::open("vault", &options);
    contract(b.as_ref(), FULL);
}

#[test]
fn aws_moto() {
    let b = backends::aws(&backends::prefix(), &[("list_page_size", plain("9"))]);
    contract(b.as_ref(), AWS);
}

#[test]
fn gcp_drongo_with_token() {
    let b = backends::gcp(&backends::flat_prefix(), &[("list_page_size", plain("7"))]);
    contract(b.as_ref(), GCP);
}

#[test]
fn gcp_drongo_with_service_account() {
    let tokens = common::gcp_token::TokenServer::start(3600);
    let mut options = backends::gcp_options(&servers::drongo().url, &backends::flat_prefix());
    options.retain(|(name, _)| !matches!(*name, "token" | "project"));
    let project = format!("sa{}", servers::random_hex());
    options.push(("service_account", credential(&tokens.key_file(&project))));
    let b = backends::open("gcp", &options);
    contract(b.as_ref(), GCP);
    assert_eq!(
        tokens.issued.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token for the whole run: it is cached until shortly before it expires"
    );
}

#[test]
fn azure_fake_with_client_credentials() {
    let fake = common::azure_fake::AzureFake::start();
    let b = backends::azure(&fake, &[("list_page_size", plain("25"))]);
    contract(b.as_ref(), AZURE);
    assert_eq!(
        fake.issued.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token for the whole run, after one challenge"
    );
}

#[test]
fn azure_fake_with_token_and_no_purge() {
    let fake = common::azure_fake::AzureFake::start();
    // A token got elsewhere (as `az account get-access-token` would give).
    let token = {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(
                        ureq::tls::parse_pem(&std::fs::read(&fake.ca_file).unwrap())
                            .filter_map(|i| match i {
                                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                                _ => None,
                            })
                            .collect(),
                    )))
                    .build(),
            )
            .build()
            .into();
        let mut r = agent
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                fake.url,
                common::azure_fake::TENANT
            ))
            .content_type("application/x-www-form-urlencoded")
            .send(format!(
                "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2F127.0.0.1%2F.default",
                common::azure_fake::CLIENT_ID,
                fake.client_secret
            ))
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["access_token"].as_str().unwrap().to_string()
    };
    let b = backends::open(
        "azure",
        &[
            ("vault_url", plain(&fake.url)),
            ("token", credential(&token)),
            ("ca_cert", plain(&fake.ca_file.display().to_string())),
            ("prefix", plain(&backends::flat_prefix())),
        ],
    );
    contract(b.as_ref(), AZURE);
}
