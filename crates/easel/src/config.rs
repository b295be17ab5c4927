//! Configuration, parsed once into one validated [`Config`]: the settings file (the app edits it through
//! tauri-plugin-store; the headless binary reads the same file) overlaid with the environment names the
//! official SDKs use. Keys never live here: see [`crate::keys`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::{self, ImageParams, OutputFormat, Quality, Size};

/// The Tauri identifier; the app data dir (and so the settings file) is named after it.
pub const APP_ID: &str = "app.easel.studio";
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Azure's data-plane API version used when none is configured.
pub const AZURE_API_VERSION: &str = "2025-04-01-preview";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    #[serde(rename = "openai")]
    OpenAi,
    Azure,
    /// Any server speaking the OpenAI wire format at its own base URL.
    Compatible,
}

/// One configured provider, resolved and validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// OpenAI/compatible: the `/v1` base. Azure: the resource endpoint (`https://x.openai.azure.com`).
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Azure: `api-version` query value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Azure: deployment for the legacy `/openai/deployments/{d}/…` routes; without it the v1 routes are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Environment variable that holds this provider's key (checked before the keychain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Mainline model for the Responses API route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses_model: Option<String>,
}

impl Provider {
    pub fn openai(base_url: impl Into<String>) -> Provider {
        Provider {
            name: "openai".into(),
            kind: ProviderKind::OpenAi,
            base_url: base_url.into(),
            organization: None,
            project: None,
            api_version: None,
            deployment: None,
            api_key_env: Some("OPENAI_API_KEY".into()),
            responses_model: None,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::Config(format!(
                "provider name '{}' must be non-empty and use only letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(Error::Config(format!(
                "provider '{}': base URL '{}' must start with https:// (or http:// for a local server)",
                self.name, self.base_url
            )));
        }
        Ok(())
    }
}

/// Default generation parameters as stored in the settings file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Defaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<OutputFormat>,
}

/// The settings file as it is on disk (a DTO: unknown keys written by the app are ignored).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SettingsFile {
    #[serde(default)]
    pub providers: Vec<Provider>,
    #[serde(default)]
    pub default_provider: Option<String>,
    #[serde(default)]
    pub library: Option<PathBuf>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub budget: crate::ledger::Budget,
    #[serde(default)]
    pub mcp: McpSettings,
    #[serde(default)]
    pub mcp_http: McpHttp,
}

/// How the MCP server behaves (settings file `"mcp"`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct McpSettings {
    /// Ask the user (through a client that declares elicitation) before a call estimated above this, in USD.
    pub confirm_above_usd: f64,
    /// Let input image URLs point at private, loopback or link-local addresses (and use plain http).
    pub allow_private_urls: bool,
    /// Answer an identical request (outside sessions) with the images it already made (see `cache`).
    pub cache_requests: bool,
}

impl Default for McpSettings {
    fn default() -> Self {
        McpSettings {
            confirm_above_usd: 0.50,
            allow_private_urls: false,
            cache_requests: false,
        }
    }
}

/// The MCP HTTP endpoint (settings `"mcp_http"`): whether the desktop app hosts it and on which port,
/// and who may reach it besides this machine's own pages and names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct McpHttp {
    /// The desktop app serves the endpoint on 127.0.0.1 while it runs (Settings → MCP endpoint).
    #[serde(default)]
    pub enabled: bool,
    /// The app's port on 127.0.0.1 (default 8765, the same as `easel mcp --http`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Extra browser origins allowed to call it (`https://host[:port]`); loopback origins always are.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Extra `Host` names it answers to (for `--allow-remote`); loopback names always work.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Requests per second per token, sustained (default 100).
    #[serde(default)]
    pub rate_per_second: Option<f64>,
    /// Requests per token allowed at once above the sustained rate (default 2000).
    #[serde(default)]
    pub rate_burst: Option<u32>,
}

/// Everything the core needs to run, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub settings_path: PathBuf,
    pub providers: Vec<Provider>,
    pub default_provider: String,
    pub library_root: PathBuf,
    pub defaults: ImageParams,
    pub budget: crate::ledger::Budget,
    pub mcp: McpSettings,
    pub mcp_http: McpHttp,
}

