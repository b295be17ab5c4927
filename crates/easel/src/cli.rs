//! The headless command line: `easel generate`, `easel edit`, `easel variation`, `easel models`,
//! `easel keys`. Paths of saved images go to stdout (one per line, or JSON with `--json`); progress,
//! cost and errors go to stderr.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::imaging::InputImage;
use crate::keys::{self, ApiKey};
use crate::library;
use crate::models::{self, Background, ImageParams, InputFidelity, Moderation, OutputFormat, Quality, Size};
use crate::openai::{Client, Control, EditRequest, GenerateRequest, Generated, Progress, RespondRequest, VariationRequest};

#[derive(Parser, Debug)]
#[command(name = "easel", version, about = "Easel: gpt-image studio, MCP bridge and command line")]
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
    /// API keys in the OS keychain (service "easel"); keys are never printed.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
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
    GetStatus { provider: String },
    Delete { provider: String },
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
        Error::InvalidParam(_) | Error::InvalidInput(_) | Error::Config(_) | Error::MissingKey { .. } => 2,
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
        Command::Generate { prompt, image } => {
            let (config, client) = connect(&image)?;
            let params = image.params(&config.defaults);
            let use_responses = image.responses || image.previous_response.is_some();
            let previous = image.previous_response.clone();
            let label = prompt.clone();
            execute(&config, &image, &label, |ctl| async move {
                if use_responses {
                    let req = RespondRequest {
                        prompt: prompt.clone(),
                        images: vec![],
                        mask: None,
                        params,
                        previous_response_id: previous,
                        mainline_model: None,
                    };
                    client.respond(&req, &ctl).await
                } else {
                    let req = GenerateRequest {
                        prompt: prompt.clone(),
                        params,
                        user: None,
                    };
                    client.generate(&req, &ctl).await
                }
            })
            .await
        }
        Command::Edit {
            prompt,
            images,
            mask,
            input_fidelity,
            image,
        } => {
            let inputs = images.iter().map(|p| InputImage::from_path(p)).collect::<Result<Vec<_>>>()?;
            let mask = mask.as_deref().map(InputImage::from_path).transpose()?;
            let (config, client) = connect(&image)?;
            let mut params = image.params(&config.defaults);
            params.input_fidelity = input_fidelity;
            let use_responses = image.responses || image.previous_response.is_some();
            let previous = image.previous_response.clone();
            let label = prompt.clone();
            execute(&config, &image, &label, |ctl| async move {
                if use_responses {
                    let req = RespondRequest {
                        prompt: prompt.clone(),
                        images: inputs,
                        mask,
                        params,
                        previous_response_id: previous,
                        mainline_model: None,
                    };
                    client.respond(&req, &ctl).await
                } else {
                    let req = EditRequest {
                        prompt: prompt.clone(),
                        images: inputs,
                        mask,
                        params,
                        user: None,
                    };
                    client.edit(&req, &ctl).await
                }
            })
            .await
        }
        Command::Variation { image_path, image } => {
            let input = InputImage::from_path(&image_path)?;
            let (config, client) = connect(&image)?;
            let mut params = image.params(&config.defaults);
            if image.model.is_none() {
                params.model = "dall-e-2".into();
                params.quality = Quality::Auto;
            }
            execute(&config, &image, "variation", |ctl| async move {
                let req = VariationRequest {
                    image: input,
                    params,
                    user: None,
                };
                client.variation(&req, &ctl).await
            })
            .await
        }
    }
}

fn connect(args: &ImageArgs) -> Result<(Config, Client)> {
    let config = Config::load()?;
    let provider = config.provider(args.provider.as_deref())?.clone();
    let found = keys::lookup(&provider, |v| std::env::var(v).ok())?;
    let client = Client::new(provider, found.key)?;
    Ok((config, client))
}

/// Run one call with Ctrl-C cancellation and progress on stderr, then save and report.
async fn execute<F, Fut>(config: &Config, args: &ImageArgs, prompt: &str, call: F) -> Result<()>
where
    F: FnOnce(Control<'static>) -> Fut,
    Fut: std::future::Future<Output = Result<Generated>>,
{
    let started = Instant::now();
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let on_progress: &'static (dyn Fn(Progress) + Send + Sync) = Box::leak(Box::new(move |p: Progress| match p {
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
    }));
    let generated = call(Control { cancel, on_progress }).await?;
    let root = args.out.clone().unwrap_or_else(|| config.library_root.clone());
    let saved = library::save_images(&root, prompt, &generated.images)?;
    report(args.json, &generated, &saved, started.elapsed().as_secs_f64())
}

fn report(json: bool, g: &Generated, saved: &[library::Saved], seconds: f64) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let io = |e| Error::io("cannot write to", "stdout", e);
    if json {
        let images: Vec<_> = saved
            .iter()
            .zip(&g.images)
            .map(|(s, i)| {
                serde_json::json!({"id": s.id, "path": s.path, "width": i.width, "height": i.height,
                    "format": i.format.as_str(), "bytes": i.bytes.len(), "revised_prompt": i.revised_prompt})
            })
            .collect();
        let out = serde_json::json!({
            "model": g.model, "images": images, "cost_usd": g.cost_usd, "cost_estimated": g.cost_estimated,
            "usage": g.usage, "size": g.echo.size, "quality": g.echo.quality, "request_id": g.request_id,
            "response_id": g.response_id, "partial_images": g.partials, "seconds": seconds,
        });
        writeln!(stdout, "{out}").map_err(io)?;
    } else {
        for s in saved {
            writeln!(stdout, "{}", s.path.display()).map_err(io)?;
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
            models::SizeRule::Presets(list) => list.iter().map(|(w, h)| format!("{w}x{h}")).collect::<Vec<_>>().join(" "),
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
            m.prices.as_ref().map(|p| format!("{:.2}", p.image_out)).unwrap_or_else(|| "-".into()),
            m.shutdown.unwrap_or("-"),
        );
    }
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
            let env_set = p.api_key_env.as_deref().is_some_and(|v| std::env::var(v).is_ok_and(|k| !k.is_empty()));
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
