//! Easel desktop shell: a thin Tauri layer over the `easel` core.
//!
//! It opens the main window (configured in `tauri.conf.json`) and exposes the core to the UI
//! through the commands in [`commands`], the `easel:` scheme in [`media`] and the library's change
//! events (forwarded as `library-event`). Product logic belongs in `crates/easel`, not here.
//! `easel-studio mcp` serves MCP over stdio (or `--http`) without opening any window.

pub mod commands;
pub mod costs;
pub mod endpoint;
pub mod files;
pub mod generate;
pub mod imports;
pub mod media;
pub mod painter;
pub mod providers;
pub mod sessions;
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
    easel::memory::tune();
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
    let generator = generate::Generator(easel::queue::Queue::new(easel::queue::DEFAULT_CONCURRENCY));
    let result = with_commands(tauri::Builder::default())
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(studio)
        .manage(generator)
        .setup(|app| {
            forward_library_events(app.handle().clone());
            generate::forward_queue_events(app.handle().clone());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { endpoint::start_if_enabled(&handle.state::<Studio>()).await });
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
            generate::generate,
            generate::check_form,
            generate::cancel_job,
            generate::cancel_pending,
            generate::retry_job,
            sessions::sessions,
            sessions::session_tree,
            sessions::create_session,
            sessions::rename_session,
            sessions::archive_session,
            providers::add_provider,
            providers::remove_provider,
            endpoint::mcp_endpoint,
            endpoint::set_mcp_endpoint,
            endpoint::copy_mcp_token,
            files::copy_image,
            files::copy_image_path,
            files::reveal_image,
            painter::export_mask,
            painter::composite_mask,
            imports::import_image,
            imports::import_file,
            costs::cost_summary,
        ])
}

/// Tails the library's change feed (other processes included) and emits each change to the UI;
/// when the library moves to another folder, follows the new one and tells the UI to reload.
pub fn forward_library_events<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let studio = app.state::<Studio>();
        loop {
            let mut feed = match studio.library().watch() {
                Ok(feed) => feed,
                Err(error) => {
                    tracing::error!("cannot follow the library's changes: {error}");
                    return;
                }
            };
            loop {
                let event = tokio::select! {
                    () = studio.library_switched() => break,
                    received = feed.recv() => match received {
                        Ok(event) => event,
                        // too many changes at once: the UI reloads everything
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => easel::library::Event::Reindexed,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                };
                emit(&app, &event);
            }
            emit(&app, &easel::library::Event::Reindexed);
        }
    });
}

fn emit<R: Runtime>(app: &tauri::AppHandle<R>, event: &easel::library::Event) {
    if let Err(error) = app.emit(LIBRARY_EVENT, event) {
        tracing::warn!("cannot send a library event to the window: {error}");
    }
}

/// `easel-studio mcp [--http [ADDR]] | mcp token`: the same MCP server as `easel mcp` (stdio, or
/// Streamable HTTP), so an MCP client can point at the installed app. Nothing graphical is created.
fn serve_mcp(rest: &[String]) -> ExitCode {
    let args = ["easel-studio", "mcp"]
        .into_iter()
        .map(String::from)
        .chain(rest.iter().cloned());
    let cli = match <easel::cli::Cli as clap::Parser>::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(easel::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("easel-studio: {error}");
            ExitCode::from(easel::cli::exit_code(&error) as u8)
        }
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
