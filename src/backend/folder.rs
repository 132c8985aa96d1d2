//! A directory of encrypted files, one per secret (a shared drive, Syncthing, a git repo),
//! sealed under a key derived from the folder's own passphrase, not the vault's.
//!
//! Layout: `sesame-folder.json` holds the Argon2id parameters, salt and a sealed check value
//! (so a wrong passphrase is told apart from a damaged file). Each secret is
//! `<32 hex>.sesame`, the name a keyed hash of (scope, name): whoever can read the drive but
//! lacks the passphrase learns how many secrets there are and their sizes, not their names
//! (and names differing only in case stay distinct on case-insensitive drives). The file is
//! XChaCha20-Poly1305 with the file name as associated data, and holds the real scope, name,
//! schema and values, checked against the file name on every read.
//!
//! Writes go to a temp file in the same directory, are fsynced, then renamed over the target,
//! so readers and other machines never see half a file; two machines writing different
//! secrets never touch the same file. Version = a hash of the file's bytes. Create is
//! atomic (a hard link fails if the file exists); update and delete compare the hash right
//! before the rename or removal, so the race is limited to that instant, and a sync tool
//! that merges files meanwhile can still lose one of two simultaneous writes.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::Digest;
use zeroize::Zeroizing;

use super::cas::{may_delete, precondition};
use super::options::Options;
use super::remote::{self, MAX_BODY, foreign, hex, json, schema_name, values_from_json, writable};
use super::{
    Backend, BackendError, Expect, Listing, OptionSpec, OptionValue, RemoteEntry, RemoteId,
    RemoteSecret, RemoteVersion,
};
use crate::crypto::{self, KdfParams, Key};
use crate::secret::{Scope, SecretValue, Values};

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "path",
        required: true,
        credential: false,
        help: "the directory (created files are readable only with the passphrase)",
    },
    OptionSpec {
        name: "passphrase",
        required: true,
        credential: true,
        help: "the folder's own passphrase, shared by everyone who syncs with it",
    },
];

pub const HEADER: &str = "sesame-folder.json";
const EXTENSION: &str = ".sesame";
const TEMP_PREFIX: &str = ".sesame-tmp-";
const HEADER_FORMAT: u32 = 1;
const CHECK_AD: &[u8] = b"sesame-folder-check-v1";
const CHECK_TEXT: &[u8] = b"sesame folder";
const FILE_AD: &[u8] = b"sesame-folder-file-v1\0";

pub struct FolderBackend {
    dir: PathBuf,
    label: String,
    passphrase: SecretValue,
    /// Derived on first use (Argon2id is slow on purpose) and kept.
    keys: Mutex<Option<Arc<Keys>>>,
}

struct Keys {
    names: Key,
    files: Key,
}

/// Hand-written: the passphrase and keys are never printed.
impl std::fmt::Debug for FolderBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderBackend")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    kdf: KdfParams,
    salt: String,
    check: String,
}

/// The sealed content of one file.
#[derive(Serialize, Deserialize)]
struct Sealed<V> {
    scope: Scope,
    name: String,
    schema: String,
    values: V,
}

impl FolderBackend {
    pub fn new(options: BTreeMap<String, OptionValue>) -> Result<FolderBackend, BackendError> {
        let o = Options::check("folder", OPTIONS, options)?;
        let dir = PathBuf::from(o.required_text("path")?);
        let passphrase = o
            .secret("passphrase")
            .expect("checked: required credential");
        if passphrase.is_empty() {
            return Err(o.error("the passphrase must not be empty"));
        }
        Ok(FolderBackend {
            label: format!("folder {}", dir.display()),
            dir,
            passphrase,
            keys: Mutex::new(None),
        })
    }

    fn io(&self, what: &str, e: io::Error) -> BackendError {
        if e.kind() == io::ErrorKind::PermissionDenied {
            return BackendError::Refused {
                backend: self.label.clone(),
                detail: format!("{what}: {e}"),
                check: "the folder's file permissions",
            };
        }
        BackendError::Unreachable {
            backend: self.label.clone(),
            detail: format!("{what}: {e}"),
        }
    }

