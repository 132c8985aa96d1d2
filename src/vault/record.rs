//! Records as stored: their kinds, their opaque sled keys, the keys that seal them, and the
//! versioned payloads. Every sealed plaintext starts with its record-format version, so a
//! later format can add fields by adding a version (decoded here, upgraded in one place).
//!
//! Binding: a record's associated data names the vault and its own sled key (it cannot be
//! moved or copied elsewhere); a `body` also names the write generation and version of the
//! `meta` it belongs to, so an older body under a newer meta fails to open. Freshness of the
//! metas themselves is the commitment's job (`state.rs`).

use serde::{Deserialize, Serialize};

use super::codec;
use crate::crypto::{self, Key};
use crate::secret::{Scope, SecretMeta, SecretName, Timestamp, Values, Version};

/// Record-format version written into every sealed plaintext.
pub const RECORD_VERSION: u8 = 2;

/// A secret's metadata (what lists need). Committed to by the state record.
pub const KIND_META: u8 = b'm';
/// A secret's values and history. Bound to its meta.
pub const KIND_BODY: u8 = b'b';
/// The state record (generation, count, commitment). One per store.
pub const KIND_STATE: u8 = b'#';
/// A deleted secret's metadata, kept in the trash until purged. Committed to like a meta.
pub const KIND_TRASH: u8 = b't';
/// A deleted secret's values, bound to its trash record.
pub const KIND_TRASH_BODY: u8 = b'u';
/// What a backend held of a secret at the last sync (content hash, remote version).
pub const KIND_SYNC: u8 = b's';
/// The record kinds a store of this format may hold; anything else is from a newer sesame.
pub const KNOWN_KINDS: [u8; 6] = [
    KIND_META,
    KIND_BODY,
    KIND_STATE,
    KIND_TRASH,
    KIND_TRASH_BODY,
    KIND_SYNC,
];
/// Kinds whose records are counted in the commitment (the others hang off one of them).
pub const ANCHORED_KINDS: [u8; 2] = [KIND_META, KIND_TRASH];

/// Bytes of the keyed hash of (scope, name) in record keys: 128 bits, so a collision needs
/// ~2^64 secrets (names are not chosen by someone who knows the index key).
pub const NAME_HASH_LEN: usize = 16;
const RECORD_AD: &[u8] = b"sesame-record-v2";

/// The sub-keys of a vault key, each for one purpose.
pub struct Keys {
    pub vault: Key,
    /// Seals records.
    pub record: Key,
    /// Turns (scope, name) into opaque sled keys.
    pub index: Key,
    /// Hashes records into the commitment.
    pub commit: Key,
    /// `commit`, keyed once: cloned per record.
    commit_mac: crypto::Mac,
    /// Seals the header's account.
    pub header: Key,
    /// Authenticates snapshot files.
    pub snapshot: Key,
}

impl Keys {
    pub fn new(vault: Key) -> Keys {
        Keys {
            record: vault.derive("records"),
            index: vault.derive("name-index"),
            commit_mac: crypto::Mac::new(&vault.derive("commit")),
            commit: vault.derive("commit"),
            header: vault.derive("header"),
            snapshot: vault.derive("snapshots"),
            vault,
        }
    }

    /// Opaque sled key of one record of a secret: `kind || H(index key, scope, name)[..16]`.
    pub fn secret_key(&self, kind: u8, scope: Scope, name: &SecretName) -> Vec<u8> {
        let n = name.as_str().as_bytes();
        let h = self
            .index
            .keyed_hash(&[&[scope.tag()], &(n.len() as u32).to_le_bytes(), n]);
        let mut k = Vec::with_capacity(1 + NAME_HASH_LEN);
        k.push(kind);
        k.extend_from_slice(&h[..NAME_HASH_LEN]);
        k
    }

    /// The key of another record of the same secret: the name's hash does not depend on
    /// the kind, so only the kind byte changes.
    pub fn sibling(key: &[u8], kind: u8) -> Vec<u8> {
        let mut k = key.to_vec();
        k[0] = kind;
        k
    }

    /// Key of a trash record: like the secret's, then the generation that deleted it (big
    /// endian, so a name's deletions sort oldest first), so one name can be deleted again.
    pub fn trash_key(&self, kind: u8, scope: Scope, name: &SecretName, generation: u64) -> Vec<u8> {
        let mut k = self.secret_key(kind, scope, name);
        k.extend_from_slice(&generation.to_be_bytes());
        k
    }

    /// Key of a sync-state record: `s || H(backend)[..8] || H(scope, name)[..16]`, so one
    /// backend's records are one prefix scan.
    pub fn sync_key(&self, backend: &str, scope: Scope, name: &SecretName) -> Vec<u8> {
        let mut k = self.sync_prefix(backend);
        k.extend_from_slice(&self.secret_key(KIND_SYNC, scope, name)[1..]);
        k
    }

