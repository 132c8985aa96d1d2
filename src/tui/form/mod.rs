//! The create / edit form, built from a schema: one row per schema field (required ones
//! marked, defaults pre-filled), free key rows where the schema allows unknown keys, inline
//! validation on every change, and a save that is refused with the reason at the field.
//! An edit remembers the version it was loaded from, so a save never overwrites a change
//! made elsewhere meanwhile; the schema can change on edit too.

use std::hash::{BuildHasher, Hash, Hasher};

use ratatui_textarea::TextArea;

use super::action::Ticket;

mod check;

use crate::schema::{Field, FieldType, Registry, Schema};
use crate::secret::{Scope, Secret, SecretName, Values};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormMode {
    Create,
    /// `version` is the one the form was loaded from: the save's compare-and-set.
    Edit {
        name: SecretName,
        scope: Scope,
        version: u64,
        schema: String,
    },
}

/// What has the focus: the name, scope and schema (create only), or a row's key or value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Name,
    Scope,
    Schema,
    Key(usize),
    Value(usize),
}

pub struct FieldRow {
    /// The schema's field, or `None` for a free key (the key is then editable).
    pub field: Option<Field>,
    pub key: TextArea<'static>,
    pub value: TextArea<'static>,
    pub error: Option<String>,
    pub multiline: bool,
    /// The key was in the secret as loaded: an empty value stays an empty value.
    pub present: bool,
}

/// Wipes a text input's lines and forgets its undo history. Earlier buffers the editor
/// reallocated away from are out of reach; the final text, which is the whole value, is not
/// left behind.
pub fn wipe(input: &mut TextArea<'static>) {
    use zeroize::Zeroize;
    forget_history(input);
    for mut line in std::mem::take(input).into_lines() {
        line.zeroize();
    }
}

/// Drops a text input's undo/redo history and its yank buffer (text cut with ctrl-k and
/// friends): both hold earlier states of a value, which must not outlive a save or a lock
/// in the editor, reachable by ctrl-z. (The editor's own buffers cannot be zeroized from
/// outside; dropping them is what it allows.)
pub fn forget_history(input: &mut TextArea<'static>) {
    input.set_max_histories(input.max_histories());
    input.set_yank_text(String::new());
}

impl Drop for FieldRow {
    fn drop(&mut self) {
        wipe(&mut self.value);
    }
}

impl FieldRow {
    pub fn key_text(&self) -> String {
        match &self.field {
            Some(f) => f.name.clone(),
            None => self.key.lines().join(""),
        }
    }
    pub fn value_text(&self) -> String {
        self.value.lines().join("\n")
    }
    /// Masked unless the form is unmasked: schema fields marked secret, and every free key
    /// (sesame cannot know which of those are sensitive).
    pub fn is_secret(&self) -> bool {
        self.field.as_ref().is_none_or(|f| f.secret)
    }
}

pub struct Form {
    pub mode: FormMode,
    pub name: TextArea<'static>,
    pub name_error: Option<String>,
    pub scope: Scope,
    pub schemas: Vec<String>,
    pub schema: usize,
    pub allow_unknown: bool,
    pub rows: Vec<FieldRow>,
    pub focus: Slot,
    pub masked: bool,
    /// Why the last save was refused (or the vault's error).
    pub error: Option<String>,
    /// The save in flight.
    pub saving: Option<Ticket>,
    /// The secret changed elsewhere since it was loaded: a save is refused until it is
    /// reloaded (which drops the edits, and says so).
    pub stale: bool,
    /// Esc on a changed form asks first.
    pub asking_discard: bool,
    /// A fingerprint of the form as loaded (keyed by a random per-form key), to tell a
    /// changed form from an untouched one without keeping a copy of the values.
    pristine: u64,
    hasher: std::collections::hash_map::RandomState,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("mode", &self.mode)
            .field("focus", &self.focus)
            .finish_non_exhaustive()
    }
}

