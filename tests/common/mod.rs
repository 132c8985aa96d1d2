//! Shared by the CLI tests: a temp vault with tiny KDF parameters, and a `sesame` command
//! whose environment points only into the temp dir (no real config, vault or home is read).
#![allow(dead_code)]

pub mod backends;
pub mod servers;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct TestVault {
    pub root: TempDir,
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
        let mut c = Command::cargo_bin("sesame").expect("binary");
        let p = self.path();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", p)
            .env("XDG_CONFIG_HOME", p.join("xdg-config"))
            .env("XDG_DATA_HOME", p.join("xdg-data"))
            .env("XDG_RUNTIME_DIR", p.join("xdg-runtime"))
            .env("SESAME_VAULT", self.vault_dir())
            .env("SESAME_CONFIG", p.join("config.toml"))
            .current_dir(p);
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
