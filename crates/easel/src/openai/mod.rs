//! The OpenAI image client: generations, edits, variations (all optionally streamed) and the Responses
//! API route, against OpenAI, Azure OpenAI or any compatible base URL. Every request is validated
//! against the model table before anything is sent. Tested over real HTTP against `fake-openai`.

mod early;
mod responses;
mod retry;
mod stream;
mod transport;
mod wire;

use std::time::Duration;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use tokio_util::sync::CancellationToken;

pub use early::{EarlyImage, early_image};
pub use responses::DEFAULT_MAINLINE_MODEL;
pub use retry::RetryPolicy;
pub use transport::Endpoint;

use crate::config::{Config, Provider, ProviderKind};
use crate::cost::{self, Usage};
use crate::error::{Error, Result};
use crate::imaging::{self, InputImage, check_mask};
use crate::keys::ApiKey;
use crate::models::{self, ImageParams, Model, Operation, OutputFormat};
use transport::{Answer, Payload, Transport};

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// Whole-request limit, streaming included.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        }
    }
}

#[derive(Clone, Debug)]
pub struct GenerateRequest {
    pub prompt: String,
    pub params: ImageParams,
    pub user: Option<String>,
}

#[derive(Clone, Debug)]
pub struct EditRequest {
    pub prompt: String,
    /// 1–16 images; the mask applies to the first.
    pub images: Vec<InputImage>,
    pub mask: Option<InputImage>,
    pub params: ImageParams,
    pub user: Option<String>,
}

#[derive(Clone, Debug)]
pub struct VariationRequest {
    pub image: InputImage,
    pub params: ImageParams,
    pub user: Option<String>,
}

/// A generation or edit through the Responses API's `image_generation` tool.
#[derive(Clone, Debug)]
pub struct RespondRequest {
    pub prompt: String,
    pub images: Vec<InputImage>,
    pub mask: Option<InputImage>,
    pub params: ImageParams,
    /// Continue a stored conversation.
    pub previous_response_id: Option<String>,
    /// The mainline (text) model; defaults to the provider's `responses_model` or [`DEFAULT_MAINLINE_MODEL`].
    pub mainline_model: Option<String>,
}

/// One image received from the provider: raw bytes, never re-encoded.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageOut {
    pub bytes: Bytes,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub revised_prompt: Option<String>,
}

/// The resolved values the provider echoes back (`auto` replaced by its choice).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Echo {
    pub size: Option<String>,
    pub quality: Option<String>,
    pub background: Option<String>,
    pub output_format: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Generated {
    pub model: &'static str,
    pub images: Vec<ImageOut>,
    pub usage: Option<Usage>,
    pub cost_usd: f64,
    /// True when the provider reported no usage and `cost_usd` is the pre-flight estimate.
    pub cost_estimated: bool,
    pub echo: Echo,
    pub partials: u32,
    pub request_id: Option<String>,
    /// Responses API: the id to continue from.
    pub response_id: Option<String>,
    pub attempts: u32,
}

/// Things a caller may want to show while a call runs.
#[derive(Clone, Debug)]
pub enum Progress {
    Retrying {
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    Partial {
        index: u32,
        image: ImageOut,
    },
}

/// How a call is observed and stopped: cancelling the token aborts the upstream request at any point.
pub struct Control<'a> {
    pub cancel: CancellationToken,
    pub on_progress: &'a (dyn Fn(Progress) + Send + Sync),
    /// Where the first image's bytes go while a JSON answer is still arriving ([`early_image`]); the
    /// stream is ended when the call returns, whatever became of it.
    pub first_image: Option<&'a EarlyImage>,
}

fn ignore(_: Progress) {}

/// An answer's `Content-Length` is trusted for its buffer up to this much; a longer body grows as it comes.
const MAX_ANSWER_PREALLOC: u64 = 64 * 1024 * 1024;

impl Control<'static> {
    pub fn new() -> Control<'static> {
        Control {
            cancel: CancellationToken::new(),
            on_progress: &ignore,
            first_image: None,
        }
    }
}

impl Default for Control<'static> {
    fn default() -> Self {
        Control::new()
    }
}

pub struct Client {
    transport: Transport,
}

/// A successful connection test.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Where the test went (holds no secret).
    pub url: String,
    pub request_id: Option<String>,
    pub elapsed: Duration,
}

impl Client {
    pub fn new(provider: Provider, key: ApiKey) -> Result<Client> {
        Client::with_options(provider, key, ClientOptions::default())
    }

