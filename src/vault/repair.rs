//! `sesame verify` and `sesame recover`: both start from a survey of everything on disk that
//! the passphrase can open (header or its backup, the live store as far as sled can read it,
//! every snapshot), trusting nothing that does not authenticate. `verify` reports it;
//! `recover` builds a new store from the newest good copy of each secret and says, secret by
//! secret, where each came from and what could not be brought back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::header::{self, Header};
use super::rebuild::Builder;
use super::record::{
    BodyV2, KIND_BODY, KIND_META, KIND_STATE, KNOWN_KINDS, Keys, MetaV2, record_id,
};
use super::state::{StateV2, Tally};
use super::store::Store;
use super::{Vault, account_of, files, read_header, snapshot};
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretName, format_time};

/// What `verify` found. `ok()` is true when nothing needs attention.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// One line per finding, in reading order (fine and not fine).
    pub lines: Vec<String>,
    /// Lines that need attention (also in `lines`).
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
    fn fine(&mut self, line: String) {
        self.lines.push(line);
    }
    fn bad(&mut self, line: String) {
        self.lines.push(format!("PROBLEM: {line}"));
        self.problems.push(line);
    }
}

/// What `recover` did.
#[derive(Debug, Default)]
pub struct RecoverReport {
    /// One line per secret: where it came from.
    pub recovered: Vec<String>,
    /// What could not be brought back, one line each.
    pub lost: Vec<String>,
    /// Other facts (the damaged store kept aside, a header rebuilt...).
    pub notes: Vec<String>,
    /// Where the recovered vault is.
    pub vault: PathBuf,
}

/// One readable copy of a secret: its meta, and its records as sealed (bodies are checked
/// against the meta, but kept sealed: a recovery moves records, it does not re-encrypt).
#[derive(Clone)]
struct Copy {
    meta: MetaV2,
    meta_blob: Vec<u8>,
    body_blob: Option<Vec<u8>>,
}

type Id = (Scope, SecretName);

/// The live store as far as it could be read.
struct StoreSurvey {
    opened: std::result::Result<(), String>,
    state: Option<StateV2>,
    copies: BTreeMap<Id, Copy>,
    /// Records that failed to open (by id), and bodies with no readable meta.
    damaged: Vec<String>,
    /// Keys of metas that failed to open (to match them with a snapshot's copy).
    damaged_keys: BTreeSet<Vec<u8>>,
    unknown_kinds: usize,
    /// Trashed secrets (committed to; `recover` does not carry them over).
    trashed: usize,
    /// Sync-state records, and the sum of their commit hashes.
    synced: usize,
    sync_sum: u128,
    tally: Tally,
    scan_error: Option<String>,
}

struct Survey {
    header: Header,
    header_note: Option<String>,
    keys: Keys,
    store: StoreSurvey,
}

fn survey(dir: &Path, passphrase: &[u8]) -> Result<Survey> {
    if !Vault::exists(dir) {
        return Err(Error::VaultMissing(dir.to_path_buf()));
    }
    if super::migrate::is_v1(dir) && !dir.join(header::HEADER_FILE).exists() {
        return Err(Error::Usage(
            "this vault is in format 1: open it once with any command to upgrade it, then verify"
                .into(),
        ));
    }
    let found = read_header(dir)?;
    let keys = Keys::new(
        found
            .header
            .unwrap_key(passphrase)?
            .ok_or_else(|| Error::WrongPassphrase(dir.to_path_buf()))?,
    );
    let store = survey_store(&found.header.store_dir(dir), &keys, &found.header.vault_id);
    Ok(Survey {
        header_note: found.from_backup,
        header: found.header,
        keys,
        store,
    })
}

