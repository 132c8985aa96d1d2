//! The vault header: its own small file, outside sled, replaced atomically on every change.
//! It holds what unlocking needs (vault id, KDF parameters, salt, the wrapped vault key),
//! the name of the live store directory, and a sealed account of the store (write
//! generation, secret count, digest of the store's state record) so a store that lost
//! writes or was rolled back is noticed before anything is read or written.
//!
//! Layout, fixed for every format: `MAGIC (8) | format u32 | body length u32 | body |
//! BLAKE2b-256 of everything before (32)`. The checksum tells a damaged header from a wrong
//! passphrase; `header.bak` keeps a second copy of the key block (rewritten whenever that
//! block changes) for when the header itself is damaged.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::codec;
use super::files;
use crate::crypto::{self, KdfParams, Key};
use crate::error::{Error, Result};

pub const HEADER_FILE: &str = "header";
pub const BACKUP_FILE: &str = "header.bak";
const MAGIC: &[u8; 8] = b"SESAMEVH";
const PREFIX_LEN: usize = 16;
const CHECKSUM_LEN: usize = 32;
/// A real header is a few hundred bytes; anything past this is not one.
const MAX_BODY: usize = 16 * 1024;
const WRAP_AD: &[u8] = b"sesame-vault-key-v2";
const STATE_AD: &[u8] = b"sesame-header-state-v2";
/// The live store's directory name: `store-` and 16 hex digits.
pub const STORE_PREFIX: &str = "store-";

/// The unsealed part of the header: enough to derive the key-encryption key and find the store.
#[derive(Clone, Serialize, Deserialize)]
pub struct Header {
    pub vault_id: [u8; 16],
    pub kdf: KdfParams,
    pub salt: [u8; 32],
    pub wrapped_key: Vec<u8>,
    pub store: String,
    /// [`Account`] sealed under the header key (derived from the vault key).
    pub sealed_account: Vec<u8>,
}

/// What the store should hold, as last committed: checked against the store's own state
/// record on every open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub generation: u64,
    pub count: u64,
    pub state_digest: [u8; 32],
}

/// Why a header file could not be used.
pub enum ReadError {
    Missing,
    /// Damaged or not a header: the reason, for the message.
    Damaged(String),
    /// Written by a newer sesame.
    Newer(u32),
    Io(std::io::Error),
}

impl Header {
    /// A header for `vault_key`, wrapped under a key derived from `passphrase` with a fresh salt.
    pub fn wrap(
        vault_key: &Key,
        vault_id: [u8; 16],
        passphrase: &[u8],
        kdf: KdfParams,
        store: String,
    ) -> Result<Header> {
        let salt: [u8; 32] = crypto::random_array();
        let kek = kdf.derive(passphrase, &salt)?;
        Ok(Header {
            vault_id,
            kdf,
            salt,
            wrapped_key: crypto::seal(&kek, &wrap_ad(&vault_id), vault_key.as_bytes()),
            store,
            sealed_account: Vec::new(),
        })
    }

    /// The vault key, or `None` for a wrong passphrase. The KDF parameters were bounded
    /// when the header was parsed.
    pub fn unwrap_key(&self, passphrase: &[u8]) -> Result<Option<Key>> {
        let kek = self.kdf.derive(passphrase, &self.salt)?;
        Ok(self.unwrap_with(&kek))
    }

    pub fn unwrap_with(&self, kek: &Key) -> Option<Key> {
        let plain = crypto::open(kek, &wrap_ad(&self.vault_id), &self.wrapped_key).ok()?;
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(Key::from_bytes(bytes))
    }

    pub fn set_account(&mut self, header_key: &Key, account: &Account) {
        self.sealed_account = crypto::seal(header_key, &self.account_ad(), &codec::encode(account));
    }

    /// The sealed account, or `None` if it fails to authenticate (damaged, or sealed for
    /// another store).
    pub fn account(&self, header_key: &Key) -> Option<Account> {
        let plain = crypto::open(header_key, &self.account_ad(), &self.sealed_account).ok()?;
        codec::decode(&plain)
    }

    fn account_ad(&self) -> Vec<u8> {
        [STATE_AD, &self.vault_id, self.store.as_bytes()].concat()
    }

