//! Format 1 → format 2, on open. Format 1 kept its header inside sled (`data/`, root tree)
//! and sealed records without a version byte or a body→meta binding. Migration reads every
//! format-1 record, builds a format-2 store beside it (same vault key and id: nothing about
//! the secrets changes), reads every record back from the new store and compares, and only
//! then writes the format-2 header (the commit point) and removes the format-1 files, which
//! also removes the old wrapped key they held. A crash at any point leaves a vault that opens:
//! before the header, the format-1 one (the half-built store is removed on the next open);
//! after it, the format-2 one (the format-1 files are removed on the next open).

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::header::Header;
use super::rebuild::Builder;
use super::record::{BodyV2, KIND_BODY, KIND_META, Keys, MetaV2, VersionV2, record_id};
use super::store::Store;
use super::{codec, files};
use crate::crypto::{self, KdfParams, Key};
use crate::error::{Error, Result};
use crate::secret::{Scope, SecretName, Timestamp, Values};

const V1_DIR: &str = "data";
const V1_HOLDER: &str = "holder";
const V1_FORMAT_KEY: &[u8] = b"sesame.format";
const V1_HEADER_KEY: &[u8] = b"sesame.header";
const V1_WRAP_AD: &[u8] = b"sesame-vault-key-v1";
const V1_RECORD_AD: &[u8] = b"sesame-record-v1";
/// Where format-1 files are kept when some of their records could not be read.
const V1_KEPT: &str = "format1-kept";

#[derive(Serialize, Deserialize)]
struct HeaderV1 {
    vault_id: [u8; 16],
    kdf: KdfParams,
    salt: [u8; 32],
    wrapped_key: Vec<u8>,
}

