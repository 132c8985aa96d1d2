//! Faults against the real servers: bad credentials, a server that goes away, and data
//! written by other tools that sesame must report per secret, never crash on or change.

use crate::common;

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

/// A raw Secret Manager call as another tool would make it (drongo checks no token).
fn drongo_call(method: &str, path: &str, body: Option<serde_json::Value>) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/v1/{path}", servers::drongo().url);
    let r = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        (_, b) => agent.post(&url).send(b.unwrap_or_default().to_string()),
    }
    .unwrap();
    r.status().as_u16()
}

fn option_text(options: &[(&str, sesame::backend::OptionValue)], name: &str) -> String {
    match &options.iter().find(|(k, _)| *k == name).unwrap().1 {
        sesame::backend::OptionValue::Plain(s) => s.clone(),
        sesame::backend::OptionValue::Secret(s) => s.expose().to_string(),
    }
}

#[test]
fn gcp_secrets_written_by_other_tools() {
    use base64::Engine;
    let prefix = backends::flat_prefix();
    let options = backends::gcp_options(&servers::drongo().url, &prefix);
    let project = option_text(&options, "project");
    let b = backends::open("gcp", &options);
    let create = |id: &str, labels: serde_json::Value, payload: &str| {
        let s = drongo_call(
            "POST",
            &format!("projects/{project}/secrets?secretId={id}"),
            Some(serde_json::json!({"replication": {"automatic": {}}, "labels": labels})),
        );
        assert_eq!(s, 200, "{id}");
        let data = base64::engine::general_purpose::STANDARD.encode(payload);
        let s = drongo_call(
            "POST",
            &format!("projects/{project}/secrets/{id}:addVersion"),
            Some(serde_json::json!({"payload": {"data": data}})),
        );
        assert_eq!(s, 200, "{id}");
    };
    create(
        &format!("{prefix}-workspace-token"),
        serde_json::json!({}),
        "ghp_hunter2",
    );
    create(
        &format!("{prefix}-workspace-numbers"),
        serde_json::json!({}),
        r#"{"port": 5432, "password": "hunter2"}"#,
    );
    create(
        &format!("{prefix}-workspace-badlabel"),
        serde_json::json!({"sesame-schema": "x-"}),
        r#"{"k": "v"}"#,
    );
    create(
        &format!("{prefix}-workspace-plain"),
        serde_json::json!({"team": "payments"}),
        r#"{"k": "v"}"#,
    );
    create(
        &format!("{prefix}-shared-db"),
        serde_json::json!({}),
        r#"{"k": "v"}"#,
    );
    create("unrelated-app-key", serde_json::json!({}), "x");
    // A secret with no version yet counts as absent.
    let s = drongo_call(
        "POST",
        &format!("projects/{project}/secrets?secretId={prefix}-workspace-empty"),
        Some(serde_json::json!({"replication": {"automatic": {}}})),
    );
    assert_eq!(s, 200);

    let listing = b.list().unwrap();
    let listed: Vec<String> = listing.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        listed,
        [
            "workspace/badlabel",
            "workspace/numbers",
            "workspace/plain",
            "workspace/token"
        ]
    );
    assert_eq!(listing.foreign.len(), 1, "{:?}", listing.foreign);
    assert!(listing.foreign[0].raw.ends_with("-shared-db"));

    for (name, needle) in [
        ("token", "not valid JSON"),
        ("numbers", "the value of key 'port' is a number"),
        ("badlabel", "sesame-schema = 'x-'"),
    ] {
        let e = b.get(&id(name)).unwrap_err();
        assert!(matches!(e, BackendError::Malformed { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains(needle), "{name}: {msg}");
        assert!(!msg.contains("hunter2") && !msg.contains("5432"), "{msg}");
    }
    let plain_secret = b.get(&id("plain")).unwrap().unwrap();
    assert_eq!(plain_secret.schema, None);
    // An update keeps other tools' labels and adds sesame's.
    b.put(
        &id("plain"),
        "basic_auth",
        &values(&[("password", "p")]),
        Expect::Version(plain_secret.version),
    )
    .unwrap();
    assert_eq!(
        b.get(&id("plain")).unwrap().unwrap().schema.as_deref(),
        Some("basic_auth")
    );
    // The versionless secret is absent, and a create fills it.
    assert_eq!(b.get(&id("empty")).unwrap(), None);
    b.put(
        &id("empty"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(
        b.get(&id("empty")).unwrap().unwrap().values,
        values(&[("k", "v")])
    );
}

#[test]
fn gcp_too_large_and_long_schema_are_refused_before_sending() {
    let b = backends::gcp(&backends::flat_prefix(), &[]);
    let e = b
        .put(
            &id("big"),
            "arbitrary",
            &values(&[("k", &"x".repeat(70_000))]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(matches!(e, BackendError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("at most 65536"), "{e}");
    let e = b
        .put(
            &id("schema"),
            &"S".repeat(40),
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(e.to_string().contains("label"), "{e}");
    assert_eq!(b.list().unwrap().entries, vec![], "nothing was written");
}

#[test]
fn gcp_service_account_tokens_are_cached_renewed_and_refused_clearly() {
    // Tokens that live 61 s are renewed a minute early: every second, here.
    let tokens = common::gcp_token::TokenServer::start(61);
    let mut options = backends::gcp_options(&servers::drongo().url, &backends::flat_prefix());
    options.retain(|(name, _)| *name != "token");
    options.push(("service_account", credential(&tokens.key_file("ignored"))));
    let b = backends::open("gcp", &options);
    b.test().unwrap();
    b.list().unwrap();
    assert_eq!(tokens.issued.load(std::sync::atomic::Ordering::SeqCst), 1);
    std::thread::sleep(Duration::from_millis(1100));
    b.list().unwrap();
    assert_eq!(tokens.issued.load(std::sync::atomic::Ordering::SeqCst), 2);

    // A key the token endpoint does not know: refused, in one line, with nothing secret.
    let mut other_key = serde_json::from_str::<serde_json::Value>(&tokens.key_file("p")).unwrap();
    let pem = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .map(|o| String::from_utf8(o.stdout).unwrap())
        .unwrap_or_default();
    if pem.contains("PRIVATE KEY") {
        other_key["private_key"] = pem.clone().into();
    } else {
        // No openssl: a key file whose account the endpoint does not know will do.
        other_key["client_email"] = "intruder@example.iam.gserviceaccount.com".into();
    }
    let mut options = backends::gcp_options(&servers::drongo().url, &backends::flat_prefix());
    options.retain(|(name, _)| *name != "token");
    options.push(("service_account", credential(&other_key.to_string())));
    let e = backends::open("gcp", &options).list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 7);
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(
        msg.contains("service_account") && msg.contains("invalid_grant"),
        "{msg}"
    );
    assert!(!msg.contains("PRIVATE KEY") && !format!("{e:?}").contains("PRIVATE"));

    // A key file that is not one: refused at open, quoting nothing of it.
    let e = sesame::backend::open(
        "gcp",
        backends::options(&[
            ("project", plain("p")),
            (
                "service_account",
                credential(r#"{"type": "authorized_user", "private_key": "hunter2"}"#),
            ),
        ]),
    )
    .unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn gcp_server_that_stops_is_unreachable() {
    let mut drongo = servers::start_drongo();
    let b = backends::open("gcp", &backends::gcp_options(&drongo.url, "t"));
    b.put(
        &id("db"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    drongo.stop();
    let start = Instant::now();
    let e = b.get(&id("db")).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 7);
    assert!(e.to_string().contains(&drongo.url), "{e}");
}

#[test]
fn gcp_malformed_answers_are_protocol_errors() {
    // A server that answers 200 with something that is not Secret Manager's JSON.
    let fake = common::http_fake::FakeServer::start(
        None,
        std::sync::Arc::new(|_req: &common::http_fake::Request| {
            common::http_fake::Response::raw(200, "<html>captive portal</html>")
        }),
    );
    let url = format!("http://127.0.0.1:{}", fake.port);
    let b = backends::open("gcp", &backends::gcp_options(&url, "t"));
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Protocol { .. }), "{e:?}");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    let e = b.get(&id("db")).unwrap_err();
    assert_eq!(e.exit_code(), 7, "{e}");
}

#[test]
fn azure_faults_are_clear_and_never_show_the_secret() {
    let fake = common::azure_fake::AzureFake::start();
    // Wrong client secret: refused by the token endpoint, one line, no secret in it.
    let b = backends::azure(&fake, &[("client_secret", credential("wrong-hunter2"))]);
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 7);
    let msg = e.to_string();
    assert!(
        msg.contains("AADSTS7000215") && msg.contains("client_secret"),
        "{msg}"
    );
    assert!(!msg.contains('\n') && !msg.contains("Trace ID"), "{msg}");
    assert!(!msg.contains("hunter2") && !format!("{e:?}").contains("hunter2"));
    assert!(!format!("{b:?}").contains(&fake.client_secret));

    // A bad bearer token: the vault's 401, naming what to check.
    let e = backends::azure(&fake, &[])
        .test()
        .map(|_| ())
        .and_then(|_| {
            backends::open(
                "azure",
                &[
                    ("vault_url", plain(&fake.url)),
                    ("token", credential("eyJ.not-a-token")),
                    ("ca_cert", plain(&fake.ca_file.display().to_string())),
                ],
            )
            .list()
            .map(|_| ())
        })
        .unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert!(
        e.to_string().contains("401") && !e.to_string().contains("not-a-token"),
        "{e}"
    );

    // Without the CA the vault is not trusted, and the message says what to set.
    let mut options = backends::azure_options(&fake, "t");
    options.retain(|(k, _)| *k != "ca_cert");
    let e = backends::open("azure", &options).test().unwrap_err();
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("ca_cert"), "{e}");

    // A challenge asking for a token to another service: no token is asked for.
    let fresh = common::azure_fake::AzureFake::start();
    fresh
        .faults
        .foreign_scope
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e = backends::azure(&fresh, &[]).list().unwrap_err();
    assert!(e.to_string().contains("not this vault's domain"), "{e}");
    assert_eq!(fresh.issued.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn azure_paging_malformed_answers_and_foreign_next_links() {
    let fake = common::azure_fake::AzureFake::start();
    let b = backends::azure(&fake, &[]);
    for n in 0..12 {
        b.put(
            &id(&format!("s{n}")),
            "arbitrary",
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap();
    }
    assert_eq!(b.list().unwrap().entries.len(), 12, "three pages of five");
    fake.faults
        .foreign_next_link
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Protocol { .. }), "{e:?}");
    assert!(e.to_string().contains("another host"), "{e}");
    fake.faults
        .foreign_next_link
        .store(false, std::sync::atomic::Ordering::SeqCst);
    fake.faults
        .garbage
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e = b.get(&id("s1")).unwrap_err();
    assert!(matches!(e, BackendError::Protocol { .. }), "{e:?}");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
}

#[test]
fn azure_secrets_written_by_other_tools_names_and_sizes() {
    let fake = common::azure_fake::AzureFake::start();
    let prefix = backends::flat_prefix();
    let b = backends::open("azure", &backends::azure_options(&fake, &prefix));
    b.test().unwrap();
    fake.put_raw(
        &format!("{prefix}-workspace-token"),
        "ghp_just-a-token",
        &[],
    );
    fake.put_raw(
        &format!("{prefix}-workspace-badkey"),
        r#"{"bad key": "hunter2"}"#,
        &[],
    );
    fake.put_raw(
        &format!("{prefix}-workspace-schema"),
        r#"{"k": "v"}"#,
        &[("sesame-schema", "no such schema")],
    );
    fake.put_raw(&format!("{prefix}-workspace-bad-2escape"), "x", &[]);
    fake.put_raw("unrelated-app-key", "x", &[]);
    // Key Vault hands names back in any case: they read the same.
    fake.put_raw(
        &format!("{}-WORKSPACE--MY-0DB", prefix.to_uppercase()),
        r#"{"k": "v"}"#,
        &[],
    );
    let listing = b.list().unwrap();
    let listed: Vec<String> = listing.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        listed,
        [
            "workspace/My_db",
            "workspace/badkey",
            "workspace/schema",
            "workspace/token"
        ]
    );
    assert_eq!(listing.foreign.len(), 1, "{:?}", listing.foreign);
    assert_eq!(
        b.get(&id("token")).unwrap().unwrap().values,
        values(&[("value", "ghp_just-a-token")])
    );
    let e = b.get(&id("badkey")).unwrap_err();
    assert!(
        e.to_string().contains("invalid key name 'bad key'") && !e.to_string().contains("hunter2"),
        "{e}"
    );
    let e = b.get(&id("schema")).unwrap_err();
    assert!(
        e.to_string().contains("schema name 'no such schema'"),
        "{e}"
    );
    // `my_db` differs from `My_db` only in case: a different secret, a different name.
    b.put(
        &id("my_db"),
        "arbitrary",
        &values(&[("k", "lower")]),
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(
        b.get(&id("My_db")).unwrap().unwrap().values,
        values(&[("k", "v")])
    );

    // What Key Vault cannot hold is refused before sending, saying why.
    let long = "N".repeat(100);
    let e = b
        .put(
            &id(&long),
            "arbitrary",
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(matches!(e, BackendError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("more than the 127"), "{e}");
    let e = b
        .put(
            &id("big"),
            "arbitrary",
            &values(&[("k", &"x".repeat(30_000))]),
            Expect::Absent,
        )
        .unwrap_err();
    assert!(e.to_string().contains("at most 25000"), "{e}");
}

#[test]
fn azure_soft_delete_purge_and_recover() {
    let fake = common::azure_fake::AzureFake::start();
    let keep = backends::open(
        "azure",
        &backends::with(
            backends::azure_options(&fake, "keep"),
            &[("purge", plain("false"))],
        ),
    );
    let v1 = keep
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("k", "v1")]),
            Expect::Absent,
        )
        .unwrap();
    keep.delete(&id("db"), Expect::Version(v1)).unwrap();
    assert_eq!(
        fake.names().1,
        ["keep-workspace-db"],
        "soft-deleted, recoverable"
    );
    assert_eq!(keep.get(&id("db")).unwrap(), None);
    // Creating over it recovers it and writes the value as its next version.
    keep.put(
        &id("db"),
        "arbitrary",
        &values(&[("k", "v2")]),
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(fake.version_count("keep-workspace-db"), 2);
    assert_eq!(
        keep.get(&id("db")).unwrap().unwrap().values,
        values(&[("k", "v2")])
    );

    let purge = backends::open("azure", &backends::azure_options(&fake, "gone"));
    purge
        .put(
            &id("db"),
            "arbitrary",
            &values(&[("k", "v")]),
            Expect::Absent,
        )
        .unwrap();
    purge.delete(&id("db"), Expect::Any).unwrap();
    assert!(
        !fake.names().1.contains(&"gone-workspace-db".to_string()),
        "purged"
    );
    // A name left deleted by someone else is purged before the create.
    fake.put_raw("gone-workspace-old", r#"{"k": "old"}"#, &[]);
    keep.get(&id("old")).unwrap();
    let del = backends::open(
        "azure",
        &backends::with(
            backends::azure_options(&fake, "gone"),
            &[("purge", plain("false"))],
        ),
    );
    del.delete(&id("old"), Expect::Any).unwrap();
    purge
        .put(
            &id("old"),
            "arbitrary",
            &values(&[("k", "new")]),
            Expect::Absent,
        )
        .unwrap();
    assert_eq!(
        fake.version_count("gone-workspace-old"),
        1,
        "purged, then created"
    );
}

#[test]
fn azure_server_that_stops_is_unreachable() {
    let fake = common::azure_fake::AzureFake::start();
    let b = backends::azure(&fake, &[]);
    b.test().unwrap();
    fake.server.stop();
    let start = Instant::now();
    let e = b.list().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 7);
    assert!(e.to_string().contains(&fake.url), "{e}");
}
