//! The `exec` flavor: any program that speaks the plugin protocol (README, "Writing a
//! backend plugin"): one JSON request per line on its stdin, one JSON answer per line back.
//!
//! One long-lived child per backend, requests strictly one at a time (a mutex), restarted
//! when it has died. The child is untrusted: every answer line is read with a size cap on a
//! reader thread and awaited with a timeout, so a plugin that crashes, hangs, floods or
//! babbles gives a clear error, never a hang; after any such failure the child is killed and
//! the next request starts a fresh one. Values travel only on stdin, never in argv or env.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::remote_text;
use super::options::{Options, TIMEOUT};
use super::remote::{
    self, MAX_BODY, foreign, json, parse_id, schema_name, values_from_json, writable,
};
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::secret::{Scope, SecretValue, Values};

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "command",
        required: true,
        credential: false,
        help: "the plugin program (a path, or a name found on PATH)",
    },
    OptionSpec {
        name: "args",
        required: false,
        credential: false,
        help: "arguments, separated by spaces (no quoting; never put secrets here)",
    },
    OptionSpec {
        name: "credential",
        required: false,
        credential: true,
        help: "a secret the plugin needs, handed to it on stdin in the hello request",
    },
    TIMEOUT,
];

/// The protocol version this sesame speaks; the plugin's hello answer must match.
pub const PROTOCOL: u32 = 1;
/// Longest version string taken from a plugin.
const MAX_VERSION_LEN: usize = 256;

pub struct ExecBackend {
    command: String,
    args: Vec<String>,
    credential: Option<SecretValue>,
    timeout: Duration,
    label: String,
    child: Mutex<Option<Plugin>>,
}

/// Hand-written: the credential is never printed.
impl std::fmt::Debug for ExecBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecBackend")
            .field("command", &self.command)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

/// A running plugin: its process, a writer thread feeding stdin (so a plugin that stops
/// reading cannot block us) and a reader thread delivering capped lines.
struct Plugin {
    process: Child,
    to_stdin: Option<Sender<Zeroizing<Vec<u8>>>>,
    lines: Receiver<Line>,
}

enum Line {
    Text(Zeroizing<Vec<u8>>),
    TooLong,
    Closed,
}

