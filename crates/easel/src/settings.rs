//! Editing the settings file from the app's Settings screen: the non-secret choices a person makes
//! (default provider, library folder, default parameters, budget caps, the hosted MCP endpoint, and
//! the providers list in [`providers`]). The file is shared with the app's own store and the headless
//! binary, so keys this module does not own are kept as they are, and nothing is written unless the
//! result loads as a valid [`Config`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Config, Defaults, SettingsFile, read_settings};
use crate::error::{Error, Result};
use crate::ledger::Budget;

mod providers;

pub use providers::{NewProvider, add_provider, remove_provider};

/// What the Settings screen edits. `None` means "not set" (the built-in default applies).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub default_provider: Option<String>,
    pub library: Option<PathBuf>,
    pub defaults: Defaults,
    pub budget: Budget,
}

impl Choices {
    /// The choices as the file at `path` has them now (a missing file is all defaults).
    pub fn read(path: &Path) -> Result<Choices> {
        let file = read_settings(path)?;
        Ok(Choices {
            default_provider: file.default_provider,
            library: file.library,
            defaults: file.defaults,
            budget: file.budget,
        })
    }

    /// Write these choices into the settings file at `path`, keeping every other key, and return the
    /// resulting configuration (resolved with `env`). Invalid choices (an unknown model or provider, a
    /// negative cap) are refused and the file is left untouched.
    pub fn save(&self, path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
        for (period, cap) in [("daily", self.budget.daily_usd), ("monthly", self.budget.monthly_usd)] {
            if cap.is_some_and(|c| !c.is_finite() || c < 0.0) {
                return Err(Error::Config(format!(
                    "the {period} budget must be a positive amount in USD"
                )));
            }
        }
        if let Some(library) = &self.library {
            check_library(library)?;
        }
        edit(path, env, |object| {
            let mut set = |key: &str, value: Value| {
                if value.is_null() || value.as_object().is_some_and(Map::is_empty) {
                    object.remove(key);
                } else {
                    object.insert(key.to_string(), value);
                }
            };
            set("default_provider", json(&self.default_provider));
            set("library", json(&self.library));
            set("defaults", json(&self.defaults));
            set("budget", json(&self.budget));
            Ok(())
        })
    }
}

/// The hosted MCP endpoint's switch and port (settings `mcp_http.enabled` / `mcp_http.port`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub enabled: bool,
    /// `None`: the default port (8765).
    pub port: Option<u16>,
}

impl Endpoint {
    pub fn read(path: &Path) -> Result<Endpoint> {
        let file = read_settings(path)?;
        Ok(Endpoint {
            enabled: file.mcp_http.enabled,
            port: file.mcp_http.port,
        })
    }

    /// Saves the switch and the port into `mcp_http`, keeping its other keys (allowed origins, rate).
    pub fn save(&self, path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
        if self.port == Some(0) {
            return Err(Error::Config("the MCP endpoint's port must be from 1 to 65535".into()));
        }
        edit(path, env, |object| {
            let section = object.entry("mcp_http").or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(section) = section else {
                return Err(Error::Config("settings key mcp_http must be a JSON object".into()));
            };
            section.insert("enabled".into(), Value::Bool(self.enabled));
            match self.port {
                Some(port) => section.insert("port".into(), Value::from(port)),
                None => section.remove("port"),
            };
            Ok(())
        })
    }
}

/// A library folder typed in Settings: an absolute path to a folder (made when missing) that opens
/// as a library, so a typo is refused before the settings point at it.
fn check_library(root: &Path) -> Result<()> {
    if !root.is_absolute() {
        return Err(Error::Config(format!(
            "the library folder must be an absolute path (like /home/you/Pictures/Easel), not '{}'",
            root.display()
        )));
    }
    if root.exists() && !root.is_dir() {
        return Err(Error::Config(format!(
            "{} is a file, not a folder: choose a folder for the library",
            root.display()
        )));
    }
    crate::library::Library::open(root).map(drop)
}

/// Reads the settings file as JSON, lets `change` edit it, and writes it back atomically only if
/// the result loads as a valid [`Config`] (returned). Keys nobody edits stay as they are.
pub(crate) fn edit(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    change: impl FnOnce(&mut Map<String, Value>) -> Result<()>,
) -> Result<Config> {
    let mut object = read_object(path)?;
    change(&mut object)?;
    let merged = Value::Object(object);
    let file: SettingsFile = serde_json::from_value(merged.clone())
        .map_err(|e| Error::Config(format!("the new settings are not valid: {e}")))?;
    let config = Config::resolve(path.to_path_buf(), file, env)?;
    let mut bytes = serde_json::to_vec_pretty(&merged).expect("a JSON value serializes");
    bytes.push(b'\n');
    crate::library::replace_atomic(path, &bytes)?;
    Ok(config)
}

