//! The MCP server: Easel's library and image calls as tools and resources for Claude Desktop, Claude
//! Code, Cursor or any MCP client. Every call goes through the same core paths as the CLI and the app
//! (`job::run` for images), so what an agent makes lands in the shared library.
//!
//! Domain failures (bad parameters, unknown ids, budget, moderation, missing key) come back as tool
//! results with `isError: true` and the core's actionable message, never as protocol errors.

mod calls;
pub mod hosted;
pub mod http;
mod inputs;
mod jobs;
mod peer;
mod prompts;
mod resources;
mod results;
mod sources;
mod tools;

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::{NotificationContext, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool_handler};

pub use inputs::ReturnMode;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::{Event, Library};
use crate::openai::Client;

/// How the server looks up environment variables (API keys); tests pass their own.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One MCP server over one library. Cheap to clone: every connection shares the library and the client.
#[derive(Clone)]
pub struct Server {
    library: Arc<Library>,
    config: Arc<Config>,
    env: EnvLookup,
    /// Built on first use, so a missing key is a tool error on the call that needs it.
    client: Arc<tokio::sync::OnceCell<Client>>,
    /// Image calls of this process, for wait_job and cancel_job.
    running: jobs::Running,
    tool_router: ToolRouter<Server>,
}

/// The server for `config` over `library` (keys from the real environment, then the keychain).
pub fn server(config: Config, library: Arc<Library>) -> Server {
    Server {
        library,
        config: Arc::new(config),
        env: Arc::new(|name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty())),
        client: Arc::new(tokio::sync::OnceCell::new()),
        running: jobs::Running::default(),
        tool_router: Server::tool_router() + Server::call_router(),
    }
}

impl Server {
    /// Look environment variables (API keys) up with `env` instead of the process environment.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Server {
        self.env = Arc::new(env);
        self
    }

    pub fn library(&self) -> &Arc<Library> {
        &self.library
    }

    /// The default provider's client, built once its key is found.
    async fn client(&self) -> Result<&Client> {
        self.client
            .get_or_try_init(|| async { Client::for_provider(&self.config, None, |v| (self.env)(v)) })
            .await
    }
}

/// Serve MCP over stdin/stdout until the client disconnects. stdout carries only the protocol.
pub async fn serve_stdio(config: Config) -> Result<()> {
    let library = Arc::new(Library::open(&config.library_root)?);
    let transport_error = |e: std::io::Error| Error::io("MCP over", "stdio", e);
    widen_stdout_pipe();
    let running = server(config, library)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| transport_error(std::io::Error::other(e.to_string())))?;
    running
        .waiting()
        .await
        .map_err(|e| transport_error(std::io::Error::other(e.to_string())))?;
    Ok(())
}

/// The pipe stdout holds, when it is a pipe: a result with a preview is ~600 KB of JSON, and a default
/// pipe (64 KiB) would make the server wait on the client ten times per result.
pub const STDOUT_PIPE_BYTES: i32 = 1 << 20;

/// Widen stdout to [`STDOUT_PIPE_BYTES`] when it is a pipe (Linux), or to `/proc/sys/fs/pipe-max-size` if
/// the system allows less; otherwise it stays as it is.
fn widen_stdout_pipe() {
    #[cfg(target_os = "linux")]
    {
        let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|m| m.trim().parse::<i32>().ok())
            .unwrap_or(STDOUT_PIPE_BYTES);
        // SAFETY: fcntl on fd 1 with an integer argument; no memory is passed.
        unsafe {
            libc::fcntl(libc::STDOUT_FILENO, libc::F_SETPIPE_SZ, STDOUT_PIPE_BYTES.min(max));
        }
    }
}

/// How long a burst of library changes is gathered into one list_changed notification.
const LIST_CHANGED_COALESCE: std::time::Duration = std::time::Duration::from_millis(200);

const INSTRUCTIONS: &str = "Easel makes and edits images with OpenAI gpt-image models and keeps every result in \
the user's image library. generate_image and edit_image save the files and return their paths, a link and a \
preview; continue_session refines an image turn by turn (from any turn, which branches). search_images, \
get_image and get_session find earlier work. estimate_cost tells the price before a call; get_usage the spend.";

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_resources_list_changed()
                .enable_tools()
                .build(),
        )
        .with_server_info(Implementation::new("easel", crate::VERSION).with_title("Easel"))
        .with_instructions(INSTRUCTIONS)
    }

    /// Tell this client when the library's image list changes (from any process), until it goes away.
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        // Start-up work is done: let its memory go once the client has been quiet for a moment.
        drop(crate::memory::IdleRelease::begin());
        let mut events = match self.library.watch() {
            Ok(rx) => rx,
            Err(e) => {
                tracing::warn!("no list_changed notifications: {e}");
                return;
            }
        };
        let peer = context.peer;
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match events.recv().await {
                    Ok(Event::ImageAdded { .. } | Event::ImageRemoved { .. } | Event::Reindexed)
                    | Err(RecvError::Lagged(_)) => {
                        // One notification for a burst (n images of one call arrive together).
                        tokio::time::sleep(LIST_CHANGED_COALESCE).await;
                        while events.try_recv().is_ok() {}
                        if peer.notify_resource_list_changed().await.is_err() {
                            break; // the client is gone
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        resources::recent(&self.library).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.library, &request.uri).await.map(Into::into)
    }
}