/// Format-1 records, frozen here (the public types may change; these bytes will not).
#[derive(Serialize, Deserialize)]
struct MetaV1 {
    name: SecretName,
    scope: Scope,
    schema: String,
    keys: Vec<String>,
    created: Timestamp,
    updated: Timestamp,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct BodyV1 {
    values: Values,
    history: Vec<VersionV1>,
}

#[derive(Serialize, Deserialize)]
struct VersionV1 {
    version: u64,
    schema: String,
    updated: Timestamp,
    values: Values,
}

pub fn is_v1(dir: &Path) -> bool {
    dir.join(V1_DIR).join("conf").exists()
}

/// Removes format-1 files left by a migration that committed but was interrupted before
/// it could delete them (called only once a format-2 header has been read and unlocked).
pub fn remove_v1_leftovers(dir: &Path) {
    if dir.join(super::header::HEADER_FILE).exists() && dir.join(V1_DIR).exists() {
        let _ = fs::remove_dir_all(dir.join(V1_DIR));
        let _ = fs::remove_file(dir.join(V1_HOLDER));
    }
}

/// Migrates the format-1 vault in `dir` (the caller holds the vault lock). Returns the
/// notice to show once.
pub fn migrate(dir: &Path, passphrase: &[u8]) -> Result<String> {
    let v1_dir = dir.join(V1_DIR);
    let old = Store::open(&v1_dir)?;
    let damaged = |what: &str| Error::CorruptVault {
        path: dir.to_path_buf(),
        what: format!("its format-1 {what}"),
    };
    match old.root_get(V1_FORMAT_KEY)? {
        Some(v) if v == 1u32.to_le_bytes() => {}
        Some(v) if v.len() == 4 => {
            return Err(Error::UnsupportedVersion {
                path: dir.to_path_buf(),
                found: u32::from_le_bytes(v.try_into().expect("4 bytes")),
                supported: super::FORMAT_VERSION,
            });
        }
        _ => return Err(damaged("format marker is missing or malformed")),
    }
    let raw = old
        .root_get(V1_HEADER_KEY)?
        .ok_or_else(|| damaged("header is missing"))?;
    let v1: HeaderV1 = codec::decode(&raw).ok_or_else(|| damaged("header is unreadable"))?;
    let kek = v1.kdf.derive(passphrase, &v1.salt)?;
    let key = crypto::open(&kek, &[V1_WRAP_AD, &v1.vault_id].concat(), &v1.wrapped_key)
        .map_err(|_| Error::WrongPassphrase(dir.to_path_buf()))?;
    let key: [u8; 32] = key
        .as_slice()
        .try_into()
        .map_err(|_| damaged("wrapped key has the wrong size"))?;
    let keys = Keys::new(Key::from_bytes(key));
    let v1_ad = |k: &[u8]| [V1_RECORD_AD, &v1.vault_id, k].concat();

    // Read everything readable; remember what is not.
    let mut secrets: Vec<(MetaV2, BodyV2)> = Vec::new();
    let mut unreadable = Vec::new();
    for r in old.scan(&[KIND_META]) {
        let (mk, mblob) = r?;
        let meta: Option<MetaV1> = crypto::open(&keys.record, &v1_ad(&mk), &mblob)
            .ok()
            .and_then(|p| codec::decode(&p));
        let Some(meta) = meta.filter(|m| keys.secret_key(KIND_META, m.scope, &m.name) == mk) else {
            unreadable.push(record_id(&mk));
            continue;
        };
        let bk = keys.secret_key(KIND_BODY, meta.scope, &meta.name);
        let body: Option<BodyV1> = old
            .get(&bk)?
            .and_then(|b| crypto::open(&keys.record, &v1_ad(&bk), &b).ok())
            .and_then(|p| codec::decode(&p));
        let Some(body) = body else {
            unreadable.push(format!("{} ({}), values", meta.name, meta.scope));
            continue;
        };
        secrets.push((
            MetaV2 {
                name: meta.name,
                scope: meta.scope,
                schema: meta.schema,
                keys: meta.keys,
                created: meta.created,
                updated: meta.updated,
                version: meta.version,
                generation: 1,
            },
            BodyV2 {
                values: body.values,
                history: body
                    .history
                    .into_iter()
                    .map(|v| VersionV2 {
                        version: v.version,
                        schema: v.schema,
                        updated: v.updated,
                        values: v.values,
                    })
                    .collect(),
            },
        ));
    }

    let mut builder = Builder::new(dir, Keys::new(keys.vault.clone()), v1.vault_id, 1)?;
    for (meta, body) in &secrets {
        builder.put_secret(meta, body)?;
    }
    builder.flush()?;
    // Read every record back from the new store before it becomes the vault.
    for (meta, body) in &secrets {
        let (m, b) = builder
            .read_secret(meta)
            .ok_or_else(|| Error::Storage(format!(
                "migrating the vault failed: secret '{}' ({}) did not read back from the new store; the format-1 vault is unchanged",
                meta.name, meta.scope
            )))?;
        let same = m.public() == meta.public()
            && b.values == body.values
            && b.history.len() == body.history.len()
            && b.history.iter().zip(&body.history).all(|(x, y)| {
                x.version == y.version && x.values == y.values && x.schema == y.schema
            });
        if !same {
            return Err(Error::Storage(format!(
                "migrating the vault failed: secret '{}' ({}) read back differently; the format-1 vault is unchanged",
                meta.name, meta.scope
            )));
        }
    }
    let header = Header {
        vault_id: v1.vault_id,
        kdf: v1.kdf,
        salt: v1.salt,
        wrapped_key: crypto::seal(
            &kek,
            &[b"sesame-vault-key-v2".as_slice(), &v1.vault_id].concat(),
            keys.vault.as_bytes(),
        ),
        store: String::new(),
        sealed_account: Vec::new(),
    };
    let built = builder.finish(header)?;
    // The first snapshot of the new format, so `recover` has something from the start.
    built.snapshot.install(&built.keys, &v1.vault_id)?;
    drop(built.store);
    drop(old);
    let n = secrets.len();
    if unreadable.is_empty() {
        fs::remove_dir_all(&v1_dir).map_err(|e| files::io_err("cannot remove", &v1_dir, e))?;
        let _ = fs::remove_file(dir.join(V1_HOLDER));
        files::sync_dir(dir)?;
        Ok(format!(
            "upgraded the vault at {} to format {} ({n} secret(s), each read back and verified; the format-1 files were removed)",
            dir.display(),
            super::FORMAT_VERSION
        ))
    } else {
        let kept = dir.join(V1_KEPT);
        fs::rename(&v1_dir, &kept).map_err(|e| files::io_err("cannot move", &v1_dir, e))?;
        files::sync_dir(dir)?;
        Ok(format!(
            "upgraded the vault at {} to format {} ({n} secret(s)); {} format-1 record(s) could not be read ({}), so the format-1 files were kept in {}",
            dir.display(),
            super::FORMAT_VERSION,
            unreadable.len(),
            super::list_some(&unreadable),
            kept.display()
        ))
    }
}
