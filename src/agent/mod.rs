//! The agent (DESIGN §7): one process per vault directory that holds the unlocked vault, so
//! neither face asks for the passphrase again, several processes use the vault at once, and
//! a warm `secret get` costs one process start. It serves [`crate::api::Secrets`] over a Unix
//! socket (`protocol.rs`), locks itself after an idle timeout or on `sesame lock` (wiping its
//! keys and exiting), and refuses peers of another uid.

pub mod client;
pub mod protocol;
pub mod server;

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Environment variable that disables the agent (`--no-agent` does the same).
pub const ENV_NO_AGENT: &str = "SESAME_NO_AGENT";

/// The directory the sockets live in: `$XDG_RUNTIME_DIR/sesame`, else `<tmp>/sesame-<uid>`.
/// Created 0700; one that another user owns or others can enter is refused.
pub fn socket_dir() -> Result<PathBuf> {
    socket_dir_in(std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from))
}

/// [`socket_dir`] for a given runtime directory (`None`: the temp dir fallback).
pub fn socket_dir_in(runtime: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match runtime.filter(|p| !p.as_os_str().is_empty()) {
        Some(rt) if rt.is_absolute() => rt.join("sesame"),
        _ => std::env::temp_dir().join(format!("sesame-{}", euid())),
    };
    let refuse = |why: String| {
        Error::Other(format!(
            "the agent's socket directory {} {why}: refusing to use it (remove it, or set XDG_RUNTIME_DIR)",
            dir.display()
        ))
    };
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.file_type().is_symlink() => return Err(refuse("is a symbolic link".into())),
        Ok(m) if !m.is_dir() => return Err(refuse("is not a directory".into())),
        Ok(m) if m.uid() != euid() => {
            return Err(refuse(format!("belongs to another user (uid {})", m.uid())));
        }
        Ok(m) if m.mode() & 0o077 != 0 => {
            return Err(refuse(format!(
                "is open to other users (mode {:04o})",
                m.mode() & 0o7777
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io(format!("cannot secure {}", dir.display()), e))?;
        }
        Err(e) => return Err(Error::io(format!("cannot read {}", dir.display()), e)),
    }
    Ok(dir)
}

/// The socket of the agent for `vault_dir`: one per vault directory (by its canonical path).
pub fn socket_path(vault_dir: &Path) -> Result<PathBuf> {
    Ok(socket_dir()?.join(socket_name(vault_dir)))
}

/// The socket's file name for `vault_dir`.
pub fn socket_name(vault_dir: &Path) -> String {
    let canonical = std::fs::canonicalize(vault_dir).unwrap_or_else(|_| vault_dir.to_path_buf());
    let h = {
        use blake2::Digest;
        blake2::Blake2b::<blake2::digest::consts::U32>::digest(
            canonical.as_os_str().as_encoded_bytes(),
        )
    };
    let name: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("agent-{name}.sock")
}

pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The uid of the process at the other end of a Unix socket (SO_PEERCRED).
pub fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`, which is that large.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cred.uid)
}
