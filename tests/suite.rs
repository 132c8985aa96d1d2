//! The integration suite as one test binary: each file under tests/ is a module here, so the
//! suite links once (dozens of separate test binaries, each a full static link of sesame and
//! its dependencies, took gigabytes of disk and most of the build time).

mod common;
mod tui_support;

mod api_contract;
mod backend_contract;
mod backend_local;
mod backend_servers;
mod cli_agent;
mod cli_backup;
mod cli_hostile;
mod cli_misc;
mod cli_plaintext;
mod cli_refs;
mod cli_schema;
mod cli_secret;
mod cli_sync;
mod cli_transfer;
mod cli_trash;
mod cli_tui_config;
mod cli_vault;
mod crash;
mod durability;
mod hostile_props;
mod sync_engine;
mod tui_e2e;
mod tui_e2e_daily;
mod tui_e2e_sync;
mod tui_flows;
mod tui_hostile;
mod tui_render;
mod tui_state;
mod tui_sync;
mod vault_damage;