    pub fn encode(&self) -> Vec<u8> {
        let body = codec::encode(self);
        let mut out = Vec::with_capacity(PREFIX_LEN + body.len() + CHECKSUM_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&super::FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    pub fn decode(bytes: &[u8]) -> std::result::Result<Header, ReadError> {
        let damaged = |why: &str| Err(ReadError::Damaged(why.to_string()));
        if bytes.len() < PREFIX_LEN + CHECKSUM_LEN || &bytes[..8] != MAGIC {
            return damaged("it is not a sesame header");
        }
        let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
        // The frame (magic, format, length, body, checksum) is the same in every format, so
        // the checksum is checked first: a flipped format number is damage, not a newer
        // sesame.
        if len > MAX_BODY || bytes.len() != PREFIX_LEN + len + CHECKSUM_LEN {
            return damaged("its length is wrong (truncated or padded)");
        }
        let (content, sum) = bytes.split_at(PREFIX_LEN + len);
        if checksum(content) != sum {
            return damaged("its checksum does not match (the file was changed or corrupted)");
        }
        if format > super::FORMAT_VERSION {
            return Err(ReadError::Newer(format));
        }
        if format != super::FORMAT_VERSION {
            return damaged("its format number is not one this sesame knows");
        }
        let header: Header = match codec::decode(&content[PREFIX_LEN..]) {
            Some(h) => h,
            None => return damaged("its contents do not parse"),
        };
        if header.wrapped_key.len() != 32 + crypto::seal::OVERHEAD
            || !valid_store_name(&header.store)
        {
            return damaged("its fields are malformed");
        }
        Ok(header)
    }

    /// Reads `dir/name`, bounding the size and refusing a symlink.
    pub fn read(dir: &Path, name: &str) -> std::result::Result<Header, ReadError> {
        match files::read_limited(
            &dir.join(name),
            (PREFIX_LEN + MAX_BODY + CHECKSUM_LEN) as u64,
        ) {
            Ok(bytes) => Header::decode(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReadError::Missing),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                Err(ReadError::Damaged("it is a symbolic link".into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(ReadError::Damaged(e.to_string()))
            }
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// Writes the header atomically and durably. With `backup`, `header.bak` is replaced
    /// first (the key block changed: init, passwd, a new store).
    pub fn write(&self, dir: &Path, backup: bool) -> Result<()> {
        let bytes = self.encode();
        if backup {
            files::replace_file(&dir.join(BACKUP_FILE), &bytes)?;
        }
        files::replace_file(&dir.join(HEADER_FILE), &bytes)
    }

    pub fn store_dir(&self, dir: &Path) -> PathBuf {
        dir.join(&self.store)
    }
}

pub fn new_store_name() -> String {
    let id: [u8; 8] = crypto::random_array();
    format!("{STORE_PREFIX}{}", files::hex(&id))
}

pub fn valid_store_name(name: &str) -> bool {
    name.strip_prefix(STORE_PREFIX).is_some_and(|h| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn wrap_ad(vault_id: &[u8; 16]) -> Vec<u8> {
    [WRAP_AD, vault_id.as_slice()].concat()
}

pub(super) fn checksum(bytes: &[u8]) -> [u8; 32] {
    use blake2::Digest;
    blake2::Blake2b::<blake2::digest::consts::U32>::digest(bytes).into()
}

impl ReadError {
    pub fn into_error(self, dir: &Path, name: &str) -> Error {
        let path = dir.join(name);
        match self {
            ReadError::Missing => Error::CorruptVault {
                path: dir.to_path_buf(),
                what: format!("{} is missing", path.display()),
            },
            ReadError::Damaged(why) => Error::CorruptVault {
                path: dir.to_path_buf(),
                what: format!("{} is damaged: {why}", path.display()),
            },
            ReadError::Newer(found) => Error::UnsupportedVersion {
                path: dir.to_path_buf(),
                found,
                supported: super::FORMAT_VERSION,
            },
            ReadError::Io(e) => files::io_err("cannot read", &path, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> KdfParams {
        KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn roundtrip_wrap_and_account() {
        let key = Key::random();
        let mut h = Header::wrap(&key, [3; 16], b"pw", small(), new_store_name()).unwrap();
        let hk = key.derive("header");
        let acc = Account {
            generation: 7,
            count: 2,
            state_digest: [9; 32],
        };
        h.set_account(&hk, &acc);
        let back = Header::decode(&h.encode()).ok().unwrap();
        assert_eq!(
            back.unwrap_key(b"pw").unwrap().unwrap().as_bytes(),
            key.as_bytes()
        );
        assert!(back.unwrap_key(b"nope").unwrap().is_none());
        assert_eq!(back.account(&hk), Some(acc));
        // The account is bound to the store it describes.
        let mut moved = back.clone();
        moved.store = new_store_name();
        assert_eq!(moved.account(&hk), None);
    }

    #[test]
    fn every_flipped_byte_is_damage_not_a_wrong_passphrase() {
        let key = Key::random();
        let h = Header::wrap(&key, [3; 16], b"pw", small(), new_store_name()).unwrap();
        let bytes = h.encode();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            match Header::decode(&b) {
                Err(ReadError::Damaged(_)) => {}
                _ => panic!("flip at {i} not reported as damage"),
            }
        }
        assert!(matches!(
            Header::decode(&bytes[..bytes.len() - 1]),
            Err(ReadError::Damaged(_))
        ));
    }

    #[test]
    fn newer_formats_are_refused_not_guessed() {
        let key = Key::random();
        let mut bytes = Header::wrap(&key, [3; 16], b"pw", small(), new_store_name())
            .unwrap()
            .encode();
        bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
        let end = bytes.len() - CHECKSUM_LEN;
        let sum = checksum(&bytes[..end]);
        bytes[end..].copy_from_slice(&sum);
        assert!(matches!(Header::decode(&bytes), Err(ReadError::Newer(3))));
    }
}
