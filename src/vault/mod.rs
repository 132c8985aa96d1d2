//! The vault API both faces use: unlock, list, get, create, update, rename, delete, history,
//! import. Storage goes through `store`, encoding through `codec`, sealing through `crypto`.
//!
//! On disk (DESIGN §4): a format marker; a header holding the vault id, the KDF parameters
//! and salt, and the vault key wrapped under the passphrase-derived key; and one records tree
//! whose keys are `kind || BLAKE2b(index_key, scope, name)` and whose values are sealed with
//! the record key, the associated data binding each blob to the vault id and its own key.
//! Each secret is two records: `meta` (name, scope, schema, key names, times: what lists
//! need) and `body` (values and earlier versions), so listing never decrypts a value.

mod codec;
pub mod store;
mod transfer;

pub use transfer::{ImportItem, ImportReport};

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::crypto::{self, KdfParams, Key};
use crate::error::{Error, Result};
use crate::schema::Registry;
use crate::secret::{Scope, Secret, SecretMeta, SecretName, Values, Version, now};
use store::{Batch, Store};

/// The on-disk format this build reads and writes. Any other version is refused.
pub const FORMAT_VERSION: u32 = 1;
/// Earlier versions kept per secret unless configured otherwise.
pub const DEFAULT_HISTORY: usize = 10;

const KIND_META: u8 = b'm';
/// Bytes of the keyed hash of (scope, name) used in record keys.
const KEY_HASH_LEN: usize = 16;
const KIND_BODY: u8 = b'b';
const WRAP_AD: &[u8] = b"sesame-vault-key-v1";
const RECORD_AD: &[u8] = b"sesame-record-v1";

#[derive(Serialize, Deserialize)]
struct Header {
    vault_id: [u8; 16],
    kdf: KdfParams,
    salt: [u8; 32],
    wrapped_key: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Body {
    values: Values,
    /// Newest first.
    history: Vec<Version>,
}

/// The outcome of listing: every readable secret, and the ids of records that failed their
/// authentication (named by id, since their names are sealed inside them).
#[derive(Debug, Default)]
pub struct Listing {
    pub secrets: Vec<SecretMeta>,
    pub damaged: Vec<String>,
}

/// A change to an existing secret.
#[derive(Debug, Default, Clone)]
pub struct Change {
    /// Keys to add or overwrite.
    pub set: Values,
    /// Keys to remove; each must exist.
    pub remove: Vec<String>,
    /// A new schema, if the secret should follow another one.
    pub schema: Option<String>,
    /// Replace all values with `set` instead of merging.
    pub replace: bool,
}

pub struct Vault {
    store: Store,
    vault_id: [u8; 16],
    kdf: KdfParams,
    record_key: Key,
    index_key: Key,
    vault_key: Key,
    history_limit: usize,
    schemas: Registry,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.store.dir())
            .finish_non_exhaustive()
    }
}

impl Vault {
    pub fn exists(dir: &Path) -> bool {
        Store::exists(dir)
    }

    /// Creates a new vault in `dir` sealed under `passphrase`.
    pub fn init(dir: &Path, passphrase: &[u8], kdf: KdfParams) -> Result<Vault> {
        kdf.check()?;
        if passphrase.is_empty() {
            return Err(Error::Passphrase("the passphrase must not be empty".into()));
        }
        let store = Store::create(dir)?;
        let vault_key = Key::random();
        let vault_id: [u8; 16] = crypto::random_array();
        let header = wrap(&vault_key, vault_id, passphrase, kdf)?;
        store.put_header(FORMAT_VERSION, &codec::encode(&header))?;
        Ok(Vault::with_key(store, vault_id, kdf, vault_key))
    }

    /// Opens the vault in `dir` and unlocks it with `passphrase`.
    pub fn unlock(dir: &Path, passphrase: &[u8]) -> Result<Vault> {
        let store = Store::open(dir)?;
        let header = read_header(&store)?;
        let kek = header.kdf.derive(passphrase, &header.salt)?;
        let key = crypto::open(&kek, &wrap_ad(&header.vault_id), &header.wrapped_key)
            .map_err(|_| Error::WrongPassphrase(dir.to_path_buf()))?;
        let key: [u8; 32] = key.as_slice().try_into().map_err(|_| Error::CorruptVault {
            path: dir.to_path_buf(),
            what: "the wrapped key has the wrong size".into(),
        })?;
        Ok(Vault::with_key(
            store,
            header.vault_id,
            header.kdf,
            Key::from_bytes(key),
        ))
    }

