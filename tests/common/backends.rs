//! Backends of every flavor, configured the way a user would, against the test servers
//! (each with a fresh random prefix, file or directory, so tests never see each other).

use std::collections::BTreeMap;
use std::path::Path;

use sesame::backend::{self, Backend, OptionValue, RemoteId};
use sesame::{Scope, SecretValue, Values};

use super::servers;

/// A secret's id in the workspace scope.
pub fn id(name: &str) -> RemoteId {
    RemoteId::new(Scope::Workspace, name.parse().expect("valid name"))
}

pub fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), SecretValue::new(*v)))
        .collect()
}

pub fn plain(s: &str) -> OptionValue {
    OptionValue::Plain(s.to_string())
}

/// A credential as the vault hands it over, resolved from a `{{name.key}}` reference.
pub fn credential(s: &str) -> OptionValue {
    OptionValue::Secret(SecretValue::new(s))
}

pub fn options(pairs: &[(&str, OptionValue)]) -> BTreeMap<String, OptionValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn open(flavor: &str, pairs: &[(&str, OptionValue)]) -> Box<dyn Backend> {
    backend::open(flavor, options(pairs)).unwrap_or_else(|e| panic!("{flavor}: {e}"))
}

pub fn prefix() -> String {
    format!("t{}/", servers::random_hex())
}

pub fn memory() -> Box<dyn Backend> {
    open("memory", &[])
}

pub fn folder(dir: &Path) -> Box<dyn Backend> {
    open(
        "folder",
        &[
            ("path", plain(&dir.display().to_string())),
            ("passphrase", credential("folder passphrase")),
        ],
    )
}

/// The example plugin from assets/, storing into `file`.
pub fn exec(file: &Path) -> Box<dyn Backend> {
    open(
        "exec",
        &[
            ("command", plain(&example_plugin())),
            ("args", plain(&file.display().to_string())),
        ],
    )
}

pub fn example_plugin() -> String {
    format!("{}/assets/plugins/json-file.py", env!("CARGO_MANIFEST_DIR"))
}

/// Options for the shared OpenBao with its root token.
pub fn vault_options(prefix: &str) -> Vec<(&'static str, OptionValue)> {
    let bao = servers::bao();
    vec![
        ("address", plain(&bao.server.url)),
        ("token", credential(&bao.root_token)),
        ("prefix", plain(prefix)),
    ]
}

/// `base` with each of `extra` added, replacing an option of the same name.
pub fn with(
    mut base: Vec<(&'static str, OptionValue)>,
    extra: &[(&'static str, OptionValue)],
) -> Vec<(&'static str, OptionValue)> {
    for (k, v) in extra {
        base.retain(|(name, _)| name != k);
        base.push((k, v.clone()));
    }
    base
}

pub fn vault(prefix: &str, extra: &[(&'static str, OptionValue)]) -> Box<dyn Backend> {
    open("vault", &with(vault_options(prefix), extra))
}

pub fn aws_options(url: &str, prefix: &str) -> Vec<(&'static str, OptionValue)> {
    vec![
        ("region", plain("us-east-1")),
        ("endpoint", plain(url)),
        ("access_key_id", plain("AKIDTESTTEST")),
        ("secret_access_key", credential("test-secret-key")),
        ("prefix", plain(prefix)),
        ("force_delete", plain("true")),
    ]
}

/// The shared moto server; `extra` adds or overrides options.
pub fn aws(prefix: &str, extra: &[(&'static str, OptionValue)]) -> Box<dyn Backend> {
    open(
        "aws",
        &with(aws_options(&servers::moto().url, prefix), extra),
    )
}

/// A prefix the gcp and azure flavors take (no `/`).
pub fn flat_prefix() -> String {
    format!("t{}", &servers::random_hex()[..8])
}

/// Options for the shared drongo with a bearer token (drongo checks none), in a project of
/// this test's own.
pub fn gcp_options(url: &str, prefix: &str) -> Vec<(&'static str, OptionValue)> {
    vec![
        ("endpoint", plain(url)),
        ("project", plain(&format!("p{}", servers::random_hex()))),
        ("token", credential("ya29.drongo-takes-any-token")),
        ("prefix", plain(prefix)),
    ]
}

pub fn gcp(prefix: &str, extra: &[(&'static str, OptionValue)]) -> Box<dyn Backend> {
    open(
        "gcp",
        &with(gcp_options(&servers::drongo().url, prefix), extra),
    )
}

/// Options for an Azure Key Vault fake with client credentials (the challenge flow).
pub fn azure_options(
    fake: &super::azure_fake::AzureFake,
    prefix: &str,
) -> Vec<(&'static str, OptionValue)> {
    vec![
        ("vault_url", plain(&fake.url)),
        ("tenant_id", plain(super::azure_fake::TENANT)),
        ("client_id", plain(super::azure_fake::CLIENT_ID)),
        ("client_secret", credential(&fake.client_secret)),
        ("authority", plain(&fake.url)),
        ("ca_cert", plain(&fake.ca_file.display().to_string())),
        ("prefix", plain(prefix)),
        ("purge", plain("true")),
    ]
}

pub fn azure(
    fake: &super::azure_fake::AzureFake,
    extra: &[(&'static str, OptionValue)],
) -> Box<dyn Backend> {
    open("azure", &with(azure_options(fake, &flat_prefix()), extra))
}