/// The settings file as a JSON object (empty when missing).
fn read_object(path: &Path) -> Result<Map<String, Value>> {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) | Err(_) => Err(Error::Config(format!(
                "settings file {} is not a JSON object; fix or delete it",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(Error::io("cannot read settings file", path, e)),
    }
}

pub(crate) fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("settings values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Quality;

    fn env(library: &Path) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| (name == "EASEL_LIBRARY").then(|| library.display().to_string())
    }

    #[test]
    fn saving_keeps_keys_it_does_not_own_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(
            &path,
            r#"{"theme":"dark","providers":[{"name":"local","kind":"compatible","base_url":"http://127.0.0.1:9/v1"}]}"#,
        )
        .unwrap();
        let choices = Choices {
            default_provider: Some("local".into()),
            defaults: Defaults {
                model: Some("gpt-image-1".into()),
                quality: Some(Quality::High),
                ..Defaults::default()
            },
            budget: Budget {
                daily_usd: Some(2.5),
                monthly_usd: None,
            },
            ..Choices::default()
        };
        let config = choices.save(&path, &env(dir.path())).unwrap();
        assert_eq!(config.default_provider, "local");
        assert_eq!(config.defaults.model, "gpt-image-1");
        assert_eq!(config.budget.daily_usd, Some(2.5));

        let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk["theme"], "dark", "the app's own keys stay");
        assert_eq!(on_disk["providers"][0]["name"], "local");
        assert!(on_disk.get("library").is_none(), "unset choices are not written");
        assert_eq!(Choices::read(&path).unwrap(), choices);

        // clearing a cap removes it
        let cleared = Choices {
            budget: Budget::default(),
            ..choices
        };
        cleared.save(&path, &env(dir.path())).unwrap();
        let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(on_disk.get("budget").is_none(), "{on_disk}");
    }

    #[test]
    fn invalid_choices_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"theme":"light"}"#).unwrap();
        let before = std::fs::read(&path).unwrap();

        let unknown_model = Choices {
            defaults: Defaults {
                model: Some("gpt-9".into()),
                ..Defaults::default()
            },
            ..Choices::default()
        };
        let e = unknown_model.save(&path, &env(dir.path())).unwrap_err().to_string();
        assert!(e.contains("gpt-9"), "{e}");

        let unknown_provider = Choices {
            default_provider: Some("nope".into()),
            ..Choices::default()
        };
        assert!(unknown_provider.save(&path, &env(dir.path())).is_err());

        let negative = Choices {
            budget: Budget {
                daily_usd: Some(-1.0),
                monthly_usd: None,
            },
            ..Choices::default()
        };
        let e = negative.save(&path, &env(dir.path())).unwrap_err().to_string();
        assert!(e.contains("daily budget"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_missing_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("settings.json");
        assert_eq!(Choices::read(&path).unwrap(), Choices::default());
        let choices = Choices {
            budget: Budget {
                daily_usd: None,
                monthly_usd: Some(40.0),
            },
            ..Choices::default()
        };
        choices.save(&path, &env(dir.path())).unwrap();
        assert_eq!(Choices::read(&path).unwrap(), choices);
    }

    #[test]
    fn the_endpoint_switch_and_port_keep_the_rest_of_mcp_http() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"mcp_http":{"allowed_origins":["https://a.example"]}}"#).unwrap();
        assert_eq!(Endpoint::read(&path).unwrap(), Endpoint::default());
        let on = Endpoint {
            enabled: true,
            port: Some(9123),
        };
        let config = on.save(&path, &env(dir.path())).unwrap();
        assert!(config.mcp_http.enabled);
        assert_eq!(config.mcp_http.port, Some(9123));
        assert_eq!(config.mcp_http.allowed_origins, ["https://a.example"]);
        assert_eq!(Endpoint::read(&path).unwrap(), on);

        let off = Endpoint {
            enabled: false,
            port: None,
        };
        off.save(&path, &env(dir.path())).unwrap();
        let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            on_disk["mcp_http"],
            serde_json::json!({"allowed_origins": ["https://a.example"], "enabled": false})
        );

        let before = std::fs::read(&path).unwrap();
        let e = Endpoint {
            enabled: true,
            port: Some(0),
        }
        .save(&path, &env(dir.path()))
        .unwrap_err()
        .to_string();
        assert!(e.contains("port"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_library_folder_must_be_an_absolute_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let save = |library: PathBuf| {
            Choices {
                library: Some(library),
                ..Choices::default()
            }
            .save(&path, &|_: &str| None)
        };
        let e = save(PathBuf::from("relative/lib")).unwrap_err().to_string();
        assert!(e.contains("absolute path"), "{e}");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let e = save(file).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
        assert!(!path.exists(), "nothing written");
        let fresh = dir.path().join("new-library");
        let config = save(fresh.clone()).unwrap();
        assert_eq!(config.library_root, fresh);
        assert!(fresh.join(".easel").is_dir(), "the new folder is a library");
    }
}
