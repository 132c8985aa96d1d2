//! The thin binary: parse the command line, run it (no command opens the TUI on a terminal),
//! turn an error into one line on stderr and an exit code. Everything else lives in the library.

fn main() {
    // SAFETY: the first statement of main; no other thread exists yet (nothing before it
    // spawns one), so changing the environment races with no reader.
    unsafe { sesame::passphrase::take_env() };
    sesame::cli::install_panic_hook();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A warm agent answers `secret get NAME --key KEY` before clap is built; anything the
    // fast path does not answer runs the ordinary way.
    if let Some(code) = sesame::cli::fast::secret_get(&args) {
        std::process::exit(code);
    }
    if let Err(e) = sesame::cli::run(sesame::cli::parse(args)) {
        std::process::exit(sesame::cli::report(&e));
    }
}