    /// The folder's keys: from its header, or a new header if the folder has none yet.
    fn keys(&self) -> Result<Arc<Keys>, BackendError> {
        let mut slot = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        if !self.dir.is_dir() {
            return Err(BackendError::Unreachable {
                backend: self.label.clone(),
                detail: "no such directory: create it or fix the path option".into(),
            });
        }
        let path = self.dir.join(HEADER);
        let header = match read_capped(&path, 64 * 1024) {
            Ok(bytes) => json::<Header>(&bytes).map_err(|e| BackendError::Protocol {
                backend: self.label.clone(),
                detail: format!("{HEADER} is {e}"),
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.create_header()?,
            Err(e) => return Err(self.io(HEADER, e)),
        };
        let keys = Arc::new(self.unlock(&header)?);
        *slot = Some(keys.clone());
        Ok(keys)
    }

    fn unlock(&self, header: &Header) -> Result<Keys, BackendError> {
        let bad = |detail: String| BackendError::Protocol {
            backend: self.label.clone(),
            detail: format!("{HEADER}: {detail}"),
        };
        if header.format != HEADER_FORMAT {
            return Err(bad(format!(
                "format {} is not the {HEADER_FORMAT} this sesame reads: upgrade sesame",
                header.format
            )));
        }
        let salt: [u8; 32] = unhex(&header.salt)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("its salt is not 32 hex bytes".into()))?;
        let check = unhex(&header.check).ok_or_else(|| bad("its check is not hex".into()))?;
        // KdfParams::derive bounds the parameters first: a hostile header cannot make us
        // allocate gigabytes.
        let root = header
            .kdf
            .derive(self.passphrase.expose().as_bytes(), &salt)
            .map_err(|e| bad(e.to_string()))?;
        let keys = Keys {
            names: root.derive("folder-names"),
            files: root.derive("folder-files"),
        };
        match crypto::open(&keys.files, CHECK_AD, &check) {
            Ok(text) if &text[..] == CHECK_TEXT => Ok(keys),
            _ => Err(BackendError::Refused {
                backend: self.label.clone(),
                detail: "the passphrase does not open this folder".into(),
                check: "the passphrase option (the folder's own passphrase, not the vault's)",
            }),
        }
    }

    /// Writes a new header unless another machine got there first (then theirs is used).
    fn create_header(&self) -> Result<Header, BackendError> {
        let kdf = KdfParams::default();
        let salt: [u8; 32] = crypto::random_array();
        let root = kdf
            .derive(self.passphrase.expose().as_bytes(), &salt)
            .map_err(|e| BackendError::Protocol {
                backend: self.label.clone(),
                detail: e.to_string(),
            })?;
        let check = crypto::seal(&root.derive("folder-files"), CHECK_AD, CHECK_TEXT);
        let header = Header {
            format: HEADER_FORMAT,
            kdf,
            salt: hex(&salt),
            check: hex(&check),
        };
        let mut text = serde_json::to_vec_pretty(&header).expect("header serializes");
        text.push(b'\n');
        let target = self.dir.join(HEADER);
        match self.publish(&text, &target, true) {
            Ok(()) => Ok(header),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let bytes = read_capped(&target, 64 * 1024).map_err(|e| self.io(HEADER, e))?;
                json::<Header>(&bytes).map_err(|e| BackendError::Protocol {
                    backend: self.label.clone(),
                    detail: format!("{HEADER} is {e}"),
                })
            }
            Err(e) => Err(self.io(HEADER, e)),
        }
    }

    /// Writes `bytes` to a temp file beside `target`, fsyncs, then puts it in place:
    /// `exclusive` links it (failing with `AlreadyExists` if `target` exists), otherwise it
    /// is renamed over `target`, after `last_check` approves (the CAS check, as late as
    /// possible).
    fn publish(&self, bytes: &[u8], target: &Path, exclusive: bool) -> io::Result<()> {
        self.publish_checked(bytes, target, exclusive, || Ok(()))
    }

