//! Issue 9, property (1): whatever an import document holds, nothing read back from the vault
//! afterwards panics: not list, get, history or export (through the library and the CLI's
//! formatters, in every format), not a TUI frame. Documents are generated around the edges
//! that once crashed (times past year 9999, control characters, odd schemas) and then cut or
//! bent; records that bypass the import door (written by the library directly, or by an
//! older sesame) are read by the same readers.

use crate::tui_support;

use std::time::Instant;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sesame::cli::Format;
use sesame::cli::output::visible;
use sesame::cli::secret::{render_history, render_list, render_secret};
use sesame::crypto::KdfParams;
use sesame::input::parse_export;
use sesame::secret::{SecretValue, Values, Version};
use sesame::tui::event::Outcome;
use sesame::vault::{ImportItem, Vault};
use sesame::{Scope, SecretName};

const FAST: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn time() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        Just(Some(0)),
        Just(Some(253_402_300_799)),
        Just(Some(253_402_300_800)),
        Just(Some(1_700_000_000_000)),
        Just(Some(u64::MAX)),
        any::<u64>().prop_map(Some),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}a-z\\n]{0,12}",
        Just(String::new())
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_-]{0,6}",
        1 => "[0-9][A-Z]{0,3}",
        1 => "\\PC{0,6}",
    ]
}

fn secret() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["db", "api", "x-1", "_a", "bad name", "1x"]),
        prop::sample::select(vec!["user", "workspace"]),
        prop::sample::select(vec!["arbitrary", "basic_auth", "postgres", "ssh", "nope"]),
        prop::collection::btree_map(key(), text(), 0..4),
        time(),
        time(),
    )
        .prop_map(|(name, scope, schema, values, created, updated)| {
            let mut s = json!({"name": name, "scope": scope, "schema": schema, "values": values});
            if let Some(t) = created {
                s["created"] = json!(t);
            }
            if let Some(t) = updated {
                s["updated"] = json!(t);
            }
            s
        })
}

/// An import document as text: JSON or YAML, whole, cut short, or with a count that lies.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(secret(), 0..5),
        any::<bool>(),
        0usize..3,
        any::<u16>(),
    )
        .prop_map(|(secrets, yaml, bend, cut)| {
            let count = match bend {
                1 => secrets.len() + 1,
                _ => secrets.len(),
            };
            let mut doc = Map::new();
            doc.insert("sesame_export".into(), json!(2));
            doc.insert("secrets".into(), Value::Array(secrets));
            doc.insert("count".into(), json!(count));
            let text = if yaml {
                serde_saphyr::to_string(&Value::Object(doc)).unwrap()
            } else {
                serde_json::to_string_pretty(&Value::Object(doc)).unwrap()
            };
            if bend == 2 && !text.is_empty() {
                let mut at = usize::from(cut) % text.len();
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text[..at].to_string()
            } else {
                text
            }
        })
}

/// Every reader, in every format: nothing may panic, and what a terminal would be shown
/// holds no control character but newline.
fn read_everything(vault: &Vault) {
    let listing = vault.list().expect("list");
    let mut secrets = Vec::new();
    for m in &listing.secrets {
        let secret = vault.get(&m.name, Some(m.scope)).expect("get");
        let (_, older) = vault.history(&m.name, Some(m.scope)).expect("history");
        secrets.push((secret, older));
    }
    let exported = vault.export(None).expect("export");
    render_everything(listing.secrets.clone(), secrets, exported);
}

