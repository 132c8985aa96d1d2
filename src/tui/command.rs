//! The `:` command line (as in k9s and vim): every action of the current place by its name,
//! with Tab completion, so nothing needs a memorized key. Pure state; the app runs the
//! chosen action exactly as its key would.

use super::action::Action;

#[derive(Clone, Debug, Default)]
pub struct CommandLine {
    pub text: String,
    pub error: Option<String>,
    /// While Tab cycles through several candidates: the one shown.
    cycle: Option<usize>,
    /// What was typed before cycling started.
    typed: String,
}

/// `copy-as`, `Copy_As` and `copy as` all mean `copy_as`.
fn normalize(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

impl CommandLine {
    pub fn new() -> CommandLine {
        CommandLine::default()
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
        self.cycle = None;
        self.error = None;
    }

    pub fn pop(&mut self) {
        self.text.pop();
        self.cycle = None;
        self.error = None;
    }

    /// The actions of `available` whose names start with what was typed (or, failing that,
    /// contain it), in the order given.
    pub fn candidates(&self, available: &[Action]) -> Vec<Action> {
        let typed = normalize(if self.cycle.is_some() {
            &self.typed
        } else {
            &self.text
        });
        let starts: Vec<Action> = available
            .iter()
            .copied()
            .filter(|a| a.name().starts_with(&typed))
            .collect();
        if !starts.is_empty() {
            return starts;
        }
        available
            .iter()
            .copied()
            .filter(|a| a.name().contains(&typed))
            .collect()
    }

    /// Tab: one candidate completes; several extend to their common prefix, then cycle.
    pub fn complete(&mut self, available: &[Action]) {
        let c = self.candidates(available);
        match c.len() {
            0 => self.error = Some(format!("no command matches '{}'", self.text)),
            1 => {
                self.text = c[0].name().to_string();
                self.cycle = None;
            }
            n => {
                let prefix = common_prefix(c.iter().map(|a| a.name()));
                if self.cycle.is_none() && prefix.len() > normalize(&self.text).len() {
                    self.text = prefix;
                    return;
                }
                if self.cycle.is_none() {
                    self.typed = self.text.clone();
                }
                let i = self.cycle.map_or(0, |i| (i + 1) % n);
                self.cycle = Some(i);
                self.text = c[i].name().to_string();
            }
        }
    }

    /// Enter: the action named (exactly, or the only candidate).
    pub fn resolve(&self, available: &[Action]) -> Result<Action, String> {
        let typed = normalize(&self.text);
        if typed.is_empty() {
            return Err("type a command (Tab lists them)".into());
        }
        if let Some(a) = available.iter().find(|a| a.name() == typed) {
            return Ok(*a);
        }
        if let Some(a) = Action::from_name(&typed) {
            return Err(format!("'{}' does not apply here", a.name()));
        }
        let c = self.candidates(available);
        match c.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "unknown command '{}' (Tab lists them)",
                crate::error::shown(&self.text)
            )),
            many => Err(format!(
                "'{}' could be {}",
                self.text,
                many.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut prefix = first.to_string();
    for n in names {
        let len = prefix
            .bytes()
            .zip(n.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(len);
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const HERE: &[Action] = &[Copy, CopyAs, Delete, Quit, Reveal, RevealAll];

    fn line(s: &str) -> CommandLine {
        let mut c = CommandLine::new();
        for ch in s.chars() {
            c.push(ch);
        }
        c
    }

    #[test]
    fn completes_uniquely_then_to_a_prefix_then_cycles() {
        let mut c = line("del");
        c.complete(HERE);
        assert_eq!(c.text, "delete");
        let mut c = line("rev");
        c.complete(HERE);
        assert_eq!(c.text, "reveal");
        c.complete(HERE);
        assert_eq!(c.text, "reveal");
        c.complete(HERE);
        assert_eq!(c.text, "reveal_all");
        c.complete(HERE);
        assert_eq!(c.text, "reveal");
    }

    #[test]
    fn resolves_names_spelled_loosely() {
        assert_eq!(line("copy-as").resolve(HERE), Ok(CopyAs));
        assert_eq!(line("qu").resolve(HERE), Ok(Quit));
        assert!(line("re").resolve(HERE).unwrap_err().contains("could be"));
        assert!(
            line("save")
                .resolve(HERE)
                .unwrap_err()
                .contains("does not apply")
        );
        assert!(line("zap").resolve(HERE).unwrap_err().contains("unknown"));
    }
}
