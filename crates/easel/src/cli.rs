//! The headless command line: `easel generate`, `easel edit`, `easel variation`, `easel models`,
//! `easel keys`, `easel mcp`. Paths of saved images go to stdout (one per line, or JSON with `--json`); progress,
//! cost and errors go to stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::imaging::InputImage;
use crate::job::{self, Call, Work};
use crate::keys::{self, ApiKey};
use crate::ledger::GroupBy;
use crate::library::{self, Library, Query};
use crate::mcp::http;
use crate::models::{self, Background, ImageParams, InputFidelity, Moderation, OutputFormat, Quality, Size};
use crate::openai::{
    Client, Control, EditRequest, GenerateRequest, Generated, Progress, RespondRequest, VariationRequest,
};
use crate::session::Turn;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "easel",
    version,
    about = "Easel: gpt-image studio, MCP bridge and command line"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate images from a prompt.
    Generate {
        prompt: String,
        #[command(flatten)]
        image: ImageArgs,
    },
    /// Edit images (1–16) with a prompt, optionally inside a mask (PNG, alpha 0 = area to change).
    Edit {
        prompt: String,
        /// Input image; repeat for several (the mask applies to the first).
        #[arg(long = "image", short = 'i', required = true)]
        images: Vec<PathBuf>,
        #[arg(long)]
        mask: Option<PathBuf>,
        /// How closely to keep input details (gpt-image-1 and 1.5 only).
        #[arg(long)]
        input_fidelity: Option<InputFidelity>,
        #[command(flatten)]
        image: ImageArgs,
    },
    /// Variations of a square PNG (dall-e-2 on compatible servers).
    Variation {
        #[arg(long = "image", short = 'i')]
        image_path: PathBuf,
        #[command(flatten)]
        image: ImageArgs,
    },
    /// The model table: sizes, qualities, limits, prices, shutdown dates.
    Models,
    /// Full-text search of the library (prompt, revised prompt, tags), newest first.
    Search {
        query: String,
        #[arg(long)]
        model: Option<String>,
        /// Only starred images.
        #[arg(long)]
        starred: bool,
        /// Search the trash instead.
        #[arg(long)]
        trash: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// List sessions, most recently active first.
    Sessions {
        /// Include archived sessions.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one session's turn tree.
    Session {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Spend so far: today, this month, and totals by day, month, model or session.
    Usage {
        #[arg(long, default_value = "day")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the library index from the image files alone.
    Reindex {
        #[arg(long)]
        json: bool,
    },
    /// Recent jobs and their states.
    Jobs {
        #[arg(long)]
        json: bool,
    },
    /// Serve MCP over stdio (for Claude Desktop, Claude Code, Cursor…; stdout carries only the protocol),
    /// or over Streamable HTTP with --http.
    #[command(args_conflicts_with_subcommands = true)]
    Mcp {
        #[command(subcommand)]
        action: Option<McpAction>,
        /// Serve HTTP at http://ADDR/mcp instead of stdio. ADDR is IP:PORT or a port for 127.0.0.1
        /// (0 picks a free one); without it, 127.0.0.1 and the settings' `mcp_http.port` (default 8765).
        #[arg(long, value_name = "ADDR", value_parser = parse_listen_addr, num_args = 0..=1)]
        http: Option<Option<SocketAddr>>,
        /// Allow --http on an address other machines can reach.
        #[arg(long, requires = "http")]
        allow_remote: bool,
    },
    /// API keys in the OS keychain (service "easel"); keys are never printed.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum McpAction {
    /// Print the HTTP endpoint's bearer token (made and stored in the OS keychain on first use).
    Token,
}

#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Store a key read from stdin (or from --from-env VAR).
    Set {
        provider: String,
        #[arg(long)]
        from_env: Option<String>,
    },
    /// Say whether a key is set and where it comes from.
    GetStatus {
        provider: String,
    },
    Delete {
        provider: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// Model id (default from settings, else gpt-image-2).
    #[arg(long, short = 'm')]
    pub model: Option<String>,
    /// `auto` or WxH (gpt-image-2: any multiple of 16 within the model's limits).
    #[arg(long, short = 's')]
    pub size: Option<Size>,
    #[arg(long, short = 'q')]
    pub quality: Option<Quality>,
    /// Number of images (1–10).
    #[arg(long, short = 'n')]
    pub n: Option<u8>,
    #[arg(long = "format", short = 'f')]
    pub format: Option<OutputFormat>,
    /// 0–100, for jpeg and webp.
    #[arg(long)]
    pub compression: Option<u8>,
    #[arg(long)]
    pub background: Option<Background>,
    #[arg(long)]
    pub moderation: Option<Moderation>,
    /// Stream, showing partial images as they arrive.
    #[arg(long)]
    pub stream: bool,
    /// Partial images to stream (0–3; implies --stream).
    #[arg(long)]
    pub partial_images: Option<u8>,
    /// Folder to save into (default: the library folder).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Configured provider to use (default from settings, else openai).
    #[arg(long)]
    pub provider: Option<String>,
    /// Go through the Responses API image_generation tool instead of the Images API.
    #[arg(long)]
    pub responses: bool,
    /// Continue a Responses API conversation (implies --responses).
    #[arg(long)]
    pub previous_response: Option<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Record this call as a new turn of that session.
    #[arg(long)]
    pub session: Option<String>,
    /// Continue from this turn (any turn, not only the last: that makes a branch); implies its session.
    #[arg(long)]
    pub from_turn: Option<String>,
}

impl ImageArgs {
    fn params(&self, defaults: &ImageParams) -> ImageParams {
        let mut p = defaults.clone();
        if let Some(m) = &self.model {
            p.model = m.clone();
        }
        p.size = self.size.unwrap_or(p.size);
        p.quality = self.quality.unwrap_or(p.quality);
        p.n = self.n.unwrap_or(p.n);
        p.output_format = self.format.unwrap_or(p.output_format);
        p.output_compression = self.compression.or(p.output_compression);
        p.background = self.background.unwrap_or(p.background);
        p.moderation = self.moderation.unwrap_or(p.moderation);
        p.stream = self.stream || self.partial_images.is_some();
        p.partial_images = self.partial_images;
        p
    }
}

/// Exit codes: 0 ok, 1 failure, 2 bad input (nothing sent), 130 cancelled.
pub fn exit_code(e: &Error) -> i32 {
    match e {
        Error::InvalidParam(_)
        | Error::InvalidInput(_)
        | Error::Config(_)
        | Error::MissingKey { .. }
        | Error::UnknownId { .. } => 2,
        Error::Cancelled => 130,
        _ => 1,
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Models => {
            print_models();
            Ok(())
        }
        Command::Keys { action } => keys_command(action),
        Command::Mcp {
            action: Some(McpAction::Token),
            ..
        } => print_mcp_token(),
        Command::Mcp {
            http: Some(addr),
            allow_remote,
            ..
        } => serve_mcp_http(addr, allow_remote).await,
        Command::Mcp { .. } => crate::mcp::serve_stdio(Config::load()?).await,
        Command::Search {
            query,
            model,
            starred,
            trash,
            limit,
            json,
        } => {
            let lib = Library::open(&Config::load()?.library_root)?;
            let q = Query {
                text: Some(query),
                model,
                starred: starred.then_some(true),
                trashed: trash,
                limit: Some(limit),
                ..Query::default()
            };
            let found = lib.search(&q)?;
            print_list(json, &found, |i| {
                format!("{}  {}  {}", i.id, i.path.display(), one_line(&i.prompt))
            })
        }
        Command::Sessions { all, json } => {
            let lib = Library::open(&Config::load()?.library_root)?;
            let sessions = lib.list_sessions(all, 200)?;
            print_list(json, &sessions, |s| {
                format!(
                    "{}  {:<30}  {:>3} turns  ${:.4}{}",
                    s.id,
                    s.name,
                    s.turns,
                    s.cost_usd,
                    if s.archived { "  (archived)" } else { "" }
                )
            })
        }
        Command::Session { id, json } => {
            let lib = Library::open(&Config::load()?.library_root)?;
            let tree = lib.session_tree(&id)?;
            if json {
                return print_json(&tree);
            }
            println!("{}  {}", tree.session.id, tree.session.name);
            for t in &tree.turns {
                let depth = depth(&tree.turns, t);
                println!(
                    "{}{}  {}  [{}]",
                    "  ".repeat(depth + 1),
                    t.id,
                    one_line(&t.prompt),
                    t.images.join(", ")
                );
            }
            Ok(())
        }
        Command::Usage { by, json } => {
            let lib = Library::open(&Config::load()?.library_root)?;
            let by = match by.as_str() {
                "day" => GroupBy::Day,
                "month" => GroupBy::Month,
                "model" => GroupBy::Model,
                "session" => GroupBy::Session,
                other => {
                    return Err(Error::InvalidInput(format!(
                        "--by must be day, month, model or session, not '{other}'"
                    )));
                }
            };
            let totals = lib.cost_totals(by, 100)?;
            let (today, month) = lib.spent()?;
            if json {
                return print_json(&serde_json::json!({"today_usd": today, "month_usd": month, "totals": totals}));
            }
            println!("today ${today:.4} · this month ${month:.4}");
            for t in &totals {
                println!("{:<24} ${:>10.4}  {:>5} calls", t.key, t.cost_usd, t.calls);
            }
            Ok(())
        }
        Command::Reindex { json } => {
            let (lib, moved) = Library::open_rebuilding(&Config::load()?.library_root)?;
            if let Some(aside) = moved {
                eprintln!(
                    "the index was unusable; it was moved to {} and rebuilt",
                    aside.display()
                );
            }
            let report = lib.reindex()?;
            if json {
                return print_json(&report);
            }
            println!("indexed {} image(s)", report.indexed);
            for (path, reason) in &report.skipped {
                println!("skipped {}: {reason}", path.display());
            }
            Ok(())
        }
        Command::Jobs { json } => {
            let lib = Library::open(&Config::load()?.library_root)?;
            let jobs = lib.list_jobs(50)?;
            print_list(json, &jobs, |j| {
                format!(
                    "{}  {:<9}  {:<9}  {}",
                    j.id,
                    j.kind,
                    j.state.as_str(),
                    j.error.as_deref().unwrap_or("")
                )
            })
        }
        Command::Generate { prompt, image } => {
            let (config, client) = connect(&image)?;
            let params = image.params(&config.defaults);
            let call = if image.responses || image.previous_response.is_some() {
                Call::Respond(RespondRequest {
                    prompt,
                    images: vec![],
                    mask: None,
                    params,
                    previous_response_id: image.previous_response.clone(),
                    mainline_model: None,
                })
            } else {
                Call::Generate(GenerateRequest {
                    prompt,
                    params,
                    user: None,
                })
            };
            execute(&config, &client, &image, call, vec![]).await
        }
        Command::Edit {
            prompt,
            images,
            mask,
            input_fidelity,
            image,
        } => {
            let inputs = images
                .iter()
                .map(|p| InputImage::from_path(p))
                .collect::<Result<Vec<_>>>()?;
            let labels = images.iter().map(|p| p.display().to_string()).collect();
            let mask = mask.as_deref().map(InputImage::from_path).transpose()?;
            let (config, client) = connect(&image)?;
            let mut params = image.params(&config.defaults);
            params.input_fidelity = input_fidelity;
            let call = if image.responses || image.previous_response.is_some() {
                Call::Respond(RespondRequest {
                    prompt,
                    images: inputs,
                    mask,
                    params,
                    previous_response_id: image.previous_response.clone(),
                    mainline_model: None,
                })
            } else {
                Call::Edit(EditRequest {
                    prompt,
                    images: inputs,
                    mask,
                    params,
                    user: None,
                })
            };
            execute(&config, &client, &image, call, labels).await
        }
        Command::Variation { image_path, image } => {
            let input = InputImage::from_path(&image_path)?;
            let (config, client) = connect(&image)?;
            let mut params = image.params(&config.defaults);
            if image.model.is_none() {
                params.model = "dall-e-2".into();
                params.quality = Quality::Auto;
            }
            let call = Call::Variation(VariationRequest {
                image: input,
                params,
                user: None,
            });
            execute(&config, &client, &image, call, vec![image_path.display().to_string()]).await
        }
    }
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 70 {
        format!("{}…", line.chars().take(69).collect::<String>())
    } else {
        line
    }
}

fn depth(turns: &[crate::session::Turn], turn: &crate::session::Turn) -> usize {
    let mut d = 0;
    let mut parent = turn.parent_id.as_deref();
    while let Some(p) = parent {
        d += 1;
        parent = turns.iter().find(|t| t.id == p).and_then(|t| t.parent_id.as_deref());
    }
    d
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value).expect("serializable"));
    Ok(())
}

fn print_list<T: serde::Serialize>(json: bool, items: &[T], line: impl Fn(&T) -> String) -> Result<()> {
    if json {
        return print_json(&items);
    }
    for item in items {
        println!("{}", line(item));
    }
    Ok(())
}

fn connect(args: &ImageArgs) -> Result<(Config, Client)> {
    let config = Config::load()?;
    let client = Client::for_provider(&config, args.provider.as_deref(), |v| std::env::var(v).ok())?;
    Ok((config, client))
}

/// Run one call with Ctrl-C cancellation and progress on stderr, save it (into the library as a job,
/// or plain files with `--out`), and report.
async fn execute(
    config: &Config,
    client: &Client,
    args: &ImageArgs,
    call: Call,
    input_labels: Vec<String>,
) -> Result<()> {
    let started = Instant::now();
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let on_progress = move |p: Progress| match p {
        Progress::Partial { index, image } => eprintln!(
            "partial image {} received: {}x{} {}, {} KB, after {:.1}s",
            index + 1,
            image.width,
            image.height,
            image.format,
            image.bytes.len() / 1024,
            started.elapsed().as_secs_f64()
        ),
        Progress::Retrying { attempt, wait, reason } => {
            eprintln!("retrying (attempt {attempt}) in {:.1}s: {reason}", wait.as_secs_f64())
        }
    };
    let ctl = Control {
        cancel,
        on_progress: &on_progress,
        first_image: None,
    };
    if let Some(out) = &args.out {
        let prompt = match &call {
            Call::Generate(r) => r.prompt.clone(),
            Call::Edit(r) => r.prompt.clone(),
            Call::Respond(r) => r.prompt.clone(),
            Call::Variation(_) => "variation".into(),
        };
        let generated = match &call {
            Call::Generate(r) => client.generate(r, &ctl).await?,
            Call::Edit(r) => client.edit(r, &ctl).await?,
            Call::Variation(r) => client.variation(r, &ctl).await?,
            Call::Respond(r) => client.respond(r, &ctl).await?,
        };
        let saved = library::save_images(out, &prompt, &generated.images)?;
        let rows: Vec<(String, PathBuf)> = saved.into_iter().map(|s| (s.id, s.path)).collect();
        return report(args.json, &generated, &rows, None, started.elapsed().as_secs_f64());
    }
    let library = Arc::new(Library::open(&config.library_root)?);
    let work = Work {
        call,
        provider: client.provider().name.clone(),
        session_id: args.session.clone(),
        parent_turn_id: args.from_turn.clone(),
        input_labels,
        budget: config.budget,
    };
    let outcome = job::run(&library, client, work, &ctl).await?;
    let rows: Vec<(String, PathBuf)> = outcome.images.iter().map(|i| (i.id.clone(), i.path.clone())).collect();
    report(
        args.json,
        &outcome.generated,
        &rows,
        outcome.turn.as_ref(),
        started.elapsed().as_secs_f64(),
    )
}

fn report(json: bool, g: &Generated, saved: &[(String, PathBuf)], turn: Option<&Turn>, seconds: f64) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let io = |e| Error::io("cannot write to", "stdout", e);
    if json {
        let images: Vec<_> = saved
            .iter()
            .zip(&g.images)
            .map(|(s, i)| {
                serde_json::json!({"id": s.0, "path": s.1, "width": i.width, "height": i.height,
                    "format": i.format.as_str(), "bytes": i.bytes.len(), "revised_prompt": i.revised_prompt})
            })
            .collect();
        let out = serde_json::json!({
            "model": g.model, "images": images, "cost_usd": g.cost_usd, "cost_estimated": g.cost_estimated,
            "usage": g.usage, "size": g.echo.size, "quality": g.echo.quality, "request_id": g.request_id,
            "response_id": g.response_id, "partial_images": g.partials, "seconds": seconds,
            "session_id": turn.map(|t| &t.session_id), "turn_id": turn.map(|t| &t.id),
        });
        writeln!(stdout, "{out}").map_err(io)?;
    } else {
        for s in saved {
            writeln!(stdout, "{}", s.1.display()).map_err(io)?;
        }
        let first = &g.images[0];
        eprintln!(
            "saved {} image(s) · {} · {}x{} {} · {}${:.4} · {:.1}s{}{}",
            saved.len(),
            g.model,
            first.width,
            first.height,
            g.echo.quality.as_deref().unwrap_or(""),
            if g.cost_estimated { "~" } else { "" },
            g.cost_usd,
            seconds,
            g.response_id
                .as_deref()
                .map(|r| format!(" · response {r}"))
                .unwrap_or_default(),
            g.request_id
                .as_deref()
                .map(|r| format!(" · request {r}"))
                .unwrap_or_default(),
        );
        if let Some(t) = turn {
            eprintln!("session {} · turn {}", t.session_id, t.id);
        }
    }
    Ok(())
}