fn survey_store(store_dir: &Path, keys: &Keys, vault_id: &[u8; 16]) -> StoreSurvey {
    let mut s = StoreSurvey {
        opened: Ok(()),
        state: None,
        copies: BTreeMap::new(),
        damaged: Vec::new(),
        damaged_keys: BTreeSet::new(),
        unknown_kinds: 0,
        trashed: 0,
        synced: 0,
        sync_sum: 0,
        tally: Tally::default(),
        scan_error: None,
    };
    let store = match Store::open(store_dir) {
        Ok(store) => store,
        Err(e) => {
            s.opened = Err(e.to_string());
            return s;
        }
    };
    let mut bodies = BTreeMap::new();
    for r in store.scan(&[]) {
        let (key, blob) = match r {
            Ok(pair) => pair,
            Err(e) => {
                s.scan_error = Some(e.to_string());
                break;
            }
        };
        match key.first() {
            Some(&KIND_META) => {
                s.tally.add(keys, &key, &blob);
                match keys.open::<MetaV2>(vault_id, &key, None, &blob) {
                    Ok(meta) if keys.secret_key(KIND_META, meta.scope, &meta.name) == key => {
                        s.copies.insert(
                            (meta.scope, meta.name.clone()),
                            Copy {
                                meta,
                                meta_blob: blob,
                                body_blob: None,
                            },
                        );
                    }
                    _ => {
                        s.damaged.push(record_id(&key));
                        s.damaged_keys.insert(key);
                    }
                }
            }
            Some(&KIND_BODY) => {
                bodies.insert(key, blob);
            }
            Some(&super::record::KIND_TRASH) => {
                s.tally.add(keys, &key, &blob);
                s.trashed += 1;
            }
            Some(&super::record::KIND_SYNC) => {
                s.sync_sum = s.sync_sum.wrapping_add(keys.commit_hash(&key, &blob));
                s.synced += 1;
            }
            Some(&KIND_STATE) => {
                s.state = keys
                    .open::<StateV2>(vault_id, &key, None, &blob)
                    .ok()
                    .filter(StateV2::well_formed);
                if s.state.is_none() {
                    s.damaged.push("the state record".into());
                }
            }
            Some(k) if KNOWN_KINDS.contains(k) => {}
            _ => s.unknown_kinds += 1,
        }
    }
    for ((_, _), copy) in s.copies.iter_mut() {
        let bk = keys.secret_key(KIND_BODY, copy.meta.scope, &copy.meta.name);
        match bodies.remove(&bk) {
            Some(blob)
                if keys
                    .open::<BodyV2>(vault_id, &bk, Some(copy.meta.binding()), &blob)
                    .is_ok() =>
            {
                copy.body_blob = Some(blob);
            }
            Some(_) => s.damaged.push(format!(
                "the values of '{}' ({})",
                copy.meta.name, copy.meta.scope
            )),
            None => s.damaged.push(format!(
                "the values of '{}' ({}) (missing)",
                copy.meta.name, copy.meta.scope
            )),
        }
    }
    for key in bodies.keys() {
        let mut meta_key = key.clone();
        meta_key[0] = KIND_META;
        if !s.damaged_keys.contains(&meta_key) {
            s.damaged.push(format!(
                "values record {} without its secret",
                record_id(key)
            ));
        }
    }
    s
}

/// The copies of secrets a snapshot holds (each checked), and how many records failed.
fn read_snapshot_copies(
    file: &snapshot::SnapshotFile,
    keys: &Keys,
    vault_id: &[u8; 16],
) -> Result<(snapshot::Contents, BTreeMap<Id, Copy>, usize)> {
    let contents = snapshot::read(&file.path, keys, vault_id)?;
    let (copies, damaged) = copies_of(contents.records.iter().map(|(k, b)| (k, b)), keys, vault_id);
    Ok((contents, copies, damaged))
}

