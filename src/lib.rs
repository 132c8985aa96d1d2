//! sesame: developer secrets in an encrypted local vault, kept in step with remote stores.
//!
//! This crate is the library both faces (the TUI and the one-shot CLI) call; neither holds
//! storage, crypto or sync logic of its own.

pub mod agent;
pub mod api;
pub mod backend;
pub mod backup;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod envname;
pub mod error;
pub mod hardening;
pub mod input;
pub mod passphrase;
pub mod position;
pub mod reference;
pub mod resolve;
pub mod schema;
pub mod secret;
pub mod session;
pub mod sync;
pub mod tui;
pub mod vault;

pub use error::{Error, Result};
pub use secret::{Scope, Secret, SecretMeta, SecretName, SecretValue, Values, Version};
pub use vault::Vault;
