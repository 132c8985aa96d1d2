//! Argon2id with parameters that are bounded before use: a vault file is input, and a hostile
//! one must not make us allocate gigabytes or spin for minutes.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Key;
use crate::error::{Error, Result};

/// Argon2id cost parameters, as stored in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// DESIGN §4: m = 64 MiB, t = 3, p = 4.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

/// Bounds. The upper ones keep a forged header from exhausting the machine (4 GiB is more
/// than any sane setting; 64 passes at that size would take minutes, hence the product cap).
pub const MIN_MEMORY_KIB: u32 = 8;
pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 64;
pub const MAX_PARALLELISM: u32 = 64;
/// memory × iterations cap, in KiB·passes: 8 GiB·passes (e.g. 1 GiB × 8, 64 MiB × 128).
pub const MAX_WORK: u64 = 8 * 1024 * 1024;

impl KdfParams {
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::KdfParams(m));
        if self.memory_kib < MIN_MEMORY_KIB.max(8 * self.parallelism) {
            return bad(format!(
                "memory {} KiB is below the minimum of 8 KiB per lane",
                self.memory_kib
            ));
        }
        if self.memory_kib > MAX_MEMORY_KIB {
            return bad(format!(
                "memory {} MiB is above the maximum of 4096 MiB",
                self.memory_kib / 1024
            ));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return bad(format!(
                "iterations {} is outside 1..={MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return bad(format!(
                "parallelism {} is outside 1..={MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        if u64::from(self.memory_kib) * u64::from(self.iterations) > MAX_WORK {
            return bad(format!(
                "memory × iterations = {} MiB·passes is above the maximum of {} MiB·passes",
                u64::from(self.memory_kib) * u64::from(self.iterations) / 1024,
                MAX_WORK / 1024
            ));
        }
        Ok(())
    }

    /// Derives the key-encryption key from a passphrase. Parameters are checked first.
    pub fn derive(&self, passphrase: &[u8], salt: &[u8; 32]) -> Result<Key> {
        self.check()?;
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(Key::LEN),
        )
        .map_err(|e| Error::KdfParams(e.to_string()))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|e| Error::KdfParams(e.to_string()))?;
        Ok(Key::from_bytes(*out))
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
    fn same_inputs_same_key_and_salt_matters() {
        let s1 = [1u8; 32];
        let s2 = [2u8; 32];
        let a = small().derive(b"pass", &s1).unwrap();
        assert_eq!(
            a.as_bytes(),
            small().derive(b"pass", &s1).unwrap().as_bytes()
        );
        assert_ne!(
            a.as_bytes(),
            small().derive(b"pass", &s2).unwrap().as_bytes()
        );
        assert_ne!(
            a.as_bytes(),
            small().derive(b"Pass", &s1).unwrap().as_bytes()
        );
    }

    #[test]
    fn hostile_params_are_refused_before_any_work() {
        for p in [
            KdfParams {
                memory_kib: u32::MAX,
                iterations: 1,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: u32::MAX,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 0,
            },
            KdfParams {
                memory_kib: 1024 * 1024,
                iterations: 64,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1,
            },
        ] {
            assert!(
                matches!(p.derive(b"x", &[0; 32]), Err(Error::KdfParams(_))),
                "{p:?} accepted"
            );
        }
        KdfParams::default().check().unwrap();
    }
}