/// The readers of [`read_everything`] on secrets as given (any times, any values).
fn render_everything(
    metas: Vec<sesame::SecretMeta>,
    secrets: Vec<(sesame::Secret, Vec<Version>)>,
    exported: Vec<sesame::Secret>,
) {
    let refs: Vec<&sesame::SecretMeta> = metas.iter().collect();
    for f in [
        Format::Table,
        Format::Json,
        Format::Yaml,
        Format::Csv,
        Format::Tsv,
    ] {
        if let Some(text) = render_list(&refs, f).expect("render list") {
            assert!(!visible(&text).chars().any(|c| c.is_control() && c != '\n'));
        }
    }
    let app = tui_support::unlocked(metas.clone(), Instant::now());
    tui_support::render(&app, 80, 24);
    for (secret, older) in secrets {
        for f in [Format::Table, Format::Json, Format::Yaml, Format::Env] {
            // env may refuse a key that is no variable name; it must not panic.
            if let Ok(text) = render_secret(&secret, f) {
                assert!(!visible(&text).chars().any(|c| c.is_control() && c != '\n'));
            }
        }
        let current_version = Version {
            version: secret.meta.version,
            schema: secret.meta.schema.clone(),
            updated: secret.meta.updated,
            values: secret.values.clone(),
        };
        for f in [Format::Table, Format::Json, Format::Yaml] {
            render_history(&current_version, &older, f).expect("render history");
        }
        // The TUI on this secret alone: revealed, viewed whole, its history.
        let now = Instant::now();
        let mut one = tui_support::unlocked(vec![secret.meta.clone()], now);
        let reveal = one.update(tui_support::key('R'), now);
        tui_support::answer(&mut one, &reveal, Outcome::Secret(secret.clone()), now);
        tui_support::render(&one, 80, 24);
        one.update(tui_support::key('l'), now);
        one.update(tui_support::key('v'), now);
        one.update(tui_support::key('r'), now);
        tui_support::render(&one, 80, 24);
        tui_support::render(&one, 40, 12);
        one.update(tui_support::code(crossterm::event::KeyCode::Esc), now);
        let history = one.update(tui_support::key('H'), now);
        tui_support::answer(
            &mut one,
            &history,
            Outcome::History {
                current: secret,
                versions: older,
            },
            now,
        );
        tui_support::render(&one, 80, 24);
        one.update(tui_support::code(crossterm::event::KeyCode::Enter), now);
        one.update(tui_support::key('R'), now);
        tui_support::render(&one, 80, 24);
    }
    // What was exported imports again (the end marker and times survive the round trip).
    let doc = sesame::input::ExportDocument::new(
        exported
            .into_iter()
            .map(|s| sesame::input::ExportedSecret {
                name: s.meta.name,
                scope: s.meta.scope,
                schema: s.meta.schema,
                values: s.values,
                created: Some(s.meta.created),
                updated: Some(s.meta.updated),
            })
            .collect(),
    );
    let _ = parse_export(&doc.to_json(), "round trip");
    let _ = doc.to_yaml();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn an_import_document_never_leads_to_a_panic(text in document(), overwrite in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::init(&dir.path().join("v"), b"pw", FAST).unwrap();
        vault.create(&sesame::vault::Policy::default(), SecretName::new("db").unwrap(), Scope::User, "arbitrary",
            [("k".to_string(), SecretValue::new("v"))].into_iter().collect()).unwrap();
        if let Ok(doc) = parse_export(&text, "doc") {
            let items = doc.secrets.into_iter().map(|s| ImportItem {
                name: s.name, scope: s.scope, schema: s.schema, values: s.values,
                created: s.created, updated: s.updated,
            }).collect();
            let _ = vault.import(&sesame::vault::Policy::default(), items, overwrite, false);
        }
        read_everything(&vault);
    }

    /// Past the door (which refuses times after 9999 since format 2): records with any
    /// times at all (a vault migrated from format 1, another tool) meet the same readers.
    #[test]
    fn any_stored_times_are_read_without_a_panic(
        created in any::<u64>(),
        updated in any::<u64>(),
        value in text(),
    ) {
        let values: Values = [("k".to_string(), SecretValue::new(value))].into_iter().collect();
        let meta = sesame::SecretMeta {
            name: SecretName::new("t").unwrap(),
            scope: Scope::Workspace,
            schema: "arbitrary".into(),
            keys: vec!["k".into()],
            created,
            updated,
            version: 2,
        };
        let secret = sesame::Secret { meta: meta.clone(), values: values.clone() };
        let older = vec![Version { version: 1, schema: "arbitrary".into(), updated: created, values }];
        render_everything(vec![meta], vec![(secret.clone(), older)], vec![secret]);
    }
}

/// The same through the binary: after any import, no command dies with "internal error".
#[test]
fn the_cli_survives_any_import() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let bin = assert_cmd::cargo::cargo_bin("sesame");
    for _ in 0..6 {
        let text = document().new_tree(&mut runner).unwrap().current();
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            std::process::Command::new(&bin)
                .args(args)
                .env_clear()
                .env("SESAME_VAULT", dir.path().join("v"))
                .env("SESAME_CONFIG", dir.path().join("c.toml"))
                .env("SESAME_PASSPHRASE", "pw pw pw pw")
                .env("SESAME_NO_AGENT", "1")
                .env("HOME", dir.path())
                .output()
                .unwrap()
        };
        assert!(
            run(&[
                "init",
                "--kdf-memory-mib",
                "1",
                "--kdf-iterations",
                "1",
                "--kdf-parallelism",
                "1"
            ])
            .status
            .success()
        );
        let path = dir.path().join("doc");
        std::fs::write(&path, &text).unwrap();
        let mut commands: Vec<Vec<String>> = vec![
            vec!["secret".into(), "import".into(), path.display().to_string()],
            vec!["secret".into(), "list".into()],
            vec![
                "secret".into(),
                "export".into(),
                "--format".into(),
                "yaml".into(),
            ],
            vec![
                "secret".into(),
                "export".into(),
                "--format".into(),
                "env".into(),
            ],
        ];
        for name in ["db", "api", "x-1", "_a"] {
            for sub in ["get", "history"] {
                commands.push(vec!["secret".into(), sub.into(), name.into()]);
            }
        }
        for args in &commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(
                out.status.code(),
                Some(101),
                "{args:?} panicked after importing {text:?}: {err}"
            );
            assert!(!err.contains("internal error"), "{args:?}: {err}");
        }
    }
}
