//! The form's checks, as the vault would make them: inline while typing (required fields
//! only marked), strict on save; and the values a save sends (an optional field left blank
//! is absent, a required one may be empty where its type allows).

use super::{FieldRow, Form, FormMode, Slot};
use crate::schema::{Registry, Schema};
use crate::secret::{SecretName, SecretValue, Values, check_key};

impl Form {
    /// Validates everything; with `strict`, empty required fields count as errors too
    /// (while typing they are only marked, not shouted about).
    pub fn check_all(&mut self, registry: &Registry, strict: bool) -> bool {
        let mut ok = true;
        if self.mode == FormMode::Create {
            let name = self.name.lines().join("");
            self.name_error = if name.is_empty() && !strict {
                None
            } else {
                SecretName::new(name).err().map(|e| short(&e.to_string()))
            };
            ok &= self.name_error.is_none();
        }
        let schema = registry.get(self.schema_name()).ok();
        let keys: Vec<String> = self.rows.iter().map(FieldRow::key_text).collect();
        for (i, r) in self.rows.iter_mut().enumerate() {
            r.error = check_row(r, schema, &keys, i, strict);
            ok &= r.error.is_none();
        }
        ok
    }

    /// Called after any edit: re-checks (cheap: a form has a handful of fields).
    pub fn changed(&mut self, registry: &Registry) {
        self.error = None;
        self.asking_discard = false;
        if let Slot::Value(i) = self.focus
            && let Some(r) = self.rows.get_mut(i)
            && r.value.lines().len() > 1
        {
            r.multiline = true;
        }
        self.check_all(registry, false);
    }

    /// The values to save, or the first problem (with the focus moved to it).
    pub fn collect(&mut self, registry: &Registry) -> Result<(SecretName, Values), String> {
        if !self.check_all(registry, true) {
            let (slot, msg) = self.first_error().unwrap_or((self.focus, String::new()));
            self.focus = slot;
            return Err(msg);
        }
        let name = match &self.mode {
            FormMode::Edit { name, .. } => name.clone(),
            FormMode::Create => {
                SecretName::new(self.name.lines().join("")).map_err(|e| e.to_string())?
            }
        };
        let mut values = Values::new();
        for r in &self.rows {
            let (k, v) = (r.key_text(), r.value_text());
            if k.is_empty() && v.is_empty() {
                continue;
            }
            // An optional field left blank is absent, not "" (unless the secret had it); a
            // required one is kept even when empty, as the vault allows ("may be empty").
            if let Some(f) = &r.field
                && v.is_empty()
                && !f.required
                && !r.present
            {
                continue;
            }
            values.insert(k, SecretValue::new(v));
        }
        if values.is_empty() {
            // As the CLI refuses it: a secret is a group of key-value pairs, never none.
            return Err("a secret needs at least one key: fill one in (ctrl-n adds a row)".into());
        }
        let typed = self.rows.iter().any(|r| {
            let v = r.value_text();
            !v.is_empty()
                && r.field
                    .as_ref()
                    .is_none_or(|f| f.default.as_deref() != Some(&*v))
        });
        if self.mode == FormMode::Create && !typed {
            return Err("nothing typed yet: fill in at least one value".into());
        }
        Ok((name, values))
    }

    fn first_error(&self) -> Option<(Slot, String)> {
        if let Some(e) = &self.name_error {
            return Some((Slot::Name, format!("name: {e}")));
        }
        self.rows.iter().enumerate().find_map(|(i, r)| {
            r.error.as_ref().map(|e| {
                let slot = if r.field.is_none() && e.starts_with("key") {
                    Slot::Key(i)
                } else {
                    Slot::Value(i)
                };
                let key = r.key_text();
                let key = if key.is_empty() {
                    "(new key)".into()
                } else {
                    key
                };
                (slot, format!("{key}: {e}"))
            })
        })
    }
}

fn check_row(
    r: &FieldRow,
    schema: Option<&Schema>,
    keys: &[String],
    i: usize,
    strict: bool,
) -> Option<String> {
    let key = r.key_text();
    let value = r.value_text();
    if r.field.is_none() {
        if key.is_empty() && value.is_empty() {
            return None;
        }
        if let Err(e) = check_key(&key) {
            return Some(format!("key: {}", short(&e.to_string())));
        }
        if keys.iter().take(i).any(|k| *k == key) {
            return Some("key appears twice".into());
        }
        if schema.is_some_and(|s| !s.allow_unknown) {
            return Some("key not in the schema".into());
        }
    }
    if value.is_empty() {
        // Required means present: an empty value is fine where its type takes one (a
        // postgres password "may be empty"); an empty number or URL is not.
        return match &r.field {
            Some(f) if f.required && strict => {
                f.ty.check("").err().map(|why| format!("required: {why}"))
            }
            _ => None,
        };
    }
    match (schema, &r.field) {
        (Some(s), Some(_)) => s.check_value(&key, &value).err(),
        _ => None,
    }
}

/// "invalid key name 'x': use only letters, ... (no '/', ...)" -> "use only letters, ...":
/// the row already names the field, and an inline message has one short line.
fn short(msg: &str) -> String {
    let m = msg.split_once(": ").map(|(_, b)| b).unwrap_or(msg);
    m.split_once(" (").map(|(a, _)| a).unwrap_or(m).to_string()
}
