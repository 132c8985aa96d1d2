//! TEMPORARY (branch `tui`): just enough to open the TUI until branch `cli` lands the real
//! main.rs; on merge take `cli`'s file. Understands `--vault DIR`, `--config FILE`,
//! `--passphrase-file FILE` and the SESAME_VAULT / SESAME_CONFIG variables.
fn main() {
    let mut options = sesame::session::Options {
        vault: std::env::var_os("SESAME_VAULT").map(Into::into),
        config: std::env::var_os("SESAME_CONFIG").map(Into::into),
        ..Default::default()
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().map(std::path::PathBuf::from);
        match (a.to_str(), value) {
            (Some("--vault"), Some(v)) => options.vault = Some(v),
            (Some("--config"), Some(v)) => options.config = Some(v),
            (Some("--passphrase-file"), Some(v)) => options.passphrase_file = Some(v),
            _ => {
                eprintln!("sesame (tui branch): only --vault, --config, --passphrase-file");
                std::process::exit(2);
            }
        }
    }
    let result = sesame::session::Session::load(options).and_then(sesame::tui::run);
    if let Err(e) = result {
        eprintln!("sesame: {e}");
        std::process::exit(e.exit_code());
    }
}
