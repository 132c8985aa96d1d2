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

/// Bounds, checked on every path that reads parameters from outside (a vault header is
/// input: a forged one asked for 4 GiB and 2 passes, 14 s and 4.2 GB per attempt). The caps
/// are what a laptop can afford for one unlock: at most 1 GiB, and at most 2 GiB·passes of
/// work (1 GiB × 2, 256 MiB × 8, 64 MiB × 16 pass), about 2-4 s at the worst.
pub const MIN_MEMORY_KIB: u32 = 8;
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 16;
pub const MAX_PARALLELISM: u32 = 16;
/// memory × iterations cap, in KiB·passes.
pub const MAX_WORK: u64 = 2 * 1024 * 1024;

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
                "memory {} MiB is above the maximum of {} MiB",
                self.memory_kib / 1024,
                MAX_MEMORY_KIB / 1024
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

    /// A warning when these parameters are below OWASP's minimum for Argon2id (one of:
    /// 46 MiB × 1, 19 MiB × 2, 12 MiB × 3, 9 MiB × 4, 7 MiB × 5 passes), else `None`.
    pub fn weakness(&self) -> Option<String> {
        const OWASP: [(u32, u32); 5] = [(46, 1), (19, 2), (12, 3), (9, 4), (7, 5)];
        let mib = self.memory_kib / 1024;
        let ok = OWASP.iter().any(|&(m, t)| mib >= m && self.iterations >= t);
        (!ok).then(|| {
            format!(
                "Argon2id with {} KiB and {} pass(es) is below OWASP's minimum (e.g. 19 MiB × 2 passes): a stolen copy of the vault is cheaper to attack; the default is 64 MiB × 3",
                self.memory_kib, self.iterations
            )
        })
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
            // What the review's forged header asked for.
            KdfParams {
                memory_kib: 4 * 1024 * 1024,
                iterations: 2,
                parallelism: 4,
            },
            KdfParams {
                memory_kib: 1024 * 1024,
                iterations: 3,
                parallelism: 4,
            },
        ] {
            assert!(
                matches!(p.derive(b"x", &[0; 32]), Err(Error::KdfParams(_))),
                "{p:?} accepted"
            );
        }
        KdfParams::default().check().unwrap();
        KdfParams {
            memory_kib: 1024 * 1024,
            iterations: 2,
            parallelism: 4,
        }
        .check()
        .unwrap();
    }

    #[test]
    fn weak_parameters_are_named() {
        assert!(KdfParams::default().weakness().is_none());
        assert!(small().weakness().is_some());
        let owasp = KdfParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        assert!(owasp.weakness().is_none());
    }
}
