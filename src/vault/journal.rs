//! The journal: every committed write since the newest snapshot, appended as its sealed
//! records (one fsynced append per write), so that `recover` can replay the newest snapshot
//! plus the journal to the exact last state when the store itself is lost. It is reset
//! whenever a snapshot is written, so it holds at most a few minutes of writes. Normal opens
//! never read it.
//!
//! Layout: `MAGIC | format u32 | vault id (16) | base generation u64 | MAC (32)`, then per
//! write: `length u32 | generation u64 | count u32 | (key length u16, key, blob length u32
//! or u32::MAX for a removal, blob)* | MAC (32)`, each MAC a keyed BLAKE2b under the snapshot
//! key. Records stay sealed under the vault key: the journal reveals no more than the store.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::files;
use crate::crypto::{Key, Mac};
use crate::error::{Error, Result};

pub const JOURNAL_FILE: &str = "journal";
const MAGIC: &[u8; 8] = b"SESAMEJL";
const HEADER_LEN: usize = 8 + 4 + 16 + 8 + 32;
const REMOVED: u32 = u32::MAX;
/// A write bigger than this is not journaled: a snapshot is written right after it instead
/// (bulk imports, where a journal entry would be as large as a snapshot).
pub const MAX_ENTRY: usize = 4 * 1024 * 1024;

/// One record of a journaled write: `Some(blob)` written, `None` removed.
pub type Record = (Vec<u8>, Option<Vec<u8>>);

/// A journal as read back.
pub struct Replay {
    /// The generation the first entry follows (the snapshot it continues).
    pub base: u64,
    /// Writes in order, each with its generation; stops at the first damaged or missing one.
    pub writes: Vec<(u64, Vec<Record>)>,
    /// False when reading stopped at damage before the end of the file.
    pub intact: bool,
}

/// Starts a new, empty journal that continues snapshot (or state) `base` (atomic replace).
pub fn reset(dir: &Path, key: &Key, vault_id: &[u8; 16], base: u64) -> Result<()> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&super::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(vault_id);
    out.extend_from_slice(&base.to_le_bytes());
    let mut mac = Mac::new(key);
    mac.update(&out);
    out.extend_from_slice(&mac.finalize());
    files::replace_file(&dir.join(JOURNAL_FILE), &out)
}

/// Encodes one write as a journal entry, or `None` when it is too big to journal.
pub fn entry(key: &Key, generation: u64, records: &[Record]) -> Option<Vec<u8>> {
    let size: usize = records
        .iter()
        .map(|(k, b)| 6 + k.len() + b.as_ref().map_or(0, Vec::len))
        .sum::<usize>()
        + 12;
    if size > MAX_ENTRY {
        return None;
    }
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(&generation.to_le_bytes());
    body.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for (k, blob) in records {
        body.extend_from_slice(&(k.len() as u16).to_le_bytes());
        body.extend_from_slice(k);
        match blob {
            Some(b) => {
                body.extend_from_slice(&(b.len() as u32).to_le_bytes());
                body.extend_from_slice(b);
            }
            None => body.extend_from_slice(&REMOVED.to_le_bytes()),
        }
    }
    let mut out = Vec::with_capacity(body.len() + 36);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    let mut mac = Mac::new(key);
    mac.update(&out);
    out.extend_from_slice(&mac.finalize());
    Some(out)
}

/// Appends an encoded entry and fsyncs it.
pub fn append(dir: &Path, entry: &[u8]) -> Result<()> {
    let path = dir.join(JOURNAL_FILE);
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)?;
        f.write_all(entry)?;
        f.sync_data()
    };
    write().map_err(|e| files::io_err("cannot append to the journal", &path, e))
}