    fn with_key(store: Store, vault_id: [u8; 16], kdf: KdfParams, vault_key: Key) -> Vault {
        Vault {
            record_key: vault_key.derive("records"),
            index_key: vault_key.derive("name-index"),
            vault_key,
            store,
            vault_id,
            kdf,
            history_limit: DEFAULT_HISTORY,
            schemas: Registry::builtin(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    pub fn kdf_params(&self) -> KdfParams {
        self.kdf
    }

    /// How many earlier versions to keep per secret (from the config).
    pub fn set_history_limit(&mut self, n: usize) {
        self.history_limit = n;
    }

    /// The schemas used to validate writes (built-ins plus the user's own).
    pub fn set_schemas(&mut self, schemas: Registry) {
        self.schemas = schemas;
    }

    pub fn schemas(&self) -> &Registry {
        &self.schemas
    }

    /// Re-wraps the vault key under a new passphrase (and optionally new KDF parameters).
    /// No record is touched, so this costs one key derivation whatever the vault's size.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &[u8],
        kdf: Option<KdfParams>,
    ) -> Result<()> {
        if new_passphrase.is_empty() {
            return Err(Error::Passphrase(
                "the new passphrase must not be empty".into(),
            ));
        }
        let kdf = kdf.unwrap_or(self.kdf);
        kdf.check()?;
        let header = wrap(&self.vault_key, self.vault_id, new_passphrase, kdf)?;
        self.store
            .put_header(FORMAT_VERSION, &codec::encode(&header))?;
        self.kdf = kdf;
        Ok(())
    }

    // ---- reading ----------------------------------------------------------------------

    /// Every secret's metadata, sorted by scope then name. Values are not decrypted.
    pub fn list(&self) -> Result<Listing> {
        let raw: Vec<(Vec<u8>, Vec<u8>)> = self.store.scan(&[KIND_META]).collect::<Result<_>>()?;
        // Opening records is independent per record: spread it over the cores (a 100k-secret
        // vault lists in well under the 0.5 s bar this way).
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = raw.len().div_ceil(threads).max(2048);
        let opened: Vec<Vec<std::result::Result<SecretMeta, String>>> = std::thread::scope(|s| {
            let workers: Vec<_> = raw
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(key, blob)| {
                                self.open_record(key, blob).ok_or_else(|| record_id(key))
                            })
                            .collect()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("record decryption does not panic"))
                .collect()
        });
        let mut out = Listing {
            secrets: Vec::with_capacity(raw.len()),
            damaged: Vec::new(),
        };
        for r in opened.into_iter().flatten() {
            match r {
                Ok(meta) => out.secrets.push(meta),
                Err(id) => out.damaged.push(id),
            }
        }
        out.secrets
            .sort_unstable_by(|a, b| (a.scope, &a.name).cmp(&(b.scope, &b.name)));
        Ok(out)
    }

    /// Number of secrets, without decrypting anything.
    pub fn count(&self) -> usize {
        self.store.count(&[KIND_META])
    }

    /// Which scope `name` resolves to: the given one, else user first, then workspace.
    pub fn resolve(&self, name: &SecretName, scope: Option<Scope>) -> Result<Scope> {
        let order: &[Scope] = match scope {
            Some(ref s) => std::slice::from_ref(s),
            None => &Scope::LOOKUP_ORDER,
        };
        for &s in order {
            if self.store.contains(&self.key(KIND_META, s, name))? {
                return Ok(s);
            }
        }
        Err(Error::SecretNotFound {
            name: name.to_string(),
            scope,
        })
    }

    pub fn meta(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        let scope = self.resolve(name, scope)?;
        self.read_meta(name, scope)
    }

    pub fn get(&self, name: &SecretName, scope: Option<Scope>) -> Result<Secret> {
        let (meta, body) = self.load(name, scope)?;
        Ok(Secret {
            meta,
            values: body.values,
        })
    }

    /// The current secret and its earlier versions, newest first.
    pub fn history(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
    ) -> Result<(Secret, Vec<Version>)> {
        let (meta, body) = self.load(name, scope)?;
        Ok((
            Secret {
                meta,
                values: body.values,
            },
            body.history,
        ))
    }

    // ---- writing ----------------------------------------------------------------------

    /// Creates a secret. The values are validated against `schema` (defaults filled in).
    pub fn create(
        &self,
        name: SecretName,
        scope: Scope,
        schema: &str,
        mut values: Values,
    ) -> Result<SecretMeta> {
        self.schemas.get(schema)?.validate(&mut values)?;
        if self.store.contains(&self.key(KIND_META, scope, &name))? {
            return Err(Error::SecretExists {
                name: name.to_string(),
                scope,
            });
        }
        let t = now();
        let meta = SecretMeta {
            keys: values.keys().cloned().collect(),
            name,
            scope,
            schema: schema.to_string(),
            created: t,
            updated: t,
            version: 1,
        };
        let mut batch = Batch::default();
        self.stage(
            &mut batch,
            &meta,
            &Body {
                values,
                history: Vec::new(),
            },
        );
        self.store.apply(batch)?;
        Ok(meta)
    }

