//! The providers list in the settings file: adding an Azure OpenAI resource or an OpenAI-compatible
//! server, removing one. Keys never come here (they go to the keychain); the whole file is validated
//! as a [`Config`] before it is written (see [`super::edit`]).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{edit, json};
use crate::config::{Config, Provider, ProviderKind};
use crate::error::{Error, Result};

/// A provider added in Settings: an OpenAI-compatible server, or an Azure OpenAI resource
/// (its key goes to the keychain separately, never here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    /// Azure: the deployment for the legacy routes (without it, the v1 routes).
    #[serde(default)]
    pub deployment: Option<String>,
    /// Azure: the `api-version`.
    #[serde(default)]
    pub api_version: Option<String>,
}

/// Adds a provider to the settings file's `providers` (validated with the rest of the settings).
pub fn add_provider(path: &Path, new: &NewProvider, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
    let name = new.name.trim();
    if new.kind == ProviderKind::OpenAi || name == "openai" {
        return Err(Error::Config(
            "OpenAI is built in: add an Azure or an OpenAI-compatible provider under another name".into(),
        ));
    }
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    let azure = new.kind == ProviderKind::Azure;
    let provider = Provider {
        name: name.to_string(),
        kind: new.kind,
        base_url: new.base_url.trim().to_string(),
        organization: None,
        project: None,
        api_version: blank(&new.api_version).filter(|_| azure),
        deployment: blank(&new.deployment).filter(|_| azure),
        api_key_env: None,
        responses_model: None,
    };
    edit(path, env, |object| {
        let list = providers_of(object)?;
        if list.iter().any(|p| p.get("name").and_then(Value::as_str) == Some(name)) {
            return Err(Error::Config(format!("a provider named '{name}' already exists")));
        }
        list.push(json(&provider));
        Ok(())
    })
}

/// Removes a provider from the settings file. The built-in OpenAI and the default provider stay.
pub fn remove_provider(path: &Path, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
    if name == "openai" {
        return Err(Error::Config("OpenAI is built in and cannot be removed".into()));
    }
    edit(path, env, |object| {
        if object.get("default_provider").and_then(Value::as_str) == Some(name) {
            return Err(Error::Config(format!(
                "'{name}' is the default provider: choose another default first"
            )));
        }
        let list = providers_of(object)?;
        let before = list.len();
        list.retain(|p| p.get("name").and_then(Value::as_str) != Some(name));
        if list.len() == before {
            return Err(Error::Config(format!(
                "no provider named '{name}' in the settings file"
            )));
        }
        Ok(())
    })
}

fn providers_of(object: &mut Map<String, Value>) -> Result<&mut Vec<Value>> {
    match object.entry("providers").or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(list) => Ok(list),
        _ => Err(Error::Config("settings key providers must be a JSON list".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Choices;

    fn env(library: &Path) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| (name == "EASEL_LIBRARY").then(|| library.display().to_string())
    }

    #[test]
    fn providers_are_added_and_removed_with_clear_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"theme":"dark"}"#).unwrap();
        let azure = NewProvider {
            name: "work".into(),
            kind: ProviderKind::Azure,
            base_url: "https://work.openai.azure.com/".into(),
            deployment: Some("gpt-image".into()),
            api_version: Some(" ".into()),
        };
        let config = add_provider(&path, &azure, &env(dir.path())).unwrap();
        let p = config.provider(Some("work")).unwrap();
        assert_eq!(
            (
                p.kind,
                p.base_url.as_str(),
                p.deployment.as_deref(),
                p.api_version.as_deref()
            ),
            (
                ProviderKind::Azure,
                "https://work.openai.azure.com",
                Some("gpt-image"),
                None
            )
        );
        let local = NewProvider {
            name: "local".into(),
            kind: ProviderKind::Compatible,
            base_url: "http://127.0.0.1:8080/v1".into(),
            deployment: Some("ignored".into()),
            api_version: None,
        };
        add_provider(&path, &local, &env(dir.path())).unwrap();
        let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk["theme"], "dark");
        assert_eq!(
            on_disk["providers"][1],
            serde_json::json!({"name": "local", "kind": "compatible", "base_url": "http://127.0.0.1:8080/v1"})
        );

        let refuse = |new: &NewProvider| add_provider(&path, new, &env(dir.path())).unwrap_err().to_string();
        assert!(refuse(&local).contains("already exists"));
        let e = refuse(&NewProvider {
            name: "bad name!".into(),
            ..local.clone()
        });
        assert!(e.contains("letters, digits"), "{e}");
        let e = refuse(&NewProvider {
            name: "ftp".into(),
            base_url: "ftp://x".into(),
            ..local.clone()
        });
        assert!(e.contains("https://"), "{e}");
        assert!(
            refuse(&NewProvider {
                name: "openai".into(),
                ..local.clone()
            })
            .contains("built in")
        );

        Choices {
            default_provider: Some("local".into()),
            ..Choices::default()
        }
        .save(&path, &env(dir.path()))
        .unwrap();
        let e = remove_provider(&path, "local", &env(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("default provider"), "{e}");
        let config = remove_provider(&path, "work", &env(dir.path())).unwrap();
        assert!(config.provider(Some("work")).is_err());
        assert!(remove_provider(&path, "work", &env(dir.path())).is_err());
        assert!(remove_provider(&path, "openai", &env(dir.path())).is_err());
    }
}