/// Reads the journal, tolerating damage: everything before the first bad entry is returned.
pub fn read(dir: &Path, key: &Key, vault_id: &[u8; 16]) -> Result<Option<Replay>> {
    let path = dir.join(JOURNAL_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(files::io_err("cannot read", &path, e)),
    };
    let mac_ok = |data: &[u8], tag: &[u8]| {
        let mut mac = Mac::new(key);
        mac.update(data);
        mac.finalize()[..] == *tag
    };
    if bytes.len() < HEADER_LEN
        || &bytes[..8] != MAGIC
        || bytes[12..28] != vault_id[..]
        || !mac_ok(
            &bytes[..HEADER_LEN - 32],
            &bytes[HEADER_LEN - 32..HEADER_LEN],
        )
    {
        return Err(Error::CorruptVault {
            path: dir.to_path_buf(),
            what: format!(
                "{} is not this vault's journal, or its start is damaged",
                path.display()
            ),
        });
    }
    let base = u64::from_le_bytes(bytes[28..36].try_into().expect("8 bytes"));
    let mut writes = Vec::new();
    let mut at = HEADER_LEN;
    let mut intact = true;
    while at < bytes.len() {
        let Some(parsed) = parse_entry(&bytes[at..], &mac_ok) else {
            intact = false;
            break;
        };
        at += parsed.0;
        writes.push(parsed.1);
    }
    Ok(Some(Replay {
        base,
        writes,
        intact,
    }))
}

type Parsed = (usize, (u64, Vec<Record>));

fn parse_entry(bytes: &[u8], mac_ok: &dyn Fn(&[u8], &[u8]) -> bool) -> Option<Parsed> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let total = 4usize.checked_add(len)?.checked_add(32)?;
    let all = bytes.get(..total)?;
    if !mac_ok(&all[..4 + len], &all[4 + len..]) {
        return None;
    }
    let body = &all[4..4 + len];
    let generation = u64::from_le_bytes(body.get(..8)?.try_into().ok()?);
    let count = u32::from_le_bytes(body.get(8..12)?.try_into().ok()?) as usize;
    let mut at = 12;
    let mut records = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        let klen = u16::from_le_bytes(body.get(at..at + 2)?.try_into().ok()?) as usize;
        at += 2;
        let k = body.get(at..at + klen)?.to_vec();
        at += klen;
        let blen = u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        if blen == REMOVED {
            records.push((k, None));
        } else {
            let b = body.get(at..at + blen as usize)?.to_vec();
            at += blen as usize;
            records.push((k, Some(b)));
        }
    }
    (at == body.len()).then_some((total, (generation, records)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_replay_in_order_and_damage_stops_the_replay() {
        let d = tempfile::tempdir().unwrap();
        let key = Key::random();
        let id = [7; 16];
        reset(d.path(), &key, &id, 4).unwrap();
        for g in 5..8 {
            let recs = vec![
                (vec![b'm', g as u8], Some(vec![g as u8; 10])),
                (vec![b'x'], None),
            ];
            append(d.path(), &entry(&key, g, &recs).unwrap()).unwrap();
        }
        let r = read(d.path(), &key, &id).unwrap().unwrap();
        assert_eq!(r.base, 4);
        assert!(r.intact);
        assert_eq!(r.writes.iter().map(|w| w.0).collect::<Vec<_>>(), [5, 6, 7]);
        assert_eq!(r.writes[1].1[0].1.as_deref(), Some(&[6u8; 10][..]));
        assert_eq!(r.writes[1].1[1].1, None);

        let path = d.path().join(JOURNAL_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 40;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let r = read(d.path(), &key, &id).unwrap().unwrap();
        assert!(!r.intact);
        assert_eq!(r.writes.len(), 2);
        // Another key (another vault, or a forger) reads nothing.
        assert!(read(d.path(), &Key::random(), &id).is_err());
    }

    #[test]
    fn huge_writes_are_not_journaled() {
        let key = Key::random();
        let big = vec![(vec![b'b'], Some(vec![0u8; MAX_ENTRY]))];
        assert!(entry(&key, 1, &big).is_none());
    }
}