    /// Applies `change` to a secret, keeping the previous version in its history. A change
    /// that leaves values and schema as they were writes nothing.
    pub fn update(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        change: Change,
    ) -> Result<SecretMeta> {
        let (meta, body) = self.load(name, scope)?;
        let mut values = if change.replace {
            Values::new()
        } else {
            body.values.clone()
        };
        for key in &change.remove {
            if values.remove(key).is_none() {
                return Err(Error::KeyNotFound {
                    name: name.to_string(),
                    key: key.clone(),
                    available: meta.keys.join(", "),
                });
            }
        }
        values.extend(change.set);
        let schema = change.schema.unwrap_or_else(|| meta.schema.clone());
        self.schemas.get(&schema)?.validate(&mut values)?;
        if values == body.values && schema == meta.schema {
            return Ok(meta);
        }
        self.write_version(meta, body, schema, values)
    }

    /// Makes an earlier version current again (as a new version, so it can be undone too).
    pub fn restore(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        version: u64,
    ) -> Result<SecretMeta> {
        let (meta, body) = self.load(name, scope)?;
        let old = body
            .history
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| Error::VersionNotFound {
                name: name.to_string(),
                version,
            })?;
        let (schema, values) = (old.schema.clone(), old.values.clone());
        self.write_version(meta, body, schema, values)
    }

    /// Renames a secret within its scope, history included.
    pub fn rename(
        &self,
        name: &SecretName,
        scope: Option<Scope>,
        new_name: SecretName,
    ) -> Result<SecretMeta> {
        let scope = self.resolve(name, scope)?;
        if &new_name == name {
            return self.read_meta(name, scope);
        }
        if self
            .store
            .contains(&self.key(KIND_META, scope, &new_name))?
        {
            return Err(Error::SecretExists {
                name: new_name.to_string(),
                scope,
            });
        }
        let mut meta = self.read_meta(name, scope)?;
        let body = self.read_body(name, scope)?;
        let mut batch = Batch::default();
        batch.remove(&self.key(KIND_META, scope, name));
        batch.remove(&self.key(KIND_BODY, scope, name));
        meta.name = new_name;
        meta.updated = now();
        self.stage(&mut batch, &meta, &body);
        self.store.apply(batch)?;
        Ok(meta)
    }

    /// Deletes a secret and its history.
    pub fn delete(&self, name: &SecretName, scope: Option<Scope>) -> Result<SecretMeta> {
        let scope = self.resolve(name, scope)?;
        // A damaged secret can still be deleted (that is how it is cleared away); its
        // metadata is then unknown, so the caller gets the name and scope alone.
        let meta = self.read_meta(name, scope).unwrap_or_else(|_| SecretMeta {
            name: name.clone(),
            scope,
            schema: String::new(),
            keys: Vec::new(),
            created: 0,
            updated: 0,
            version: 0,
        });
        let mut batch = Batch::default();
        batch.remove(&self.key(KIND_META, scope, name));
        batch.remove(&self.key(KIND_BODY, scope, name));
        self.store.apply(batch)?;
        Ok(meta)
    }

    // ---- records ----------------------------------------------------------------------

    /// Resolves the scope and reads both records of a secret.
    fn load(&self, name: &SecretName, scope: Option<Scope>) -> Result<(SecretMeta, Body)> {
        let scope = self.resolve(name, scope)?;
        Ok((self.read_meta(name, scope)?, self.read_body(name, scope)?))
    }

    /// Makes `values` the next version of a secret and writes it durably.
    fn write_version(
        &self,
        meta: SecretMeta,
        body: Body,
        schema: String,
        values: Values,
    ) -> Result<SecretMeta> {
        let (meta, body) = self.next_version(meta, body, schema, values);
        let mut batch = Batch::default();
        self.stage(&mut batch, &meta, &body);
        self.store.apply(batch)?;
        Ok(meta)
    }

    fn next_version(
        &self,
        mut meta: SecretMeta,
        mut body: Body,
        schema: String,
        values: Values,
    ) -> (SecretMeta, Body) {
        let previous = Version {
            version: meta.version,
            schema: std::mem::replace(&mut meta.schema, schema),
            updated: meta.updated,
            values: std::mem::replace(&mut body.values, values),
        };
        body.history.insert(0, previous);
        body.history.truncate(self.history_limit);
        meta.version += 1;
        meta.updated = now().max(meta.updated);
        meta.keys = body.values.keys().cloned().collect();
        (meta, body)
    }

    /// Opaque sled key of one record of a secret.
    fn key(&self, kind: u8, scope: Scope, name: &SecretName) -> Vec<u8> {
        let n = name.as_str().as_bytes();
        let h = self
            .index_key
            .keyed_hash(&[&[scope.tag()], &(n.len() as u32).to_le_bytes(), n]);
        // 128 bits of a keyed hash: names are not chosen by someone who knows the index key,
        // so a collision needs ~2^64 secrets; the shorter key saves space in every record.
        let mut k = Vec::with_capacity(1 + KEY_HASH_LEN);
        k.push(kind);
        k.extend_from_slice(&h[..KEY_HASH_LEN]);
        k
    }

    fn record_ad(&self, key: &[u8]) -> Vec<u8> {
        let mut ad = Vec::with_capacity(RECORD_AD.len() + 16 + key.len());
        ad.extend_from_slice(RECORD_AD);
        ad.extend_from_slice(&self.vault_id);
        ad.extend_from_slice(key);
        ad
    }

    fn stage<T: Serialize>(&self, batch: &mut Batch, meta: &SecretMeta, body: &T) {
        for (kind, plain) in [
            (KIND_META, codec::encode(meta)),
            (KIND_BODY, codec::encode(body)),
        ] {
            let key = self.key(kind, meta.scope, &meta.name);
            let sealed = crypto::seal(&self.record_key, &self.record_ad(&key), &plain);
            batch.insert(&key, sealed);
        }
    }

    fn open_record<T: serde::de::DeserializeOwned>(&self, key: &[u8], blob: &[u8]) -> Option<T> {
        let plain = crypto::open(&self.record_key, &self.record_ad(key), blob).ok()?;
        codec::decode(&plain)
    }

    fn read<T: serde::de::DeserializeOwned>(
        &self,
        kind: u8,
        name: &SecretName,
        scope: Scope,
    ) -> Result<T> {
        let key = self.key(kind, scope, name);
        let blob = self.store.get(&key)?.ok_or_else(|| Error::CorruptRecord {
            what: format!(
                "secret '{name}' ({scope}): its {} record is missing",
                kind_name(kind)
            ),
        })?;
        self.open_record(&key, &blob)
            .ok_or_else(|| Error::CorruptRecord {
                what: format!("secret '{name}' ({scope}), {} record", kind_name(kind)),
            })
    }

    fn read_meta(&self, name: &SecretName, scope: Scope) -> Result<SecretMeta> {
        let meta: SecretMeta = self.read(KIND_META, name, scope)?;
        // The associated data already binds the blob to this key; this guards the encoder.
        if &meta.name != name || meta.scope != scope {
            return Err(Error::CorruptRecord {
                what: format!("secret '{name}' ({scope})"),
            });
        }
        Ok(meta)
    }

    fn read_body(&self, name: &SecretName, scope: Scope) -> Result<Body> {
        self.read(KIND_BODY, name, scope)
    }
}