fn print_models() {
    println!(
        "{:<18} {:<44} {:<22} {:>5} {:>6} {:>9} {:>10}  shutdown",
        "model", "sizes", "qualities", "n", "alpha", "inputs", "$/1M out"
    );
    for m in models::all() {
        let sizes = match &m.sizes {
            models::SizeRule::Presets(list) => list
                .iter()
                .map(|(w, h)| format!("{w}x{h}"))
                .collect::<Vec<_>>()
                .join(" "),
            models::SizeRule::Flexible {
                multiple_of, max_edge, ..
            } => format!("any WxH, ×{multiple_of}, edge ≤ {max_edge}, ≤ 3:1"),
        };
        let qualities = m.qualities.iter().map(|q| q.as_str()).collect::<Vec<_>>().join("/");
        println!(
            "{:<18} {:<44} {:<22} {:>5} {:>6} {:>9} {:>10}  {}",
            m.id,
            sizes,
            qualities,
            format!("1-{}", m.n_max),
            if m.transparent { "yes" } else { "no" },
            m.max_input_images,
            m.prices
                .as_ref()
                .map(|p| format!("{:.2}", p.image_out))
                .unwrap_or_else(|| "-".into()),
            m.shutdown.unwrap_or("-"),
        );
    }
}

/// `IP:PORT`, `localhost:PORT` or a bare `PORT` (both 127.0.0.1).
fn parse_listen_addr(value: &str) -> std::result::Result<SocketAddr, String> {
    let value = value.trim();
    let port = value.strip_prefix("localhost:").unwrap_or(value);
    if let Ok(port) = port.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    value
        .parse()
        .map_err(|_| format!("'{value}' is not IP:PORT or a port, e.g. 127.0.0.1:8765"))
}