/// Checked copies of the secrets among `records`, and how many records failed.
fn copies_of<'a>(
    records: impl Iterator<Item = (&'a Vec<u8>, &'a Vec<u8>)>,
    keys: &Keys,
    vault_id: &[u8; 16],
) -> (BTreeMap<Id, Copy>, usize) {
    let mut metas = BTreeMap::new();
    let mut bodies = BTreeMap::new();
    let mut damaged = 0;
    for (key, blob) in records {
        match key.first() {
            Some(&KIND_META) => match keys.open::<MetaV2>(vault_id, key, None, blob) {
                Ok(meta) if keys.secret_key(KIND_META, meta.scope, &meta.name) == *key => {
                    metas.insert(key.clone(), (meta, blob.clone()));
                }
                _ => damaged += 1,
            },
            Some(&KIND_BODY) => {
                bodies.insert(key.clone(), blob.clone());
            }
            _ => {}
        }
    }
    let mut copies = BTreeMap::new();
    for (_, (meta, meta_blob)) in metas {
        let bk = keys.secret_key(KIND_BODY, meta.scope, &meta.name);
        let body_blob = bodies.remove(&bk).filter(|b| {
            keys.open::<BodyV2>(vault_id, &bk, Some(meta.binding()), b)
                .is_ok()
        });
        if body_blob.is_none() {
            damaged += 1;
        }
        copies.insert(
            (meta.scope, meta.name.clone()),
            Copy {
                meta,
                meta_blob,
                body_blob,
            },
        );
    }
    (copies, damaged)
}

/// The newest intact snapshot with the journal replayed on top of it: the vault as of the
/// last journaled write. `None` without an intact snapshot.
struct Replayed {
    generation: u64,
    copies: BTreeMap<Id, Copy>,
    /// Meta keys of every secret at that generation (including ones whose copy is damaged).
    present: BTreeSet<Vec<u8>>,
    source: String,
    /// The journal's state could not be read, or was cut short by damage.
    journal_note: Option<String>,
}

fn replay(dir: &Path, keys: &Keys, vault_id: &[u8; 16]) -> Option<Replayed> {
    let contents = snapshot::list(dir).into_iter().find_map(|f| {
        snapshot::read(&f.path, keys, vault_id)
            .ok()
            .filter(|c| c.intact)
    })?;
    let mut map: BTreeMap<Vec<u8>, Vec<u8>> = contents.records.into_iter().collect();
    let mut generation = contents.generation;
    let mut applied = 0;
    let mut journal_note = None;
    match super::journal::read(dir, &keys.snapshot, vault_id) {
        Ok(Some(j)) => {
            for (g, records) in j.writes {
                if g <= generation {
                    continue;
                }
                if g != generation + 1 {
                    journal_note =
                        Some(format!("the journal skips from write {generation} to {g}"));
                    break;
                }
                for (k, blob) in records {
                    match blob {
                        Some(b) => map.insert(k, b),
                        None => map.remove(&k),
                    };
                }
                generation = g;
                applied += 1;
            }
            if !j.intact {
                journal_note = Some("the journal is damaged after its last readable write".into());
            }
        }
        Ok(None) => journal_note = Some("there is no journal".into()),
        Err(e) => journal_note = Some(e.to_string()),
    }
    let present = map
        .keys()
        .filter(|k| k.first() == Some(&KIND_META))
        .cloned()
        .collect();
    let (copies, _) = copies_of(map.iter(), keys, vault_id);
    Some(Replayed {
        generation,
        copies,
        present,
        source: format!(
            "the snapshot of {} plus {applied} journaled write(s) (generation {generation})",
            format_time(contents.written_at)
        ),
        journal_note,
    })
}

