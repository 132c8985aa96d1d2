//! The thin binary: parse the command line, pick a face, turn an error into one line on
//! stderr and an exit code. Everything else lives in the library.

use sesame::cli;

fn main() {
    cli::install_panic_hook();
    let args = cli::parse(std::env::args_os());
    // Without a command, the interactive face; with one, the headless one.
    let result = match args.command {
        None => cli::session(&args).and_then(cli::start::run),
        Some(_) => cli::run(args),
    };
    if let Err(e) = result {
        std::process::exit(cli::report(&e));
    }
}
