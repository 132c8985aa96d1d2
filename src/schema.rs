//! TEMPORARY stand-in until the schema module lands (branch `schema`): knows `arbitrary` only.
//! It mirrors the agreed API (`Registry::get/list`, `Schema { name, description, fields, ... }`)
//! so the CLI compiles; the real module replaces this file wholesale.
use std::fmt;

use crate::error::{Error, Result};
use crate::secret::Values;

pub const DEFAULT_SCHEMA: &str = "arbitrary";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("string")
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct Schema {
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub allow_unknown: bool,
}

impl Schema {
    pub fn validate(&self, _values: &mut Values) -> Result<()> {
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Registry(Vec<Schema>);

impl Registry {
    pub fn builtin() -> Registry {
        Registry(vec![Schema {
            name: DEFAULT_SCHEMA.into(),
            description: "any keys and values".into(),
            fields: Vec::new(),
            allow_unknown: true,
        }])
    }
    pub fn load(_dir: Option<&std::path::Path>) -> (Registry, Vec<String>) {
        (Registry::builtin(), Vec::new())
    }
    pub fn get(&self, name: &str) -> Result<&Schema> {
        self.0
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::UnknownSchema(name.into()))
    }
    pub fn list(&self) -> impl Iterator<Item = &Schema> {
        self.0.iter()
    }
}
