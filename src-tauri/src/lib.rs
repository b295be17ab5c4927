//! Easel desktop shell: a thin Tauri layer over the `easel` core.
//!
//! It opens the main window (configured in `tauri.conf.json`) and exposes the core to the UI
//! through the commands in [`commands`]. Product logic belongs in `crates/easel`, not here.

pub mod commands;

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

/// Starts the desktop app and blocks until its last window closes.
pub fn run() -> ExitCode {
    init_logging();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        core = easel::VERSION,
        "starting Easel"
    );

    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!());

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "Easel could not start");
            eprintln!("easel-studio: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,easel=info,easel_studio=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
