//! One-click "connect" for MCP clients: writes (or updates) the client's config entry that starts this
//! Easel binary in its `mcp` mode. Other servers and keys in the file are kept; the previous file is
//! backed up first; running it again with the same entry changes nothing.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The name of Easel's entry under `mcpServers`.
pub const SERVER_NAME: &str = "easel";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpClient {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
}

impl McpClient {
    pub fn label(self) -> &'static str {
        match self {
            McpClient::ClaudeDesktop => "Claude Desktop",
            McpClient::ClaudeCode => "Claude Code",
            McpClient::Cursor => "Cursor",
        }
    }

    /// The client's user-level config file, given the home and the OS config folders
    /// (`~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows).
    pub fn config_path(self, home: &Path, config_dir: &Path) -> PathBuf {
        match self {
            McpClient::ClaudeDesktop => config_dir.join("Claude").join("claude_desktop_config.json"),
            McpClient::ClaudeCode => home.join(".claude.json"),
            McpClient::Cursor => home.join(".cursor").join("mcp.json"),
        }
    }

    /// [`McpClient::config_path`] for the current user.
    pub fn default_config_path(self) -> Result<PathBuf> {
        let home = dirs::home_dir().ok_or_else(|| Error::Config("cannot find the home folder".into()))?;
        let config = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
        Ok(self.config_path(&home, &config))
    }
}

/// The server entry: the program and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    pub command: PathBuf,
    pub args: Vec<String>,
}

impl Launch {
    /// `<binary> mcp`.
    pub fn mcp(binary: impl Into<PathBuf>) -> Launch {
        Launch {
            command: binary.into(),
            args: vec!["mcp".into()],
        }
    }

    fn entry(&self) -> Value {
        json!({ "command": self.command.to_string_lossy(), "args": self.args })
    }

    /// The JSON to paste by hand: `{"mcpServers": {"easel": {…}}}`.
    pub fn snippet(&self) -> String {
        serde_json::to_string_pretty(&json!({ "mcpServers": { SERVER_NAME: self.entry() } }))
            .expect("a JSON value serializes")
    }
}

/// What [`connect`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connected {
    pub path: PathBuf,
    /// Where the previous file was copied, when there was one and it changed.
    pub backup: Option<PathBuf>,
    /// `false` when the file already had exactly this entry (nothing was written).
    pub changed: bool,
    pub snippet: String,
}

/// Adds or replaces the `easel` entry under `mcpServers` in the JSON config file at `path`.
pub fn connect(path: &Path, launch: &Launch) -> Result<Connected> {
    let existing = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot read", path, e)),
    };
    let mut root = match &existing {
        None => Map::new(),
        Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
        Some(bytes) => match serde_json::from_slice(bytes) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(Error::Config(format!(
                    "{} is not a JSON object; fix it or move it away, then connect again",
                    path.display()
                )));
            }
        },
    };
    let servers = root.entry("mcpServers").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(servers) = servers else {
        return Err(Error::Config(format!(
            "\"mcpServers\" in {} is not an object; fix it, then connect again",
            path.display()
        )));
    };
    let entry = launch.entry();
    let snippet = launch.snippet();
    if servers.get(SERVER_NAME) == Some(&entry) {
        return Ok(Connected {
            path: path.to_path_buf(),
            backup: None,
            changed: false,
            snippet,
        });
    }
    servers.insert(SERVER_NAME.to_string(), entry);

    let backup = match &existing {
        Some(bytes) => {
            let stamp = jiff::Zoned::now().strftime("%Y%m%d-%H%M%S");
            let name = format!(
                "{}.easel-backup-{stamp}",
                path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            );
            let to = path.with_file_name(name);
            std::fs::write(&to, bytes).map_err(|e| Error::io("cannot back up to", &to, e))?;
            Some(to)
        }
        None => None,
    };
    let mut bytes = serde_json::to_vec_pretty(&Value::Object(root)).expect("a JSON value serializes");
    bytes.push(b'\n');
    crate::library::replace_atomic(path, &bytes)?;
    Ok(Connected {
        path: path.to_path_buf(),
        backup,
        changed: true,
        snippet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn each_client_has_its_documented_file() {
        let home = Path::new("/home/me");
        let config = Path::new("/home/me/.config");
        assert_eq!(
            McpClient::ClaudeDesktop.config_path(home, config),
            Path::new("/home/me/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            McpClient::ClaudeCode.config_path(home, config),
            Path::new("/home/me/.claude.json")
        );
        assert_eq!(
            McpClient::Cursor.config_path(home, config),
            Path::new("/home/me/.cursor/mcp.json")
        );
    }

    #[test]
    fn creates_a_missing_file_with_only_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Claude").join("claude_desktop_config.json");
        let done = connect(&path, &Launch::mcp("/opt/Easel/easel-studio")).unwrap();
        assert!(done.changed && done.backup.is_none());
        assert_eq!(
            read(&path),
            json!({"mcpServers": {"easel": {"command": "/opt/Easel/easel-studio", "args": ["mcp"]}}})
        );
        assert_eq!(serde_json::from_str::<Value>(&done.snippet).unwrap(), read(&path));
    }

    #[test]
    fn keeps_other_servers_and_keys_backs_up_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".claude.json");
        let before = r#"{"theme":"dark","mcpServers":{"other":{"command":"x"},"easel":{"command":"/old/easel","args":["mcp"]}}}"#;
        std::fs::write(&path, before).unwrap();

        let launch = Launch::mcp("/usr/bin/easel-studio");
        let first = connect(&path, &launch).unwrap();
        assert!(first.changed);
        let backup = first.backup.expect("the previous file is kept");
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), before);
        let after = read(&path);
        assert_eq!(after["theme"], "dark");
        assert_eq!(after["mcpServers"]["other"], json!({"command": "x"}));
        assert_eq!(after["mcpServers"]["easel"]["command"], "/usr/bin/easel-studio");

        let again = connect(&path, &launch).unwrap();
        assert!(
            !again.changed && again.backup.is_none(),
            "nothing to do the second time"
        );
        assert_eq!(read(&path), after);
        let backups = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("easel-backup")
            })
            .count();
        assert_eq!(backups, 1);
    }

    #[test]
    fn refuses_files_it_cannot_safely_edit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp.json");
        for bad in ["[1,2]", "{not json", r#"{"mcpServers": []}"#] {
            std::fs::write(&path, bad).unwrap();
            let e = connect(&path, &Launch::mcp("/x")).unwrap_err().to_string();
            assert!(e.contains("mcp.json"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "left untouched");
        }
    }
}
