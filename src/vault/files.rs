//! The vault directory as files: atomic replacement (temp file, fsync, rename, fsync of the
//! directory), the exclusive lock that makes one process the writer, and the permission
//! checks run on every open. Nothing here knows about records or keys.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file: held with `flock` for as long as a process has the vault open; it also
/// names the holder, for the busy error.
pub const LOCK_FILE: &str = "lock";
/// How long an open waits for another process to let go before saying who holds the vault.
/// Long enough for a short command in a script (or a process just killed) to finish.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// New files and directories of this process are private to its user.
pub fn restrict_umask() {
    // SAFETY: umask only changes this process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

pub fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}", path.display()), e)
}

/// Opens a file for reading without following a symlink in its last component: a vault
/// file replaced by a link elsewhere is refused rather than read.
pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Reads a whole (small) file without following symlinks, refusing anything over `limit`
/// bytes: a vault file is input, and a hostile one must not make us allocate gigabytes.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = open_nofollow(path)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{len} bytes, more than the {limit} such a file can hold"),
        ));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(limit + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Makes a directory's entries (a rename, a new file) durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err("cannot flush the directory", dir, e))
}

/// Replaces `path` with `bytes` atomically and durably: a crash leaves the old file or the
/// new one, never a mix, and the new one is on stable storage when this returns.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("cannot write", path, e));
    }
    sync_dir(dir)
}

/// A fresh temp name beside `path` (same directory, so the rename is atomic).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let suffix: [u8; 6] = crate::crypto::random_array();
    path.with_file_name(format!(
        ".{}.tmp-{}",
        name.unwrap_or_default(),
        hex(&suffix)
    ))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates `dir` (0700) for a new vault. It may exist if it is empty and ours; a directory
/// that holds other files, or one shared with others (`/tmp`'s 1777), is refused rather than
/// taken over.
pub fn create_vault_dir(dir: &Path) -> Result<()> {
    restrict_umask();
    match fs::symlink_metadata(dir) {
        Ok(meta) => {
            let meta = if meta.file_type().is_symlink() {
                fs::metadata(dir).map_err(|e| io_err("cannot read", dir, e))?
            } else {
                meta
            };
            if !meta.is_dir() {
                return Err(Error::Conflict(format!(
                    "{} exists and is not a directory: choose another place for the vault",
                    dir.display()
                )));
            }
            if meta.uid() != euid() {
                return Err(Error::Other(format!(
                    "{} belongs to another user (uid {}): create the vault in a directory of your own",
                    dir.display(),
                    meta.uid()
                )));
            }
            if meta.mode() & 0o1002 != 0 {
                return Err(Error::Other(format!(
                    "{} is writable by everyone (mode {:04o}): create the vault in a directory of your own",
                    dir.display(),
                    meta.mode() & 0o7777
                )));
            }
            let mut entries = fs::read_dir(dir).map_err(|e| io_err("cannot read", dir, e))?;
            if entries.next().is_some() {
                return Err(Error::Conflict(format!(
                    "{} already holds other files and is not a vault: choose an empty or new directory",
                    dir.display()
                )));
            }
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| io_err("cannot set permissions on", dir, e))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io_err("cannot create the vault directory", dir, e)),
        Err(e) => Err(io_err("cannot read", dir, e)),
    }
}

pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// True when this process may change files in `dir`. The owner's write bit is honoured
/// even for root, so a vault made read-only with `chmod` is treated as read-only by everyone.
pub fn writable(dir: &Path) -> bool {
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    if meta.mode() & 0o200 == 0 {
        return false;
    }
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: access(2) with a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Checks the vault directory and everything in it: another user's vault is refused; a
/// file or directory that others could read is tightened (0600 / 0700) when we may, and the
/// returned notices say what was changed or what others can read.
pub fn check_permissions(dir: &Path, may_fix: bool) -> Result<Vec<String>> {
    let meta = fs::metadata(dir).map_err(|e| io_err("cannot read", dir, e))?;
    if meta.uid() != euid() {
        return Err(Error::Other(format!(
            "the vault at {} belongs to another user (uid {}): refusing to open it",
            dir.display(),
            meta.uid()
        )));
    }
    let mut notices = Vec::new();
    let mut fixed = Vec::new();
    let mut open_to_others = Vec::new();
    walk(dir, 0, &mut |path, meta| {
        let mode = meta.mode() & 0o7777;
        if meta.file_type().is_symlink() || mode & 0o077 == 0 {
            return;
        }
        if meta.uid() != euid() {
            open_to_others.push(format!("{} (owned by uid {})", path.display(), meta.uid()));
            return;
        }
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if may_fix && fs::set_permissions(path, fs::Permissions::from_mode(want)).is_ok() {
            fixed.push(format!("{} ({mode:04o} -> {want:04o})", path.display()));
        } else {
            open_to_others.push(format!("{} (mode {mode:04o})", path.display()));
        }
    })
    .map_err(|e| io_err("cannot read", dir, e))?;
    if !fixed.is_empty() {
        notices.push(format!(
            "other users could read parts of the vault; tightened {}",
            list_some(&fixed)
        ));
    }
    if !open_to_others.is_empty() {
        notices.push(format!(
            "other users can read parts of the vault and sesame cannot change that: {}",
            list_some(&open_to_others)
        ));
    }
    Ok(notices)
}

fn list_some(items: &[String]) -> String {
    let mut s = items.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 3 {
        s.push_str(&format!(" and {} more", items.len() - 3));
    }
    s
}

/// Visits `path` and everything below it (symlinks are visited, never followed).
fn walk(path: &Path, depth: usize, f: &mut dyn FnMut(&Path, &fs::Metadata)) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    f(path, &meta);
    // The vault is at most three levels deep (dir / store / blobs); stop well past that.
    if meta.is_dir() && depth < 4 {
        for entry in fs::read_dir(path)? {
            walk(&entry?.path(), depth + 1, f)?;
        }
    }
    Ok(())
}

/// The exclusive hold on a vault directory, released when dropped (and by the kernel when
/// the process dies, however it dies).
#[derive(Debug)]
pub struct VaultLock {
    file: File,
    exclusive: bool,
}

impl VaultLock {
    /// Takes the lock, waiting a few seconds for a current holder to finish; then fails
    /// naming the holder. `exclusive = false` takes a shared hold for read-only use.
    pub fn acquire(dir: &Path, exclusive: bool) -> Result<VaultLock> {
        VaultLock::acquire_within(dir, exclusive, LOCK_WAIT)
    }