    /// The prefix of a backend's sync-state records.
    pub fn sync_prefix(&self, backend: &str) -> Vec<u8> {
        let b = backend.as_bytes();
        let h = self
            .index
            .keyed_hash(&[b"sync-backend", &(b.len() as u32).to_le_bytes(), b]);
        let mut k = Vec::with_capacity(1 + 8 + NAME_HASH_LEN);
        k.push(KIND_SYNC);
        k.extend_from_slice(&h[..8]);
        k
    }

    pub fn state_key() -> Vec<u8> {
        vec![KIND_STATE]
    }

    /// Associated data of a record: the vault, its own key, and (for a body) the meta write
    /// it belongs to.
    pub fn ad(vault_id: &[u8; 16], key: &[u8], bound: Option<Binding>) -> Vec<u8> {
        let mut ad = Vec::with_capacity(RECORD_AD.len() + 16 + key.len() + 16);
        ad.extend_from_slice(RECORD_AD);
        ad.extend_from_slice(vault_id);
        ad.extend_from_slice(&(key.len() as u32).to_le_bytes());
        ad.extend_from_slice(key);
        if let Some(b) = bound {
            ad.extend_from_slice(&b.generation.to_le_bytes());
            ad.extend_from_slice(&b.version.to_le_bytes());
        }
        ad
    }

    /// Seals a payload as a record: version byte, then the encoded payload.
    pub fn seal<T: Serialize>(
        &self,
        vault_id: &[u8; 16],
        key: &[u8],
        bound: Option<Binding>,
        payload: &T,
    ) -> Vec<u8> {
        // The version byte, then the payload: a `u8` encodes as itself, so the pair encodes
        // as exactly those bytes.
        let plain = codec::encode(&(RECORD_VERSION, payload));
        crypto::seal(&self.record, &Keys::ad(vault_id, key, bound), &plain)
    }

    /// Opens a record sealed by [`Keys::seal`].
    pub fn open<T: serde::de::DeserializeOwned>(
        &self,
        vault_id: &[u8; 16],
        key: &[u8],
        bound: Option<Binding>,
        blob: &[u8],
    ) -> Result<T, OpenFailure> {
        let plain = crypto::open(&self.record, &Keys::ad(vault_id, key, bound), blob)
            .map_err(|_| OpenFailure::Damaged)?;
        match plain.first() {
            Some(&RECORD_VERSION) => codec::decode(&plain[1..]).ok_or(OpenFailure::Damaged),
            // Authentic, so not damage: a newer sesame wrote it.
            Some(&v) if v > RECORD_VERSION => Err(OpenFailure::Newer(v)),
            _ => Err(OpenFailure::Damaged),
        }
    }

    /// The record's contribution to its bucket of the commitment: a keyed hash of its key,
    /// the blob's nonce and its Poly1305 tag. Nonce and tag identify a sealed blob: another
    /// blob with the same pair would have to authenticate without the key (a forgery), and
    /// one that does not authenticate is reported as damaged anyway. Hashing 64 bytes
    /// instead of the whole blob keeps listing 100k secrets cheap.
    pub fn commit_hash(&self, key: &[u8], blob: &[u8]) -> u128 {
        let mut mac = self.commit_mac.clone();
        mac.update(&(key.len() as u32).to_le_bytes());
        mac.update(key);
        let n = crypto::seal::NONCE_LEN.min(blob.len());
        let t = blob.len().saturating_sub(crypto::seal::TAG_LEN).max(n);
        mac.update(&blob[..n]);
        mac.update(&blob[t..]);
        mac.update(&(blob.len() as u64).to_le_bytes());
        let h = mac.finalize();
        u128::from_le_bytes(h[..16].try_into().expect("16 bytes"))
    }
}

/// Why a record did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFailure {
    /// Fails authentication or does not parse: damaged, tampered with, or misplaced.
    Damaged,
    /// Authentic, but written in a record format newer than this sesame knows.
    Newer(u8),
}

/// Which meta write a body belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub generation: u64,
    pub version: u64,
}

/// Format-2 meta record. Frozen: a change means a new record version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetaV2 {
    pub name: SecretName,
    pub scope: Scope,
    pub schema: String,
    pub keys: Vec<String>,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub version: u64,
    /// The write generation that wrote this meta and its body.
    pub generation: u64,
}

impl MetaV2 {
    pub fn binding(&self) -> Binding {
        Binding {
            generation: self.generation,
            version: self.version,
        }
    }

    pub fn public(&self) -> SecretMeta {
        SecretMeta {
            name: self.name.clone(),
            scope: self.scope,
            schema: self.schema.clone(),
            keys: self.keys.clone(),
            created: self.created,
            updated: self.updated,
            version: self.version,
        }
    }