impl Vault {
    /// Reads and authenticates everything in the vault directory and reports on it. Works
    /// on a vault that no longer opens (that is when it is needed most).
    pub fn verify(dir: &Path, passphrase: &[u8]) -> Result<VerifyReport> {
        let _lock = files::VaultLock::acquire(dir, files::writable(dir))?;
        let s = survey(dir, passphrase)?;
        let mut r = VerifyReport::default();
        match &s.header_note {
            None => r.fine(format!(
                "header: intact (format {}, store {})",
                super::FORMAT_VERSION,
                s.header.store
            )),
            Some(why) => r.bad(format!(
                "header: damaged ({why}); its backup header.bak is intact (any command repairs the header)"
            )),
        }
        let account = s.header.account(&s.keys.header);
        let store = &s.store;
        if let Err(e) = &store.opened {
            r.bad(format!("store: cannot be opened: {e}"));
        } else {
            match (&store.state, account) {
                (Some(state), Some(acc)) => {
                    let expected = account_of(&s.keys, &s.header, state);
                    if acc.generation == state.generation && acc == expected {
                        r.fine(format!(
                            "store: at write generation {}, as the header records",
                            state.generation
                        ));
                    } else if state.generation == acc.generation + 1 {
                        r.fine(format!(
                            "store: one write ahead of the header (generation {}; an interrupted write that the next command completes)",
                            state.generation
                        ));
                    } else if state.generation < acc.generation {
                        r.bad(format!(
                            "store: at write generation {} but the header records {}: {} write(s) were lost",
                            state.generation,
                            acc.generation,
                            acc.generation - state.generation
                        ));
                    } else {
                        r.bad(format!(
                            "store: at write generation {} but the header records {}: one of them was replaced",
                            state.generation, acc.generation
                        ));
                    }
                    if store.sync_sum != state.sync_sum {
                        r.bad(format!(
                            "sync state: its {} record(s) do not add up (replayed, removed or added)",
                            store.synced
                        ));
                    } else if store.synced > 0 {
                        r.fine(format!("sync state: {} record(s), intact", store.synced));
                    }
                    let bad_buckets = store.tally.mismatches(state);
                    if bad_buckets.is_empty() && store.tally.count == state.count {
                        r.fine(format!(
                            "commitment: every group of records adds up ({} secret(s))",
                            state.count
                        ));
                    } else {
                        r.bad(format!(
                            "commitment: {} group(s) of records do not add up and the store holds {} secret record(s) where {} are recorded (records damaged, replayed, removed or added)",
                            bad_buckets.len(),
                            store.tally.count,
                            state.count
                        ));
                    }
                }
                (None, _) => r.bad("store: its state record is missing or damaged".into()),
                (_, None) => {
                    if s.header_note.is_none() {
                        r.bad("header: its account of the store does not authenticate".into())
                    }
                }
            }
            let whole = store
                .copies
                .values()
                .filter(|c| c.body_blob.is_some())
                .count();
            r.fine(format!(
                "records: {whole} secret(s) read and authenticated in full"
            ));
            if !store.damaged.is_empty() {
                r.bad(format!(
                    "records: {} could not be read: {}",
                    store.damaged.len(),
                    super::list_some(&store.damaged)
                ));
            }
            if store.unknown_kinds > 0 {
                r.bad(format!(
                    "records: {} of a kind this sesame does not know (written by a newer sesame?)",
                    store.unknown_kinds
                ));
            }
            if let Some(e) = &store.scan_error {
                r.bad(format!("records: reading stopped early: {e}"));
            }
        }
        match super::journal::read(dir, &s.keys.snapshot, &s.header.vault_id) {
            Ok(Some(j)) if j.intact => r.fine(format!(
                "journal: intact, {} write(s) since generation {}",
                j.writes.len(),
                j.base
            )),
            Ok(Some(j)) => r.bad(format!(
                "journal: damaged after {} readable write(s) since generation {}",
                j.writes.len(),
                j.base
            )),
            Ok(None) => r.fine("journal: none yet (the next write starts one)".into()),
            Err(e) => r.bad(format!("journal: {e}")),
        }
        let snaps = snapshot::list(dir);
        if snaps.is_empty() {
            r.fine(
                "snapshots: none yet (one is written a few minutes after the first change)".into(),
            );
        }
        for f in &snaps {
            match read_snapshot_copies(f, &s.keys, &s.header.vault_id) {
                Ok((c, copies, damaged)) if c.intact && damaged == 0 => r.fine(format!(
                    "snapshot of generation {} ({}): intact, {} secret(s)",
                    c.generation,
                    format_time(c.written_at),
                    copies.len()
                )),
                Ok((c, copies, damaged)) => r.bad(format!(
                    "snapshot of generation {} ({}): damaged; {} secret(s) readable, {damaged} record(s) not",
                    c.generation,
                    format_time(c.written_at),
                    copies.len()
                )),
                Err(e) => r.bad(format!("snapshot {}: {e}", f.path.display())),
            }
        }
        Ok(r)
    }

