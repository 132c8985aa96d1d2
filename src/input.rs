//! TEMPORARY stand-in until the input module lands (branch `schema`): value syntax
//! (`KEY=VALUE`, `@file`, `@@`), `--values` documents and export files. Replaced wholesale.
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::{Scope, SecretName, SecretValue, Values, check_key};

pub const EXPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportDocument {
    pub sesame_export: u32,
    pub secrets: Vec<ExportedSecret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedSecret {
    pub name: SecretName,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default = "default_schema")]
    pub schema: String,
    pub values: Values,
    #[serde(default)]
    pub created: Option<u64>,
    #[serde(default)]
    pub updated: Option<u64>,
}

fn default_schema() -> String {
    crate::schema::DEFAULT_SCHEMA.into()
}

pub fn parse_value(text: &str) -> Result<SecretValue> {
    if let Some(rest) = text.strip_prefix("@@") {
        return Ok(SecretValue::new(format!("@{rest}")));
    }
    if let Some(path) = text.strip_prefix('@') {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Input(format!("cannot read the value file {path}: {e}")))?;
        let s = String::from_utf8(bytes)
            .map_err(|_| Error::Input(format!("the value file {path} is not UTF-8 text")))?;
        return Ok(SecretValue::new(s));
    }
    Ok(SecretValue::new(text))
}

pub fn parse_assignment(text: &str) -> Result<(String, SecretValue)> {
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| Error::Input("expected KEY=VALUE".into()))?;
    check_key(k)?;
    Ok((k.to_string(), parse_value(v)?))
}

pub fn parse_values(text: &str) -> Result<Values> {
    let (origin, text) = match text.strip_prefix('@') {
        Some(path) => (
            path.to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| Error::Input(format!("cannot read {path}: {e}")))?,
        ),
        None => ("--values".to_string(), text.to_string()),
    };
    let v: Values = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| {
            Error::Input(format!(
                "{origin}: line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| Error::Input(format!("{origin}: {}", e.to_string().replace('\n', " "))))?
    };
    for k in v.keys() {
        check_key(k)?;
    }
    Ok(v)
}

pub fn parse_export(text: &str, origin: &str) -> Result<ExportDocument> {
    let doc: ExportDocument = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            Error::Input(format!(
                "{origin}: line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?
    } else {
        serde_saphyr::from_str(text)
            .map_err(|e| Error::Input(format!("{origin}: {}", e.to_string().replace('\n', " "))))?
    };
    Ok(doc)
}