    /// [`MetaV2::public`], taking it apart instead of copying.
    pub fn into_public(self) -> SecretMeta {
        SecretMeta {
            name: self.name,
            scope: self.scope,
            schema: self.schema,
            keys: self.keys,
            created: self.created,
            updated: self.updated,
            version: self.version,
        }
    }

    pub fn from_public(m: &SecretMeta, generation: u64) -> MetaV2 {
        MetaV2 {
            name: m.name.clone(),
            scope: m.scope,
            schema: m.schema.clone(),
            keys: m.keys.clone(),
            created: m.created,
            updated: m.updated,
            version: m.version,
            generation,
        }
    }
}

/// Format-2 body record: current values and earlier versions, newest first.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BodyV2 {
    pub values: Values,
    pub history: Vec<VersionV2>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VersionV2 {
    pub version: u64,
    pub schema: String,
    pub updated: Timestamp,
    pub values: Values,
}

impl From<&Version> for VersionV2 {
    fn from(v: &Version) -> VersionV2 {
        VersionV2 {
            version: v.version,
            schema: v.schema.clone(),
            updated: v.updated,
            values: v.values.clone(),
        }
    }
}

impl From<VersionV2> for Version {
    fn from(v: VersionV2) -> Version {
        Version {
            version: v.version,
            schema: v.schema,
            updated: v.updated,
            values: v.values,
        }
    }
}

/// A short printable id for a record whose name cannot be read (its name is sealed inside).
pub fn record_id(key: &[u8]) -> String {
    key.iter()
        .skip(1)
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_key_is_the_key_of_that_kind() {
        let keys = Keys::new(crate::crypto::Key::random());
        for (scope, name) in [(Scope::User, "db"), (Scope::Workspace, "web-api")] {
            let name = SecretName::new(name).unwrap();
            let meta = keys.secret_key(KIND_META, scope, &name);
            assert_eq!(
                Keys::sibling(&meta, KIND_BODY),
                keys.secret_key(KIND_BODY, scope, &name)
            );
        }
    }

    #[test]
    fn the_version_byte_and_payload_encode_as_before() {
        // Records written before `seal` encoded the pair: the version byte, then the payload.
        let m = meta(3, 4);
        let mut old = vec![RECORD_VERSION];
        old.extend_from_slice(&codec::encode(&m));
        assert_eq!(
            codec::encode(&(RECORD_VERSION, &m)).as_slice(),
            old.as_slice()
        );
    }

    fn meta(generation: u64, version: u64) -> MetaV2 {
        MetaV2 {
            name: SecretName::new("db").unwrap(),
            scope: Scope::User,
            schema: "arbitrary".into(),
            keys: vec!["k".into()],
            created: 1,
            updated: 2,
            version,
            generation,
        }
    }

    #[test]
    fn a_body_opens_only_under_the_meta_write_it_belongs_to() {
        let keys = Keys::new(Key::random());
        let id = [1; 16];
        let k = keys.secret_key(KIND_BODY, Scope::User, &SecretName::new("db").unwrap());
        let m = meta(5, 2);
        let blob = keys.seal(&id, &k, Some(m.binding()), &BodyV2::default());
        assert!(
            keys.open::<BodyV2>(&id, &k, Some(m.binding()), &blob)
                .is_ok()
        );
        for other in [meta(6, 2), meta(5, 3)] {
            assert_eq!(
                keys.open::<BodyV2>(&id, &k, Some(other.binding()), &blob)
                    .unwrap_err(),
                OpenFailure::Damaged
            );
        }
    }

    #[test]
    fn a_newer_record_version_is_named_not_called_damage() {
        let keys = Keys::new(Key::random());
        let id = [1; 16];
        let k = Keys::state_key();
        let mut plain = vec![RECORD_VERSION + 1];
        plain.extend_from_slice(&codec::encode(&7u64));
        let blob = crypto::seal(&keys.record, &Keys::ad(&id, &k, None), &plain);
        assert_eq!(
            keys.open::<u64>(&id, &k, None, &blob).unwrap_err(),
            OpenFailure::Newer(RECORD_VERSION + 1)
        );
        let ok = keys.seal(&id, &k, None, &7u64);
        assert_eq!(keys.open::<u64>(&id, &k, None, &ok).unwrap(), 7);
    }

    #[test]
    fn keys_are_opaque_and_distinct_per_scope_and_kind() {
        let keys = Keys::new(Key::random());
        let n = SecretName::new("db").unwrap();
        let a = keys.secret_key(KIND_META, Scope::User, &n);
        let b = keys.secret_key(KIND_META, Scope::Workspace, &n);
        let c = keys.secret_key(KIND_BODY, Scope::User, &n);
        assert_ne!(a, b);
        assert_eq!(a[1..], c[1..]);
        assert!(!a.windows(2).any(|w| w == b"db"));
    }
}