impl Config {
    /// Load from the real environment and the default settings location (`EASEL_SETTINGS` overrides it).
    pub fn load() -> Result<Config> {
        Config::load_with(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Load with an explicit environment lookup (tests pass a map).
    pub fn load_with(env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let settings_path = match env("EASEL_SETTINGS") {
            Some(p) => PathBuf::from(p),
            None => default_settings_path()?,
        };
        let file = read_settings(&settings_path)?;
        Config::resolve(settings_path, file, &env)
    }

    pub(crate) fn resolve(
        settings_path: PathBuf,
        file: SettingsFile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let mut providers = Vec::new();
        // The built-in OpenAI provider: always present, shaped by the SDKs' environment names.
        let mut openai = file
            .providers
            .iter()
            .find(|p| p.name == "openai")
            .cloned()
            .unwrap_or_else(|| Provider::openai(OPENAI_BASE_URL));
        if let Some(url) = env("OPENAI_BASE_URL") {
            openai.base_url = url;
        }
        openai.organization = env("OPENAI_ORG_ID").or(openai.organization);
        openai.project = env("OPENAI_PROJECT_ID").or(openai.project);
        providers.push(openai);

        for p in file.providers.iter().filter(|p| p.name != "openai") {
            providers.push(p.clone());
        }
        if let Some(endpoint) = env("AZURE_OPENAI_ENDPOINT") {
            let azure = match providers.iter_mut().find(|p| p.kind == ProviderKind::Azure) {
                Some(p) => p,
                None => {
                    providers.push(Provider {
                        name: "azure".into(),
                        kind: ProviderKind::Azure,
                        base_url: String::new(),
                        organization: None,
                        project: None,
                        api_version: None,
                        deployment: None,
                        api_key_env: Some("AZURE_OPENAI_API_KEY".into()),
                        responses_model: None,
                    });
                    providers.last_mut().expect("just pushed")
                }
            };
            azure.base_url = endpoint;
            azure.api_version = env("OPENAI_API_VERSION").or(azure.api_version.take());
        }
        for p in &mut providers {
            p.base_url = p.base_url.trim_end_matches('/').to_string();
            if p.kind == ProviderKind::Azure && p.api_key_env.is_none() {
                p.api_key_env = Some("AZURE_OPENAI_API_KEY".into());
            }
            p.validate()?;
        }
        for (i, p) in providers.iter().enumerate() {
            if providers[..i].iter().any(|q| q.name == p.name) {
                return Err(Error::Config(format!("provider '{}' is configured twice", p.name)));
            }
        }

        let default_provider = env("EASEL_PROVIDER")
            .or(file.default_provider.clone())
            .unwrap_or_else(|| "openai".into());
        if !providers.iter().any(|p| p.name == default_provider) {
            return Err(Error::Config(format!(
                "default provider '{default_provider}' is not configured (known: {})",
                names(&providers)
            )));
        }

        let library_root = match env("EASEL_LIBRARY").map(PathBuf::from).or(file.library.clone()) {
            Some(p) => p,
            None => default_library_root()?,
        };

        let mut defaults = ImageParams::default();
        if let Some(m) = &file.defaults.model {
            if models::lookup(m).is_none() {
                return Err(Error::Config(format!("default model '{m}' is unknown")));
            }
            defaults.model = m.clone();
        }
        defaults.size = file.defaults.size.unwrap_or(defaults.size);
        defaults.quality = file.defaults.quality.unwrap_or(defaults.quality);
        defaults.output_format = file.defaults.output_format.unwrap_or(defaults.output_format);

        if file.mcp_http.port == Some(0) {
            return Err(Error::Config(
                "mcp_http.port must be a port from 1 to 65535 (8765 when unset)".into(),
            ));
        }

        Ok(Config {
            settings_path,
            providers,
            default_provider,
            library_root,
            defaults,
            budget: file.budget,
            mcp: file.mcp,
            mcp_http: file.mcp_http,
        })
    }

    /// The provider called `name`, or the default one.
    pub fn provider(&self, name: Option<&str>) -> Result<&Provider> {
        let name = name.unwrap_or(&self.default_provider);
        self.providers
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::Config(format!("unknown provider '{name}' (known: {})", names(&self.providers))))
    }
}

fn names(providers: &[Provider]) -> String {
    providers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

pub(crate) fn read_settings(path: &Path) -> Result<SettingsFile> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("settings file {} is not valid: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SettingsFile::default()),
        Err(e) => Err(Error::io("cannot read settings file", path, e)),
    }
}

/// `<app data dir>/settings.json`, the same file tauri-plugin-store writes for the app.
pub fn default_settings_path() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join(APP_ID).join("settings.json"))
        .ok_or_else(|| Error::Config("cannot find the user's data directory; set EASEL_SETTINGS".into()))
}

