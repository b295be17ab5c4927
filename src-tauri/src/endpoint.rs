//! Commands for the MCP HTTP endpoint the app hosts (Settings → MCP endpoint): its state, the
//! switch and port (saved to the shared settings file, applied at once), and copying the token.
//! The token itself never reaches the window: `copy_mcp_token` puts it on the clipboard from here.

use easel::mcp::hosted::{self, EndpointState};
use easel::mcp::http;
use easel::settings::Endpoint;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_clipboard_manager::Clipboard;

use crate::commands::Answer;
use crate::studio::Studio;

/// What the Settings screen shows. Field names are the UI's (`McpEndpoint` in `ui/src/api.ts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointView {
    pub enabled: bool,
    /// The port saved in the settings (`null`: the default).
    pub port: Option<u16>,
    pub default_port: u16,
    /// `stopped`, `running` (with `address` and `token`: where the token comes from) or `failed` (with `message`).
    #[serde(flatten)]
    pub state: EndpointState,
    /// `http://127.0.0.1:PORT/mcp` while it runs.
    pub url: Option<String>,
}

fn view(studio: &Studio) -> EndpointView {
    let config = studio.config();
    let state = studio.endpoint().state();
    let url = match &state {
        EndpointState::Running { address, .. } => Some(format!("http://{address}/mcp")),
        _ => None,
    };
    EndpointView {
        enabled: config.mcp_http.enabled,
        port: config.mcp_http.port,
        default_port: hosted::DEFAULT_PORT,
        state,
        url,
    }
}

/// Starts the endpoint if the settings switch it on (at launch).
pub async fn start_if_enabled(studio: &Studio) {
    let config = studio.config();
    if config.mcp_http.enabled {
        let env = studio.env();
        studio.endpoint().apply(&config, |n| env(n)).await;
    }
}

#[tauri::command]
pub async fn mcp_endpoint(studio: State<'_, Studio>) -> Answer<EndpointView> {
    Ok(view(&studio))
}

/// Saves the switch and the port, then starts, restarts or stops the endpoint to match.
/// Invalid settings are refused and nothing changes; a port in use shows as `failed`.
#[tauri::command]
pub async fn set_mcp_endpoint(studio: State<'_, Studio>, enabled: bool, port: Option<u16>) -> Answer<EndpointView> {
    let env = studio.env();
    let config = Endpoint { enabled, port }
        .save(&studio.settings_path(), &|n: &str| env(n))
        .map_err(|e| e.to_string())?;
    studio.set_config(config.clone());
    studio.endpoint().apply(&config, |n| env(n)).await;
    Ok(view(&studio))
}

/// Puts the endpoint's bearer token on the clipboard (marked as a secret for clipboard managers).
/// The one place the token leaves the core; it is never returned to the window or logged.
#[tauri::command]
pub async fn copy_mcp_token<R: Runtime>(app: AppHandle<R>, studio: State<'_, Studio>) -> Answer<()> {
    let env = studio.env();
    let (token, _) = tauri::async_runtime::spawn_blocking(move || http::token(|n| env(n)))
        .await
        .map_err(|e| format!("the task failed: {e}"))?
        .map_err(|e| e.to_string())?;
    clipboard(&app)?
        .write_secret(token.expose())
        .map_err(|e| format!("cannot copy the token: {e}"))
}

/// The clipboard plugin's handle (registered by `run()`; absent on the tests' mock app).
pub fn clipboard<R: Runtime>(app: &AppHandle<R>) -> Answer<&Clipboard<R>> {
    app.try_state::<Clipboard<R>>()
        .map(|state| state.inner())
        .ok_or_else(|| "the clipboard is not available in this window".to_string())
}
