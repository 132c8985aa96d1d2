//! Shared by the CLI tests: a temp vault with tiny KDF parameters, and a `sesame` command
//! whose environment points only into the temp dir (no real config, vault or home is read).
#![allow(dead_code)]

pub mod azure_fake;
pub mod backends;
pub mod gcp_token;
pub mod http_fake;
pub mod servers;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct TestVault {
    pub root: TempDir,
}

impl Drop for TestVault {
    /// A test that started an agent leaves none behind.
    fn drop(&mut self) {
        if self.path().join("xdg-runtime").join("sesame").exists() {
            let _ = self
                .bare()
                .env_remove("SESAME_NO_AGENT")
                .arg("lock")
                .output();
        }
    }
}

impl TestVault {
    /// An empty temp dir with a config file, no vault yet.
    pub fn empty() -> TestVault {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::write(root.path().join("config.toml"), "").expect("config");
        TestVault { root }
    }

    /// A temp dir with an initialised vault.
    pub fn new() -> TestVault {
        let v = TestVault::empty();
        v.cmd().args(INIT_FAST).assert().success();
        v
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.path().join("vault")
    }

    pub fn schema_dir(&self) -> PathBuf {
        self.path().join("schemas")
    }

    /// `sesame` with the passphrase in the environment.
    pub fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.env("SESAME_PASSPHRASE", PASSPHRASE);
        c
    }

    /// `sesame` with no passphrase anywhere.
    pub fn bare(&self) -> Command {
        Command::from_std(self.std_bare())
    }

    /// [`TestVault::bare`] as a `std::process::Command`, for tests that wire its stdio
    /// themselves. It runs in a session of its own, without a controlling terminal: sesame
    /// prompts on `/dev/tty`, and a test run from a terminal must not be asked anything.
    /// Its umask is the usual 022, whatever this process's is (tests that open a vault in
    /// process tighten it to 077, which would hide a file sesame forgot to make private).
    pub fn std_bare(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("sesame"));
        // SAFETY: setsid and umask are async-signal-safe and touch no memory of the parent.
        unsafe {
            c.pre_exec(|| {
                libc::setsid();
                libc::umask(0o022);
                Ok(())
            });
        }
        let p = self.path();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", p)
            .env("XDG_CONFIG_HOME", p.join("xdg-config"))
            .env("XDG_DATA_HOME", p.join("xdg-data"))
            .env("XDG_RUNTIME_DIR", p.join("xdg-runtime"))
            .env("SESAME_VAULT", self.vault_dir())
            .env("SESAME_CONFIG", p.join("config.toml"))
            // Each command opens the vault itself unless a test asks for the agent
            // (`TestVault::with_agent`): no agent outlives a test by accident.
            .env("SESAME_NO_AGENT", "1")
            .current_dir(p);
        c
    }

    /// [`TestVault::cmd`] that may use (and start) the agent. The agent lives in this test's
    /// runtime dir; [`TestVault`]'s drop stops it.
    pub fn with_agent(&self) -> assert_cmd::Command {
        let mut c = self.cmd();
        c.env_remove("SESAME_NO_AGENT");
        c
    }

    /// Runs `sesame ARGS` and returns stdout; panics (showing stderr) unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run sesame");
        assert!(
            out.status.success(),
            "sesame {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Writes a file in the temp dir and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, contents).expect("write file");
        p
    }
}

/// `init` with the cheapest KDF parameters the vault accepts.
pub const INIT_FAST: &[&str] = &[
    "init",
    "--kdf-memory-mib",
    "1",
    "--kdf-iterations",
    "1",
    "--kdf-parallelism",
    "1",
];

/// Asserts stderr is exactly one line starting with `sesame: ` and containing every needle.
pub fn one_line_error(stderr: &[u8], needles: &[&str]) {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {text:?}");
    assert!(
        lines[0].starts_with("sesame: "),
        "not an error line: {text:?}"
    );
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in {text:?}");
    }
}

/// Runs and checks exit code plus a one-line stderr; returns stderr.
pub fn fails(mut cmd: Command, code: i32, needles: &[&str]) -> String {
    let out = cmd.output().expect("run sesame");
    assert_eq!(
        out.status.code(),
        Some(code),
        "wrong exit code; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    one_line_error(&out.stderr, needles);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a command printed with its stdout on a pseudo-terminal.
pub struct TtyRun {
    pub code: Option<i32>,
    /// What reached the terminal (stdout, and `/dev/tty` writes when `controlling`).
    pub tty: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `cmd` with stdout on a fresh pseudo-terminal (raw mode, so bytes arrive as written),
/// stderr and stdin on pipes. With `controlling`, the terminal is also the child's
/// controlling terminal (`/dev/tty`), and `answer` is typed into it once the child has
/// written `wait_for` there (a prompt). Escaping decisions and `/dev/tty` prompts are
/// tested this way, without a test-only switch in the product.
pub fn on_tty(
    mut cmd: std::process::Command,
    stdin: &[u8],
    controlling: bool,
    dialog: Option<(&str, &str)>,
) -> TtyRun {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::Stdio;

    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the ints we pass.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just created and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // Raw mode: no "\n" -> "\r\n" translation and no echo, so the bytes are the child's.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), &mut t);
        libc::cfmakeraw(&mut t);
        libc::tcsetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), libc::TCSANOW, &t);
    }
    if controlling {
        // SAFETY: setsid and ioctl(TIOCSCTTY) are async-signal-safe; fd 1 is the terminal.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                if libc::ioctl(1, libc::TIOCSCTTY as _, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .stdout(Stdio::from(slave))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sesame");
    drop(cmd); // closes our copy of the slave, so the master reads EOF/EIO at the end
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut master = std::fs::File::from(master);
    let mut writer = master.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break, // EIO once the last slave descriptor closes
                Ok(n) => {
                    all.extend_from_slice(&buf[..n]);
                    let _ = tx.send(all.clone());
                }
            }
        }
        all
    });
    if let Some((wait_for, answer)) = dialog {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let seen = rx
                .recv_timeout(std::time::Duration::from_secs(20))
                .unwrap_or_default();
            if String::from_utf8_lossy(&seen).contains(wait_for) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {wait_for:?} on the terminal"
            );
        }
        writer.write_all(answer.as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    drop(writer);
    TtyRun {
        code: status.code(),
        tty: reader.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// `v`'s command with `other`'s config file (two machines with the same backends).
pub fn with_config_of(v: &TestVault, other: &TestVault) -> assert_cmd::Command {
    let mut c = v.cmd();
    c.env("SESAME_CONFIG", other.path().join("config.toml"));
    c
}