fn input(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.split('\n').map(str::to_string).collect()
    };
    let mut t = TextArea::new(lines);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl Form {
    pub fn busy(&self) -> bool {
        self.saving.is_some()
    }

    /// A fingerprint of everything that would be saved.
    fn fingerprint(&self) -> u64 {
        let mut h = self.hasher.build_hasher();
        self.name.lines().hash(&mut h);
        self.scope.hash(&mut h);
        self.schema_name().hash(&mut h);
        for r in &self.rows {
            r.key_text().hash(&mut h);
            r.value.lines().hash(&mut h);
        }
        h.finish()
    }

    /// Changed since it was opened (or since the last refused save's text).
    pub fn dirty(&self) -> bool {
        self.fingerprint() != self.pristine
    }

    fn mark_pristine(&mut self) {
        self.pristine = self.fingerprint();
    }

    /// The version an edit was loaded from.
    pub fn expected(&self) -> Option<u64> {
        match &self.mode {
            FormMode::Edit { version, .. } => Some(*version),
            FormMode::Create => None,
        }
    }

    /// A blank form for a new secret with the default schema.
    pub fn create(registry: &Registry, default_scope: Scope) -> Form {
        let schemas: Vec<String> = registry.list().map(|s| s.name.to_string()).collect();
        let schema = schemas
            .iter()
            .position(|s| s == crate::schema::DEFAULT_SCHEMA)
            .unwrap_or(0);
        let mut form = Form {
            mode: FormMode::Create,
            name: input(""),
            name_error: None,
            scope: default_scope,
            schemas,
            schema,
            allow_unknown: true,
            rows: Vec::new(),
            focus: Slot::Name,
            masked: true,
            error: None,
            saving: None,
            stale: false,
            asking_discard: false,
            pristine: 0,
            hasher: Default::default(),
        };
        form.apply_schema(registry, &Values::new());
        form.mark_pristine();
        form
    }

    /// A form holding an existing secret's values (and every schema to move it to).
    pub fn edit(registry: &Registry, secret: &Secret) -> Form {
        let mut schemas: Vec<String> = registry.list().map(|s| s.name.to_string()).collect();
        if !schemas.contains(&secret.meta.schema) {
            schemas.push(secret.meta.schema.clone());
        }
        let schema = schemas
            .iter()
            .position(|s| *s == secret.meta.schema)
            .unwrap_or(0);
        let mut form = Form {
            mode: FormMode::Edit {
                name: secret.meta.name.clone(),
                scope: secret.meta.scope,
                version: secret.meta.version,
                schema: secret.meta.schema.clone(),
            },
            name: input(secret.meta.name.as_str()),
            name_error: None,
            scope: secret.meta.scope,
            schemas,
            schema,
            allow_unknown: true,
            rows: Vec::new(),
            focus: Slot::Value(0),
            masked: true,
            error: None,
            saving: None,
            stale: false,
            asking_discard: false,
            pristine: 0,
            hasher: Default::default(),
        };
        form.apply_schema(registry, &secret.values);
        for r in &mut form.rows {
            r.present = secret.values.contains_key(&r.key_text());
        }
        form.focus = form
            .slots()
            .into_iter()
            .find(|s| matches!(s, Slot::Key(_) | Slot::Value(_)))
            .unwrap_or(Slot::Schema);
        form.mark_pristine();
        form
    }

    /// Whether the schema changed from the one the secret follows (edit).
    pub fn schema_changed(&self) -> Option<&str> {
        match &self.mode {
            FormMode::Edit { schema, .. } if schema != self.schema_name() => {
                Some(self.schema_name())
            }
            _ => None,
        }
    }

    pub fn schema_name(&self) -> &str {
        self.schemas
            .get(self.schema)
            .map(String::as_str)
            .unwrap_or("arbitrary")
    }

    /// Rebuilds the rows for the chosen schema, keeping what was typed under the same keys.
    fn apply_schema(&mut self, registry: &Registry, keep: &Values) {
        let mut carried: Vec<(String, String, bool)> = self
            .rows
            .drain(..)
            .filter_map(|r| {
                let (k, v) = (r.key_text(), r.value_text());
                let keep = match &r.field {
                    // A schema field carries over only what the user typed (or what the
                    // secret held), not its default.
                    Some(f) => {
                        r.present || (!v.is_empty() && f.default.as_deref() != Some(v.as_str()))
                    }
                    None => !k.is_empty() || !v.is_empty(),
                };
                keep.then_some((k, v, r.present))
            })
            .collect();
        for (k, v) in keep {
            carried.push((k.clone(), v.expose().to_string(), true));
        }
        let take = |carried: &mut Vec<(String, String, bool)>, key: &str| {
            carried.iter().position(|(k, _, _)| k == key).map(|p| {
                let (_, v, present) = carried.remove(p);
                (v, present)
            })
        };
        let schema: Option<&Schema> = registry.get(self.schema_name()).ok();
        self.allow_unknown = schema.is_none_or(|s| s.allow_unknown);
        if let Some(schema) = schema {
            for f in &schema.fields {
                let (value, present) = take(&mut carried, &f.name)
                    .unwrap_or_else(|| (f.default.clone().unwrap_or_default(), false));
                let multiline = f.ty == FieldType::Multiline || value.contains('\n');
                self.rows.push(FieldRow {
                    field: Some(f.clone()),
                    key: input(&f.name),
                    value: input(&value),
                    error: None,
                    multiline,
                    present,
                });
            }
        }
        for (k, v, present) in carried {
            self.rows.push(FieldRow {
                field: None,
                key: input(&k),
                multiline: v.contains('\n'),
                value: input(&v),
                error: None,
                present,
            });
        }
        if self.rows.is_empty() && self.allow_unknown {
            self.add_key_row();
        }
        self.apply_mask();
        self.check_all(registry, false);
    }

    pub fn add_key_row(&mut self) {
        self.rows.push(FieldRow {
            field: None,
            key: input(""),
            value: input(""),
            error: None,
            multiline: false,
            present: false,
        });
        self.apply_mask();
    }

    /// The focusable slots in order.
    pub fn slots(&self) -> Vec<Slot> {
        let mut out = Vec::new();
        if self.mode == FormMode::Create {
            out.extend([Slot::Name, Slot::Scope]);
        }
        out.push(Slot::Schema);
        for (i, r) in self.rows.iter().enumerate() {
            if r.field.is_none() {
                out.push(Slot::Key(i));
            }
            out.push(Slot::Value(i));
        }
        out
    }

    pub fn focus_step(&mut self, delta: isize) {
        let slots = self.slots();
        if slots.is_empty() {
            return;
        }
        let i = slots.iter().position(|s| *s == self.focus).unwrap_or(0) as isize;
        let n = slots.len() as isize;
        self.focus = slots[((i + delta).rem_euclid(n)) as usize];
    }

    /// The text input that has the focus, if the focus is on one.
    pub fn focused_input(&mut self) -> Option<&mut TextArea<'static>> {
        match self.focus {
            Slot::Name => Some(&mut self.name),
            Slot::Key(i) => self.rows.get_mut(i).map(|r| &mut r.key),
            Slot::Value(i) => self.rows.get_mut(i).map(|r| &mut r.value),
            _ => None,
        }
    }

    pub fn focused_is_multiline(&self) -> bool {
        matches!(self.focus, Slot::Value(i) if self.rows.get(i).is_some_and(|r| r.multiline))
    }

    pub fn cycle_schema(&mut self, registry: &Registry, delta: isize) {
        if self.schemas.is_empty() {
            return;
        }
        let n = self.schemas.len() as isize;
        self.schema = ((self.schema as isize + delta).rem_euclid(n)) as usize;
        self.apply_schema(registry, &Values::new());
    }

    pub fn toggle_scope(&mut self) {
        if self.mode == FormMode::Create {
            self.scope = match self.scope {
                Scope::User => Scope::Workspace,
                Scope::Workspace => Scope::User,
            };
        }
    }

    /// Removes the focused free key row (schema fields stay: clear their value instead).
    pub fn remove_focused_key(&mut self) -> Result<(), String> {
        let i = match self.focus {
            Slot::Key(i) | Slot::Value(i) => i,
            _ => return Err("move to a key to remove it".into()),
        };
        if self.rows.get(i).is_some_and(|r| r.field.is_some()) {
            return Err("this field belongs to the schema: clear its value instead".into());
        }
        if i < self.rows.len() {
            self.rows.remove(i);
        }
        self.focus = if self.rows.is_empty() {
            self.slots().into_iter().next().unwrap_or(Slot::Name)
        } else {
            let j = i.min(self.rows.len() - 1);
            if self.rows[j].field.is_none() {
                Slot::Key(j)
            } else {
                Slot::Value(j)
            }
        };
        Ok(())
    }

    /// A line break in the focused value: the field becomes a multi-line one (a schema's
    /// single-line types then say they want one line).
    pub fn insert_newline(&mut self, registry: &Registry) {
        if let Slot::Value(i) = self.focus
            && let Some(r) = self.rows.get_mut(i)
        {
            r.value.insert_newline();
            r.multiline = true;
            self.changed(registry);
        }
    }

    pub fn toggle_mask(&mut self) {
        self.masked = !self.masked;
        self.apply_mask();
    }

    fn apply_mask(&mut self) {
        // The view draws a masked value as a fixed mark (no length shown); the mask char
        // only keeps the text area from ever drawing it.
        for r in &mut self.rows {
            if self.masked && r.is_secret() {
                r.value.set_mask_char('•');
            } else {
                r.value.clear_mask_char();
            }
        }
    }

    /// Shows the text cursor only in the focused input.
    pub fn sync_cursors(&mut self) {
        let on = ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
        let off = ratatui::style::Style::default();
        let pick = |b: bool| if b { on } else { off };
        self.name.set_cursor_style(pick(self.focus == Slot::Name));
        for (i, r) in self.rows.iter_mut().enumerate() {
            r.key.set_cursor_style(pick(self.focus == Slot::Key(i)));
            r.value.set_cursor_style(pick(self.focus == Slot::Value(i)));
        }
    }

    /// Wipes every typed value (on close, so nothing lingers in memory longer than needed).
    pub fn wipe(&mut self) {
        forget_history(&mut self.name);
        for r in &mut self.rows {
            forget_history(&mut r.key);
            wipe(&mut r.value);
        }
    }

    /// After a save: the inputs keep their text (a refused save is edited further), but no
    /// earlier state of a value stays reachable through undo.
    pub fn forget_history(&mut self) {
        forget_history(&mut self.name);
        for r in &mut self.rows {
            forget_history(&mut r.key);
            forget_history(&mut r.value);
        }
    }
}