/// The user's Pictures folder + `/Easel`.
pub fn default_library_root() -> Result<PathBuf> {
    dirs::picture_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join("Pictures")))
        .map(|d| d.join("Easel"))
        .ok_or_else(|| Error::Config("cannot find the Pictures folder; set EASEL_LIBRARY".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], settings: Option<&str>) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        if let Some(s) = settings {
            std::fs::write(&path, s).unwrap();
        }
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("EASEL_SETTINGS".into(), path.display().to_string());
        map.entry("EASEL_LIBRARY".into()).or_insert_with(|| "/tmp/lib".into());
        Config::load_with(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_openai_without_settings() {
        let c = load(&[], None).unwrap();
        assert_eq!(c.default_provider, "openai");
        let p = c.provider(None).unwrap();
        assert_eq!(p.base_url, OPENAI_BASE_URL);
        assert_eq!(p.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
        assert_eq!(c.defaults.model, models::DEFAULT_MODEL);
    }

    #[test]
    fn sdk_environment_names_apply() {
        let c = load(
            &[
                ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/"),
                ("OPENAI_ORG_ID", "org-1"),
                ("OPENAI_PROJECT_ID", "proj_1"),
                ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
                ("OPENAI_API_VERSION", "2025-04-01-preview"),
                ("EASEL_LIBRARY", "/x/lib"),
            ],
            None,
        )
        .unwrap();
        let p = c.provider(Some("openai")).unwrap();
        assert_eq!(p.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(p.organization.as_deref(), Some("org-1"));
        assert_eq!(p.project.as_deref(), Some("proj_1"));
        let a = c.provider(Some("azure")).unwrap();
        assert_eq!(a.kind, ProviderKind::Azure);
        assert_eq!(a.api_key_env.as_deref(), Some("AZURE_OPENAI_API_KEY"));
        assert_eq!(c.library_root, PathBuf::from("/x/lib"));
    }

    #[test]
    fn settings_file_adds_providers_and_defaults() {
        let c = load(
            &[],
            Some(
                r#"{"providers":[{"name":"local","kind":"compatible","base_url":"http://127.0.0.1:8080/v1"}],
                    "default_provider":"local","defaults":{"model":"gpt-image-1","size":"1536x1024","quality":"high"},
                    "someAppKey":true}"#,
            ),
        )
        .unwrap();
        assert_eq!(c.provider(None).unwrap().name, "local");
        assert_eq!(
            c.provider(None).unwrap().api_key_env,
            None,
            "a compatible server never gets OPENAI_API_KEY"
        );
        assert_eq!(c.defaults.model, "gpt-image-1");
        assert_eq!(c.defaults.size.to_string(), "1536x1024");
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let e = load(&[], Some("{not json")).unwrap_err().to_string();
        assert!(e.contains("settings file") && e.contains("not valid"), "{e}");
        let e = load(&[], Some(r#"{"default_provider":"nope"}"#))
            .unwrap_err()
            .to_string();
        assert!(e.contains("'nope' is not configured") && e.contains("openai"), "{e}");
        let e = load(
            &[],
            Some(r#"{"providers":[{"name":"x","kind":"compatible","base_url":"ftp://h"}]}"#),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("must start with https://"), "{e}");
        let e = load(&[], Some(r#"{"defaults":{"model":"gpt-9"}}"#))
            .unwrap_err()
            .to_string();
        assert!(e.contains("gpt-9"), "{e}");
    }
}
