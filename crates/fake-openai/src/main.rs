//! `fake-openai`: run the fake OpenAI image API server until SIGINT/SIGTERM.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use fake_openai::{Config, FakeOpenAi};

#[derive(Parser, Debug)]
#[command(name = "fake-openai", about = "A local fake of the OpenAI image APIs")]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accepted `Authorization: Bearer` key.
    #[arg(long, default_value = "sk-fake-openai-key")]
    api_key: String,
    /// Accepted Azure `api-key` header.
    #[arg(long, default_value = "azure-fake-key")]
    azure_api_key: String,
    /// Latency added before every API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Gap between streamed events, in milliseconds.
    #[arg(long, default_value_t = 0)]
    partial_interval_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = Config {
        api_key: args.api_key,
        azure_api_key: args.azure_api_key,
        latency: Duration::from_millis(args.latency_ms),
        partial_interval: Duration::from_millis(args.partial_interval_ms),
    };
    let fake = FakeOpenAi::bind(SocketAddr::new(args.host, args.port), config).await?;
    let addr = fake.addr();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}/v1")?;
    stdout.flush()?;
    drop(stdout);
    shutdown_signal().await;
    fake.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
