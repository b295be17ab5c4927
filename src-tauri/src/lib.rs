//! Easel desktop shell: a thin Tauri layer over the `easel` core.
//!
//! It opens the main window (configured in `tauri.conf.json`) and exposes the core to the UI
//! through the commands in [`commands`], the `easel:` scheme in [`media`] and the library's change
//! events (forwarded as `library-event`). Product logic belongs in `crates/easel`, not here.
//! `easel-studio mcp` serves MCP over stdio without opening any window.

pub mod commands;
pub mod costs;
pub mod media;
pub mod painter;
pub mod studio;

use std::process::ExitCode;

use tauri::{Emitter, Manager, Runtime};
use tracing_subscriber::EnvFilter;

pub use studio::Studio;

/// The event the UI listens to (`onLibraryEvent` in `ui/src/api.ts`); its payload is an
/// `easel::library::Event`.
pub const LIBRARY_EVENT: &str = "library-event";

/// Starts the desktop app (or, with the `mcp` argument, the headless MCP server) and blocks until it ends.
pub fn run() -> ExitCode {
    init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("mcp") {
        return serve_mcp(&args[1..]);
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        core = easel::VERSION,
        "starting Easel"
    );
    let studio = match Studio::open() {
        Ok(studio) => studio,
        Err(error) => return fail(&error.to_string()),
    };
    let result = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .manage(studio)
        .setup(|app| {
            forward_library_events(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string()),
    }
}

/// The commands and the `easel:` scheme on a builder (the app's, or the mock runtime's in tests).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, |ctx, request, responder| {
            let library = ctx.app_handle().state::<Studio>().library();
            let path = request.uri().path().to_string();
            tauri::async_runtime::spawn_blocking(move || responder.respond(media::respond(library, &path)));
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::gallery_page,
            commands::image_detail,
            commands::set_starred,
            commands::trash_images,
            commands::restore_images,
            commands::empty_trash,
            commands::filter_options,
            commands::providers,
            commands::set_key,
            commands::delete_key,
            commands::test_connection,
            commands::settings,
            commands::save_settings,
            commands::connect_client,
            painter::export_mask,
            painter::composite_mask,
            costs::cost_summary,
        ])
}

/// Tails the library's change feed (other processes included) and emits each change to the UI.
pub fn forward_library_events<R: Runtime>(app: tauri::AppHandle<R>) {
    let library = app.state::<Studio>().library();
    tauri::async_runtime::spawn(async move {
        let mut feed = match library.watch() {
            Ok(feed) => feed,
            Err(error) => {
                tracing::error!("cannot follow the library's changes: {error}");
                return;
            }
        };
        loop {
            let event = match feed.recv().await {
                Ok(event) => event,
                // too many changes at once: the UI reloads everything
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => easel::library::Event::Reindexed,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            if let Err(error) = app.emit(LIBRARY_EVENT, &event) {
                tracing::warn!("cannot send a library event to the window: {error}");
            }
        }
    });
}

/// `easel-studio mcp`: the same stdio MCP server as `easel mcp`, so an MCP client can point at the
/// installed app. Nothing graphical is created.
fn serve_mcp(rest: &[String]) -> ExitCode {
    if !rest.is_empty() {
        return fail(&format!(
            "unexpected arguments after `mcp`: {} (the HTTP transport is not in this build)",
            rest.join(" ")
        ));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    let served = runtime.block_on(async {
        let config = easel::config::Config::load()?;
        easel::mcp::serve_stdio(config).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    tracing::error!("Easel could not start: {message}");
    eprintln!("easel-studio: {message}");
    ExitCode::FAILURE
}

/// Logs to stderr (stdout belongs to the MCP protocol in `mcp` mode); `RUST_LOG` overrides the level.
fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,easel=info,easel_studio=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