    fn acquire_within(dir: &Path, exclusive: bool, wait: Duration) -> Result<VaultLock> {
        restrict_umask();
        let path = dir.join(LOCK_FILE);
        let file = if exclusive {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
        } else {
            open_nofollow(&path)
        };
        let file = match file {
            Ok(f) => f,
            // A read-only vault without a lock file: nobody can be writing it through us.
            Err(e) if !exclusive && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(VaultLock {
                    file: File::open(dir).map_err(|e| io_err("cannot open", dir, e))?,
                    exclusive: false,
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(Error::CorruptVault {
                    path: dir.to_path_buf(),
                    what: format!("{} is a symbolic link; remove it", path.display()),
                });
            }
            Err(e) => return Err(io_err("cannot open the lock file", &path, e)),
        };
        let op = if exclusive {
            libc::LOCK_EX
        } else {
            libc::LOCK_SH
        };
        let start = Instant::now();
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), op | libc::LOCK_NB) }
                == 0
            {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io_err("cannot lock", &path, err));
            }
            if start.elapsed() >= wait {
                return Err(Error::VaultBusy {
                    path: dir.to_path_buf(),
                    holder: describe_holder(&path),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut lock = VaultLock { file, exclusive };
        lock.name_holder();
        Ok(lock)
    }

    /// Writes "pid command" into the lock file (best effort: it only improves a message).
    fn name_holder(&mut self) {
        if !self.exclusive {
            return;
        }
        let exe = match HOLDER_ROLE.get() {
            Some(role) => role.to_string(),
            None => {
                let exe = std::env::args().next().unwrap_or_else(|| "sesame".into());
                Path::new(&exe)
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }
        };
        let _ = self.file.set_len(0);
        let _ = std::io::Seek::rewind(&mut self.file);
        let _ = writeln!(self.file, "{} {}", std::process::id(), exe);
    }
}

/// What this process calls itself in the lock file, when it is more than a command (the
/// agent): the busy error of another process then says how to get the vault back.
static HOLDER_ROLE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The name the agent gives itself in the lock file.
pub const AGENT_ROLE: &str = "sesame-agent";

pub fn set_holder_role(role: &'static str) {
    let _ = HOLDER_ROLE.set(role);
}

fn describe_holder(path: &Path) -> String {
    let Ok(bytes) = read_limited(path, 256) else {
        return "another process: close it there first".into();
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut parts = text.split_whitespace();
    match (
        parts.next().and_then(|p| p.parse::<u32>().ok()),
        parts.next(),
    ) {
        (Some(pid), Some(AGENT_ROLE)) => format!(
            "the sesame agent (pid {pid}): drop --no-agent and SESAME_NO_AGENT to use it, or run 'sesame lock' to close it"
        ),
        (Some(pid), Some(cmd)) => {
            format!(
                "another process ({}, pid {pid}): close it there first",
                crate::error::shown(cmd)
            )
        }
        (Some(pid), None) => format!("another process (pid {pid}): close it there first"),
        _ => "another process: close it there first".into(),
    }
}

/// Size in bytes of everything under `path` (for deciding whether work is cheap).
pub fn tree_size(path: &Path) -> u64 {
    let mut total = 0;
    let _ = walk(path, 0, &mut |_, m| {
        if m.is_file() {
            total += m.len();
        }
    });
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_is_atomic_and_leaves_no_temp_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("h");
        replace_file(&p, b"one").unwrap();
        replace_file(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    }

    #[test]
    fn read_limited_refuses_big_files_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, vec![0u8; 100]).unwrap();
        assert!(read_limited(&p, 99).is_err());
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
        let l = d.path().join("link");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert!(read_limited(&l, 1000).is_err());
    }

    #[test]
    fn new_vault_dir_must_be_empty_and_private() {
        let d = tempfile::tempdir().unwrap();
        let v = d.path().join("new");
        create_vault_dir(&v).unwrap();
        assert_eq!(fs::metadata(&v).unwrap().mode() & 0o777, 0o700);
        fs::write(v.join("x"), "").unwrap();
        assert!(
            create_vault_dir(&v)
                .unwrap_err()
                .to_string()
                .contains("other files")
        );
        let shared = d.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(
            create_vault_dir(&shared)
                .unwrap_err()
                .to_string()
                .contains("everyone")
        );
        assert_eq!(fs::metadata(&shared).unwrap().mode() & 0o7777, 0o1777);
    }

    #[test]
    fn loose_permissions_are_tightened_and_reported() {
        let d = tempfile::tempdir().unwrap();
        let v = d.path().join("v");
        fs::create_dir(&v).unwrap();
        fs::write(v.join("header"), "x").unwrap();
        fs::set_permissions(&v, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(v.join("header"), fs::Permissions::from_mode(0o644)).unwrap();
        let notices = check_permissions(&v, true).unwrap();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("0644 -> 0600"), "{notices:?}");
        assert_eq!(fs::metadata(&v).unwrap().mode() & 0o777, 0o700);
        assert!(check_permissions(&v, true).unwrap().is_empty());
    }

    #[test]
    fn second_exclusive_lock_waits_then_names_the_holder() {
        let d = tempfile::tempdir().unwrap();
        let _held = VaultLock::acquire(d.path(), true).unwrap();
        // flock is per open file description: a second open in this process conflicts too.
        let t = Instant::now();
        let wait = Duration::from_millis(200);
        let err = VaultLock::acquire_within(d.path(), true, wait).unwrap_err();
        assert!(t.elapsed() >= wait);
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
    }

    #[test]
    fn a_symlinked_lock_file_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere");
        fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, d.path().join(LOCK_FILE)).unwrap();
        assert!(VaultLock::acquire(d.path(), true).is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
    }
}
