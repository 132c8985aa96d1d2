//! The one module that encodes records. bincode is unmaintained (DESIGN §9), so it stays
//! behind these two functions, ready to swap; plaintext buffers are zeroized on drop.

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

fn config() -> impl bincode::config::Config {
    // Fixed-int little-endian with a size limit: a damaged length prefix cannot make us
    // allocate more than a record could ever hold.
    bincode::config::standard().with_limit::<{ 64 * 1024 * 1024 }>()
}

pub fn encode<T: Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        bincode::serde::encode_to_vec(value, config()).expect("in-memory records always encode"),
    )
}

/// Decodes a value; `None` when the bytes are not a valid encoding of `T` (with trailing
/// bytes counted as invalid, so a truncated or padded record is never half-read).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    match bincode::serde::decode_from_slice(bytes, config()) {
        Ok((v, used)) if used == bytes.len() => Some(v),
        _ => None,
    }
}
