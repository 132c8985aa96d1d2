//! "Every acknowledged write is durable before the command reports success" (DESIGN §4),
//! checked on the system calls themselves: under strace, the success line of `secret create`
//! comes after an fsync of sled's log file (sled's own flush only does `sync_file_range`,
//! which neither waits for the device cache nor persists metadata), after the header's
//! replacement (temp file fsynced, renamed), and after an fsync of the vault directory.
//! The fsync must follow sled's last write to its log (sled fsyncs once when it opens,
//! which proves nothing about this write).

use crate::common;

use std::collections::HashMap;
use std::process::Command;

use common::TestVault;

#[test]
fn success_is_reported_only_after_fsync_of_the_store_and_the_header() {
    let v = TestVault::new();
    v.ok(&["secret", "create", "first", "--k=1"]);
    let trace = v.path().join("trace");
    let out = Command::new("strace")
        .args([
            "-f",
            "-e",
            "trace=openat,fsync,fdatasync,sync_file_range,pwrite64,rename,renameat,renameat2,write",
            "-o",
        ])
        .arg(&trace)
        .arg(assert_cmd::cargo::cargo_bin("sesame"))
        .args(["secret", "create", "second", "--k=2"])
        .env("SESAME_VAULT", v.vault_dir())
        .env("SESAME_CONFIG", v.path().join("config.toml"))
        .env("SESAME_PASSPHRASE", common::PASSPHRASE)
        .env("SESAME_NO_AGENT", "1")
        .output()
        .expect("strace is installed by ./scripts/test (apt package strace)");
    assert!(
        out.status.success(),
        "strace/sesame failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();

    // Walk the calls in order, tracking which file each descriptor is.
    let mut fds: HashMap<String, String> = HashMap::new();
    let (mut log_synced, mut header_renamed, mut dir_synced_after_rename) = (false, false, false);
    let mut log_written = false;
    let vault = v.vault_dir().display().to_string();
    for line in text.lines() {
        let call = line
            .split_once(' ')
            .map_or(line, |(_, rest)| rest.trim_start());
        if let Some(rest) = call.strip_prefix("openat(") {
            let path = rest.split('"').nth(1).unwrap_or("").to_string();
            if let Some(fd) = call
                .rsplit("= ")
                .next()
                .filter(|fd| fd.parse::<i32>().is_ok())
            {
                fds.insert(fd.to_string(), path);
            }
        } else if let Some(rest) = call
            .strip_prefix("sync_file_range(")
            .or_else(|| call.strip_prefix("pwrite64("))
        {
            // sled wrote to its log: only an fsync from here on makes it durable.
            let fd = rest.split(',').next().unwrap_or("");
            if fds.get(fd).is_some_and(|p| p.ends_with("/db")) {
                log_synced = false;
                log_written = true;
            }
        } else if let Some(rest) = call.strip_prefix("fsync(") {
            let fd = rest.split(')').next().unwrap_or("");
            let path = fds.get(fd).cloned().unwrap_or_default();
            if path.ends_with("/db") && path.contains("/store-") {
                log_synced = true;
            }
            if header_renamed && path == vault {
                dir_synced_after_rename = true;
            }
        } else if call.starts_with("rename") && call.contains(&format!("\"{vault}/header\"")) {
            header_renamed = true;
        } else if call.starts_with("write(2, \"Created secret") {
            assert!(
                log_written,
                "the trace shows no write to the store's log:\n{text}"
            );
            assert!(
                log_synced,
                "success before the store's log was fsynced:\n{text}"
            );
            assert!(
                header_renamed,
                "success before the header was replaced:\n{text}"
            );
            assert!(
                dir_synced_after_rename,
                "success before the vault directory was fsynced after the header's rename:\n{text}"
            );
            return;
        }
    }
    panic!("no success line in the trace:\n{text}");
}