fn kind_name(kind: u8) -> &'static str {
    if kind == KIND_META {
        "metadata"
    } else {
        "values"
    }
}

/// A short printable id for a record whose name cannot be read.
fn record_id(key: &[u8]) -> String {
    key.iter()
        .skip(1)
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn wrap_ad(vault_id: &[u8; 16]) -> Vec<u8> {
    [WRAP_AD, vault_id.as_slice()].concat()
}

fn wrap(vault_key: &Key, vault_id: [u8; 16], passphrase: &[u8], kdf: KdfParams) -> Result<Header> {
    let salt: [u8; 32] = crypto::random_array();
    let kek = kdf.derive(passphrase, &salt)?;
    let wrapped_key = crypto::seal(&kek, &wrap_ad(&vault_id), vault_key.as_bytes());
    Ok(Header {
        vault_id,
        kdf,
        salt,
        wrapped_key,
    })
}

fn read_header(store: &Store) -> Result<Header> {
    let dir = store.dir().to_path_buf();
    match store.format_version()? {
        Some(FORMAT_VERSION) => {}
        Some(found) => {
            return Err(Error::UnsupportedVersion {
                path: dir,
                found,
                supported: FORMAT_VERSION,
            });
        }
        None => {
            return Err(Error::CorruptVault {
                path: dir,
                what: "the format marker is missing".into(),
            });
        }
    }
    let raw = store.header()?.ok_or_else(|| Error::CorruptVault {
        path: dir.clone(),
        what: "the header is missing".into(),
    })?;
    let header: Header = codec::decode(&raw).ok_or_else(|| Error::CorruptVault {
        path: dir.clone(),
        what: "the header is unreadable".into(),
    })?;
    // Bound the parameters before deriving: the header is untrusted input.
    header.kdf.check()?;
    Ok(header)
}

/// Groups secrets by scope (for display).
pub fn by_scope(secrets: &[SecretMeta]) -> BTreeMap<Scope, Vec<&SecretMeta>> {
    let mut m: BTreeMap<Scope, Vec<&SecretMeta>> = BTreeMap::new();
    for s in secrets {
        m.entry(s.scope).or_default().push(s);
    }
    m
}

#[cfg(test)]
mod tests;
