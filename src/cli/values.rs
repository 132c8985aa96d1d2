//! Gathers a secret's values from the three ways of giving them: `--KEY=VALUE` flags,
//! `--values` (JSON, YAML or @FILE) and `-i`. The same key given twice is refused (exit 5),
//! never silently resolved. Parsing itself is `sesame::input`'s job.

use std::fmt;
use std::io::Read;

use clap::{ArgAction, Args};
use zeroize::Zeroizing;

use super::{Context, prompt};
use crate::error::{Error, Result};
use crate::input;
use crate::schema::Schema;
use crate::secret::{SecretValue, Values};

#[derive(Args, Default, Clone)]
pub struct ValueArgs {
    /// Set KEY to VALUE; what --KEY=VALUE becomes (use it for keys that are also flag names)
    #[arg(long = "set", value_name = "KEY=VALUE", action = ArgAction::Append, hide = true)]
    pub set: Vec<String>,
    /// All values at once: a JSON or YAML mapping, or @FILE holding one
    // A YAML document may start with its `---` marker: without allow_hyphen_values clap takes
    // it for a flag and echoes the whole document in its error.
    #[arg(long, value_name = "JSON|YAML|@FILE", allow_hyphen_values = true)]
    pub values: Option<String>,
    /// Ask for keys and values (values hidden); without a terminal, read KEY=VALUE lines
    /// from stdin instead (values never appear in argv that way)
    #[arg(short, long)]
    pub interactive: bool,
}

/// Shows which keys were given, never their values (argv holds plaintext here).
impl fmt::Debug for ValueArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self
            .set
            .iter()
            .map(|a| a.split_once('=').map_or("?", |(k, _)| k))
            .collect();
        f.debug_struct("ValueArgs")
            .field("set_keys", &keys)
            .field("values", &self.values.as_ref().map(|_| "[redacted]"))
            .field("interactive", &self.interactive)
            .finish()
    }
}

impl ValueArgs {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.values.is_none() && !self.interactive
    }
}

/// The values of `--KEY=VALUE` and `--values`, refusing a key given twice.
pub fn from_flags(args: &ValueArgs) -> Result<Values> {
    let mut out = Values::new();
    for a in &args.set {
        let (k, v) = input::parse_assignment(a)?;
        add(&mut out, k, v, "--KEY=VALUE")?;
    }
    if let Some(text) = &args.values {
        let doc = input::parse_values(text)?;
        for (k, v) in doc {
            add(&mut out, k, v, "--values")?;
        }
    }
    Ok(out)
}

/// Adds one key, refusing it if it was given already.
pub fn add(values: &mut Values, key: String, value: SecretValue, origin: &str) -> Result<()> {
    if values.contains_key(&key) {
        return Err(Error::Input(format!(
            "key '{key}' is given more than once (again in {origin}): give each key once"
        )));
    }
    values.insert(key, value);
    Ok(())
}

/// `-i`: prompts on a terminal, else reads `KEY=VALUE` lines from stdin. `given` holds the
/// values from flags (they are not asked again); `schema` drives which fields are asked.
pub fn interactive(
    ctx: &Context,
    schema: &Schema,
    given: &mut Values,
    current: Option<&Values>,
) -> Result<()> {
    // Lines from a pipe are not a prompt: scripts and CI use them to keep values out of argv.
    if !prompt::stdin_is_terminal() {
        return from_stdin(given);
    }
    check_interactive(
        ctx,
        &ValueArgs {
            interactive: true,
            ..ValueArgs::default()
        },
    )?;
    let keep = if current.is_some() {
        ", empty keeps the current value"
    } else {
        ""
    };
    prompt::tell("Values are hidden as you type; @FILE reads a file, @@ is a literal @.");
    for field in &schema.fields {
        if given.contains_key(&field.name) {
            continue;
        }
        let mut label = format!("{} ({}", field.name, field.ty);
        label.push_str(if field.required {
            ", required"
        } else {
            ", optional"
        });
        if let Some(d) = &field.default {
            label.push_str(&format!(", default {d}"));
        }
        label.push_str(keep);
        label.push_str("): ");
        loop {
            let text = prompt::hidden(&label)?;
            if text.is_empty() {
                let has = current.is_some_and(|c| c.contains_key(&field.name));
                if field.required && field.default.is_none() && !has {
                    prompt::tell(&format!("sesame: {} is required", field.name));
                    continue;
                }
                break;
            }
            given.insert(field.name.clone(), input::parse_value(&text)?);
            break;
        }
    }
    if schema.allow_unknown {
        while let Some(key) = prompt::line("Key (empty to finish): ")? {
            let key = key.trim().to_string();
            if key.is_empty() {
                break;
            }
            if let Err(e) = crate::secret::check_key(&key) {
                prompt::tell(&format!("sesame: {e}"));
                continue;
            }
            let text = prompt::hidden(&format!("Value of {key}: "))?;
            let value = input::parse_value(&text)?;
            add(given, key, value, "-i")?;
        }
    }
    Ok(())
}

/// `KEY=VALUE` lines from stdin; blank lines and `#` comments are skipped. Errors name the
/// line by number, never by content (a line may be a value).
fn from_stdin(given: &mut Values) -> Result<()> {
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("cannot read KEY=VALUE lines from stdin", e))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = input::parse_line(line)
            .map_err(|e| input::within(e, &format!("stdin line {}", n + 1)))?;
        add(given, k, v, "stdin")?;
    }
    Ok(())
}

/// Refuses `-i` before anything else happens where it cannot work: under `--headless` when
/// it would prompt (stdin is a terminal; from a pipe it reads `KEY=VALUE` lines, which asks
/// nobody anything), on a terminal with no way to ask, and from a pipe that
/// `--passphrase-file -` reads too.
pub fn check_interactive(ctx: &Context, args: &ValueArgs) -> Result<()> {
    if !args.interactive {
        return Ok(());
    }
    if prompt::stdin_is_terminal() {
        if ctx.headless() {
            return Err(Error::Usage(
                "-i/--interactive would prompt, which --headless forbids: pipe KEY=VALUE lines to it, or pass --KEY=VALUE or --values"
                    .into(),
            ));
        }
        if !prompt::can_prompt(false) {
            return Err(Error::Usage(
                "-i/--interactive needs a terminal to ask on: pass values as --KEY=VALUE or --values instead"
                    .into(),
            ));
        }
    } else if ctx.passphrase_from_stdin() {
        return Err(Error::Usage(
            "-i reads KEY=VALUE lines from stdin, and so does --passphrase-file -: give the passphrase in SESAME_PASSPHRASE or a file"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let args = ValueArgs {
            set: vec!["password=hunter2".into()],
            values: Some("{\"token\": \"abc123\"}".into()),
            interactive: false,
        };
        let shown = format!("{args:?}");
        assert!(shown.contains("password"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("abc123"),
            "{shown}"
        );
    }
}
