//! Issue 9, property (1) without a vault: whatever an import document holds, once accepted,
//! every formatter of its records (`secret get`, `list`, `history` in every format) returns
//! without a panic, and what a terminal would be shown holds no control character but newline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame::cli::Format;
use sesame::cli::output::visible;
use sesame::cli::secret::{render_history, render_list, render_secret};
use sesame::secret::{Secret, SecretMeta, Version};

fn clean(text: &str) {
    assert!(!visible(text).chars().any(|c| c.is_control() && c != '\n'));
}

fuzz_target!(|text: &str| {
    let Ok(doc) = sesame::input::parse_export(text, "import") else {
        return;
    };
    let secrets: Vec<Secret> = doc
        .secrets
        .into_iter()
        .map(|s| Secret {
            meta: SecretMeta {
                keys: s.values.keys().cloned().collect(),
                name: s.name,
                scope: s.scope,
                schema: s.schema,
                created: s.created.unwrap_or(0),
                updated: s.updated.unwrap_or(u64::MAX),
                version: u64::MAX,
            },
            values: s.values,
        })
        .collect();
    let metas: Vec<&SecretMeta> = secrets.iter().map(|s| &s.meta).collect();
    for f in [
        Format::Table,
        Format::Json,
        Format::Yaml,
        Format::Csv,
        Format::Tsv,
    ] {
        if let Some(t) = render_list(&metas, f).unwrap() {
            clean(&t);
        }
    }
    for s in &secrets {
        for f in [Format::Table, Format::Json, Format::Yaml, Format::Env] {
            if let Ok(t) = render_secret(s, f) {
                clean(&t);
            }
        }
        let v = Version {
            version: s.meta.version,
            schema: s.meta.schema.clone(),
            updated: s.meta.updated,
            values: s.values.clone(),
        };
        clean(&render_history(&v, std::slice::from_ref(&v), Format::Table).unwrap());
    }
});
