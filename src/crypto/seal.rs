//! XChaCha20-Poly1305 sealing. A sealed blob is `nonce (24) || ciphertext || tag (16)`; the
//! nonce is fresh and random for every seal, and the caller's associated data binds the blob
//! to where it belongs, so it cannot be moved or replayed unnoticed.

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, AeadInOut, KeyInit, Payload};
use zeroize::Zeroizing;

use super::{Key, random_array};

pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
/// Bytes a sealed blob adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Opening failed: wrong key, wrong associated data, or a damaged blob. Deliberately carries
/// no detail; callers know which record it was and say so.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenError;

fn cipher(key: &Key) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.as_bytes().into())
}

pub fn seal(key: &Key, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = random_array();
    // One buffer, sized once: the plaintext is copied in and encrypted where it lies, so no
    // copy of it is left behind in memory that a reallocation freed.
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = cipher(key)
        .encrypt_inout_detached(&nonce.into(), aad, out[NONCE_LEN..].as_mut().into())
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    out.extend_from_slice(&tag);
    out
}

pub fn open(key: &Key, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < OVERHEAD {
        return Err(OpenError);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
    cipher(key)
        .decrypt(&nonce.into(), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| OpenError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_fresh_nonces() {
        let k = Key::random();
        let a = seal(&k, b"ad", b"hello");
        let b = seal(&k, b"ad", b"hello");
        assert_ne!(a, b, "nonces must be fresh");
        assert_eq!(a.len(), 5 + OVERHEAD);
        assert_eq!(&open(&k, b"ad", &a).unwrap()[..], b"hello");
    }

    #[test]
    fn wrong_key_ad_or_any_flipped_byte_fails() {
        let k = Key::random();
        let s = seal(&k, b"ad", b"hello world");
        assert_eq!(open(&Key::random(), b"ad", &s), Err(OpenError));
        assert_eq!(open(&k, b"other", &s), Err(OpenError));
        for i in 0..s.len() {
            let mut t = s.clone();
            t[i] ^= 0x40;
            assert_eq!(
                open(&k, b"ad", &t),
                Err(OpenError),
                "flip at {i} undetected"
            );
        }
        assert_eq!(open(&k, b"ad", &s[..s.len() - 1]), Err(OpenError));
        assert_eq!(open(&k, b"ad", &[]), Err(OpenError));
    }
}
