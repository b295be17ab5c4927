//! Easel's core: one library that the desktop app, the `easel` command line and the MCP server share.
//! It knows nothing of any GUI toolkit (see ARCHITECTURE.md; `tests/architecture.rs` enforces it).

pub mod cache;
pub mod cli;
pub mod config;
pub mod connect;
pub mod cost;
pub mod download;
pub mod error;
pub mod imaging;
pub mod job;
pub mod keys;
pub mod ledger;
pub mod library;
pub mod mask;
pub mod mcp;
pub mod memory;
pub mod metadata;
pub mod models;
pub mod openai;
pub mod priority;
pub mod queue;
pub mod session;
pub mod settings;
pub mod thumbs;

pub use error::{Error, Result};

/// The core's version, shown by the app and the CLI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
