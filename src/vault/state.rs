//! The store's state record and the commitment it carries. Every write bumps the
//! generation and updates, per bucket (the first byte of a record's name hash), a keyed
//! multiset hash of the anchored records (metas): the sum, modulo 2^128, of
//! `H(commit key, sled key || sealed blob)`. A replayed older meta, a resurrected deleted
//! secret, or a removed one changes its bucket's sum; only someone with the vault key could
//! make it match. Bodies are bound to their metas (`record.rs`), so they need no entry.
//!
//! A bucket is checked by re-hashing its metas (a prefix scan of 1/256 of them), so a read
//! verifies what it serves without scanning the vault; a listing checks every bucket.

use serde::{Deserialize, Serialize};

use super::record::{ANCHORED_KINDS, KIND_META, Keys};
use crate::secret::Timestamp;

pub const BUCKETS: usize = 256;

/// Format-2 state record. Frozen: a change means a new record version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateV2 {
    /// Write generation: +1 on every committed write, never reused.
    pub generation: u64,
    /// Live secrets (meta records).
    pub count: u64,
    /// Per bucket, the sum of the anchored records' commit hashes.
    pub buckets: Vec<u128>,
    /// When the store was last rebuilt without its dead records (compaction).
    pub compacted_at: Timestamp,
    /// A secret was deleted since then: its sealed bytes may still sit in sled's log.
    pub scrub_pending: bool,
}

impl StateV2 {
    pub fn empty(now: Timestamp) -> StateV2 {
        StateV2 {
            generation: 0,
            count: 0,
            buckets: vec![0; BUCKETS],
            compacted_at: now,
            scrub_pending: false,
        }
    }

    /// A state record read from disk is input: its shape is checked before use.
    pub fn well_formed(&self) -> bool {
        self.buckets.len() == BUCKETS
    }

    /// Accounts for one record changing from `old` to `new` (either may be absent).
    pub fn account(&mut self, keys: &Keys, key: &[u8], old: Option<&[u8]>, new: Option<&[u8]>) {
        let Some(b) = bucket_of(key) else { return };
        if let Some(old) = old {
            self.buckets[b] = self.buckets[b].wrapping_sub(keys.commit_hash(key, old));
        }
        if let Some(new) = new {
            self.buckets[b] = self.buckets[b].wrapping_add(keys.commit_hash(key, new));
        }
        // The count is of live secrets (trash records are committed to, not counted).
        if key.first() == Some(&KIND_META) {
            match (old.is_some(), new.is_some()) {
                (false, true) => self.count += 1,
                (true, false) => self.count = self.count.saturating_sub(1),
                _ => {}
            }
        }
    }
}

/// The bucket an anchored record counts in; `None` for records outside the commitment.
pub fn bucket_of(key: &[u8]) -> Option<usize> {
    match key {
        [kind, b, ..] if ANCHORED_KINDS.contains(kind) => Some(usize::from(*b)),
        _ => None,
    }
}

/// Sums of commit hashes per bucket, built up while scanning records.
pub struct Tally {
    pub buckets: Vec<u128>,
    pub count: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            buckets: vec![0; BUCKETS],
            count: 0,
        }
    }
}

impl Tally {
    pub fn add(&mut self, keys: &Keys, key: &[u8], blob: &[u8]) {
        if let Some(b) = bucket_of(key) {
            self.buckets[b] = self.buckets[b].wrapping_add(keys.commit_hash(key, blob));
            if key.first() == Some(&KIND_META) {
                self.count += 1;
            }
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a = a.wrapping_add(b);
        }
        self.count += other.count;
    }

    /// Buckets whose sum differs from the state's.
    pub fn mismatches(&self, state: &StateV2) -> Vec<usize> {
        (0..BUCKETS)
            .filter(|&b| self.buckets[b] != state.buckets[b])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Key;

    #[test]
    fn sums_follow_changes_and_catch_replays() {
        let keys = Keys::new(Key::random());
        let mut s = StateV2::empty(0);
        let k1 = [b'm', 7, 1];
        let k2 = [b'm', 7, 2];
        s.account(&keys, &k1, None, Some(b"a1"));
        s.account(&keys, &k2, None, Some(b"b1"));
        s.account(&keys, &k1, Some(b"a1"), Some(b"a2"));
        assert_eq!(s.count, 2);

        let mut now = Tally::default();
        now.add(&keys, &k1, b"a2");
        now.add(&keys, &k2, b"b1");
        assert!(now.mismatches(&s).is_empty());
        assert_eq!(now.count, 2);

        // The older a1 replayed in place of a2: bucket 7 no longer adds up.
        let mut replayed = Tally::default();
        replayed.add(&keys, &k1, b"a1");
        replayed.add(&keys, &k2, b"b1");
        assert_eq!(replayed.mismatches(&s), vec![7]);

        // A deleted record coming back is caught the same way.
        s.account(&keys, &k2, Some(b"b1"), None);
        assert_eq!(s.count, 1);
        assert_eq!(now.mismatches(&s), vec![7]);
    }

    #[test]
    fn non_anchored_records_are_outside_the_commitment() {
        assert_eq!(bucket_of(b"b\x07xyz"), None);
        assert_eq!(bucket_of(b"#"), None);
        assert_eq!(bucket_of(b"m\x07xyz"), Some(7));
    }
}
