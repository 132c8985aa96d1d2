//! Process hardening for long-lived processes that hold an unlocked vault (the TUI today,
//! the agent later): no core dumps, and no ptrace attach by other processes of the same user.

/// Disables core dumps (`RLIMIT_CORE` = 0) and makes the process non-dumpable
/// (`PR_SET_DUMPABLE` = 0, which also refuses `ptrace` attach from same-uid processes and
/// makes `/proc/PID/mem` and `environ` root-only). Best effort: returns what could not be
/// done, for a warning, since refusing to start would help nobody.
pub fn no_dumps() -> Vec<&'static str> {
    let mut failed = Vec::new();
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the struct we pass; no memory is shared.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } != 0 {
        failed.push("core dumps");
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_SET_DUMPABLE takes plain integer arguments.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            failed.push("ptrace attach");
        }
    }
    failed
}

/// Whether the process is currently dumpable (Linux; elsewhere `None`).
pub fn is_dumpable() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with PR_GET_DUMPABLE takes plain integer arguments.
        let r = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        Some(r == 1)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_dumps_turns_both_off() {
        // A unit test process may be made non-dumpable: nothing else in it needs dumps.
        assert!(super::no_dumps().is_empty());
        assert_eq!(super::is_dumpable(), Some(false));
        let mut lim = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut lim) }, 0);
        assert_eq!((lim.rlim_cur, lim.rlim_max), (0, 0));
    }
}