    /// The client of `config`'s provider `name` (the default one when `None`), its key from the
    /// environment (read through `env`) or the keychain ([`crate::keys::lookup`]).
    pub fn for_provider(config: &Config, name: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Client> {
        let provider = config.provider(name)?.clone();
        let found = crate::keys::lookup(&provider, env)?;
        Client::new(provider, found.key)
    }

    pub fn with_options(provider: Provider, key: ApiKey, options: ClientOptions) -> Result<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("easel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            transport: Transport {
                http,
                provider,
                key,
                retry: options.retry,
                timeout: options.timeout,
            },
        })
    }

    pub fn provider(&self) -> &Provider {
        &self.transport.provider
    }

    /// The URL a call to `endpoint` goes to (for diagnostics; holds no secret).
    pub fn url(&self, endpoint: Endpoint) -> String {
        self.transport.url(endpoint)
    }

    pub async fn generate(&self, req: &GenerateRequest, ctl: &Control<'_>) -> Result<Generated> {
        let model = models::validate(Operation::Generate, &req.params, &req.prompt, 0, false)?;
        self.check_provider(model, &req.params)?;
        let body = wire::GenerationBody::new(model, &req.params.model, &req.prompt, &req.params, req.user.as_deref());
        let json = Bytes::from(serde_json::to_vec(&body).expect("serializable"));
        let answer = self.send(Endpoint::Generations, Payload::Json(json), &[], ctl).await?;
        self.finish(model, &req.params, req.prompt.len(), 0, answer, ctl).await
    }

    pub async fn edit(&self, req: &EditRequest, ctl: &Control<'_>) -> Result<Generated> {
        let model = models::validate(
            Operation::Edit,
            &req.params,
            &req.prompt,
            req.images.len(),
            req.mask.is_some(),
        )?;
        self.check_provider(model, &req.params)?;
        if let (Some(mask), Some(first)) = (&req.mask, req.images.first()) {
            check_mask(mask, first)?;
        }
        let fields = wire::edit_fields(model, &req.params.model, &req.prompt, &req.params, req.user.as_deref());
        let image_field = if wire::is_dalle(model) { "image" } else { "image[]" };
        let form = || {
            let mut form = Form::new();
            for (k, v) in &fields {
                form = form.text(*k, v.clone());
            }
            for image in &req.images {
                form = form.part(image_field, file_part(image));
            }
            if let Some(mask) = &req.mask {
                form = form.part("mask", file_part(mask));
            }
            form
        };
        let answer = self.send(Endpoint::Edits, Payload::Multipart(&form), &[], ctl).await?;
        self.finish(model, &req.params, req.prompt.len(), req.images.len(), answer, ctl)
            .await
    }

    pub async fn variation(&self, req: &VariationRequest, ctl: &Control<'_>) -> Result<Generated> {
        let model = models::validate(Operation::Variation, &req.params, "", 1, false)?;
        self.check_provider(model, &req.params)?;
        if req.image.format != OutputFormat::Png || req.image.width != req.image.height {
            return Err(Error::InvalidInput(format!(
                "variations need a square PNG; {} is a {}x{} {}",
                req.image.name, req.image.width, req.image.height, req.image.format
            )));
        }
        let mut fields = vec![
            ("model", req.params.model.clone()),
            ("n", req.params.n.to_string()),
            ("size", req.params.size.to_string()),
            ("response_format", "b64_json".to_string()),
        ];
        if let Some(u) = &req.user {
            fields.push(("user", u.clone()));
        }
        let form = || {
            let mut form = Form::new();
            for (k, v) in &fields {
                form = form.text(*k, v.clone());
            }
            form.part("image", file_part(&req.image))
        };
        let answer = self
            .send(Endpoint::Variations, Payload::Multipart(&form), &[], ctl)
            .await?;
        self.finish(model, &req.params, 0, 1, answer, ctl).await
    }

    pub async fn respond(&self, req: &RespondRequest, ctl: &Control<'_>) -> Result<Generated> {
        let op = if req.images.is_empty() {
            Operation::Generate
        } else {
            Operation::Edit
        };
        let model = models::validate(op, &req.params, &req.prompt, req.images.len(), req.mask.is_some())?;
        self.check_provider(model, &req.params)?;
        if wire::is_dalle(model) {
            return Err(Error::InvalidInput(format!(
                "the Responses API image tool does not run {}; use a gpt-image model",
                model.id
            )));
        }
        if let (Some(mask), Some(first)) = (&req.mask, req.images.first()) {
            check_mask(mask, first)?;
        }
        let provider = &self.transport.provider;
        let mainline = req
            .mainline_model
            .as_deref()
            .or(provider.responses_model.as_deref())
            .unwrap_or(DEFAULT_MAINLINE_MODEL);
        let body = responses::body(
            mainline,
            model,
            &req.prompt,
            &req.images,
            req.mask.as_ref(),
            &req.params,
            req.previous_response_id.as_deref(),
        );
        let json = Bytes::from(serde_json::to_vec(&body).expect("serializable"));
        let mut extra = Vec::new();
        if provider.kind == ProviderKind::Azure {
            let deployment = provider.deployment.clone().unwrap_or_else(|| req.params.model.clone());
            extra.push(("x-ms-oai-image-generation-deployment", deployment));
        }
        let answer = self.send(Endpoint::Responses, Payload::Json(json), &extra, ctl).await?;
        self.finish(model, &req.params, req.prompt.len(), req.images.len(), answer, ctl)
            .await
    }

    /// Test the connection and the key with the cheapest authenticated call (`GET models`): no image is
    /// made and nothing is billed. Failures are the usual errors (bad key, unreachable server, …).
    pub async fn check_connection(&self, cancel: &CancellationToken) -> Result<Connection> {
        let started = std::time::Instant::now();
        let answer = self.transport.get_once(Endpoint::Models, cancel).await?;
        Ok(Connection {
            url: self.url(Endpoint::Models),
            request_id: answer.request_id,
            elapsed: started.elapsed(),
        })
    }

    fn check_provider(&self, model: &Model, params: &ImageParams) -> Result<()> {
        if self.transport.provider.kind == ProviderKind::Azure && params.output_format == OutputFormat::Webp {
            return Err(Error::InvalidParam(models::ParamError {
                param: "output_format",
                message: format!("Azure OpenAI does not produce WebP for {}; use png or jpeg", model.id),
            }));
        }
        Ok(())
    }

    async fn send(
        &self,
        endpoint: Endpoint,
        payload: Payload<'_>,
        extra: &[(&'static str, String)],
        ctl: &Control<'_>,
    ) -> Result<Answer> {
        self.transport
            .send(endpoint, payload, extra, &ctl.cancel, ctl.on_progress)
            .await
    }

    /// Read the answer (JSON or a stream) into images, usage and cost.
    async fn finish(
        &self,
        model: &'static Model,
        params: &ImageParams,
        prompt_chars: usize,
        input_images: usize,
        answer: Answer,
        ctl: &Control<'_>,
    ) -> Result<Generated> {
        let Answer {
            response,
            request_id,
            attempts,
        } = answer;
        let is_stream = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let out = if is_stream {
            stream::read(&self.transport, response, &request_id, &ctl.cancel, ctl.on_progress).await?
        } else {
            let (body, mut scan) = self.read_body(response, ctl).await?;
            let early = ctl.first_image.map(|out| (&mut scan, out));
            self.parse_body(&body, &request_id, early).await?
        };
        if out.images.is_empty() {
            return Err(Error::Malformed {
                message: "the answer contained no image".into(),
                request_id,
            });
        }
        let estimate = cost::estimate(model, params, prompt_chars, input_images);
        let (cost_usd, cost_estimated) = match &out.usage {
            Some(u) => (cost::cost_usd(model, u), false),
            None => (estimate.usd, true),
        };
        tracing::info!(
            model = model.id,
            images = out.images.len(),
            request_id = request_id.as_deref().unwrap_or("-"),
            cost_usd,
            "images received"
        );
        Ok(Generated {
            model: model.id,
            images: out.images,
            usage: out.usage,
            cost_usd,
            cost_estimated,
            echo: out.echo,
            partials: out.partials,
            request_id,
            response_id: out.response_id,
            attempts,
        })
    }

    /// The whole body of a JSON answer, its first image also handed to [`Control::first_image`] as it comes.
    async fn read_body(&self, mut response: reqwest::Response, ctl: &Control<'_>) -> Result<(Vec<u8>, early::Scan)> {
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0).min(MAX_ANSWER_PREALLOC) as usize);
        let mut scan = early::Scan::new();
        let read = loop {
            let chunk = tokio::select! {
                _ = ctl.cancel.cancelled() => break Err(Error::Cancelled),
                c = response.chunk() => c,
            };
            match chunk {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if let Some(out) = ctl.first_image {
                        scan.advance(&body, out);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(self.transport.transport_error(&e)),
            }
        };
        if let Some(out) = ctl.first_image {
            scan.finish(out);
        }
        read.map(|()| (body, scan))
    }

    /// `early`: the scan of this body that sent its first image ahead; its bytes stand for the parsed first
    /// image when they are that image (no second decode).
    async fn parse_body(
        &self,
        body: &[u8],
        request_id: &Option<String>,
        mut early: Option<(&mut early::Scan, &EarlyImage)>,
    ) -> Result<stream::Streamed> {
        let malformed = |message: String| Error::Malformed {
            message,
            request_id: request_id.clone(),
        };
        // A Responses answer has `output`; an Images answer has `data`.
        if body.windows(9).take(4096).any(|w| w == b"\"output\":") || body.starts_with(b"{\"id\":\"resp") {
            let r = responses::parse(body).map_err(malformed)?;
            let mut out = stream::Streamed {
                response_id: Some(r.id.clone()),
                ..Default::default()
            };
            if let Some(err) = r.error.clone().filter(|_| r.status.as_deref() == Some("failed")) {
                return Err(transport::api_error(500, err, request_id.clone(), 1, None));
            }
            for item in r.output {
                stream::push_item(item, &mut out).map_err(malformed)?;
            }
            return Ok(out);
        }
        let parsed: wire::ImagesResponse<'_> =
            serde_json::from_slice(body).map_err(|e| malformed(format!("unreadable JSON answer: {e}")))?;
        let mut out = stream::Streamed {
            usage: parsed.usage.map(Usage::from),
            echo: Echo {
                size: parsed.size,
                quality: parsed.quality,
                background: parsed.background,
                output_format: parsed.output_format,
            },
            ..Default::default()
        };
        for (i, item) in parsed.data.into_iter().enumerate() {
            // The first item takes the scan; later ones decode as ever.
            let scanned = match (&item.b64_json, early.take()) {
                (Some(b64), Some((scan, out))) => scan.image_for(body, &b64.0, out),
                _ => None,
            };
            let image = match (&item.b64_json, &item.url) {
                (Some(_), _) if let Some(bytes) = scanned => image_from_bytes(bytes, item.revised_prompt.clone()),
                (Some(b64), _) => decode_image(&b64.0, item.revised_prompt.clone()),
                (None, Some(url)) => self.download(url, item.revised_prompt.clone()).await,
                (None, None) => Err("it has neither b64_json nor url".into()),
            };
            out.images
                .push(image.map_err(|e| malformed(format!("image {} of {}: {e}", i + 1, parsed_len(body))))?);
        }
        Ok(out)
    }

    /// DALL·E answers may carry URLs (valid for an hour) instead of base64.
    async fn download(&self, url: &str, revised_prompt: Option<String>) -> Result<ImageOut, String> {
        let resp = self
            .transport
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("cannot download {url}: {e}"))?;
        let bytes = resp.bytes().await.map_err(|e| format!("cannot download {url}: {e}"))?;
        image_from_bytes(bytes, revised_prompt)
    }
}

