//! Faults of the flavors that need no server: exec plugins that crash, hang, flood or
//! babble; folders with a wrong passphrase, damaged files or two writers; bad options.

use crate::common;

use std::time::{Duration, Instant};

use common::backends::{self, credential, id, plain, values};
use sesame::backend::{self, Backend, BackendError, Expect};

/// A backend running tests/fixtures/plugins/misbehave.py in `mode`.
fn misbehaving(mode: &str, timeout_secs: &str) -> Box<dyn Backend> {
    let plugin = format!(
        "{}/tests/fixtures/plugins/misbehave.py",
        env!("CARGO_MANIFEST_DIR")
    );
    backends::open(
        "exec",
        &[
            ("command", plain(&plugin)),
            ("args", plain(mode)),
            ("timeout_secs", plain(timeout_secs)),
        ],
    )
}

#[test]
fn plugin_answering_garbage_is_a_clear_error_and_the_next_request_starts_afresh() {
    let b = misbehaving("garbage", "10");
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Protocol { .. }), "{e:?}");
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    assert_eq!(e.exit_code(), 7);
    // The stream was out of step, so the plugin was replaced: test() works again.
    assert!(b.test().unwrap().contains("misbehaving on purpose"));
}

#[test]
fn plugin_that_crashes_is_reported_with_its_exit_status() {
    let b = misbehaving("crash", "10");
    let e = b.get(&id("db")).unwrap_err();
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("exited with status 3"), "{e}");
    assert!(b.test().is_ok(), "a dead plugin is restarted");
}

#[test]
fn plugin_that_hangs_times_out_and_is_stopped() {
    let b = misbehaving("hang", "1");
    let start = Instant::now();
    let e = b.list().unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(e.to_string().contains("no answer within 1 s"), "{e}");
    assert!(b.test().is_ok());
}

#[test]
fn plugin_writing_a_100_mib_line_is_cut_off() {
    let b = misbehaving("huge", "30");
    let e = b.list().unwrap_err();
    assert!(matches!(e, BackendError::Protocol { .. }), "{e:?}");
    assert!(e.to_string().contains("longer than 16 MiB"), "{e}");
}

#[test]
fn plugin_of_another_protocol_version_is_refused() {
    let e = misbehaving("protocol-2", "10").test().unwrap_err();
    assert!(
        e.to_string()
            .contains("speaks protocol 2, this sesame speaks 1"),
        "{e}"
    );
}

