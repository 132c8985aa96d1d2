//! TUI quality bars (DESIGN §8) at 100,000 secrets: the first frame after unlock, and a
//! filter keystroke -> rendered frame (update + draw into ratatui's TestBackend, 80x24).
//! Also prints how many bytes per secret the list holds (counted by the allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sesame::config::TuiConfig;
use sesame::crypto::KdfParams;
use sesame::schema::Registry;
use sesame::tui::app::{App, Settings};
use sesame::tui::event::{Event, Outcome};
use sesame::tui::keymap::Keymap;
use sesame::vault::{ImportItem, Listing};
use sesame::{Scope, SecretMeta, SecretName, SecretValue, Values, Vault};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 100_000;
const SCHEMAS: [&str; 5] = ["arbitrary", "basic_auth", "postgres", "aws", "ssh"];
const KEYS: [&str; 8] = [
    "username",
    "password",
    "host",
    "port",
    "token",
    "api_key",
    "url",
    "private_key",
];
const WORDS: [&str; 8] = [
    "billing", "search", "auth", "payments", "metrics", "mlflow", "redis", "ingest",
];

fn metas(n: usize) -> Vec<SecretMeta> {
    let mut out: Vec<SecretMeta> = (0..n)
        .map(|i| SecretMeta {
            name: SecretName::new(format!("{}-{}-{i:06}", WORDS[i % 8], WORDS[(i / 8) % 8]))
                .unwrap(),
            scope: if i % 10 == 0 {
                Scope::User
            } else {
                Scope::Workspace
            },
            schema: SCHEMAS[i % 5].to_string(),
            keys: (0..2 + i % 3)
                .map(|k| KEYS[(i + k) % 8].to_string())
                .collect(),
            created: 1_763_900_000,
            updated: 1_763_900_000,
            version: 1,
        })
        .collect();
    out.sort_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
    out
}

fn new_app() -> App {
    let now = Instant::now();
    let mut app = App::new(
        Keymap::default_map(),
        Settings::from_config(&TuiConfig::default()),
        Registry::builtin(),
        "/bench".into(),
        true,
        now,
    );
    app.update(Event::Resize(80, 24), now);
    app
}

/// What the runtime does when the worker's unlock answer arrives.
fn unlock(app: &mut App, listing: Listing) {
    let now = Instant::now();
    let sesame::tui::action::Intent::Work { ticket, .. } = app.open(None, now) else {
        unreachable!("open is vault work")
    };
    app.update(
        Event::Done {
            ticket,
            result: Ok(Outcome::Unlocked(listing)),
        },
        now,
    );
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn frame(term: &mut Terminal<TestBackend>, app: &App) {
    term.draw(|f| sesame::tui::views::draw(f, app)).unwrap();
}

fn report_memory() {
    let ms = metas(N);
    let before = LIVE.load(Ordering::Relaxed);
    let (app, held) = {
        let start = LIVE.load(Ordering::Relaxed);
        let mut app = new_app();
        unlock(
            &mut app,
            Listing {
                secrets: ms,
                damaged: Vec::new(),
                problems: Vec::new(),
            },
        );
        (app, LIVE.load(Ordering::Relaxed) - start)
    };
    let _ = before;
    // `held` excludes the metas themselves (allocated before); add them back by estimate.
    let estimate = app.main().unwrap().list.bytes_per_secret();
    eprintln!(
        "memory: list estimate {estimate} bytes/secret (metas + rows + matches); \
         app setup allocated {} bytes/secret on top of the metas",
        held / N as isize
    );
    let live_before = LIVE.load(Ordering::Relaxed);
    drop(app);
    let freed = live_before - LIVE.load(Ordering::Relaxed);
    eprintln!(
        "memory: dropping the unlocked app with {N} secrets freed {} bytes/secret",
        freed / N as isize
    );
}

fn first_frame(c: &mut Criterion) {
    report_memory();
    let ms = metas(N);
    let mut g = c.benchmark_group("tui_100k");
    g.sample_size(20);
    g.bench_function("first_frame_from_listing", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let listing = Listing {
                    secrets: ms.clone(),
                    damaged: Vec::new(),
                    problems: Vec::new(),
                };
                let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
                let t = Instant::now();
                let mut app = new_app();
                unlock(&mut app, listing);
                frame(&mut term, &app);
                total += t.elapsed();
            }
            total
        })
    });

    // The whole path from a real vault: unlock (tiny KDF), list (decrypting 100k metadata
    // records, no values), build the app, draw.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    {
        let kdf = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let vault = Vault::init(&dir, b"pw", kdf).unwrap();
        let items = ms
            .iter()
            .map(|m| {
                let mut values = Values::new();
                for k in &m.keys {
                    values.insert(k.clone(), SecretValue::new("v"));
                }
                ImportItem {
                    name: m.name.clone(),
                    scope: m.scope,
                    schema: "arbitrary".into(),
                    values,
                    created: None,
                    updated: None,
                }
            })
            .collect();
        vault
            .import(&sesame::vault::Policy::default(), items, false, false)
            .unwrap();
    }
    g.sample_size(10);
    g.bench_function("first_frame_after_unlock_real_vault", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
                let t = Instant::now();
                let vault = Vault::unlock(&dir, b"pw").unwrap();
                let listing = vault.list().unwrap();
                let mut app = new_app();
                unlock(&mut app, listing);
                frame(&mut term, &app);
                total += t.elapsed();
                drop(vault);
            }
            total
        })
    });
    g.finish();
}

/// Times one keystroke (update + frame) after `prefix` was typed into the filter.
fn keystroke(c: &mut Criterion, name: &str, prefix: &str, ev: fn() -> Event) {
    let mut app = new_app();
    unlock(
        &mut app,
        Listing {
            secrets: metas(N),
            damaged: Vec::new(),
            problems: Vec::new(),
        },
    );
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut g = c.benchmark_group("tui_100k_filter");
    g.sample_size(30);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Reset outside the timing: clear, open the filter, type the prefix.
                app.update(key(KeyCode::Esc), Instant::now());
                app.update(key(KeyCode::Char('/')), Instant::now());
                for ch in prefix.chars() {
                    app.update(key(KeyCode::Char(ch)), Instant::now());
                }
                frame(&mut term, &app);
                let t = Instant::now();
                app.update(ev(), Instant::now());
                frame(&mut term, &app);
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn filter(c: &mut Criterion) {
    keystroke(c, "first_char_full_scan", "", || key(KeyCode::Char('m')));
    keystroke(c, "third_char_incremental", "ml", || {
        key(KeyCode::Char('f'))
    });
    keystroke(c, "narrow_to_one", "mlflow-redis-00", || {
        key(KeyCode::Char('6'))
    });
    keystroke(c, "backspace_full_rescan", "mlf", || {
        key(KeyCode::Backspace)
    });
    keystroke(c, "key_name_match", "", || key(KeyCode::Char('k')));
    // The case: a word that matches 45% of the vault, mostly through key names.
    keystroke(c, "matches_almost_all", "", || key(KeyCode::Char('e')));
    keystroke(c, "users_wide_match", "user", || key(KeyCode::Char('s')));
    keystroke(c, "anchored_suffix", "db", || key(KeyCode::Char('$')));
}

criterion_group!(benches, first_frame, filter);
criterion_main!(benches);
