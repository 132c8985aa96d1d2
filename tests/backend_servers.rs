//! Faults against the real servers: bad credentials, a server that goes away, and data
//! written by other tools that sesame must report per secret, never crash on or change.

mod common;

use std::time::{Duration, Instant};

use common::backends::{self, credential, id, plain, values};
use common::servers;
use sesame::backend::{BackendError, Expect};

#[test]
fn vault_bad_token_is_refused_naming_the_backend_and_the_option() {
    let b = backends::vault(
        &backends::prefix(),
        &[("token", credential("s.not-a-real-token"))],
    );
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 7);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("vault at {}", servers::bao().server.url)),
        "{msg}"
    );
    assert!(msg.contains("403") && msg.contains("token"), "{msg}");
    assert!(!msg.contains("not-a-real-token") && !format!("{e:?}").contains("not-a-real-token"));
}

#[test]
fn vault_approle_with_a_wrong_secret_id_is_refused() {
    let (role_id, _) = servers::bao().approle();
    let mut options = backends::vault_options(&backends::prefix());
    options.retain(|(name, _)| *name != "token");
    options.push(("role_id", credential(&role_id)));
    options.push((
        "secret_id",
        credential("00000000-0000-0000-0000-000000000000"),
    ));
    let e = backends::open("vault", &options).test().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert!(e.to_string().contains("role_id and secret_id"), "{e}");
}

#[test]
fn vault_namespace_option_sends_the_namespace_header() {
    let ns = servers::bao().namespace();
    let prefix = backends::prefix();
    let inside = backends::vault(&prefix, &[("namespace", plain(&ns))]);
    inside
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("k", "in")]),
            Expect::Absent,
        )
        .unwrap();
    assert_eq!(
        inside.get(&id("db")).unwrap().unwrap().values,
        values(&[("k", "in")])
    );
    assert_eq!(inside.list().unwrap().entries.len(), 1);
    let root = backends::vault(&prefix, &[]);
    assert_eq!(
        root.get(&id("db")).unwrap(),
        None,
        "the root namespace is another store"
    );
}