impl Drop for Plugin {
    /// Closing stdin asks the plugin to exit; one that lingers is killed. Never left behind.
    fn drop(&mut self) {
        self.to_stdin.take();
        for _ in 0..20 {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// What went wrong talking to the child; turned into a `BackendError` with the label.
enum Failure {
    Exited(String),
    Timeout,
    TooLong,
    Garbage(String),
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ExpectWire<'a> {
    Absent,
    Version { version: &'a str },
    Any,
}

impl<'a> From<&'a Expect> for ExpectWire<'a> {
    fn from(e: &'a Expect) -> Self {
        match e {
            Expect::Absent => ExpectWire::Absent,
            Expect::Version(v) => ExpectWire::Version { version: &v.0 },
            Expect::Any => ExpectWire::Any,
        }
    }
}

/// Every request sesame sends, as the README documents it.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request<'a> {
    Hello {
        protocol: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        credential: Option<&'a SecretValue>,
    },
    Test,
    List,
    Get {
        scope: Scope,
        name: &'a str,
    },
    Put {
        scope: Scope,
        name: &'a str,
        schema: &'a str,
        values: &'a Values,
        expect: ExpectWire<'a>,
    },
    Delete {
        scope: Scope,
        name: &'a str,
        expect: ExpectWire<'a>,
    },
}

#[derive(Deserialize)]
struct ErrorWire {
    kind: String,
    #[serde(default)]
    message: String,
}

impl ExecBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<ExecBackend, BackendError> {
        let o = Options::check("exec", OPTIONS, options)?;
        let command = o.required_text("command")?.to_string();
        Ok(ExecBackend {
            label: format!("exec plugin {}", crate::error::shown(&command)),
            args: o
                .text("args")
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            credential: o.secret("credential"),
            timeout: o.timeout()?,
            command,
            child: Mutex::new(None),
        })
    }

    fn unreachable(&self, detail: String) -> BackendError {
        BackendError::Unreachable {
            backend: self.label.clone(),
            detail,
        }
    }

    fn protocol(&self, detail: String) -> BackendError {
        BackendError::Protocol {
            backend: self.label.clone(),
            detail,
        }
    }

    fn failure(&self, f: Failure) -> BackendError {
        match f {
            Failure::Exited(how) => self.unreachable(format!("the plugin {how}")),
            Failure::Timeout => self.unreachable(format!(
                "no answer within {} s; it was stopped (raise timeout_secs if it is just slow)",
                self.timeout.as_secs()
            )),
            Failure::TooLong => self.protocol(format!(
                "an answer line longer than {} MiB; the plugin was stopped",
                MAX_BODY >> 20
            )),
            Failure::Garbage(what) => {
                self.protocol(format!("an answer that is {what}; the plugin was stopped"))
            }
        }
    }

    fn spawn(&self) -> Result<Plugin, BackendError> {
        let mut process = Command::new(&self.command)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its stderr could hold values and would garble the TUI: plugins log to files.
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                self.unreachable(format!("cannot start it: {e}; check the command option"))
            })?;
        let mut stdin: ChildStdin = process.stdin.take().expect("piped");
        let stdout = process.stdout.take().expect("piped");
        let (to_stdin, from_sesame) = mpsc::channel::<Zeroizing<Vec<u8>>>();
        std::thread::spawn(move || {
            for line in from_sesame {
                if stdin.write_all(&line).and_then(|()| stdin.flush()).is_err() {
                    return;
                }
            }
        });
        let (to_sesame, lines) = mpsc::channel();
        std::thread::spawn(move || read_lines(stdout, to_sesame));
        let mut plugin = Plugin {
            process,
            to_stdin: Some(to_stdin),
            lines,
        };
        let hello = Request::Hello {
            protocol: PROTOCOL,
            credential: self.credential.as_ref(),
        };
        #[derive(Deserialize)]
        struct HelloAnswer {
            protocol: u32,
        }
        let answer = self
            .exchange(&mut plugin, &hello)
            .map_err(|f| self.failure(f))?;
        let answer: HelloAnswer = self.answer(answer, None)?;
        if answer.protocol != PROTOCOL {
            return Err(self.protocol(format!(
                "the plugin speaks protocol {}, this sesame speaks {PROTOCOL}",
                answer.protocol
            )));
        }
        Ok(plugin)
    }

    /// Sends one request and waits for its answer line, parsed as a JSON object.
    fn exchange(
        &self,
        plugin: &mut Plugin,
        request: &Request,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
        let mut line = Zeroizing::new(serde_json::to_vec(request).expect("requests serialize"));
        line.push(b'\n');
        let sent = plugin
            .to_stdin
            .as_ref()
            .is_some_and(|tx| tx.send(line).is_ok());
        let answer = match plugin.lines.recv_timeout(self.timeout) {
            Ok(Line::Text(text)) => text,
            Ok(Line::TooLong) => return Err(Failure::TooLong),
            Err(RecvTimeoutError::Timeout) if sent => return Err(Failure::Timeout),
            Ok(Line::Closed) | Err(_) => {
                let status = wait_briefly(&mut plugin.process);
                return Err(Failure::Exited(status));
            }
        };
        match json::<serde_json::Value>(&answer) {
            Ok(serde_json::Value::Object(obj)) => Ok(obj),
            Ok(_) => Err(Failure::Garbage("JSON but not an object".into())),
            Err(what) => Err(Failure::Garbage(what)),
        }
    }

    /// Runs one request on the (re)started plugin. Any transport failure kills the child:
    /// its stream can no longer be trusted to be in step.
    fn call(
        &self,
        request: &Request,
    ) -> Result<serde_json::Map<String, serde_json::Value>, BackendError> {
        let mut slot = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let alive = slot
            .as_mut()
            .is_some_and(|p| matches!(p.process.try_wait(), Ok(None)));
        if !alive {
            *slot = None;
            *slot = Some(self.spawn()?);
        }
        let plugin = slot.as_mut().expect("just spawned");
        match self.exchange(plugin, request) {
            Ok(answer) => Ok(answer),
            Err(f) => {
                *slot = None;
                Err(self.failure(f))
            }
        }
    }

    /// Turns an answer into `T`, or the plugin's `{"ok": false, "error": ...}` into an error.
    fn answer<T: serde::de::DeserializeOwned>(
        &self,
        mut obj: serde_json::Map<String, serde_json::Value>,
        id: Option<&RemoteId>,
    ) -> Result<T, BackendError> {
        match obj.get("ok") {
            Some(serde_json::Value::Bool(true)) => {}
            Some(serde_json::Value::Bool(false)) => {
                let err: ErrorWire = obj
                    .remove("error")
                    .and_then(|e| serde_json::from_value(e).ok())
                    .ok_or_else(|| self.protocol("\"ok\": false without an error kind".into()))?;
                return Err(self.plugin_error(err, id));
            }
            _ => return Err(self.protocol("an answer without \"ok\": true or false".into())),
        }
        // Re-serialized only to reuse serde's typed checks; the error never quotes content.
        let bytes = Zeroizing::new(serde_json::to_vec(&obj).expect("re-serializes"));
        json::<T>(&bytes).map_err(|what| match id {
            Some(id) => BackendError::Malformed {
                backend: self.label.clone(),
                id: id.clone(),
                detail: format!("the plugin's answer is {what}"),
            },
            None => self.protocol(format!("an answer that is {what}")),
        })
    }

    fn plugin_error(&self, err: ErrorWire, id: Option<&RemoteId>) -> BackendError {
        let message = remote_text(&err.message, 160);
        let backend = self.label.clone();
        match (err.kind.as_str(), id) {
            ("conflict", Some(id)) => BackendError::Conflict {
                backend,
                id: id.clone(),
                detail: format!("was changed there ({message})"),
            },
            ("not_found", Some(id)) => BackendError::NotFound {
                backend,
                id: id.clone(),
            },
            ("refused", _) => BackendError::Refused {
                backend,
                detail: message,
                check: "the plugin's credential option and its own configuration",
            },
            ("unavailable", _) => BackendError::Unreachable {
                backend,
                detail: message,
            },
            ("invalid", Some(id)) => BackendError::Unsupported {
                backend,
                id: id.clone(),
                detail: message,
            },
            (kind, _) => {
                self.protocol(format!("error kind '{}': {message}", remote_text(kind, 40)))
            }
        }
    }
}