async fn serve_mcp_http(addr: Option<SocketAddr>, allow_remote: bool) -> Result<()> {
    let config = Config::load()?;
    let addr = addr.unwrap_or_else(|| crate::mcp::hosted::endpoint_address(&config));
    let (token, source) = http::token(|v| std::env::var(v).ok())?;
    let listener = http::bind(addr, allow_remote).await?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the address of", "the listener", e))?;
    eprintln!("easel MCP over HTTP at http://{bound}/mcp");
    eprintln!(
        "token: run `easel mcp token`{}",
        match source {
            http::TokenSource::Created => " (a new one was made and stored in the OS keychain)",
            http::TokenSource::Environment => " (this server uses EASEL_MCP_TOKEN)",
            http::TokenSource::Keychain => "",
        }
    );
    let shutdown = CancellationToken::new();
    let on_ctrl_c = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let limits = http::Limits::from_settings(&config.mcp_http);
    http::serve_http(config, listener, token, limits, shutdown).await
}

/// The one command that prints a secret: the user's own MCP HTTP token, on stdout.
fn print_mcp_token() -> Result<()> {
    let (token, source) = http::token(|v| std::env::var(v).ok())?;
    match source {
        http::TokenSource::Created => {
            eprintln!("made a new token and stored it in the OS keychain (service easel, account mcp-http-token)")
        }
        http::TokenSource::Environment => eprintln!("this is EASEL_MCP_TOKEN from the environment"),
        http::TokenSource::Keychain => {}
    }
    println!("{}", token.expose());
    Ok(())
}

