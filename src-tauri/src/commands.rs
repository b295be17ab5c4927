//! Commands the UI may invoke (through `ui/src/api.ts`). Each one is listed in
//! `src-tauri/permissions/` and granted to the main window in `src-tauri/capabilities/`.
//! They convert DTOs and call `crates/easel`; anything that touches files, the index or the keychain
//! runs on a blocking thread so the window never waits on the main thread.

use std::path::PathBuf;
use std::time::Duration;

use easel::config::ProviderKind;
use easel::connect::{self, Connected, Launch, McpClient};
use easel::keys::{self, ApiKey};
use easel::library::{ImageRecord, Query};
use easel::settings::Choices;
use serde::Serialize;
use tauri::State;

use crate::studio::Studio;

/// What a command rejects with: the core's message, which says what to do.
pub(crate) type Answer<T> = Result<T, String>;

/// Runs `work` on the blocking pool and turns its error into the message the UI shows.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> easel::Result<T> + Send + 'static) -> Answer<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("the task failed: {e}"))?
        .map_err(|e| e.to_string())
}

/// What the UI shows in its header. Field names are the UI's (`AppInfo` in `ui/src/api.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub core_version: String,
}

impl AppInfo {
    /// The running build: `name` is the product name, versions come from the crates.
    pub fn current(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            core_version: easel::VERSION.to_owned(),
        }
    }
}

#[tauri::command]
pub fn app_info<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> AppInfo {
    AppInfo::current(app.package_info().name.clone())
}

// ------------------------------------------------------------------------------------------ gallery

/// One gallery cell: what the grid draws and filters on (the detail panel asks for the rest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tile {
    pub id: String,
    pub prompt: String,
    pub model: String,
    pub width: u32,
    pub height: u32,
    pub created_ms: i64,
    pub cost_usd: f64,
    pub starred: bool,
    pub trashed: bool,
}

impl From<&ImageRecord> for Tile {
    fn from(r: &ImageRecord) -> Tile {
        Tile {
            id: r.id.clone(),
            prompt: r.prompt.clone(),
            model: r.model.clone(),
            width: r.width,
            height: r.height,
            created_ms: r.created_ms,
            cost_usd: r.cost_usd,
            starred: r.starred,
            trashed: r.trashed,
        }
    }
}

/// One page of a search plus the number of matches in all (the grid sizes its scroll area by it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GalleryPage {
    pub total: u64,
    pub offset: u32,
    pub tiles: Vec<Tile>,
}

/// A page of the gallery or the trash: full-text words and filters from `query`, newest first by default.
#[tauri::command]
pub async fn gallery_page(studio: State<'_, Studio>, query: Query) -> Answer<GalleryPage> {
    let library = studio.library();
    blocking(move || {
        let tiles = library.search(&query)?.iter().map(Tile::from).collect();
        Ok(GalleryPage {
            total: library.search_count(&query)?,
            offset: query.offset,
            tiles,
        })
    })
    .await
}

/// Everything about one image: the index row and the metadata embedded in its file.
#[derive(Debug, Clone, Serialize)]
pub struct ImageDetail {
    #[serde(flatten)]
    pub record: ImageRecord,
    /// The embedded metadata (parameters, usage, request id, inputs); `null` when the file has none.
    pub meta: Option<serde_json::Value>,
    pub session_name: Option<String>,
}

#[tauri::command]
pub async fn image_detail(studio: State<'_, Studio>, id: String) -> Answer<ImageDetail> {
    let library = studio.library();
    blocking(move || {
        let record = library.get(&id)?;
        let meta = library.meta(&id).ok().and_then(|m| serde_json::to_value(m).ok());
        let session_name = record
            .session_id
            .as_deref()
            .and_then(|s| library.get_session(s).ok())
            .map(|s| s.name);
        Ok(ImageDetail {
            record,
            meta,
            session_name,
        })
    })
    .await
}

/// Stars or unstars every image in `ids`; returns them as they are now.
#[tauri::command]
pub async fn set_starred(studio: State<'_, Studio>, ids: Vec<String>, starred: bool) -> Answer<Vec<Tile>> {
    let library = studio.library();
    blocking(move || {
        ids.iter()
            .map(|id| library.star(id, starred).map(|r| Tile::from(&r)))
            .collect()
    })
    .await
}

