//! DESIGN §8 bars owned by the vault: cold unlock at default KDF parameters, open + list of
//! 100,000 secrets, import of 10,000, and bytes on disk per secret (printed, not timed).
//! Run: `cargo bench --bench vault` (figures go in the closing notes and README).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sesame::crypto::KdfParams;
use sesame::vault::{ImportItem, Vault};
use sesame::{Scope, SecretName, SecretValue, Values};

const PASS: &[u8] = b"bench passphrase";

fn fast_kdf() -> KdfParams {
    KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
}

/// A realistic small secret: a username, a 32-char password, a URL.
fn items(n: usize, tag: &str) -> Vec<ImportItem> {
    (0..n)
        .map(|i| {
            let mut values = Values::new();
            values.insert("username".into(), SecretValue::new(format!("svc-{i}")));
            values.insert(
                "password".into(),
                SecretValue::new(format!("{:032x}", i as u128 * 0x9e3779b97f4a7c15)),
            );
            values.insert(
                "url".into(),
                SecretValue::new(format!("https://db-{i}.internal.example:5432/app")),
            );
            ImportItem {
                name: SecretName::new(format!("{tag}-{i:06}")).unwrap(),
                scope: if i % 5 == 0 {
                    Scope::User
                } else {
                    Scope::Workspace
                },
                schema: "arbitrary".into(),
                values,
                created: None,
                updated: None,
            }
        })
        .collect()
}

fn plaintext_bytes(items: &[ImportItem]) -> usize {
    items
        .iter()
        .map(|i| {
            i.name.as_str().len()
                + i.values
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        })
        .sum()
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        dir_size(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    drop(Vault::init(&path, PASS, KdfParams::default()).unwrap());
    let mut g = c.benchmark_group("unlock");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("cold unlock, default Argon2id (64 MiB, t=3, p=4)", |b| {
        b.iter(|| black_box(Vault::unlock(&path, PASS).unwrap()))
    });
    g.finish();
}

fn list_100k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v");
    let v = Vault::init(&path, PASS, fast_kdf()).unwrap();
    let its = items(100_000, "s");
    let plain = plaintext_bytes(&its);
    v.import(&sesame::vault::Policy::default(), its, false, false)
        .unwrap();
    drop(v);
    let disk = dir_size(&path);
    println!(
        "vault on disk: {} bytes for 100000 secrets = {:.0} B/secret; plaintext {:.0} B/secret; ratio {:.2}x",
        disk,
        disk as f64 / 1e5,
        plain as f64 / 1e5,
        disk as f64 / plain as f64
    );
    let mut g = c.benchmark_group("list");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("open + list 100k (after unlock, fast KDF)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let v = Vault::unlock(&path, PASS).unwrap();
                let t = Instant::now();
                black_box(v.list().unwrap());
                total += t.elapsed();
                drop(v);
            }
            total
        })
    });
    g.bench_function("open (sled) + unlock (fast KDF) + list 100k", |b| {
        b.iter(|| {
            let v = Vault::unlock(&path, PASS).unwrap();
            black_box(v.list().unwrap().secrets.len())
        })
    });
    g.finish();
}

fn import_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("import");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function(
        "import 10k into an empty vault (one batch, one flush)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempfile::tempdir().unwrap();
                    let v = Vault::init(&dir.path().join("v"), PASS, fast_kdf()).unwrap();
                    let its = items(10_000, "i");
                    let t = Instant::now();
                    v.import(&sesame::vault::Policy::default(), its, false, false)
                        .unwrap();
                    total += t.elapsed();
                }
                total
            })
        },
    );
    g.finish();
}

criterion_group!(benches, unlock, list_100k, import_10k);
criterion_main!(benches);