fn parsed_len(body: &[u8]) -> usize {
    // Only used in an error message: count `b64_json`/`url` keys without parsing again.
    let count = |needle: &[u8]| body.windows(needle.len()).filter(|w| *w == needle).count();
    count(b"\"b64_json\"").max(count(b"\"url\"")).max(1)
}

fn file_part(image: &InputImage) -> Part {
    Part::stream_with_length(reqwest::Body::from(image.bytes.clone()), image.bytes.len() as u64)
        .file_name(image.upload_name())
        .mime_str(image.format.mime())
        .expect("static image MIME types are valid")
}

/// base64 → bytes → a recognised image with its pixel size (header only; pixels are not decoded).
pub(crate) fn decode_image(b64: &[u8], revised_prompt: Option<String>) -> Result<ImageOut, String> {
    if b64.is_empty() {
        return Err("the image data is empty".into());
    }
    let bytes = imaging::decode_base64(b64)?;
    image_from_bytes(Bytes::from(bytes), revised_prompt)
}

fn image_from_bytes(bytes: Bytes, revised_prompt: Option<String>) -> Result<ImageOut, String> {
    let format = OutputFormat::sniff(&bytes).ok_or("the data is not a PNG, JPEG or WebP image")?;
    let (width, height) = imaging::dimensions(&bytes).ok_or("the image header is unreadable")?;
    Ok(ImageOut {
        bytes,
        format,
        width,
        height,
        revised_prompt,
    })
}