/// Moves every image in `ids` to the trash; returns how many moved.
#[tauri::command]
pub async fn trash_images(studio: State<'_, Studio>, ids: Vec<String>) -> Answer<usize> {
    let library = studio.library();
    blocking(move || ids.iter().try_fold(0, |n, id| library.trash(id).map(|_| n + 1))).await
}

/// Brings every image in `ids` back from the trash; returns how many came back.
#[tauri::command]
pub async fn restore_images(studio: State<'_, Studio>, ids: Vec<String>) -> Answer<usize> {
    let library = studio.library();
    blocking(move || ids.iter().try_fold(0, |n, id| library.restore(id).map(|_| n + 1))).await
}

/// Deletes the trashed files for good; returns how many were deleted.
#[tauri::command]
pub async fn empty_trash(studio: State<'_, Studio>) -> Answer<usize> {
    let library = studio.library();
    blocking(move || library.empty_trash()).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// The values the gallery's filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterOptions {
    pub models: Vec<Choice>,
    pub sessions: Vec<Choice>,
}

#[tauri::command]
pub async fn filter_options(studio: State<'_, Studio>) -> Answer<FilterOptions> {
    let library = studio.library();
    blocking(move || {
        let models = easel::models::all()
            .iter()
            .map(|m| Choice {
                id: m.id.to_string(),
                label: m.label.to_string(),
            })
            .collect();
        let sessions = library
            .list_sessions(false, 500)?
            .into_iter()
            .map(|s| Choice {
                id: s.id,
                label: s.name,
            })
            .collect();
        Ok(FilterOptions { models, sessions })
    })
    .await
}

// ------------------------------------------------------------------------------------- providers

/// Where a provider's key is; the key itself never leaves the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// In the provider's environment variable (the app cannot change it).
    Environment,
    Keychain,
    NotSet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderStatus {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub is_default: bool,
    pub key: KeyState,
    /// Set when the keychain could not be asked (no Secret Service running, …).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Providers {
    /// `make demo`: the default provider is the local fake server, not a real one.
    pub demo: bool,
    pub providers: Vec<ProviderStatus>,
}

fn kind_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::OpenAi => "openai",
        ProviderKind::Azure => "azure",
        ProviderKind::Compatible => "compatible",
    }
}

/// The statuses of every provider (keychain look-ups are D-Bus round trips: off the main thread).
pub(crate) async fn provider_statuses(studio: &Studio) -> Answer<Providers> {
    let config = studio.config();
    let env = studio.env();
    let demo = studio.demo();
    blocking(move || {
        let providers = config
            .providers
            .iter()
            .map(|p| {
                let in_env = p.api_key_env.as_deref().is_some_and(|var| env(var).is_some());
                let (key, problem) = if in_env {
                    (KeyState::Environment, None)
                } else {
                    match keys::keychain_get(&p.name) {
                        Ok(Some(_)) => (KeyState::Keychain, None),
                        Ok(None) => (KeyState::NotSet, None),
                        Err(e) => (KeyState::NotSet, Some(e.to_string())),
                    }
                };
                ProviderStatus {
                    name: p.name.clone(),
                    kind: kind_name(p.kind).to_string(),
                    base_url: p.base_url.clone(),
                    is_default: p.name == config.default_provider,
                    key,
                    problem,
                }
            })
            .collect();
        Ok(Providers { demo, providers })
    })
    .await
}

/// Every configured provider and whether it has a key ("set / not set"; never the key).
#[tauri::command]
pub async fn providers(studio: State<'_, Studio>) -> Answer<Providers> {
    provider_statuses(&studio).await
}

fn known_provider(studio: &Studio, name: &str) -> easel::Result<()> {
    studio.config().provider(Some(name)).map(|_| ())
}

/// Stores (or replaces) a provider's key in the OS keychain.
#[tauri::command]
pub async fn set_key(studio: State<'_, Studio>, provider: String, key: String) -> Answer<Providers> {
    known_provider(&studio, &provider).map_err(|e| e.to_string())?;
    let key = ApiKey::new(key);
    blocking(move || keys::keychain_set(&provider, &key)).await?;
    provider_statuses(&studio).await
}

