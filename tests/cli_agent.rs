//! The agent from the command line (DESIGN §7): unlock once, then no passphrase; `lock` puts
//! every value out of reach; a killed agent's stale socket is replaced; sockets others could
//! reach are refused; the idle lock; a kill -9 mid-write loses no acknowledged write.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestVault, fails};
use predicates::prelude::*;

/// The agent's pid, from `agent status --format json` (`None`: not running).
fn agent_pid(v: &TestVault) -> Option<i32> {
    let out = v
        .with_agent()
        .args(["agent", "status", "--format", "json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["pid"].as_i64().map(|p| p as i32)
}

/// `sesame` through the agent, with no passphrase anywhere.
fn no_pass(v: &TestVault) -> assert_cmd::Command {
    let mut c = v.with_agent();
    c.env_remove("SESAME_PASSPHRASE").arg("--headless");
    c
}

#[test]
fn unlock_once_then_no_passphrase_until_lock() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=s3cret"]);
    v.with_agent()
        .arg("unlock")
        .assert()
        .success()
        .stderr(predicate::str::contains("Unlocked: the agent (pid"));
    no_pass(&v)
        .args(["secret", "get", "db", "--key", "password"])
        .assert()
        .success()
        .stdout("s3cret\n");
    // A write through the agent, seen by the next read.
    no_pass(&v)
        .args(["secret", "update", "db", "--password=n3w"])
        .assert()
        .success();
    no_pass(&v)
        .args(["secret", "get", "db", "--key", "password"])
        .assert()
        .success()
        .stdout("n3w\n");
    no_pass(&v)
        .args(["agent", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unlocked, locks itself in"));
    // Without the agent, the vault is held: the error says by whom and what to do.
    let mut c = v.cmd();
    c.args(["secret", "list"]);
    fails(c, 1, &["in use by the sesame agent", "sesame lock"]);

    v.with_agent()
        .arg("lock")
        .assert()
        .success()
        .stderr(predicate::str::contains("wiped its keys"));
    let mut c = no_pass(&v);
    c.args(["secret", "get", "db", "--key", "password"]);
    fails(c, 4, &["locked", "--headless"]);
    assert_eq!(agent_pid(&v), None);
    // And the vault is free for a command of its own.
    assert_eq!(v.ok(&["secret", "get", "db", "--key", "password"]), "n3w\n");
}

#[test]
fn the_first_command_that_unlocks_starts_the_agent() {
    let v = TestVault::new();
    v.with_agent()
        .args(["secret", "create", "db", "--k=1"])
        .assert()
        .success();
    assert!(agent_pid(&v).is_some(), "an agent was started");
    no_pass(&v)
        .args(["secret", "get", "db", "--key", "k"])
        .assert()
        .success()
        .stdout("1\n");
    // auto_start = false: a running agent is still used, none is started.
    v.with_agent().arg("lock").assert().success();
    v.file("config.toml", "[agent]\nauto_start = false\n");
    v.with_agent()
        .args(["secret", "get", "db", "--key", "k"])
        .assert()
        .success();
    assert_eq!(agent_pid(&v), None);
}

#[test]
fn a_killed_agent_leaves_a_stale_socket_that_is_replaced() {
    let v = TestVault::new();
    v.with_agent().arg("unlock").assert().success();
    let pid = agent_pid(&v).expect("running");
    // SAFETY: kill(2) on the agent this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let start = Instant::now();
    while unsafe { libc::kill(pid, 0) } == 0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let socket = std::fs::read_dir(v.path().join("xdg-runtime/sesame"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(
        socket.exists(),
        "the socket of the killed agent is still there"
    );
    // Locked again (the keys died with it): a passphrase is needed, and a new agent starts.
    let mut c = no_pass(&v);
    c.args(["secret", "list"]);
    fails(c, 4, &["locked"]);
    v.with_agent().args(["secret", "list"]).assert().success();
    let new_pid = agent_pid(&v).expect("a new agent");
    assert_ne!(new_pid, pid);
}

#[test]
fn sockets_others_could_reach_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVault::new();
    v.with_agent().arg("unlock").assert().success();
    let dir = v.path().join("xdg-runtime/sesame");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut c = no_pass(&v);
    c.args(["secret", "list"]);
    fails(c, 1, &["open to other users", "refusing"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut c = no_pass(&v);
    c.args(["secret", "list"]);
    fails(c, 1, &["not private to you", "mode 0666"]);
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    no_pass(&v).args(["secret", "list"]).assert().success();
}

#[test]
fn the_agent_locks_itself_when_idle() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--k=1"]);
    // An agent with a two-second idle lock, started as `agent start` would start it.
    let mut serve = v.std_bare();
    serve
        .env_remove("SESAME_NO_AGENT")
        .args(["agent", "serve", "--idle-lock-seconds", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = serve.spawn().unwrap();
    let start = Instant::now();
    while agent_pid(&v).is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    v.with_agent().arg("unlock").assert().success();
    no_pass(&v).args(["secret", "list"]).assert().success();
    let status = child.wait().unwrap();
    assert!(status.success(), "it exits by itself: {status}");
    assert!(start.elapsed() >= Duration::from_secs(2));
    let mut c = no_pass(&v);
    c.args(["secret", "get", "db", "--key", "k"]);
    fails(c, 4, &["locked"]);
}

#[test]
fn sigkill_of_the_agent_mid_write_loses_no_acknowledged_write() {
    let v = TestVault::new();
    let mut acked = Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ u64::from(std::process::id());
    let mut kills = 0;
    for round in 0..6 {
        // Writes through the agent from a background thread, while this one kills it.
        let cmd = |name: String| {
            let mut c = v.with_agent();
            c.args(["secret", "create", &name, &format!("--k={name}")]);
            c
        };
        let mut cmds: Vec<_> = (0..12)
            .map(|i| (format!("r{round}-{i}"), cmd(format!("r{round}-{i}"))))
            .collect();
        let writer = std::thread::spawn(move || {
            let mut ok = Vec::new();
            for (name, mut c) in cmds.drain(..) {
                if c.output().unwrap().status.success() {
                    ok.push(name);
                }
            }
            ok
        });
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 150));
        if let Some(pid) = agent_pid(&v) {
            // SAFETY: kill(2) on the agent this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            kills += 1;
        }
        acked.extend(writer.join().unwrap());
    }
    assert!(kills > 0, "no agent was killed");
    v.with_agent().arg("lock").assert().success();
    for name in &acked {
        assert_eq!(
            v.ok(&["secret", "get", name, "--key", "k"]),
            format!("{name}\n"),
            "acknowledged {name} is missing"
        );
    }
    v.ok(&["verify"]);
}

/// The warm `secret get NAME --key KEY` (answered before clap is built, `src/cli/fast.rs`)
/// gives what the ordinary path gives, in every form it answers; everything it does not
/// answer falls through to the ordinary path, with the ordinary errors, once.
#[test]
fn the_warm_get_answers_exactly_as_the_ordinary_path() {
    let v = TestVault::new();
    // Raw bytes a pipe must get as stored; one name in both scopes (user comes first).
    v.ok(&[
        "secret",
        "create",
        "db",
        "-p",
        "--password=a\u{1b}]0;x\u{7}b",
        "--user=u",
    ]);
    v.ok(&[
        "secret",
        "create",
        "db",
        "--scope",
        "workspace",
        "--password=ws",
    ]);
    v.with_agent().arg("unlock").assert().success();
    let run = |c: &mut assert_cmd::Command, args: &[&str]| {
        let out = c.args(args).output().unwrap();
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["secret", "get", "db", "--key", "password"][..],
        &["secret", "get", "db", "-k", "user"],
        &["secret", "get", "--key=password", "db", "--raw"],
        &["secret", "get", "db", "-k", "password", "-p"],
        &[
            "secret",
            "get",
            "db",
            "-k",
            "password",
            "--scope",
            "workspace",
        ],
        &[
            "--headless",
            "secret",
            "get",
            "db",
            "-k",
            "password",
            "--scope=user",
        ],
        // Not answered by the fast path: the ordinary errors, exit codes and advice.
        &["secret", "get", "db", "-k", "nosuch"],
        &["secret", "get", "nosuch", "-k", "password"],
        &["secret", "get", "db", "-k", "password", "--scope", "team"],
        &["secret", "get", "db", "-k", "a", "-k", "b"],
        &["secret", "get", "../db", "-k", "password"],
    ] {
        let warm = run(&mut no_pass(&v), args);
        // `--format table` (what --key prints anyway) is not a form the fast path answers.
        let ordinary = run(&mut no_pass(&v), &[args, &["--format", "table"]].concat());
        assert_eq!(warm, ordinary, "{args:?}");
    }
    let (code, out, err) = run(&mut no_pass(&v), &["secret", "get", "db", "-k", "password"]);
    assert_eq!(
        (code, &out[..], &err[..]),
        (Some(0), &b"a\x1b]0;x\x07b\n"[..], "")
    );

    // Locked: the ordinary path answers (a headless get is refused, exit 4).
    no_pass(&v).arg("lock").assert().success();
    let mut c = no_pass(&v);
    c.args(["secret", "get", "db", "-k", "password"]);
    fails(c, 4, &["locked"]);
}

/// Standard output redirected to a file others can read is warned about on the warm path too.
#[test]
fn the_warm_get_warns_about_a_shared_output_file() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVault::new();
    v.ok(&["secret", "create", "db", "--password=s3cret"]);
    v.with_agent().arg("unlock").assert().success();
    let shared = v.path().join("out.txt");
    let f = std::fs::File::create(&shared).unwrap();
    f.set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let out = v
        .std_bare()
        .env_remove("SESAME_NO_AGENT")
        .args(["--headless", "secret", "get", "db", "-k", "password"])
        .stdout(f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("others can read (mode 0644)"), "{err}");
    assert_eq!(std::fs::read_to_string(&shared).unwrap(), "s3cret\n");
    no_pass(&v).arg("lock").assert().success();
}
