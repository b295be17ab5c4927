//! The MCP HTTP endpoint hosted inside a long-running process (the desktop app): the same server as
//! `easel mcp --http`, switched on and off at run time from the settings (`mcp_http.enabled`,
//! `mcp_http.port`) without a restart. Always on 127.0.0.1; the token is the keychain's (or
//! `EASEL_MCP_TOKEN`), as for the headless server.

use std::net::SocketAddr;
use std::sync::Mutex;

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::http::{self, Limits, TokenSource};
use crate::config::Config;
use crate::error::{Error, Result};

/// The port the endpoint uses when the settings name none (the same as `easel mcp --http`).
pub const DEFAULT_PORT: u16 = 8765;

/// What the endpoint is doing now, for the Settings screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EndpointState {
    Stopped,
    /// Serving `http://{address}/mcp`.
    Running {
        address: SocketAddr,
        token: TokenSource,
    },
    /// It was asked to run but could not (port in use, no keychain, …), or stopped by itself.
    Failed {
        message: String,
    },
}

/// The hosted endpoint: at most one server at a time.
#[derive(Default)]
pub struct Hosted {
    current: Mutex<Current>,
}

#[derive(Default)]
enum Current {
    #[default]
    Stopped,
    Running(Running),
    Failed(String),
}

struct Running {
    address: SocketAddr,
    token: TokenSource,
    shutdown: CancellationToken,
    task: JoinHandle<Result<()>>,
}

impl Hosted {
    /// Brings the endpoint in line with `config.mcp_http`: stopped when disabled, else running on its
    /// port (restarted when the port changed; call [`Hosted::stop`] first to restart it on another
    /// library). The outcome is also kept for [`Hosted::state`].
    pub async fn apply(&self, config: &Config, env: impl Fn(&str) -> Option<String> + Sync) -> EndpointState {
        let wanted = config.mcp_http.enabled.then(|| endpoint_address(config));
        let running = self.take_running();
        if let Some(running) = running {
            if Some(running.address) == wanted && !running.task.is_finished() {
                let state = EndpointState::Running {
                    address: running.address,
                    token: running.token,
                };
                *self.lock() = Current::Running(running);
                return state;
            }
            stop(running).await;
        }
        let next = match wanted {
            None => Current::Stopped,
            Some(address) => match start(config, address, &env).await {
                Ok(running) => Current::Running(running),
                Err(e) => Current::Failed(e.to_string()),
            },
        };
        *self.lock() = next;
        self.state()
    }

    /// Stops the endpoint (if it runs) and waits until its port is free.
    pub async fn stop(&self) {
        if let Some(running) = self.take_running() {
            stop(running).await;
        }
        *self.lock() = Current::Stopped;
    }

    pub fn state(&self) -> EndpointState {
        let mut current = self.lock();
        if let Current::Running(running) = &*current
            && running.task.is_finished()
        {
            *current = Current::Failed(format!("the endpoint on {} stopped unexpectedly", running.address));
        }
        match &*current {
            Current::Stopped => EndpointState::Stopped,
            Current::Running(r) => EndpointState::Running {
                address: r.address,
                token: r.token,
            },
            Current::Failed(message) => EndpointState::Failed {
                message: message.clone(),
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take_running(&self) -> Option<Running> {
        let mut current = self.lock();
        match std::mem::take(&mut *current) {
            Current::Running(running) => Some(running),
            other => {
                *current = other;
                None
            }
        }
    }
}

/// `127.0.0.1:{mcp_http.port or 8765}`.
pub fn endpoint_address(config: &Config) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], config.mcp_http.port.unwrap_or(DEFAULT_PORT)))
}

async fn start(config: &Config, address: SocketAddr, env: &(dyn Fn(&str) -> Option<String> + Sync)) -> Result<Running> {
    let (token, source) = http::token(env)?;
    let listener = http::bind(address, false).await.map_err(|e| match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => Error::InvalidInput(format!(
            "port {} is in use (by another program, or by `easel mcp --http`): choose another port",
            address.port()
        )),
        other => other,
    })?;
    let shutdown = CancellationToken::new();
    let limits = Limits::from_settings(&config.mcp_http);
    let task = tokio::spawn(http::serve_http(
        config.clone(),
        listener,
        token,
        limits,
        shutdown.clone(),
    ));
    tracing::info!(%address, "hosted MCP endpoint started");
    Ok(Running {
        address,
        token: source,
        shutdown,
        task,
    })
}

