//! `sesame schema list | show NAME`: the built-in and custom schemas secrets can follow.

use clap::Subcommand;
use serde::Serialize;

use super::output::{Table, emit, json, yaml};
use super::{Context, Format};
use crate::error::Result;
use crate::schema::Schema;

#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    /// List the schemas: built-in ones and those in the config dir's schemas/ folder
    List,
    /// Show a schema's fields: type, required or optional, default
    Show {
        /// Schema name (see 'sesame schema list')
        name: String,
    },
}

const FORMATS: [Format; 3] = [Format::Table, Format::Json, Format::Yaml];

#[derive(Serialize)]
struct SchemaView<'a> {
    name: &'a str,
    description: &'a str,
    allow_unknown: bool,
    source: String,
    fields: Vec<FieldView<'a>>,
}

#[derive(Serialize)]
struct FieldView<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    ty: String,
    required: bool,
    default: Option<&'a str>,
    description: &'a str,
    secret: bool,
}

fn view(s: &Schema) -> SchemaView<'_> {
    SchemaView {
        name: &s.name,
        description: &s.description,
        allow_unknown: s.allow_unknown,
        source: s.source.to_string(),
        fields: s
            .fields
            .iter()
            .map(|f| FieldView {
                name: &f.name,
                ty: f.ty.to_string(),
                required: f.required,
                default: f.default.as_deref(),
                description: &f.description,
                secret: f.secret,
            })
            .collect(),
    }
}

pub fn run(ctx: &Context, cmd: SchemaCommand) -> Result<()> {
    match cmd {
        SchemaCommand::List => list(ctx),
        SchemaCommand::Show { name } => show(ctx, &name),
    }
}

fn list(ctx: &Context) -> Result<()> {
    let format = ctx.format("schema list", &FORMATS, Format::Table)?;
    let schemas: Vec<&Schema> = ctx.schemas().list().collect();
    let views: Vec<SchemaView<'_>> = schemas.iter().map(|s| view(s)).collect();
    let text = match format {
        Format::Json => json(&views)?,
        Format::Yaml => yaml(&views)?,
        _ => {
            let mut t = Table::new(&["name", "fields", "source", "description"]);
            for s in &schemas {
                let fields = if s.allow_unknown && s.fields.is_empty() {
                    "any".to_string()
                } else {
                    s.fields.len().to_string()
                };
                t.push(vec![
                    s.name.clone(),
                    fields,
                    s.source.to_string(),
                    s.description.clone(),
                ]);
            }
            t.aligned()
        }
    };
    emit(&text)
}

fn show(ctx: &Context, name: &str) -> Result<()> {
    let format = ctx.format("schema show", &FORMATS, Format::Table)?;
    let schema = ctx.schemas().get(name)?;
    let text = match format {
        Format::Json => json(&view(schema))?,
        Format::Yaml => yaml(&view(schema))?,
        _ => {
            let mut out = format!(
                "{}: {}\nSource: {}\n",
                schema.name, schema.description, schema.source
            );
            if !schema.fields.is_empty() {
                out.push('\n');
                let mut t = Table::new(&["field", "type", "required", "default", "description"]);
                for f in &schema.fields {
                    t.push(vec![
                        f.name.clone(),
                        f.ty.to_string(),
                        if f.required { "required" } else { "optional" }.into(),
                        f.default.clone().unwrap_or_default(),
                        f.description.clone(),
                    ]);
                }
                out.push_str(&t.aligned());
            }
            out.push('\n');
            out.push_str(if schema.allow_unknown {
                "Other keys are allowed.\n"
            } else {
                "Other keys are refused.\n"
            });
            out
        }
    };
    emit(&text)
}
