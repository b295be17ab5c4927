//! The headless `easel` binary. stdout carries results (and, in MCP stdio mode, only the protocol);
//! logs go to stderr.

use clap::Parser as _;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("EASEL_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = easel::cli::Cli::parse();
    if let Err(e) = easel::cli::run(cli).await {
        eprintln!("error: {e}");
        std::process::exit(easel::cli::exit_code(&e));
    }
}
