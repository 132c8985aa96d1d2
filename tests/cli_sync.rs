//! `sesame backend` and `sesame sync` through the real binary: two vaults ("two machines")
//! sharing a folder, an exec plugin, a real OpenBao and a real moto, with credentials held in
//! the vault. Conflicts, --force, the config file kept as the user wrote it, and faults: a
//! bad token, a server that stops mid-push, a re-run that finishes.

use crate::common;

use common::{TestVault, fails, servers, with_config_of};
use predicates::prelude::*;

/// Two vaults with one config file (as two machines with the same backends would have).
fn two() -> (TestVault, TestVault) {
    let a = TestVault::new();
    let b = TestVault::new();
    std::fs::write(b.path().join("config.toml"), "").unwrap();
    (a, b)
}

fn ok(c: &mut assert_cmd::Command, args: &[&str]) -> String {
    let out = c.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sesame {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn two_vaults_sync_through_a_folder() {
    let (a, b) = two();
    let shared = a.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    a.file(
        "config.toml",
        "# my sesame config\n[vault]\nhistory = 5 # keep five\n",
    );
    for v in [&a, &b] {
        ok(
            &mut with_config_of(v, &a),
            &["secret", "create", "share", "--passphrase=folder pass"],
        );
    }
    ok(
        &mut a.cmd(),
        &[
            "backend",
            "add",
            "team",
            "--flavor",
            "folder",
            "--option",
            &format!("path={}", shared.display()),
            "--option",
            "passphrase={{share.passphrase}}",
        ],
    );
    let config = std::fs::read_to_string(a.path().join("config.toml")).unwrap();
    assert!(
        config.starts_with("# my sesame config\n[vault]\nhistory = 5 # keep five\n"),
        "{config}"
    );
    assert!(
        config.contains("[backends.team]")
            && config.contains("passphrase = \"{{share.passphrase}}\"")
    );
    a.cmd()
        .args(["backend", "test", "team"])
        .assert()
        .success()
        .stderr(predicate::str::contains("works"));

    ok(
        &mut a.cmd(),
        &["secret", "create", "db", "--user=app", "--password=one"],
    );
    let plan = ok(&mut a.cmd(), &["sync", "push", "team", "--dry-run"]);
    assert_eq!(
        plan,
        "would create workspace/db there\nwould create workspace/share there\n"
    );
    ok(&mut a.cmd(), &["sync", "push", "team"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "team"]);
    assert_eq!(
        ok(
            &mut with_config_of(&b, &a),
            &["secret", "get", "db", "--key", "password"]
        ),
        "one\n"
    );

    // Both edit: a conflict, left alone whichever way, until --force picks a side.
    ok(
        &mut with_config_of(&b, &a),
        &["secret", "update", "db", "--password=two"],
    );
    ok(&mut with_config_of(&b, &a), &["sync", "push", "team"]);
    ok(
        &mut a.cmd(),
        &["secret", "update", "db", "--password=three"],
    );
    let status = ok(
        &mut a.cmd(),
        &["sync", "status", "team", "--format", "json"],
    );
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let db = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "db")
        .unwrap();
    assert_eq!(db["state"], "conflict");
    assert_eq!(db["detail"], "changed on both sides");
    let out = a.cmd().args(["sync", "pull", "team"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stdout).contains("conflict  workspace/db"));
    assert_eq!(
        ok(&mut a.cmd(), &["secret", "get", "db", "--key", "password"]),
        "three\n"
    );
    ok(&mut a.cmd(), &["sync", "push", "team", "--force"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "team"]);
    assert_eq!(
        ok(
            &mut with_config_of(&b, &a),
            &["secret", "get", "db", "--key", "password"]
        ),
        "three\n"
    );

    // A deletion travels as one; removing the backend forgets what was synced.
    ok(&mut a.cmd(), &["secret", "delete", "db", "-y"]);
    ok(&mut a.cmd(), &["sync", "push", "team"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "team"]);
    let mut c = with_config_of(&b, &a);
    c.args(["secret", "get", "db"]);
    fails(c, 3, &["no secret named 'db'"]);
    a.cmd()
        .args(["backend", "remove", "team"])
        .assert()
        .success()
        .stderr(predicate::str::contains("forgotten"));
    let config = std::fs::read_to_string(a.path().join("config.toml")).unwrap();
    assert!(
        config.starts_with("# my sesame config\n") && !config.contains("team"),
        "{config}"
    );
}

#[test]
fn backend_add_refuses_literal_credentials_and_unknown_options() {
    let v = TestVault::new();
    let mut c = v.cmd();
    c.args([
        "backend",
        "add",
        "bao",
        "--flavor",
        "vault",
        "--option",
        "address=http://x",
        "--option",
        "token=s.hunter2",
    ]);
    let err = fails(c, 2, &["option 'token' is a credential", "{{"]);
    assert!(!err.contains("hunter2"), "{err}");
    let mut c = v.cmd();
    c.args([
        "backend",
        "add",
        "bao",
        "--flavor",
        "vault",
        "--option",
        "adress=http://x",
    ]);
    fails(c, 2, &["no option 'adress'", "address, mount"]);
    let mut c = v.cmd();
    c.args(["backend", "add", "x", "--flavor", "nope"]);
    fails(c, 2, &["unknown flavor 'nope'", "vault, aws"]);
    let mut c = v.cmd();
    c.args(["backend", "add", "bao", "--flavor", "vault"]);
    fails(c, 2, &["needs option 'address'"]);
    let mut c = v.cmd();
    c.args(["sync", "status", "nope"]);
    fails(c, 3, &["no backend named 'nope'"]);
    assert!(
        !v.path().join("config.toml").exists()
            || !std::fs::read_to_string(v.path().join("config.toml"))
                .unwrap()
                .contains("bao")
    );
}

#[test]
fn an_exec_plugin_backend_round_trip() {
    let (a, b) = two();
    let store = a.path().join("plugin-store.json");
    ok(
        &mut a.cmd(),
        &[
            "backend",
            "add",
            "plug",
            "--flavor",
            "exec",
            "--option",
            &format!("command={}", common::backends::example_plugin()),
            "--option",
            &format!("args={}", store.display()),
        ],
    );
    ok(&mut a.cmd(), &["secret", "create", "api", "--token=t0k"]);
    ok(&mut a.cmd(), &["sync", "push", "plug"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "plug"]);
    assert_eq!(
        ok(
            &mut with_config_of(&b, &a),
            &["secret", "get", "api", "--key", "token"]
        ),
        "t0k\n"
    );
}

/// A vault holding the root token of `bao` as `bao.token`, and a backend `bao` using it.
fn bao_backend(v: &TestVault, bao: &servers::Bao, prefix: &str) {
    ok(
        &mut v.cmd(),
        &[
            "secret",
            "create",
            "bao",
            &format!("--token={}", bao.root_token),
        ],
    );
    ok(
        &mut v.cmd(),
        &[
            "backend",
            "add",
            "bao",
            "--flavor",
            "vault",
            "--option",
            &format!("address={}", bao.server.url),
            "--option",
            "token={{bao.token}}",
            "--prefix",
            prefix,
        ],
    );
}

#[test]
fn openbao_push_pull_and_paging() {
    let bao = servers::bao();
    let (a, b) = two();
    let prefix = format!("t{}/", servers::random_hex());
    bao_backend(&a, bao, &prefix);
    ok(
        &mut with_config_of(&b, &a),
        &[
            "secret",
            "create",
            "bao",
            &format!("--token={}", bao.root_token),
        ],
    );
    let secrets: Vec<String> = (0..150)
        .map(|i| format!(r#"{{"name":"s{i:03}","scope":"workspace","schema":"arbitrary","values":{{"k":"v{i}"}}}}"#))
        .collect();
    let doc = a.file(
        "many.json",
        format!(
            r#"{{"sesame_export":2,"secrets":[{}],"count":150}}"#,
            secrets.join(",")
        ),
    );
    ok(&mut a.cmd(), &["secret", "import", doc.to_str().unwrap()]);
    let out = ok(&mut a.cmd(), &["sync", "push", "bao", "--jobs", "8"]);
    assert_eq!(
        out.lines().filter(|l| l.contains("created there")).count(),
        151,
        "{out}"
    );
    let status = ok(&mut a.cmd(), &["sync", "status", "bao", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "in_sync")
    );
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "bao"]);
    assert_eq!(
        ok(
            &mut with_config_of(&b, &a),
            &["secret", "get", "s149", "--key", "k"]
        ),
        "v149\n"
    );
}

#[test]
fn openbao_faults_bad_token_and_a_server_that_stops() {
    let mut bao = servers::start_bao();
    let v = TestVault::new();
    let prefix = format!("f{}/", servers::random_hex());
    bao_backend(&v, &bao, &prefix);
    for i in 0..40 {
        ok(
            &mut v.cmd(),
            &["secret", "create", &format!("s{i:02}"), "--k=v"],
        );
    }
    // A wrong token: refused, naming the backend.
    ok(&mut v.cmd(), &["secret", "update", "bao", "--token=wrong"]);
    let mut c = v.cmd();
    c.args(["sync", "push", "bao"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused") && err.contains("token"), "{err}");
    ok(
        &mut v.cmd(),
        &[
            "secret",
            "update",
            "bao",
            &format!("--token={}", bao.root_token),
        ],
    );
    // The server goes away: exit 7, fast, nothing lost here.
    bao.server.stop();
    let start = std::time::Instant::now();
    let out = v.cmd().args(["sync", "push", "bao"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(
        v.ok(&["secret", "list", "--format", "json"])
            .matches("\"name\"")
            .count(),
        41
    );
    // Back up (a new dev server, so empty): the same command finishes the job.
    let bao = servers::start_bao();
    v.ok(&["backend", "remove", "bao"]);
    ok(
        &mut v.cmd(),
        &[
            "secret",
            "update",
            "bao",
            &format!("--token={}", bao.root_token),
        ],
    );
    ok(
        &mut v.cmd(),
        &[
            "backend",
            "add",
            "bao",
            "--flavor",
            "vault",
            "--option",
            &format!("address={}", bao.server.url),
            "--option",
            "token={{bao.token}}",
            "--prefix",
            &prefix,
        ],
    );
    let out = ok(&mut v.cmd(), &["sync", "push", "bao"]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok")).count(),
        41,
        "{out}"
    );
}

#[test]
fn moto_round_trip_with_keys_from_the_vault() {
    let moto = servers::moto();
    let (a, b) = two();
    for v in [&a, &b] {
        ok(
            &mut with_config_of(v, &a),
            &[
                "secret",
                "create",
                "aws",
                "--id=AKIDEXAMPLE",
                "--key=secret-key",
            ],
        );
    }
    ok(
        &mut a.cmd(),
        &[
            "backend",
            "add",
            "aws",
            "--flavor",
            "aws",
            "--option",
            "region=us-east-1",
            "--option",
            &format!("endpoint={}", moto.url),
            "--option",
            "access_key_id={{aws.id}}",
            "--option",
            "secret_access_key={{aws.key}}",
            "--option",
            "force_delete=true",
            "--prefix",
            &format!("m{}/", servers::random_hex()),
        ],
    );
    ok(&mut a.cmd(), &["secret", "create", "db", "--password=p"]);
    ok(&mut a.cmd(), &["sync", "push", "aws", "db"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "aws", "db"]);
    assert_eq!(
        ok(
            &mut with_config_of(&b, &a),
            &["secret", "get", "db", "--key", "password"]
        ),
        "p\n"
    );
    ok(&mut a.cmd(), &["secret", "delete", "db", "-y"]);
    ok(&mut a.cmd(), &["sync", "push", "aws", "db"]);
    ok(&mut with_config_of(&b, &a), &["sync", "pull", "aws", "db"]);
    assert!(
        with_config_of(&b, &a)
            .args(["secret", "get", "db"])
            .output()
            .unwrap()
            .status
            .code()
            == Some(3)
    );
}

/// Writes `body` (a KV v2 data object, as another tool might) at `path` under the mount.
fn bao_raw_write(bao: &servers::Bao, path: &str, data: serde_json::Value) {
    let url = format!("{}/v1/secret/data/{path}", bao.server.url);
    let body = serde_json::json!({ "data": data }).to_string();
    let status = ureq::post(&url)
        .header("X-Vault-Token", &bao.root_token)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

#[test]
fn hostile_remote_data_is_reported_per_secret_and_the_rest_syncs() {
    let bao = servers::bao();
    let v = TestVault::new();
    let prefix = format!("h{}/", servers::random_hex());
    bao_backend(&v, bao, &prefix);
    let evil = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J";
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/good"),
        serde_json::json!({"k": "v"}),
    );
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/number"),
        serde_json::json!({"port": 5432, "pw": "do-not-echo-1"}),
    );
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/badkey"),
        serde_json::json!({"bad key!": "do-not-echo-2"}),
    );
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/controls"),
        serde_json::json!({"k": evil}),
    );
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/bad%20name"),
        serde_json::json!({"k": "do-not-echo-3"}),
    );
    let big = "x".repeat(2 * 1024 * 1024);
    bao_raw_write(
        bao,
        &format!("{prefix}workspace/huge"),
        serde_json::json!({"k": big}),
    );

    let out = v.cmd().args(["sync", "pull", "bao"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Reported per secret, never a crash; the exit code says something was not taken.
    assert_ne!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stdout}\n{stderr}");
    for name in ["number", "badkey", "huge"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("failed") && l.contains(name)),
            "{name} not reported:\n{stdout}\n{stderr}"
        );
    }
    assert!(stderr.contains("not a sesame secret"), "{stderr}");
    for secret in [
        "do-not-echo-1",
        "do-not-echo-2",
        "do-not-echo-3",
        "xxxxxxxxxx",
        "ZXZpbA==",
    ] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} echoed:\n{stdout}\n{stderr}"
        );
    }
    assert!(!stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'));
    // The valid ones came in exactly as they were, control characters included (escaped
    // only when shown on a terminal); the vault lists fine afterwards.
    assert_eq!(
        ok(&mut v.cmd(), &["secret", "get", "good", "--key", "k"]),
        "v\n"
    );
    assert_eq!(
        ok(
            &mut v.cmd(),
            &["secret", "get", "controls", "--key", "k", "--raw"]
        ),
        format!("{evil}\n")
    );
    let list = ok(&mut v.cmd(), &["secret", "list"]);
    assert!(list.contains("good") && list.contains("controls"), "{list}");
    assert!(!list.contains("number") && !list.contains("huge"), "{list}");
    // Status keeps reporting them, a second pull changes nothing that was taken.
    let status = v.cmd().args(["sync", "status", "bao"]).output().unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let again = v.cmd().args(["sync", "pull", "bao"]).output().unwrap();
    assert_eq!(again.status.code(), out.status.code());
    assert_eq!(
        ok(&mut v.cmd(), &["secret", "get", "good", "--key", "k"]),
        "v\n"
    );
}