fn keys_command(action: KeysAction) -> Result<()> {
    match action {
        KeysAction::Set { provider, from_env } => {
            let key = match from_env {
                Some(var) => std::env::var(&var)
                    .map_err(|_| Error::InvalidInput(format!("environment variable {var} is not set")))?,
                None => {
                    eprintln!("paste the key for '{provider}' and press Enter:");
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|e| Error::io("cannot read", "stdin", e))?;
                    line
                }
            };
            keys::keychain_set(&provider, &ApiKey::new(key))?;
            eprintln!("key for '{provider}' stored in the OS keychain");
            Ok(())
        }
        KeysAction::GetStatus { provider } => {
            let config = Config::load()?;
            let p = config.provider(Some(&provider))?;
            let env_set = p
                .api_key_env
                .as_deref()
                .is_some_and(|v| std::env::var(v).is_ok_and(|k| !k.is_empty()));
            let keychain = keys::keychain_get(&provider);
            let line = match (&keychain, env_set) {
                (_, true) => format!("set (environment {})", p.api_key_env.as_deref().unwrap_or("")),
                (Ok(Some(_)), false) => "set (keychain)".to_string(),
                (Ok(None), false) => "not set".to_string(),
                (Err(e), false) => format!("not set ({e})"),
            };
            println!("{provider}: {line}");
            Ok(())
        }
        KeysAction::Delete { provider } => {
            if keys::keychain_delete(&provider)? {
                eprintln!("key for '{provider}' deleted from the OS keychain");
            } else {
                eprintln!("no key for '{provider}' in the OS keychain");
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_default_to_loopback() {
        let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
        assert_eq!(parse_listen_addr("8765"), Ok(local(8765)));
        assert_eq!(parse_listen_addr("localhost:0"), Ok(local(0)));
        assert_eq!(parse_listen_addr("127.0.0.1:9"), Ok(local(9)));
        assert_eq!(parse_listen_addr("[::1]:9").unwrap().to_string(), "[::1]:9");
        assert_eq!(parse_listen_addr("0.0.0.0:80").unwrap().to_string(), "0.0.0.0:80");
        assert!(
            parse_listen_addr("example.com:80")
                .unwrap_err()
                .contains("127.0.0.1:8765")
        );
    }

    #[test]
    fn mcp_parses_stdio_http_and_token() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["easel", "mcp"][..], args].concat()).map(|c| c.command);
        assert!(matches!(
            parse(&[]).unwrap(),
            Command::Mcp {
                action: None,
                http: None,
                allow_remote: false
            }
        ));
        assert!(
            matches!(parse(&["--http"]).unwrap(), Command::Mcp { http: Some(None), .. }),
            "--http alone: the settings' port"
        );
        let Command::Mcp {
            http: Some(Some(addr)), ..
        } = parse(&["--http", "9000"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(addr.to_string(), "127.0.0.1:9000");
        assert!(matches!(
            parse(&["--http", "0.0.0.0:1", "--allow-remote"]).unwrap(),
            Command::Mcp { allow_remote: true, .. }
        ));
        assert!(matches!(
            parse(&["token"]).unwrap(),
            Command::Mcp {
                action: Some(McpAction::Token),
                ..
            }
        ));
        assert!(parse(&["--allow-remote"]).is_err(), "--allow-remote needs --http");
        assert!(parse(&["--http", "1", "token"]).is_err());
    }
}