/// How long open connections get to finish before the server is dropped (which frees the port).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

async fn stop(mut running: Running) {
    running.shutdown.cancel();
    let ended = match tokio::time::timeout(STOP_GRACE, &mut running.task).await {
        Ok(ended) => ended,
        Err(_) => {
            running.task.abort();
            let _ = (&mut running.task).await;
            tracing::info!(address = %running.address, "hosted MCP endpoint stopped (connections cut)");
            return;
        }
    };
    match ended {
        Ok(Ok(())) => tracing::info!(address = %running.address, "hosted MCP endpoint stopped"),
        Ok(Err(e)) => tracing::warn!("the hosted MCP endpoint ended with an error: {e}"),
        Err(e) => tracing::warn!("the hosted MCP endpoint's task failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path, enabled: bool, port: u16) -> Config {
        let settings = dir.join("settings.json");
        std::fs::write(
            &settings,
            serde_json::json!({"mcp_http": {"enabled": enabled, "port": port}}).to_string(),
        )
        .unwrap();
        let library = dir.join("library");
        Config::load_with(|n| match n {
            "EASEL_SETTINGS" => Some(settings.display().to_string()),
            "EASEL_LIBRARY" => Some(library.display().to_string()),
            _ => None,
        })
        .unwrap()
    }

    fn env(name: &str) -> Option<String> {
        (name == http::TOKEN_ENV).then(|| "hosted-unit-test-token-0123456789".into())
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn follows_the_switch_and_reports_a_busy_port() {
        let dir = tempfile::tempdir().unwrap();
        let hosted = Hosted::default();
        let port = free_port();
        assert_eq!(
            hosted.apply(&config(dir.path(), false, port), env).await,
            EndpointState::Stopped
        );

        let running = hosted.apply(&config(dir.path(), true, port), env).await;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        assert_eq!(
            running,
            EndpointState::Running {
                address,
                token: TokenSource::Environment
            }
        );
        let health = reqwest::get(format!("http://{address}/health")).await.unwrap();
        assert_eq!(health.status(), 200);
        assert!(std::net::TcpListener::bind(address).is_err(), "it holds the port");

        hosted.stop().await;
        assert_eq!(hosted.state(), EndpointState::Stopped);
        let blocker = std::net::TcpListener::bind(address).expect("stopping frees the port");

        let EndpointState::Failed { message } = hosted.apply(&config(dir.path(), true, port), env).await else {
            panic!("a busy port fails");
        };
        assert!(message.contains(&format!("port {port} is in use")), "{message}");
        drop(blocker);
        assert!(matches!(
            hosted.apply(&config(dir.path(), true, port), env).await,
            EndpointState::Running { .. }
        ));
        assert_eq!(
            hosted.apply(&config(dir.path(), false, port), env).await,
            EndpointState::Stopped
        );
    }

    #[test]
    fn the_address_is_loopback_on_the_settings_port_or_8765() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(dir.path(), false, 9123);
        assert_eq!(endpoint_address(&c).to_string(), "127.0.0.1:9123");
        c.mcp_http.port = None;
        assert_eq!(endpoint_address(&c).to_string(), "127.0.0.1:8765");
    }

    #[test]
    fn the_state_serializes_as_the_ui_reads_it() {
        let running = EndpointState::Running {
            address: SocketAddr::from(([127, 0, 0, 1], 8765)),
            token: TokenSource::Keychain,
        };
        assert_eq!(
            serde_json::to_value(running).unwrap(),
            serde_json::json!({"state": "running", "address": "127.0.0.1:8765", "token": "keychain"})
        );
        let failed = EndpointState::Failed { message: "x".into() };
        assert_eq!(
            serde_json::to_value(failed).unwrap(),
            serde_json::json!({"state": "failed", "message": "x"})
        );
    }
}
