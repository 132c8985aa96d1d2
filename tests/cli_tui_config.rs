//! The CLI's side of two TUI issues: `secret history --show N` prints an earlier version's
//! values like `secret get`, and a broken `[tui.keys]` map is refused by every command,
//! naming the config line, as the TUI refuses it.

use crate::common;

use common::{TestVault, fails};

#[test]
fn history_show_prints_an_earlier_versions_values() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--user=app", "--password=first"]);
    v.ok(&["secret", "update", "db", "--password=second", "--host=h"]);
    let old = v.ok(&["secret", "history", "db", "--show", "1"]);
    assert!(old.contains("first") && !old.contains("second"), "{old}");
    assert!(
        old.contains("version  1") || old.contains("version 1"),
        "{old}"
    );
    assert!(!old.contains("host"), "version 1 had no host: {old}");
    let json: serde_json::Value = serde_json::from_str(
        &v.ok(&["secret", "history", "db", "--show", "1", "--format", "json"]),
    )
    .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["values"]["password"], "first");
    assert_eq!(
        v.ok(&["secret", "history", "db", "--show", "1", "--format", "env"]),
        "PASSWORD='first'\nUSER='app'\n"
    );
    // The current version too; a version not kept is exit 3.
    assert!(
        v.ok(&["secret", "history", "db", "--show", "2"])
            .contains("second")
    );
    let mut c = v.cmd();
    c.args(["secret", "history", "db", "--show", "9"]);
    fails(c, 3, &["no version 9"]);
    // --show and --restore do not go together.
    let out = v
        .cmd()
        .args(["secret", "history", "db", "--show", "1", "--restore", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_broken_keymap_is_refused_by_commands_too() {
    let v = TestVault::new();
    v.file(
        "config.toml",
        "[tui]\nreveal_seconds = 5\n\n[tui.keys]\ncopy = [\"d\"]\n",
    );
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(
        c,
        1,
        &[
            "config.toml",
            "line 5: [tui.keys] copy",
            "'d' is also delete's key",
        ],
    );
    v.file("config.toml", "[tui.keys]\nquit = [\"hyper-q\"]\n");
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 1, &["line 2: [tui.keys] quit: unknown key 'hyper-q'"]);
    // A map that works (one override, no clash) is fine.
    v.file("config.toml", "[tui.keys]\nquit = [\"ctrl-q\"]\n");
    v.ok(&["secret", "list"]);
}
