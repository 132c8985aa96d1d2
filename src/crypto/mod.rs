//! Key material and the two primitives the vault is built from: Argon2id to turn a passphrase
//! into a key-encryption key, and XChaCha20-Poly1305 with associated data to seal records.

pub mod kdf;
pub mod seal;

use zeroize::{Zeroize, ZeroizeOnDrop};

pub use kdf::KdfParams;
pub use seal::{open, seal};

/// A 256-bit symmetric key, wiped on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key([u8; 32]);

impl Key {
    pub const LEN: usize = 32;

    pub fn random() -> Key {
        Key(random_array())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Derives an independent sub-key for one purpose: keyed BLAKE2b of the context string.
    /// Distinct contexts give keys that reveal nothing about each other or the parent.
    pub fn derive(&self, context: &str) -> Key {
        Key(self.keyed_hash(&[b"sesame-subkey-v1\0", context.as_bytes()]))
    }

    /// BLAKE2b-256 keyed with this key over the concatenation of `parts`
    /// (callers length-prefix variable parts so the encoding is unambiguous).
    pub fn keyed_hash(&self, parts: &[&[u8]]) -> [u8; 32] {
        use blake2::digest::{KeyInit, Mac, consts::U32};
        let mut mac = blake2::Blake2bMac::<U32>::new_from_slice(&self.0)
            .expect("32-byte key is valid for BLAKE2b");
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

/// An incremental keyed BLAKE2b-256 (for MACs over data streamed to or from a file). Cloning
/// a fresh one skips re-keying, for many short MACs under one key.
#[derive(Clone)]
pub struct Mac(blake2::Blake2bMac<blake2::digest::consts::U32>);

impl Mac {
    pub fn new(key: &Key) -> Mac {
        use blake2::digest::KeyInit;
        Mac(blake2::Blake2bMac::new_from_slice(&key.0).expect("32-byte key is valid for BLAKE2b"))
    }

    pub fn update(&mut self, bytes: &[u8]) {
        blake2::digest::Mac::update(&mut self.0, bytes);
    }

    pub fn finalize(self) -> [u8; 32] {
        blake2::digest::Mac::finalize(self.0).into_bytes().into()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([redacted])")
    }
}

/// `N` bytes from the operating system's CSPRNG. Failure here means the OS cannot give
/// randomness at all, and no key or nonce may be made without it.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the operating system's random number generator failed");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_differ_by_context_and_parent() {
        let k = Key::from_bytes([7; 32]);
        let a = k.derive("records");
        let b = k.derive("index");
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_ne!(a.as_bytes(), k.as_bytes());
        assert_eq!(a.as_bytes(), k.derive("records").as_bytes());
        let other = Key::from_bytes([8; 32]);
        assert_ne!(other.derive("records").as_bytes(), a.as_bytes());
    }

    #[test]
    fn key_debug_is_redacted() {
        assert_eq!(format!("{:?}", Key::from_bytes([1; 32])), "Key([redacted])");
    }
}