    fn publish_checked(
        &self,
        bytes: &[u8],
        target: &Path,
        exclusive: bool,
        last_check: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<()> {
        let temp = self.dir.join(format!(
            "{TEMP_PREFIX}{}",
            hex(&crypto::random_array::<8>())
        ));
        let result = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            if exclusive {
                match fs::hard_link(&temp, target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                    // Some shared drives have no hard links: check, then rename (a race of
                    // an instant, as for updates).
                    Err(_) => {
                        if target.exists() {
                            return Err(io::ErrorKind::AlreadyExists.into());
                        }
                        last_check()?;
                        fs::rename(&temp, target)?;
                    }
                }
            } else {
                last_check()?;
                fs::rename(&temp, target)?;
            }
            sync_dir(&self.dir)
        })();
        let _ = fs::remove_file(&temp);
        result
    }

    fn file_name(&self, keys: &Keys, id: &RemoteId) -> String {
        let h = keys
            .names
            .keyed_hash(&[&[id.scope.tag()], id.name.as_str().as_bytes()]);
        format!("{}{EXTENSION}", hex(&h[..16]))
    }

    /// The file's bytes, or None if it does not exist.
    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, BackendError> {
        match read_capped(path, MAX_BODY) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&path.display().to_string(), e)),
        }
    }

    fn current_version(&self, path: &Path) -> Result<Option<RemoteVersion>, BackendError> {
        Ok(self.read(path)?.map(|b| content_version(&b)))
    }

    /// Opens one file: its plaintext, checked to belong to this file name.
    fn open_file(
        &self,
        keys: &Keys,
        file: &str,
        bytes: &[u8],
    ) -> Result<(RemoteId, Sealed<serde_json::Value>), String> {
        let ad = [FILE_AD, file.as_bytes()].concat();
        let plain = crypto::open(&keys.files, &ad, bytes).map_err(|_| {
            "does not open with this folder's passphrase (damaged, or not written by sesame)"
                .to_string()
        })?;
        let sealed: Sealed<serde_json::Value> = json(&plain)?;
        let id = remote::parse_id(sealed.scope.as_str(), &sealed.name)?;
        if self.file_name(keys, &id) != file {
            return Err("its content belongs to another file name (renamed by hand?)".into());
        }
        Ok((id, sealed))
    }
}

fn content_version(bytes: &[u8]) -> RemoteVersion {
    RemoteVersion(hex(&sha2::Sha256::digest(bytes)[..16]))
}