#[test]
fn vault_over_tls_with_a_private_ca() {
    let (bao, ca) = servers::start_bao_tls();
    let options = |extra: &[(&'static str, sesame::backend::OptionValue)]| {
        backends::with(
            vec![
                ("address", plain(&bao.server.url)),
                ("token", credential(&bao.root_token)),
            ],
            extra,
        )
    };
    let b = backends::open(
        "vault",
        &options(&[("ca_cert", plain(&ca.display().to_string()))]),
    );
    assert!(b.test().unwrap().contains("https://127.0.0.1"));
    b.put(
        &id("db"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(
        b.get(&id("db")).unwrap().unwrap().values,
        values(&[("k", "v")])
    );
    // Without the CA the server is not trusted, and the message says what to set.
    let e = backends::open("vault", &options(&[])).test().unwrap_err();
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("ca_cert"), "{e}");
    let e = sesame::backend::open(
        "vault",
        backends::options(&options(&[("ca_cert", plain("/no/such/ca.pem"))])),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot read ca_cert /no/such/ca.pem"),
        "{e}"
    );
}

#[test]
fn vault_server_that_stops_is_unreachable_fast_and_clearly() {
    let mut bao = servers::start_bao();
    let b = backends::open(
        "vault",
        &[
            ("address", plain(&bao.server.url)),
            ("token", credential(&bao.root_token)),
        ],
    );
    b.put(
        &id("db"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    bao.server.stop();
    let start = Instant::now();
    let e = b.get(&id("db")).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "took {:?}",
        start.elapsed()
    );
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.is_remote_down());
    let msg = e.to_string();
    assert!(
        msg.contains(&bao.server.url) && msg.contains("unreachable"),
        "{msg}"
    );
}

#[test]
fn vault_data_written_by_other_tools_spoils_only_its_secret() {
    let bao = servers::bao();
    let prefix = backends::prefix();
    let b = backends::vault(&prefix, &[]);
    b.put(
        &id("good"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    let write = |path: &str, data: serde_json::Value| {
        let (s, _) = bao.api(
            "POST",
            &format!("secret/data/{prefix}{path}"),
            Some(serde_json::json!({ "data": data })),
        );
        assert_eq!(s, 200, "writing {path}");
    };
    write(
        "workspace/number",
        serde_json::json!({"port": 5432, "password": "hunter2"}),
    );
    write(
        "workspace/badkey",
        serde_json::json!({"bad key": "hunter2"}),
    );
    write(
        "workspace/huge",
        serde_json::json!({"blob": "x".repeat(2 << 20)}),
    );
    write("workspace/nested/deeper", serde_json::json!({"k": "v"}));
    write("workspace/dotted.name", serde_json::json!({"k": "v"}));
    write("workspace/schemaless", serde_json::json!({"k": "v"}));
    let (s, _) = bao.api(
        "POST",
        &format!("secret/metadata/{prefix}workspace/badschema"),
        Some(serde_json::json!({"custom_metadata": {"sesame_schema": "no such schema"}})),
    );
    assert_eq!(s, 204);
    write("workspace/badschema", serde_json::json!({"k": "v"}));

    let listing = b.list().unwrap();
    let listed: Vec<String> = listing.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        listed,
        [
            "workspace/badkey",
            "workspace/badschema",
            "workspace/good",
            "workspace/huge",
            "workspace/number",
            "workspace/schemaless"
        ]
    );
    let foreign: Vec<(&str, &str)> = listing
        .foreign
        .iter()
        .map(|f| (f.raw.as_str(), f.why.as_str()))
        .collect();
    assert_eq!(foreign.len(), 2, "{foreign:?}");
    assert!(
        foreign[0].0.ends_with("workspace/dotted.name")
            && foreign[0].1.contains("not a valid sesame name")
    );
    assert!(foreign[1].0.ends_with("workspace/nested/") && foreign[1].1.contains("folder"));

    for (name, needle) in [
        ("number", "the value of key 'port' is a number"),
        ("badkey", "invalid key name 'bad key'"),
        ("huge", "more than the 1 MiB"),
        ("badschema", "schema name 'no such schema'"),
    ] {
        let e = b.get(&id(name)).unwrap_err();
        assert!(matches!(e, BackendError::Malformed { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains(needle), "{name}: {msg}");
        assert!(!msg.contains("hunter2") && !msg.contains("5432"), "{msg}");
    }
    let other = b.get(&id("schemaless")).unwrap().unwrap();
    assert_eq!(other.schema, None, "no sesame metadata: schema unknown");
    assert_eq!(
        b.get(&id("good")).unwrap().unwrap().values,
        values(&[("k", "v")])
    );
}

#[test]
fn vault_secret_soft_deleted_by_another_tool_counts_as_absent() {
    let bao = servers::bao();
    let prefix = backends::prefix();
    let b = backends::vault(&prefix, &[]);
    let v1 = b
        .put(
            &id("gone"),
            "arbitrary",
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap();
    // `bao kv delete`: the current version is deleted, the metadata stays.
    let (s, _) = bao.api(
        "DELETE",
        &format!("secret/data/{prefix}workspace/gone"),
        None,
    );
    assert_eq!(s, 204);
    assert_eq!(b.get(&id("gone")).unwrap(), None);
    assert!(b.list().unwrap().entries.is_empty());
    let stale = b.put(
        &id("gone"),
        "arbitrary",
        &values(&[("k", "v2")]),
        Expect::Version(v1),
    );
    assert!(
        matches!(stale, Err(BackendError::Conflict { .. })),
        "{stale:?}"
    );
    b.put(
        &id("gone"),
        "arbitrary",
        &values(&[("k", "v3")]),
        Expect::Absent,
    )
    .expect("create over a soft-deleted secret");
    assert_eq!(
        b.get(&id("gone")).unwrap().unwrap().values,
        values(&[("k", "v3")])
    );
}

/// A raw Secrets Manager call as another tool would make it. This moto checks no
/// signatures, but routes by the service in the credential scope.
fn moto_call(url: &str, action: &str, body: serde_json::Value) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("secretsmanager.{action}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=00",
        )
        .send(body.to_string())
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[test]
fn aws_secrets_written_by_other_tools() {
    let url = &servers::moto().url;
    let prefix = backends::prefix();
    let b = backends::aws(&prefix, &[]);
    let create = |name: &str, field: &str, value: serde_json::Value| {
        let (s, body) = moto_call(
            url,
            "CreateSecret",
            serde_json::json!({"Name": format!("{prefix}{name}"), field: value}),
        );
        assert_eq!(s, 200, "{name}: {body}");
    };
    create("workspace/token", "SecretString", "ghp_just-a-token".into());
    create(
        "workspace/numbers",
        "SecretString",
        r#"{"port": 5432}"#.into(),
    );
    create(
        "workspace/badkey",
        "SecretString",
        r#"{"bad key": "hunter2"}"#.into(),
    );
    create("workspace/binary", "SecretBinary", "aGVsbG8=".into());
    create("workspace/a/b", "SecretString", "x".into());
    create("user/dotted.name", "SecretString", "x".into());
    create("elsewhere/db", "SecretString", "x".into());

    let listing = b.list().unwrap();
    let listed: Vec<String> = listing.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        listed,
        [
            "workspace/badkey",
            "workspace/binary",
            "workspace/numbers",
            "workspace/token"
        ]
    );
    assert_eq!(listing.foreign.len(), 2, "{:?}", listing.foreign);

    // Not a JSON object of strings: one key `value` holding the whole string.
    let token = b.get(&id("token")).unwrap().unwrap();
    assert_eq!(token.values, values(&[("value", "ghp_just-a-token")]));
    assert_eq!(token.schema, None);
    let numbers = b.get(&id("numbers")).unwrap().unwrap();
    assert_eq!(numbers.values, values(&[("value", r#"{"port": 5432}"#)]));
    // ... and an update from sesame takes the version AWS reports.
    let v = b
        .put(
            &id("token"),
            "arbitrary",
            &values(&[("value", "ghp_new")]),
            Expect::Version(token.version),
        )
        .unwrap();
    assert_eq!(b.get(&id("token")).unwrap().unwrap().version, v);

    let e = b.get(&id("badkey")).unwrap_err();
    assert!(
        e.to_string().contains("invalid key name 'bad key'") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    let e = b.get(&id("binary")).unwrap_err();
    assert!(e.to_string().contains("SecretBinary"), "{e}");
}

#[test]
fn aws_secret_too_large_for_secrets_manager_is_refused_before_sending() {
    let b = backends::aws(&backends::prefix(), &[]);
    let big = "x".repeat(70_000);
    let e = b
        .put(
            &id("big"),
            "arbitrary",
            &values(&[("k", &big)]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(matches!(e, BackendError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("at most 65536"), "{e}");
}

#[test]
fn aws_deleted_secret_with_recovery_window_blocks_recreation_clearly() {
    let b = backends::aws(&backends::prefix(), &[("force_delete", plain("false"))]);
    b.put(
        &id("db"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    b.delete(&id("db"), Expect::Any).unwrap();
    assert_eq!(
        b.get(&id("db")).unwrap(),
        None,
        "scheduled for deletion = absent"
    );
    let e = b
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(e.to_string().contains("scheduled for deletion"), "{e}");
}

/// A form-encoded IAM call to moto (query protocol), unsigned: only valid while moto's
/// "initial no-auth actions" last.
fn moto_iam(url: &str, params: &[(&str, &str)]) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('"', "%22")
                    .replace(' ', "%20")
                    .replace(':', "%3A")
                    .replace('*', "%2A")
                    .replace('{', "%7B")
                    .replace('}', "%7D")
                    .replace('[', "%5B")
                    .replace(']', "%5D")
                    .replace(',', "%2C")
            )
        })
        .collect();
    let mut r = agent
        .post(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
        )
        .send(body.join("&"))
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{text}");
    text
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).expect(open) + open.len();
    &text[start..start + text[start..].find(close).expect(close)]
}

#[test]
fn aws_signatures_are_verified_by_moto_and_bad_credentials_refused() {
    // A moto of our own with IAM auth on after three setup calls: it checks every request's
    // SigV4 signature with botocore's signer.
    let moto = servers::start_moto();
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    agent
        .post(format!("{}/moto-api/reset-auth", moto.url))
        .send("3")
        .unwrap();
    moto_iam(
        &moto.url,
        &[
            ("Action", "CreateUser"),
            ("UserName", "sesame"),
            ("Version", "2010-05-08"),
        ],
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#;
    moto_iam(
        &moto.url,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "sesame"),
            ("PolicyName", "all"),
            ("PolicyDocument", policy),
            ("Version", "2010-05-08"),
        ],
    );
    let key = moto_iam(
        &moto.url,
        &[
            ("Action", "CreateAccessKey"),
            ("UserName", "sesame"),
            ("Version", "2010-05-08"),
        ],
    );
    let key_id = between(&key, "<AccessKeyId>", "</AccessKeyId>").to_string();
    let secret_key = between(&key, "<SecretAccessKey>", "</SecretAccessKey>").to_string();

    let options = |secret: &str| {
        backends::with(
            backends::aws_options(&moto.url, &backends::prefix()),
            &[
                ("access_key_id", plain(&key_id)),
                ("secret_access_key", credential(secret)),
            ],
        )
    };
    let good = backends::open("aws", &options(&secret_key));
    good.test().expect("correctly signed requests are accepted");
    let v = good
        .put(
            &id("signed"),
            "basic_auth",
            &values(&[("password", "p ä/+=&?")]),
            Expect::Absent,
        )
        .unwrap();
    assert_eq!(good.get(&id("signed")).unwrap().unwrap().version, v);
    assert_eq!(good.list().unwrap().entries.len(), 1);
    good.delete(&id("signed"), Expect::Version(v)).unwrap();

    let forged = backends::open("aws", &options("not-the-secret-key"));
    let e = forged.list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("SignatureDoesNotMatch") || msg.contains("Signature"),
        "{msg}"
    );
    assert!(
        msg.contains("secret_access_key") && !msg.contains("not-the-secret-key"),
        "{msg}"
    );

    let unknown = backends::open(
        "aws",
        &backends::with(
            options(&secret_key),
            &[("access_key_id", plain("AKIDUNKNOWN000000000"))],
        ),
    );
    let e = unknown.test().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
}

#[test]
fn aws_server_that_stops_is_unreachable() {
    let mut moto = servers::start_moto();
    let b = backends::open(
        "aws",
        &backends::aws_options(&moto.url, &backends::prefix()),
    );
    b.test().unwrap();
    moto.stop();
    let start = Instant::now();
    let e = b.list().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&moto.url), "{e}");
}
