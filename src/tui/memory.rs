//! Keeping "locked" small. The list of 100,000 secrets is ~50 MB while unlocked; once it is
//! dropped, glibc keeps the freed pages of every thread's arena resident (measured: 22-30
//! MB left after lock, growing over lock/unlock cycles). One arena for the TUI's few
//! threads, trimmed after each lock, brings a locked TUI back to its starting size. The
//! freed memory held no value (values are zeroized when dropped) and no name (the list
//! wipes its names on drop): this is about size, not secrecy.

/// One malloc arena for the whole process; call before any thread starts.
pub fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Hands freed heap pages back to the system (after a lock).
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}
