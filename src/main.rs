//! The thin binary: parse the command line, run it (no command opens the TUI on a terminal),
//! turn an error into one line on stderr and an exit code. Everything else lives in the library.

fn main() {
    // SAFETY: the first statement of main; no other thread exists yet (nothing before it
    // spawns one), so changing the environment races with no reader.
    unsafe { sesame::passphrase::take_env() };
    sesame::cli::install_panic_hook();
    if let Err(e) = sesame::cli::run(sesame::cli::parse(std::env::args_os())) {
        std::process::exit(sesame::cli::report(&e));
    }
}
