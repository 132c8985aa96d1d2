//! Nothing in the vault's files reveals a secret's name, scope, keys or values (DESIGN §4):
//! write distinctive strings through every command, then grep every file for them.

use crate::common;

use std::path::Path;

use common::TestVault;

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_name_key_or_value_appears_in_any_vault_file() {
    let v = TestVault::new();
    let needles = [
        "zebranamealpha",
        "zebranamebeta",
        "zebrarenamed",
        "quokkakeyone",
        "quokkakeytwo",
        "quokkakeythree",
        "platypusvalueone",
        "platypusvaluetwo",
        "platypusvaluethree",
        "platypusimported",
        "zebraimported",
    ];
    v.ok(&[
        "secret",
        "create",
        "zebranamealpha",
        "--quokkakeyone=platypusvalueone",
        "--quokkakeytwo=platypusvaluetwo",
    ]);
    v.ok(&[
        "secret",
        "create",
        "zebranamebeta",
        "-p",
        "--quokkakeythree=platypusvaluethree",
    ]);
    v.ok(&[
        "secret",
        "update",
        "zebranamealpha",
        "--quokkakeyone=platypusvaluethree",
    ]);
    v.ok(&["secret", "rename", "zebranamebeta", "zebrarenamed"]);
    let dump = v.file(
        "dump.json",
        r#"{"sesame_export": 1, "secrets": [{"name": "zebraimported", "scope": "workspace", "values": {"quokkakeytwo": "platypusimported"}}]}"#,
    );
    v.cmd()
        .args(["secret", "import"])
        .arg(&dump)
        .assert()
        .success();
    std::fs::remove_file(dump).unwrap();

    let mut files = Vec::new();
    all_files(&v.vault_dir(), &mut files);
    assert!(!files.is_empty());
    let mut total = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        total += bytes.len();
        for n in needles {
            assert!(
                !contains(&bytes, n.as_bytes()),
                "{n} found in plain text in {}",
                f.display()
            );
            // Nor upper-cased, as an env-style export of it would be.
            assert!(!contains(&bytes, n.to_uppercase().as_bytes()));
        }
        // The scope is sealed too ("user" is too short to grep for without false alarms).
        assert!(
            !contains(&bytes, b"workspace"),
            "scope name in {}",
            f.display()
        );
    }
    assert!(total > 0);
    // And it all still reads back.
    assert_eq!(
        v.ok(&["secret", "get", "zebrarenamed", "--key", "quokkakeythree"]),
        "platypusvaluethree\n"
    );
}