    /// Builds a new store from the newest good copy of every secret: the live store's
    /// readable records and the snapshots'. In place (the damaged store is moved aside and
    /// kept), or into `output`, a new vault directory (the original is left untouched).
    pub fn recover(dir: &Path, passphrase: &[u8], output: Option<&Path>) -> Result<RecoverReport> {
        let writable = files::writable(dir);
        if output.is_none() && !writable {
            return Err(Error::ReadOnly(format!(
                "the vault at {} is read-only: recover into a new directory with --output DIR",
                dir.display()
            )));
        }
        let _lock = files::VaultLock::acquire(dir, writable)?;
        let s = survey(dir, passphrase)?;
        let mut report = RecoverReport::default();
        let account = s.header.account(&s.keys.header);
        let store = &s.store;
        // Which secrets exist now, if some source can say: the store when it is whole and
        // current, else the snapshot + journal replay when it reaches the header's
        // generation. A secret absent from that source was deleted, not lost.
        let replayed = replay(dir, &s.keys, &s.header.vault_id);
        let store_whole = store.opened.is_ok()
            && store.scan_error.is_none()
            && store.damaged_keys.is_empty()
            && match (&store.state, account) {
                (Some(st), Some(acc)) => {
                    st.generation >= acc.generation && store.tally.mismatches(st).is_empty()
                }
                _ => false,
            };
        let replay_whole = replayed
            .as_ref()
            .is_some_and(|r| account.is_some_and(|a| r.generation >= a.generation));
        let store_keys: BTreeSet<Vec<u8>> = store
            .copies
            .values()
            .map(|c| s.keys.secret_key(KIND_META, c.meta.scope, &c.meta.name))
            .chain(store.damaged_keys.iter().cloned())
            .collect();
        let exists = |id: &Id| -> bool {
            let k = s.keys.secret_key(KIND_META, id.0, &id.1);
            if store_whole {
                store_keys.contains(&k)
            } else if let (true, Some(r)) = (replay_whole, &replayed) {
                r.present.contains(&k)
            } else {
                true
            }
        };

        let mut chosen: BTreeMap<Id, (Copy, String)> = BTreeMap::new();
        let mut generation = store.state.as_ref().map_or(0, |st| st.generation);
        generation = generation.max(account.map_or(0, |a| a.generation));
        let mut skipped_deleted = BTreeSet::new();
        let mut offer =
            |chosen: &mut BTreeMap<Id, (Copy, String)>, id: &Id, copy: &Copy, source: &str| {
                if copy.body_blob.is_none() {
                    return;
                }
                if !exists(id) {
                    skipped_deleted.insert(id.clone());
                    return;
                }
                let newer = chosen
                    .get(id)
                    .is_none_or(|(c, _)| copy.meta.generation > c.meta.generation);
                if newer {
                    chosen.insert(id.clone(), (copy.clone(), source.to_string()));
                }
            };
        for (id, copy) in &store.copies {
            offer(&mut chosen, id, copy, "the store");
        }
        if let Some(r) = &replayed {
            generation = generation.max(r.generation);
            for (id, copy) in &r.copies {
                offer(&mut chosen, id, copy, &r.source);
            }
            if let Some(n) = &r.journal_note {
                report.notes.push(format!("journal: {n}"));
            }
        }
        for f in snapshot::list(dir) {
            let (contents, copies, _) = match read_snapshot_copies(&f, &s.keys, &s.header.vault_id)
            {
                Ok(x) => x,
                Err(e) => {
                    report
                        .notes
                        .push(format!("snapshot {} was skipped: {e}", f.path.display()));
                    continue;
                }
            };
            generation = generation.max(contents.generation);
            let source = format!(
                "the snapshot of {} (generation {})",
                format_time(contents.written_at),
                contents.generation
            );
            for (id, copy) in &copies {
                offer(&mut chosen, id, copy, &source);
            }
        }
        for (id, (copy, source)) in &chosen {
            let note = if source == "the store" {
                String::new()
            } else if store.copies.contains_key(id) {
                " (the store's copy is damaged or older)".to_string()
            } else if store.opened.is_ok()
                && store.state.is_some()
                && account.is_some_and(|a| {
                    store
                        .state
                        .as_ref()
                        .is_some_and(|st| st.generation >= a.generation)
                })
            {
                " (not in the store; it may have been deleted since that snapshot)".to_string()
            } else {
                String::new()
            };
            report.recovered.push(format!(
                "{} ({}): version {} from {source}{note}",
                id.1, id.0, copy.meta.version
            ));
        }
        for (id, copy) in &store.copies {
            if !chosen.contains_key(id) {
                report.lost.push(format!(
                    "{} ({}): its values are damaged and no snapshot holds them (version {} is lost)",
                    id.1, id.0, copy.meta.version
                ));
            }
        }
        let named: BTreeSet<Vec<u8>> = chosen
            .keys()
            .map(|id| s.keys.secret_key(KIND_META, id.0, &id.1))
            .collect();
        let unnamed = store
            .damaged_keys
            .iter()
            .filter(|k| !named.contains(*k))
            .count();
        if unnamed > 0 {
            report.lost.push(format!(
                "{unnamed} damaged record(s) of the store that no snapshot holds (their names are sealed inside them, so they cannot be named)"
            ));
        }
        if let Err(e) = &store.opened {
            report.notes.push(format!(
                "the store could not be opened ({e}); everything came from snapshots"
            ));
        }
        if store.trashed > 0 {
            report.notes.push(format!(
                "{} secret(s) in the trash were not carried over (recovery brings back live secrets)",
                store.trashed
            ));
        }
        if let Some(acc) = account.filter(|_| s.header_note.is_none())
            && (chosen.len() as u64) < acc.count
        {
            report.lost.push(format!(
                "the header records {} secret(s) and {} could be found: {} written after the newest snapshot and its journal, or whose records are all damaged, could not be recovered",
                acc.count,
                chosen.len(),
                acc.count - chosen.len() as u64
            ));
        }
        if !skipped_deleted.is_empty() {
            report.notes.push(format!(
                "{} secret(s) found only in snapshots were deleted since and were not brought back",
                skipped_deleted.len()
            ));
        }

        // Build the new store: records move as they are (same key, same place).
        let target = output.unwrap_or(dir);
        if let Some(out) = output {
            files::create_vault_dir(out)?;
        }
        let _out_lock = match output {
            Some(out) => Some(files::VaultLock::acquire(out, true)?),
            None => None,
        };
        let mut builder = Builder::new(
            target,
            Keys::new(s.keys.vault.clone()),
            s.header.vault_id,
            generation + 1,
        )?;
        // Sync state is not carried over (the next sync compares contents with each
        // backend), but its key is, when the store's state is readable.
        if let Some(st) = &store.state {
            builder.state.sync_key = st.sync_key;
        }
        if store.synced > 0 || store.opened.is_err() {
            report.notes.push(
                "sync state was not carried over: the next sync with each backend compares contents"
                    .into(),
            );
        }
        for (copy, _) in chosen.values() {
            let mk = s
                .keys
                .secret_key(KIND_META, copy.meta.scope, &copy.meta.name);
            let bk = s
                .keys
                .secret_key(KIND_BODY, copy.meta.scope, &copy.meta.name);
            builder.put_raw(&mk, copy.meta_blob.clone())?;
            builder.put_raw(
                &bk,
                copy.body_blob.clone().expect("chosen copies have values"),
            )?;
        }
        let old_store = s.header.store_dir(dir);
        let built = builder.finish(s.header.clone())?;
        if output.is_none() && old_store.exists() {
            let kept = dir.join(format!("damaged-{}", crate::secret::now()));
            std::fs::rename(&old_store, &kept)
                .map_err(|e| files::io_err("cannot move the damaged store", &old_store, e))?;
            files::sync_dir(dir)?;
            report.notes.push(format!(
                "the damaged store was moved to {}; delete it once you are satisfied (it may hold deleted secrets, sealed)",
                kept.display()
            ));
        }
        if let Some(why) = &s.header_note {
            report.notes.push(format!(
                "the header was damaged ({why}) and was rebuilt from header.bak"
            ));
        }
        // The snapshot of the rebuilt store (generation + 1, as the builder was told).
        built.snapshot.install(&built.keys, &s.header.vault_id)?;
        drop(built.store);
        report.vault = target.to_path_buf();
        Ok(report)
    }
}
