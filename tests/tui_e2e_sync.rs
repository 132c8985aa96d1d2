//! End to end against a real OpenBao, in tmux: the real binary's Sync tab pushes two new
//! secrets, then a change made on both sides (a CLI edit here through the agent, a
//! teammate's write there) shows as a conflict, is settled key by key in the conflict view
//! (one key typed, one taken from there), and lands on both sides.

use crate::common;
use crate::tui_support;

use common::backends::values;
use common::servers;
use common::{PASSPHRASE, TestVault};
use sesame::backend::{Expect, RemoteId};
use sesame::{Scope, SecretName};
use tui_support::tmux::Tmux;

fn env_of(v: &TestVault) -> Vec<(&'static str, String)> {
    let p = v.path();
    vec![
        ("HOME", p.display().to_string()),
        (
            "XDG_CONFIG_HOME",
            p.join("xdg-config").display().to_string(),
        ),
        ("XDG_DATA_HOME", p.join("xdg-data").display().to_string()),
        (
            "XDG_RUNTIME_DIR",
            p.join("xdg-runtime").display().to_string(),
        ),
        ("SESAME_VAULT", v.vault_dir().display().to_string()),
        ("SESAME_CONFIG", p.join("config.toml").display().to_string()),
    ]
}

#[test]
fn a_conflict_with_openbao_is_settled_key_by_key_in_the_tui() {
    assert!(Tmux::available(), "tmux is installed by scripts/test");
    let bao = servers::bao();
    let prefix = format!("tui-{}/", servers::random_hex());
    let v = TestVault::new();
    v.ok(&[
        "secret",
        "create",
        "bao",
        &format!("--token={}", bao.root_token),
    ]);
    v.ok(&[
        "backend",
        "add",
        "team",
        "--flavor",
        "vault",
        "--option",
        &format!("address={}", bao.server.url),
        "--option",
        "token={{bao.token}}",
        "--prefix",
        &prefix,
    ]);
    v.ok(&["secret", "create", "db", "--user=app", "--pass=p0"]);

    let tmux = Tmux::start("sync", 100, 30, &env_of(&v));
    tmux.run_sesame("");
    tmux.wait_for("Passphrase");
    tmux.text(PASSPHRASE);
    tmux.keys(&["Enter"]);
    tmux.wait_for("vault unlocked");
    tmux.keys(&["["]); // Secrets -> Sync (the tabs wrap)
    tmux.wait_for("team (vault) ✓");
    let s = tmux.wait_for("2 to push");
    assert!(s.contains("local only"), "{s}");
    tmux.keys(&["P"]);
    tmux.wait_for("pushed to 'team': 2 of 2 done");
    tmux.wait_for("2 in sync · 0 to push · 0 to pull · 0 in conflict");

    // A teammate changes user and pass there; here, the CLI changes pass (through the agent
    // the TUI started).
    let remote = common::backends::vault(&prefix, &[]);
    let id = RemoteId::new(Scope::Workspace, SecretName::new("db").unwrap());
    remote
        .put(
            &id,
            "arbitrary",
            &values(&[("user", "root"), ("pass", "theirs")]),
            Expect::Any,
        )
        .unwrap();
    v.with_agent()
        .args(["secret", "update", "db", "--pass=mine"])
        .assert()
        .success();
    tmux.keys(&["F5"]);
    tmux.wait_for("1 in conflict");
    tmux.wait_for("changed on both sides");

    // Rows: bao, db. The conflict view: masked, then revealed.
    tmux.keys(&["j", "v"]);
    let s = tmux.wait_for("key by key");
    assert!(!s.contains("theirs") && !s.contains("mine"), "{s}");
    tmux.keys(&["R"]);
    let s = tmux.wait_for("theirs");
    assert!(s.contains("mine") && s.contains("p0"), "{s}");
    // pass (first row, a conflict): type a value; user (changed there only): taken already.
    tmux.keys(&["e", "BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("merged");
    tmux.keys(&["Enter"]);
    tmux.wait_for("typed");
    tmux.keys(&["C-s"]);
    tmux.wait_for("settled with 'team'");
    tmux.wait_for("2 in sync · 0 to push · 0 to pull · 0 in conflict");

    // Both sides hold the merge.
    let there = remote.get(&id).unwrap().unwrap().values;
    assert_eq!(there, values(&[("pass", "merged"), ("user", "root")]));
    let here = v
        .with_agent()
        .args(["secret", "get", "db", "--format", "json"])
        .output()
        .unwrap();
    let here = String::from_utf8_lossy(&here.stdout);
    assert!(
        here.contains("\"merged\"") && here.contains("\"root\""),
        "{here}"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("EXITED:0");
    v.with_agent().arg("lock").assert().success();
}
