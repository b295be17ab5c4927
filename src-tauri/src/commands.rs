//! Commands the UI may invoke (through `ui/src/api.ts`). Each one is listed in
//! `src-tauri/permissions/` and granted to the main window in `src-tauri/capabilities/`.

use serde::Serialize;

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
}
