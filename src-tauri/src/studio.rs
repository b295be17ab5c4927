//! The one core instance per process: the configuration and the open library, shared by every
//! command through Tauri's state.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use easel::config::Config;
use easel::library::Library;
use easel::mcp::hosted::Hosted;

/// Reads an environment variable; tests pass a fixed map instead of the process environment.
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct Studio {
    config: RwLock<Config>,
    library: RwLock<Arc<Library>>,
    /// Woken when the library is replaced (another folder), so its change feed is followed instead.
    library_switched: tokio::sync::Notify,
    env: Env,
    /// `make demo`: the provider is the local fake server, and the UI says so.
    demo: bool,
    /// The MCP HTTP endpoint this process serves when the settings switch it on.
    endpoint: Hosted,
}

impl Studio {
    /// Loads the configuration from the process environment and the settings file, and opens the library.
    pub fn open() -> easel::Result<Studio> {
        let env: Env = Arc::new(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        let config = Config::load_with(|n| env(n))?;
        Studio::with(config, env)
    }

    /// A studio over an already loaded configuration (tests).
    pub fn with(config: Config, env: Env) -> easel::Result<Studio> {
        let library = Arc::new(Library::open(&config.library_root)?);
        let demo = env("EASEL_DEMO").is_some_and(|v| v == "1");
        Ok(Studio {
            config: RwLock::new(config),
            library: RwLock::new(library),
            library_switched: tokio::sync::Notify::new(),
            env,
            demo,
            endpoint: Hosted::default(),
        })
    }

    pub fn library(&self) -> Arc<Library> {
        Arc::clone(&self.library.read().expect("library lock"))
    }

    /// Uses `library` from now on (the settings moved the library to another folder).
    pub fn set_library(&self, library: Arc<Library>) {
        *self.library.write().expect("library lock") = library;
        self.library_switched.notify_one();
    }

    /// Resolves when [`Studio::set_library`] replaced the library.
    pub async fn library_switched(&self) {
        self.library_switched.notified().await
    }

    /// A snapshot of the configuration as it is now.
    pub fn config(&self) -> Config {
        self.config.read().expect("config lock").clone()
    }

    pub fn set_config(&self, config: Config) {
        *self.config.write().expect("config lock") = config;
    }

    pub fn env(&self) -> Env {
        Arc::clone(&self.env)
    }

    pub fn demo(&self) -> bool {
        self.demo
    }

    pub fn endpoint(&self) -> &Hosted {
        &self.endpoint
    }

    pub fn settings_path(&self) -> PathBuf {
        self.config.read().expect("config lock").settings_path.clone()
    }
}
