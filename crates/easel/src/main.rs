//! The headless `easel` binary. stdout carries results (and, in MCP stdio mode, only the protocol);
//! logs go to stderr.

use clap::Parser as _;

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("EASEL_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    easel::memory::tune();
    // `easel mcp` spends most of its life waiting for the next call.
    easel::memory::release_code_when_idle();
    let cli = easel::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(easel::cli::run(cli)) {
        eprintln!("error: {e}");
        std::process::exit(easel::cli::exit_code(&e));
    }
}