fn read_capped(path: &Path, max: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    fs::File::open(path)?
        .take(max as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > max {
        return Err(io::Error::other(format!("larger than {} MiB", max >> 20)));
    }
    Ok(out)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A rename or removal is durable only once the directory itself is flushed.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn is_secret_file(name: &str) -> bool {
    name.strip_suffix(EXTENSION).is_some_and(|stem| {
        stem.len() == 32
            && stem
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

impl Backend for FolderBackend {
    fn flavor(&self) -> &'static str {
        "folder"
    }

    fn test(&self) -> Result<String, BackendError> {
        self.keys()?;
        let n = fs::read_dir(&self.dir)
            .map_err(|e| self.io("reading the directory", e))?
            .filter_map(Result::ok)
            .filter(|e| is_secret_file(&e.file_name().to_string_lossy()))
            .count();
        Ok(format!(
            "{}: passphrase accepted, {n} secret files",
            self.label
        ))
    }

    fn list(&self) -> Result<Listing, BackendError> {
        let keys = self.keys()?;
        let mut listing = Listing::default();
        for entry in fs::read_dir(&self.dir).map_err(|e| self.io("reading the directory", e))? {
            let entry = entry.map_err(|e| self.io("reading the directory", e))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if !file.ends_with(EXTENSION) {
                continue; // the header, temp files, a git repo's own files
            }
            if !is_secret_file(&file) {
                listing
                    .foreign
                    .push(foreign(&file, "not a file name sesame writes"));
                continue;
            }
            let Some(bytes) = self.read(&entry.path())? else {
                continue; // deleted while we listed
            };
            match self.open_file(&keys, &file, &bytes) {
                Ok((id, _)) => listing.entries.push(RemoteEntry {
                    id,
                    version: content_version(&bytes),
                }),
                Err(why) => listing.foreign.push(foreign(&file, why)),
            }
        }
        Ok(remote::sorted(listing))
    }

    fn get(&self, id: &RemoteId) -> Result<Option<RemoteSecret>, BackendError> {
        let keys = self.keys()?;
        let file = self.file_name(&keys, id);
        let Some(bytes) = self.read(&self.dir.join(&file))? else {
            return Ok(None);
        };
        let malformed = |detail: String| BackendError::Malformed {
            backend: self.label.clone(),
            id: id.clone(),
            detail: format!("file {file} {detail}"),
        };
        let (_, sealed) = self.open_file(&keys, &file, &bytes).map_err(malformed)?;
        let serde_json::Value::Object(obj) = sealed.values else {
            return Err(malformed("holds values that are not a JSON object".into()));
        };
        Ok(Some(RemoteSecret {
            id: id.clone(),
            version: content_version(&bytes),
            schema: Some(schema_name(&sealed.schema).map_err(malformed)?),
            values: values_from_json(obj).map_err(malformed)?,
        }))
    }

    fn put(
        &self,
        id: &RemoteId,
        schema: &str,
        values: &Values,
        expect: Expect,
    ) -> Result<RemoteVersion, BackendError> {
        writable(&self.label, id, values)?;
        let keys = self.keys()?;
        let file = self.file_name(&keys, id);
        let target = self.dir.join(&file);
        let current = self.current_version(&target)?;
        precondition(&self.label, id, current.as_ref(), &expect)?;
        let plain = Zeroizing::new(
            serde_json::to_vec(&Sealed {
                scope: id.scope,
                name: id.name.as_str().to_string(),
                schema: schema.to_string(),
                values,
            })
            .expect("strings serialize"),
        );
        let sealed = crypto::seal(&keys.files, &[FILE_AD, file.as_bytes()].concat(), &plain);
        let changed = || io::Error::new(io::ErrorKind::WouldBlock, "changed meanwhile");
        let last_check = || match &expect {
            Expect::Version(_) => {
                if self.current_version(&target).ok().flatten() == current {
                    Ok(())
                } else {
                    Err(changed())
                }
            }
            _ => Ok(()),
        };
        match self.publish_checked(&sealed, &target, expect == Expect::Absent, last_check) {
            Ok(()) => Ok(content_version(&sealed)),
            Err(e)
                if e.kind() == io::ErrorKind::AlreadyExists
                    || e.kind() == io::ErrorKind::WouldBlock =>
            {
                Err(BackendError::Conflict {
                    backend: self.label.clone(),
                    id: id.clone(),
                    detail: "was written by someone else at the same moment".into(),
                })
            }
            Err(e) => Err(self.io(&format!("writing {file}"), e)),
        }
    }

    fn delete(&self, id: &RemoteId, expect: Expect) -> Result<(), BackendError> {
        let keys = self.keys()?;
        let file = self.file_name(&keys, id);
        let target = self.dir.join(&file);
        let current = self.current_version(&target)?;
        if !may_delete(&self.label, id, current.as_ref(), &expect)? {
            return Ok(());
        }
        match fs::remove_file(&target) {
            Ok(()) => sync_dir(&self.dir).map_err(|e| self.io("flushing the directory", e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BackendError::Conflict {
                backend: self.label.clone(),
                id: id.clone(),
                detail: "was deleted by someone else at the same moment".into(),
            }),
            Err(e) => Err(self.io(&format!("deleting {file}"), e)),
        }
    }
}
