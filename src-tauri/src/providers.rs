//! Commands that edit the providers list (add an Azure or OpenAI-compatible provider, remove one)
//! and apply a changed configuration: a new library folder is opened and followed, and the hosted
//! MCP endpoint moves with it. Keys stay in the keychain (`set_key`); validation is the core's.

use std::sync::Arc;

use easel::config::Config;
use easel::library::Library;
use easel::settings::{self, NewProvider};
use tauri::State;

use crate::commands::{Answer, blocking};
use crate::commands::{Providers, provider_statuses};
use crate::studio::Studio;

/// Adds a provider (refused with the core's message when invalid or taken); returns every provider.
#[tauri::command]
pub async fn add_provider(studio: State<'_, Studio>, provider: NewProvider) -> Answer<Providers> {
    let (env, path) = (studio.env(), studio.settings_path());
    let config = blocking(move || settings::add_provider(&path, &provider, &|n: &str| env(n))).await?;
    apply_config(&studio, config).await?;
    provider_statuses(&studio).await
}

/// Removes a provider from the settings (not the built-in OpenAI, not the default one).
#[tauri::command]
pub async fn remove_provider(studio: State<'_, Studio>, name: String) -> Answer<Providers> {
    let (env, path) = (studio.env(), studio.settings_path());
    let config = blocking(move || settings::remove_provider(&path, &name, &|n: &str| env(n))).await?;
    apply_config(&studio, config).await?;
    provider_statuses(&studio).await
}

/// Makes `config` the studio's: when its library is another folder, opens it and switches to it
/// (the event forwarder follows it and the UI reloads), restarting the hosted endpoint on it.
pub async fn apply_config(studio: &Studio, config: Config) -> Answer<()> {
    let current = studio.library();
    let moved = config.library_root != current.root();
    let opened = if moved {
        let root = config.library_root.clone();
        Some(blocking(move || Library::open(&root)).await?)
    } else {
        None
    };
    studio.set_config(config.clone());
    if let Some(library) = opened {
        tracing::info!(library = %config.library_root.display(), "library moved");
        studio.set_library(Arc::new(library));
        if config.mcp_http.enabled {
            let env = studio.env();
            studio.endpoint().stop().await;
            studio.endpoint().apply(&config, |n| env(n)).await;
        }
    }
    Ok(())
}
