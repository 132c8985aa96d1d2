//! `sesame init` creates a vault; `sesame passwd` re-wraps its key under a new passphrase.

use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use super::{Context, note, prompt, warn};
use crate::crypto::KdfParams;
use crate::error::{Error, Result};
use crate::passphrase::{self, ENV_NEW_PASSPHRASE, Strength};
use crate::vault::Vault;

/// Argon2id cost; the defaults (64 MiB, 3 passes, 4 lanes) suit a laptop.
#[derive(Args, Debug, Default, Clone)]
pub struct KdfArgs {
    /// Argon2id memory in MiB [default: 64]
    #[arg(long, value_name = "N")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes [default: 3]
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes [default: 4]
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
}

impl KdfArgs {
    fn is_empty(&self) -> bool {
        self.kdf_memory_mib.is_none()
            && self.kdf_iterations.is_none()
            && self.kdf_parallelism.is_none()
    }

    /// `base` with the given parameters replaced, checked: parameters out of bounds are a
    /// usage error (exit 2) naming the flags, since they come from this command line.
    fn apply(&self, base: KdfParams) -> Result<KdfParams> {
        let kdf = KdfParams {
            memory_kib: self
                .kdf_memory_mib
                .map_or(base.memory_kib, |m| m.saturating_mul(1024)),
            iterations: self.kdf_iterations.unwrap_or(base.iterations),
            parallelism: self.kdf_parallelism.unwrap_or(base.parallelism),
        };
        kdf.check().map_err(|e| match e {
            Error::KdfParams(why) => Error::Usage(format!(
                "invalid --kdf-* value: {why}; see 'sesame init --help'"
            )),
            other => other,
        })?;
        Ok(kdf)
    }
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub kdf: KdfArgs,
}

#[derive(Args, Debug)]
pub struct PasswdArgs {
    /// Read the new passphrase from the first line of FILE (or set SESAME_NEW_PASSPHRASE)
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Also replace the vault key and re-seal every record under it, so an old copy of the
    /// files with an old passphrase opens nothing written from now on (costs about one
    /// import of the whole vault)
    #[arg(long)]
    pub rotate_key: bool,
    #[command(flatten)]
    pub kdf: KdfArgs,
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<()> {
    let session = &ctx.session;
    if session.vault_exists() {
        return Err(Error::VaultExists(session.vault_dir.clone()));
    }
    // Check before asking for a passphrase twice.
    let kdf = args.kdf.apply(KdfParams::default())?;
    let pass = match session.passphrase_without_prompt()? {
        Some(p) => p,
        None if prompt::can_prompt(ctx.headless()) => {
            prompt::new_passphrase("Passphrase for the new vault")?
        }
        None => {
            return Err(Error::NoPassphrase {
                headless: ctx.headless(),
            });
        }
    };
    warn_if_weak(&pass);
    Vault::init(&session.vault_dir, pass.as_bytes(), kdf)?;
    if let Some(w) = kdf.weakness() {
        super::warn(&w);
    }
    note(&format!(
        "Created a vault at {}. Add a secret: sesame secret create NAME --KEY=VALUE",
        session.vault_dir.display()
    ));
    Ok(())
}

pub fn passwd(ctx: &Context, args: PasswdArgs) -> Result<()> {
    if ctx.passphrase_from_stdin()
        && args
            .new_passphrase_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
    {
        return Err(Error::Usage(
            "--passphrase-file - and --new-passphrase-file - would both read stdin: give one of them as a file or variable".into(),
        ));
    }
    let mut vault = ctx.open_vault()?;
    let kdf = args.kdf.apply(vault.kdf_params())?;
    if !args.kdf.is_empty()
        && let Some(w) = kdf.weakness()
    {
        super::warn(&w);
    }
    let new = new_passphrase(ctx, &args)?;
    warn_if_weak(&new);
    let kdf = (!args.kdf.is_empty()).then_some(kdf);
    if args.rotate_key {
        vault.rotate_key(new.as_bytes(), kdf)?;
        note(
            "Passphrase changed and vault key replaced: every record was re-sealed under the new key.",
        );
    } else {
        vault.change_passphrase(new.as_bytes(), kdf)?;
        note(
            "Passphrase changed (the old one no longer opens these files; add --rotate-key to also replace the vault key).",
        );
    }
    Ok(())
}

/// The TUI's wizard shows the same rule as a hint; here a weak passphrase is a warning (a
/// script may have its reasons), never a refusal.
fn warn_if_weak(pass: &str) {
    let (strength, advice) = passphrase::strength(pass);
    if strength == Strength::Weak {
        warn(&format!("this passphrase is weak: {advice}"));
    }
}

fn new_passphrase(ctx: &Context, args: &PasswdArgs) -> Result<Zeroizing<String>> {
    if let Some(path) = &args.new_passphrase_file {
        return passphrase::from_file(path);
    }
    if let Some(p) = passphrase::from_env(ENV_NEW_PASSPHRASE)? {
        return Ok(p);
    }
    if prompt::can_prompt(ctx.headless()) {
        return prompt::new_passphrase("New passphrase");
    }
    Err(Error::Passphrase(format!(
        "no new passphrase given and {}: set {ENV_NEW_PASSPHRASE} or pass --new-passphrase-file FILE",
        prompt::why_not(ctx.headless())
    )))
}