/// The reader thread: lines of at most `MAX_BODY` bytes; a longer one ends the stream.
fn read_lines(stdout: impl Read, to_sesame: Sender<Line>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut buf = Zeroizing::new(Vec::new());
        let read = (&mut reader)
            .take(MAX_BODY as u64 + 1)
            .read_until(b'\n', &mut buf);
        let line = match read {
            Ok(0) | Err(_) => Line::Closed,
            Ok(_) if buf.last() == Some(&b'\n') => Line::Text(buf),
            Ok(_) if buf.len() > MAX_BODY => Line::TooLong,
            // The last line without a newline, then end of stream.
            Ok(_) => Line::Text(buf),
        };
        let stop = !matches!(line, Line::Text(_));
        if to_sesame.send(line).is_err() || stop {
            return;
        }
    }
}

/// How the plugin ended, for the message (it closed its stdout: it is exiting or dead).
fn wait_briefly(process: &mut Child) -> String {
    for _ in 0..50 {
        if let Ok(Some(status)) = process.try_wait() {
            return match status.code() {
                Some(code) => format!("exited with status {code} before answering"),
                None => "was killed by a signal before answering".into(),
            };
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    "closed its output before answering".into()
}

fn version_of(v: String) -> Result<RemoteVersion, String> {
    if v.is_empty() || v.len() > MAX_VERSION_LEN {
        return Err(format!(
            "its version must be 1 to {MAX_VERSION_LEN} characters"
        ));
    }
    Ok(RemoteVersion(v))
}

impl Backend for ExecBackend {
    fn flavor(&self) -> &'static str {
        "exec"
    }

    fn test(&self) -> Result<String, BackendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            message: String,
        }
        let a: Answer = self.answer(self.call(&Request::Test)?, None)?;
        Ok(format!("{}: {}", self.label, remote_text(&a.message, 160)))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        #[derive(Deserialize)]
        struct Answer {
            secrets: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            scope: String,
            name: String,
            version: String,
        }
        let a: Answer = self.answer(self.call(&Request::List)?, None)?;
        let mut listing = Listing::default();
        for e in a.secrets {
            let raw = format!("{}/{}", e.scope, e.name);
            match parse_id(&e.scope, &e.name).and_then(|id| Ok((id, version_of(e.version)?))) {
                Ok((id, version)) => listing.entries.push(RemoteEntry { id, version }),
                Err(why) => listing.foreign.push(foreign(&raw, why)),
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        #[derive(Deserialize)]
        struct Answer {
            secret: Option<Found>,
        }
        #[derive(Deserialize)]
        struct Found {
            version: String,
            schema: Option<String>,
            values: serde_json::Map<String, serde_json::Value>,
        }
        let request = Request::Get {
            scope: id.scope,
            name: id.name.as_str(),
        };
        let a: Answer = match self.answer(self.call(&request)?, Some(id)) {
            Err(BackendError::NotFound { .. }) => return Ok(None),
            other => other?,
        };
        let Some(found) = a.secret else {
            return Ok(None);
        };
        let malformed = |detail: String| BackendError::Malformed {
            backend: self.label.clone(),
            id: id.clone(),
            detail,
        };
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: version_of(found.version).map_err(malformed)?,
            schema: found
                .schema
                .map(|s| schema_name(&s))
                .transpose()
                .map_err(malformed)?,
            values: values_from_json(found.values).map_err(malformed)?,
        }))
    }

    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        values: &Values,
        expect: Expect,
    ) -> Result<RemoteVersion, BackendError> {
        writable(&self.label, id, values)?;
        #[derive(Deserialize)]
        struct Answer {
            version: String,
        }
        let request = Request::Put {
            scope: id.scope,
            name: id.name.as_str(),
            schema,
            values,
            expect: (&expect).into(),
        };
        let a: Answer = self.answer(self.call(&request)?, Some(id))?;
        version_of(a.version).map_err(|detail| BackendError::Malformed {
            backend: self.label.clone(),
            id: id.clone(),
            detail,
        })
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        #[derive(Deserialize)]
        struct Answer {}
        let request = Request::Delete {
            scope: id.scope,
            name: id.name.as_str(),
            expect: (&expect).into(),
        };
        let _: Answer = self.answer(self.call(&request)?, Some(id))?;
        Ok(())
    }
}
