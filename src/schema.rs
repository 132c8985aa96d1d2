//! TEMPORARY stand-in until the schema module lands (branch `schema`): knows `arbitrary` only.
//! The TUI branch widened it to the announced API (fields, check_value, list) so the form
//! compiles against it; take branch `schema`'s file wholesale on merge.
use crate::error::{Error, Result};
use crate::secret::Values;
pub const DEFAULT_SCHEMA: &str = "arbitrary";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Bool,
    Int,
    Url,
    Multiline,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub allow_unknown: bool,
    pub source: String,
}

impl Schema {
    pub fn validate(&self, _values: &mut Values) -> Result<()> {
        Ok(())
    }
    pub fn check_value(&self, _key: &str, _value: &str) -> std::result::Result<(), String> {
        Ok(())
    }
}

fn arbitrary() -> Schema {
    Schema {
        name: DEFAULT_SCHEMA.into(),
        description: "any keys".into(),
        fields: Vec::new(),
        allow_unknown: true,
        source: "built-in".into(),
    }
}

#[derive(Debug, Clone)]
pub struct Registry(Vec<Schema>);
impl Registry {
    pub fn builtin() -> Registry {
        Registry(vec![arbitrary()])
    }
    pub fn get(&self, name: &str) -> Result<&Schema> {
        self.0
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::UnknownSchema(name.into()))
    }
    pub fn list(&self) -> Vec<&Schema> {
        self.0.iter().collect()
    }
    pub fn load(_dir: Option<&std::path::Path>) -> (Registry, Vec<String>) {
        (Registry::builtin(), Vec::new())
    }
}