/// Removes a provider's key from the OS keychain.
#[tauri::command]
pub async fn delete_key(studio: State<'_, Studio>, provider: String) -> Answer<Providers> {
    known_provider(&studio, &provider).map_err(|e| e.to_string())?;
    blocking(move || keys::keychain_delete(&provider).map(|_| ())).await?;
    provider_statuses(&studio).await
}

/// A passed connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionReport {
    pub url: String,
    pub ms: u64,
    pub request_id: Option<String>,
}

/// How long a connection test may take before it counts as failed.
const CONNECTION_TEST_TIMEOUT: Duration = Duration::from_secs(15);

/// One cheap authenticated request to the provider with its stored key (nothing is generated or billed).
#[tauri::command]
pub async fn test_connection(studio: State<'_, Studio>, provider: String) -> Answer<ConnectionReport> {
    let config = studio.config();
    let provider = config.provider(Some(&provider)).map_err(|e| e.to_string())?.clone();
    let env = studio.env();
    let lookup_for = provider.clone();
    let found = blocking(move || keys::lookup(&lookup_for, |n| env(n))).await?;
    let options = easel::openai::ClientOptions {
        timeout: CONNECTION_TEST_TIMEOUT,
        ..Default::default()
    };
    let client = easel::openai::Client::with_options(provider, found.key, options).map_err(|e| e.to_string())?;
    let checked = client
        .check_connection(&tokio_util::sync::CancellationToken::new())
        .await
        .map_err(|e| e.to_string())?;
    Ok(ConnectionReport {
        url: checked.url,
        ms: checked.elapsed.as_millis() as u64,
        request_id: checked.request_id,
    })
}

// -------------------------------------------------------------------------------------- settings

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsView {
    pub choices: Choices,
    /// The settings file these choices live in.
    pub settings_path: PathBuf,
    /// The library in use now.
    pub library_root: PathBuf,
    pub spent_today_usd: f64,
    pub spent_month_usd: f64,
}

fn settings_view(studio: &Studio) -> easel::Result<SettingsView> {
    let path = studio.settings_path();
    let library = studio.library();
    let (spent_today_usd, spent_month_usd) = library.spent()?;
    Ok(SettingsView {
        choices: Choices::read(&path)?,
        settings_path: path,
        library_root: library.root().to_path_buf(),
        spent_today_usd,
        spent_month_usd,
    })
}

#[tauri::command]
pub async fn settings(studio: State<'_, Studio>) -> Answer<SettingsView> {
    settings_view(&studio).map_err(|e| e.to_string())
}

/// Saves the non-secret settings (refused as a whole when invalid) and applies them; a new library
/// folder is opened at once (the gallery reloads through a `reindexed` event).
#[tauri::command]
pub async fn save_settings(studio: State<'_, Studio>, choices: Choices) -> Answer<SettingsView> {
    let env = studio.env();
    let path = studio.settings_path();
    let config = blocking(move || choices.save(&path, &|n: &str| env(n))).await?;
    crate::providers::apply_config(&studio, config).await?;
    settings_view(&studio).map_err(|e| e.to_string())
}

// ----------------------------------------------------------------------------------- MCP clients

/// Writes the client's MCP config entry pointing at this binary's `mcp` mode (backup first;
/// idempotent). Returns the file, the backup and the snippet to show.
#[tauri::command]
pub async fn connect_client(client: McpClient) -> Answer<Connected> {
    blocking(move || {
        let binary = std::env::current_exe().map_err(|e| easel::Error::io("cannot find", "this program", e))?;
        let path = client.default_config_path()?;
        connect::connect(&path, &Launch::mcp(binary))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_crate_versions() {
        let info = AppInfo::current("Easel");
        assert_eq!(info.name, "Easel");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.core_version, easel::VERSION);
    }

    #[test]
    fn serializes_with_the_field_names_the_ui_reads() {
        let json = serde_json::to_value(AppInfo::current("Easel")).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["core_version", "name", "version"]);
    }

    #[test]
    fn key_states_are_the_words_the_ui_reads() {
        let words: Vec<_> = [KeyState::Environment, KeyState::Keychain, KeyState::NotSet]
            .iter()
            .map(|k| serde_json::to_value(k).unwrap())
            .collect();
        assert_eq!(words, ["environment", "keychain", "not_set"]);
    }
}