#[test]
fn plugin_answers_that_break_the_rules_spoil_only_their_secret() {
    let b = misbehaving("odd-data", "10");
    let listing = b.list().unwrap();
    assert_eq!(listing.entries.len(), 1);
    assert_eq!(listing.entries[0].id, id("fine"));
    let raws: Vec<&str> = listing.foreign.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(
        raws,
        [
            "team/x",
            "workspace/bad name\\u{1b}[2J",
            "workspace/no_version"
        ],
        "foreign names are reported, escaped"
    );
    let e = b.get(&id("fine")).unwrap_err();
    assert!(matches!(e, BackendError::Malformed { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("'pin' is a number"), "{msg}");
    assert!(!msg.contains("1234") && !msg.contains("hunter2"), "{msg}");
}

#[test]
fn plugin_errors_keep_their_kind_and_are_shown_on_one_line() {
    let e = misbehaving("refuse", "10").list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert!(
        e.to_string().contains("token expired\\nlog in again"),
        "{e}"
    );
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn plugin_that_cannot_start_names_the_command() {
    let b = backends::open("exec", &[("command", plain("/no/such/plugin"))]);
    let e = b.test().unwrap_err();
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("/no/such/plugin"), "{e}");
}

#[test]
fn example_plugin_file_edited_by_hand_spoils_only_that_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.json");
    let b = backends::exec(&file);
    b.put(
        &id("good"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    let mut db: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    db["workspace/edited"] = serde_json::json!({"version": "x1", "schema": "arbitrary", "values": {"has space": "s3cret"}});
    std::fs::write(&file, db.to_string()).unwrap();
    let listing = b.list().unwrap();
    assert_eq!(listing.entries.len(), 2);
    let e = b.get(&id("edited")).unwrap_err();
    assert!(
        e.to_string().contains("invalid key name 'has space'"),
        "{e}"
    );
    assert!(!e.to_string().contains("s3cret"));
    assert!(b.get(&id("good")).unwrap().is_some());
}

fn folder_with(dir: &std::path::Path, passphrase: &str) -> Box<dyn Backend> {
    backends::open(
        "folder",
        &[
            ("path", plain(&dir.display().to_string())),
            ("passphrase", credential(passphrase)),
        ],
    )
}

#[test]
fn folder_with_a_wrong_passphrase_is_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    folder_with(dir.path(), "right").test().unwrap();
    let e = folder_with(dir.path(), "wrong").list().unwrap_err();
    assert!(matches!(e, BackendError::Refused { .. }), "{e:?}");
    assert!(e.to_string().contains("passphrase option"), "{e}");
}

#[test]
fn folder_files_reveal_no_names_keys_or_values() {
    let dir = tempfile::tempdir().unwrap();
    let b = folder_with(dir.path(), "pw");
    b.put(
        &id("mlflow"),
        "basic_auth",
        &values(&[("username", "alice_secret_user")]),
        Expect::Absent,
    )
    .unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in ["mlflow", "username", "alice_secret_user", "basic_auth"] {
            assert!(
                !name.contains(needle) && !text.contains(needle),
                "{needle} in {name}"
            );
        }
    }
}

#[test]
fn folder_damaged_file_spoils_only_that_secret() {
    let dir = tempfile::tempdir().unwrap();
    let b = folder_with(dir.path(), "pw");
    b.put(
        &id("keep"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    b.put(
        &id("victim"),
        "arbitrary",
        &values(&[("k", "v")]),
        Expect::Absent,
    )
    .unwrap();
    let victim = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !before.contains(p))
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[30] ^= 1;
    std::fs::write(&victim, bytes).unwrap();
    std::fs::write(dir.path().join("notes.sesame"), "dropped here by hand").unwrap();

    let listing = b.list().unwrap();
    assert_eq!(listing.entries.len(), 1);
    assert_eq!(listing.entries[0].id, id("keep"));
    assert_eq!(listing.foreign.len(), 2, "{:?}", listing.foreign);
    let e = b.get(&id("victim")).unwrap_err();
    assert!(matches!(e, BackendError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("does not open"), "{e}");
}

#[test]
fn folder_shared_by_two_machines() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (folder_with(dir.path(), "pw"), folder_with(dir.path(), "pw"));
    // Different secrets written at the same time: all arrive.
    std::thread::scope(|s| {
        for (who, backend) in [("a", &a), ("b", &b)] {
            s.spawn(move || {
                for n in 0..20 {
                    backend
                        .put(
                            &id(&format!("{who}{n}")),
                            "arbitrary",
                            &values(&[("n", "1")]),
                            Expect::Absent,
                        )
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(a.list().unwrap().entries.len(), 40);
    // The same secret from both sides: the second writer, holding the old version, loses.
    let v1 = a.get(&id("a0")).unwrap().unwrap().version;
    a.put(
        &id("a0"),
        "arbitrary",
        &values(&[("n", "2")]),
        Expect::Version(v1.clone()),
    )
    .unwrap();
    let late = b.put(
        &id("a0"),
        "arbitrary",
        &values(&[("n", "3")]),
        Expect::Version(v1),
    );
    assert!(
        matches!(late, Err(BackendError::Conflict { .. })),
        "{late:?}"
    );
    assert_eq!(
        b.get(&id("a0")).unwrap().unwrap().values,
        values(&[("n", "2")])
    );
}

#[test]
fn folder_that_does_not_exist_is_unreachable() {
    let e = folder_with(std::path::Path::new("/no/such/dir"), "pw")
        .list()
        .unwrap_err();
    assert!(matches!(e, BackendError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("no such directory"), "{e}");
}

#[test]
fn options_are_checked_before_anything_is_reached() {
    let e = backend::open("vault", backends::options(&[("adress", plain("x"))])).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("valid options: address, mount, namespace, token, role_id, secret_id, ca_cert, prefix, list_page_size, timeout_secs"),
        "{e}"
    );
    let e = backend::open(
        "aws",
        backends::options(&[
            ("region", plain("us-east-1")),
            ("access_key_id", plain("AKID")),
            ("secret_access_key", plain("wJalr-literal")),
        ]),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("credential") && !e.to_string().contains("wJalr"),
        "{e}"
    );
    let e = backend::open(
        "vault",
        backends::options(&[
            ("address", plain("http://x")),
            ("token", credential("t")),
            ("role_id", credential("r")),
        ]),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("either the token option, or both role_id and secret_id"),
        "{e}"
    );
    let e = backend::open("gcs", backends::options(&[])).unwrap_err();
    assert!(
        e.to_string()
            .contains("known flavors: vault, aws, gcp, azure, folder, exec, memory"),
        "{e}"
    );
    for flavor in backend::FLAVORS {
        for o in flavor.options {
            assert!(!o.help.is_empty(), "{}.{} has no help", flavor.name, o.name);
        }
    }
}

#[test]
fn debug_output_never_shows_credentials() {
    let b = backend::vault::VaultBackend::new(backends::options(&[
        ("address", plain("http://127.0.0.1:1")),
        ("token", credential("s.root-token-value")),
    ]))
    .unwrap();
    let a = backend::aws::AwsBackend::new(backends::options(&[
        ("region", plain("us-east-1")),
        ("access_key_id", plain("AKIDSHOWN")),
        ("secret_access_key", credential("aws-secret-value")),
        ("session_token", credential("aws-session-value")),
    ]))
    .unwrap();
    let e = backend::exec::ExecBackend::new(backends::options(&[
        ("command", plain("x")),
        ("credential", credential("plugin-secret-value")),
    ]))
    .unwrap();
    let text = format!("{b:?} {a:?} {e:?}");
    assert!(text.contains("AKIDSHOWN"), "{text}");
    for secret in [
        "root-token-value",
        "aws-secret-value",
        "aws-session-value",
        "plugin-secret-value",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let opts = format!(
        "{:?}",
        backends::options(&[("token", credential("s.root-token-value"))])
    );
    assert!(!opts.contains("root-token-value"), "{opts}");
}
