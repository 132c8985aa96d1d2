//! DESIGN §8: push 1,000 new secrets to a real OpenBao dev server through the `vault`
//! backend on 8 threads, beside a plain 8-thread keep-alive client (benches/bao_push_plain.py)
//! doing the same writes in the same run; also `list` of those 1,000 (what `sync status`
//! costs). Run: `cargo bench --bench bao_push` (after ./scripts/test has installed bao).

#[path = "../tests/common/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sesame::backend::vault::VaultBackend;
use sesame::backend::{Backend, Expect, OptionValue, RemoteId};
use sesame::{Scope, SecretValue, Values};

const N: usize = 1000;
const THREADS: usize = 8;
const ROUNDS: usize = 5;

fn backend(bao: &servers::Bao, prefix: &str) -> VaultBackend {
    let mut o = BTreeMap::new();
    o.insert("address".into(), OptionValue::Plain(bao.server.url.clone()));
    o.insert(
        "token".into(),
        OptionValue::Secret(SecretValue::new(&bao.root_token)),
    );
    o.insert("prefix".into(), OptionValue::Plain(prefix.into()));
    VaultBackend::new(o).expect("vault backend")
}

/// Seconds for N creates through the backend, THREADS at a time.
fn sesame_push(b: &VaultBackend, schema: &str) -> f64 {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= N {
                        return;
                    }
                    let id =
                        RemoteId::new(Scope::Workspace, format!("bench-{i:04}").parse().unwrap());
                    let mut v = Values::new();
                    v.insert("username".into(), SecretValue::new(format!("svc-{i}")));
                    v.insert("password".into(), SecretValue::new(format!("p{i:031}")));
                    b.put(&id, schema, &v, Expect::Absent).expect("push");
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn plain_push(bao: &servers::Bao, prefix: &str, schema: Option<&str>) -> f64 {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/bao_push_plain.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .args([
            &bao.server.url,
            prefix,
            &N.to_string(),
            &THREADS.to_string(),
        ])
        .env("BAO_TOKEN", &bao.root_token);
    if let Some(s) = schema {
        cmd.arg(s);
    }
    let out = cmd.output().expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("seconds")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let bao = servers::start_bao();
    for (label, schema) in [
        ("default schema (1 write each)", "arbitrary"),
        ("schema basic_auth (data + metadata)", "basic_auth"),
    ] {
        let plain_schema = (schema != "arbitrary").then_some(schema);
        let (mut ours, mut plain, mut lists) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let p = format!("plain{round}-{}/", servers::random_hex());
            plain.push(plain_push(&bao, &p, plain_schema));
            let s = format!("sesame{round}-{}/", servers::random_hex());
            let b = backend(&bao, &s);
            ours.push(sesame_push(&b, schema));
            let start = Instant::now();
            let listing = b.list().expect("list");
            lists.push(start.elapsed().as_secs_f64());
            assert_eq!(listing.entries.len(), N);
        }
        let (o, p) = (median(ours), median(plain));
        println!(
            "push {N} new secrets, {THREADS} threads, {label}: sesame {o:.3} s, plain client {p:.3} s ({:.2}x); list {N}: {:.3} s  (medians of {ROUNDS})",
            o / p,
            median(lists)
        );
    }
}
