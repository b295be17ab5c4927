//! The OpenAI client over real HTTP against `fake-openai`: request shapes on the wire, streaming,
//! the Responses route, Azure, the fault matrix, cancellation and validation before any network call.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{client, client_with, fake, generate_req, png_input};
use easel::Error;
use easel::config::{Provider, ProviderKind};
use easel::imaging::InputImage;
use easel::keys::ApiKey;
use easel::models::{Background, ImageParams, Moderation, OutputFormat, Quality, Size};
use easel::openai::{
    Client, ClientOptions, Control, EditRequest, GenerateRequest, Generated, Progress, RespondRequest, RetryPolicy,
    VariationRequest,
};
use fake_openai::Fault;

fn size(s: &str) -> Size {
    s.parse().unwrap()
}

#[tokio::test]
async fn generation_sends_the_documented_json_and_headers() {
    let fake = fake().await;
    let mut provider = Provider::openai(fake.base_url());
    provider.organization = Some("org-easel".into());
    provider.project = Some("proj_easel".into());
    let c = client_with(&fake, provider, ClientOptions::default());
    let mut req = generate_req("a lighthouse at dusk");
    req.params = ImageParams {
        size: size("1024x1536"),
        quality: Quality::High,
        output_format: OutputFormat::Jpeg,
        output_compression: Some(80),
        moderation: Moderation::Low,
        ..ImageParams::default()
    };
    req.user = Some("user-7".into());
    let g = c.generate(&req, &Control::new()).await.unwrap();

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/images/generations"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );
    assert_eq!(r.header("openai-organization"), Some("org-easel"));
    assert_eq!(r.header("openai-project"), Some("proj_easel"));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let json = r.json.as_ref().unwrap();
    assert_eq!(
        json,
        &serde_json::json!({"prompt": "a lighthouse at dusk", "model": "gpt-image-2", "n": 1, "size": "1024x1536",
            "quality": "high", "output_format": "jpeg", "output_compression": 80, "moderation": "low", "user": "user-7"})
    );

    assert_eq!(g.images.len(), 1);
    let img = &g.images[0];
    assert_eq!((img.width, img.height, img.format), (1024, 1536, OutputFormat::Jpeg));
    assert!(image::load_from_memory(&img.bytes).is_ok(), "real decodable pixels");
    let usage = g.usage.expect("usage reported");
    assert!(usage.output_image_tokens > 0 && usage.input_text_tokens > 0);
    assert!(g.cost_usd > 0.0 && !g.cost_estimated);
    assert_eq!(g.request_id.as_deref().map(|id| id.starts_with("req_")), Some(true));
    assert_eq!(g.echo.quality.as_deref(), Some("high"));
}

#[tokio::test]
async fn defaults_send_a_minimal_body_and_transparent_png_keeps_alpha() {
    let fake = fake().await;
    let c = client(&fake);
    let mut req = generate_req("a sticker of a fox");
    req.params.model = "gpt-image-1.5".into();
    req.params.background = Background::Transparent;
    req.params.n = 2;
    let g = c.generate(&req, &Control::new()).await.unwrap();
    let json = fake.requests()[0].json.clone().unwrap();
    assert_eq!(
        json,
        serde_json::json!({"prompt": "a sticker of a fox", "model": "gpt-image-1.5", "n": 2, "size": "auto",
            "background": "transparent", "output_format": "png"})
    );
    assert_eq!(g.images.len(), 2);
    let rgba = image::load_from_memory(&g.images[0].bytes).unwrap().to_rgba8();
    assert!(rgba.pixels().any(|p| p[3] == 0), "transparent pixels arrive");
}

#[tokio::test]
async fn edit_with_one_image_is_multipart_with_real_content_types() {
    let fake = fake().await;
    let c = client(&fake);
    let req = EditRequest {
        prompt: "add a red scarf".into(),
        images: vec![png_input("cat.png", 1024, 1024)],
        mask: None,
        params: ImageParams {
            model: "gpt-image-1".into(),
            input_fidelity: Some(easel::models::InputFidelity::High),
            ..ImageParams::default()
        },
        user: None,
    };
    let g = c.edit(&req, &Control::new()).await.unwrap();
    assert_eq!((g.images[0].width, g.images[0].height), (1024, 1024));

    let r = &fake.requests()[0];
    assert_eq!(r.path, "/v1/images/edits");
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let images = r.parts_named("image[]");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(images[0].filename.as_deref(), Some("cat.png"));
    assert_eq!(images[0].data, req.images[0].bytes, "bytes sent unchanged");
    assert_eq!(r.text("prompt").as_deref(), Some("add a red scarf"));
    assert_eq!(r.text("model").as_deref(), Some("gpt-image-1"));
    assert_eq!(r.text("input_fidelity").as_deref(), Some("high"));
    assert_eq!(r.text("n").as_deref(), Some("1"));
    assert!(
        r.text("moderation").is_none(),
        "the multipart schema has no moderation field"
    );
    assert!(r.parts_named("mask").is_empty());
}

#[tokio::test]
async fn edit_with_sixteen_images_of_three_formats_and_a_mask() {
    let fake = fake().await;
    let c = client(&fake);
    let formats = [
        image::ImageFormat::Png,
        image::ImageFormat::Jpeg,
        image::ImageFormat::WebP,
    ];
    let images: Vec<InputImage> = (0..16)
        .map(|i| common::input(&format!("in{i}.bin"), 512, 512, formats[i % 3]))
        .collect();
    let mask = common::mask_input(512, 512);
    let req = EditRequest {
        prompt: "put all of these in a basket".into(),
        images: images.clone(),
        mask: Some(mask.clone()),
        params: ImageParams::default(),
        user: None,
    };
    c.edit(&req, &Control::new()).await.unwrap();
    let r = &fake.requests()[0];
    let parts = r.parts_named("image[]");
    assert_eq!(parts.len(), 16);
    for (i, part) in parts.iter().enumerate() {
        let (mime, ext) = match i % 3 {
            0 => ("image/png", "png"),
            1 => ("image/jpeg", "jpg"),
            _ => ("image/webp", "webp"),
        };
        assert_eq!(part.content_type.as_deref(), Some(mime), "part {i}");
        assert_eq!(part.filename.as_deref(), Some(format!("in{i}.{ext}").as_str()));
        assert_eq!(part.data, images[i].bytes);
    }
    let m = r.parts_named("mask");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(m[0].data, mask.bytes);
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_sent() {
    let fake = fake().await;
    let c = client(&fake);
    let mut req = generate_req("x");
    req.params.size = size("1000x1000");
    let e = c.generate(&req, &Control::new()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidParam(_)), "{e}");
    assert!(e.to_string().contains("16"), "says what is allowed: {e}");

    let seventeen = EditRequest {
        prompt: "x".into(),
        images: (0..17).map(|i| png_input(&format!("{i}.png"), 64, 64)).collect(),
        mask: None,
        params: ImageParams::default(),
        user: None,
    };
    let e = c.edit(&seventeen, &Control::new()).await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidParam(_)) && e.to_string().contains("16"),
        "{e}"
    );

    let wrong_mask = EditRequest {
        prompt: "x".into(),
        images: vec![png_input("a.png", 1024, 1024)],
        mask: Some(common::mask_input(512, 512)),
        params: ImageParams::default(),
        user: None,
    };
    let e = c.edit(&wrong_mask, &Control::new()).await.unwrap_err();
    assert!(
        e.to_string().contains("512x512") && e.to_string().contains("1024x1024"),
        "{e}"
    );

    let mut transparent = generate_req("x");
    transparent.params.background = Background::Transparent;
    transparent.params.output_format = OutputFormat::Jpeg;
    transparent.params.model = "gpt-image-1".into();
    assert!(matches!(
        c.generate(&transparent, &Control::new()).await,
        Err(Error::InvalidParam(_))
    ));

    assert!(fake.requests().is_empty(), "no request reached the server");
}

#[tokio::test]
async fn variation_uses_the_image_field_and_b64() {
    let fake = fake().await;
    let c = client(&fake);
    let req = VariationRequest {
        image: png_input("sq.png", 256, 256),
        params: ImageParams {
            model: "dall-e-2".into(),
            size: size("256x256"),
            quality: Quality::Auto,
            n: 2,
            ..ImageParams::default()
        },
        user: None,
    };
    let g = c.variation(&req, &Control::new()).await.unwrap();
    assert_eq!(g.images.len(), 2);
    assert_eq!((g.images[0].width, g.images[0].height), (256, 256));
    assert!(g.cost_usd > 0.0);
    let r = &fake.requests()[0];
    assert_eq!(r.path, "/v1/images/variations");
    assert_eq!(r.parts_named("image").len(), 1);
    assert_eq!(r.text("response_format").as_deref(), Some("b64_json"));
    assert_eq!(r.text("model").as_deref(), Some("dall-e-2"));

    let mut not_square = req.clone();
    not_square.image = png_input("wide.png", 512, 256);
    assert!(
        c.variation(&not_square, &Control::new())
            .await
            .unwrap_err()
            .to_string()
            .contains("square")
    );
}

/// (index, width, height) of every partial image seen.
type Seen = Arc<Mutex<Vec<(u32, u32, u32)>>>;

fn collect_partials() -> (Seen, impl Fn(Progress) + Send + Sync + 'static) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |p: Progress| {
        if let Progress::Partial { index, image } = p {
            sink.lock().unwrap().push((index, image.width, image.height));
        }
    })
}

#[tokio::test]
async fn streaming_generation_delivers_real_partials_then_the_final_image() {
    let fake = fake().await;
    let c = client(&fake);
    let (seen, on_progress) = collect_partials();
    let mut req = generate_req("a city at night");
    req.params.stream = true;
    req.params.partial_images = Some(3);
    req.params.size = size("1536x1024");
    let ctl = Control {
        cancel: Default::default(),
        on_progress: &on_progress,
        first_image: None,
    };
    let g = c.generate(&req, &ctl).await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(0, 1536, 1024), (1, 1536, 1024), (2, 1536, 1024)]
    );
    assert_eq!(g.partials, 3);
    assert_eq!((g.images[0].width, g.images[0].height), (1536, 1024));
    assert!(
        g.usage.unwrap().output_image_tokens >= 300,
        "partials cost 100 tokens each"
    );
    let json = fake.requests()[0].json.clone().unwrap();
    assert_eq!(json["stream"], true);
    assert_eq!(json["partial_images"], 3);
}

#[tokio::test]
async fn streaming_edit_uses_image_edit_events() {
    let fake = fake().await;
    let c = client(&fake);
    let (seen, on_progress) = collect_partials();
    let req = EditRequest {
        prompt: "make it snow".into(),
        images: vec![png_input("a.png", 1024, 1024)],
        mask: Some(common::mask_input(1024, 1024)),
        params: ImageParams {
            stream: true,
            partial_images: Some(2),
            ..ImageParams::default()
        },
        user: None,
    };
    let ctl = Control {
        cancel: Default::default(),
        on_progress: &on_progress,
        first_image: None,
    };
    let g = c.edit(&req, &ctl).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(g.images.len(), 1);
    let r = &fake.requests()[0];
    assert_eq!(r.text("stream").as_deref(), Some("true"));
    assert_eq!(r.text("partial_images").as_deref(), Some("2"));
}

#[tokio::test]
async fn responses_route_generates_and_continues_a_conversation() {
    let fake = fake().await;
    let c = client(&fake);
    let first = RespondRequest {
        prompt: "a poster of a whale".into(),
        images: vec![],
        mask: None,
        params: ImageParams {
            size: size("1024x1024"),
            quality: Quality::Low,
            ..ImageParams::default()
        },
        previous_response_id: None,
        mainline_model: Some("gpt-5.5".into()),
    };
    let g = c.respond(&first, &Control::new()).await.unwrap();
    let response_id = g.response_id.clone().expect("response id");
    assert!(response_id.starts_with("resp"), "{response_id}");
    assert_eq!((g.images[0].width, g.images[0].height), (1024, 1024));
    let r = &fake.requests()[0];
    assert_eq!(r.path, "/v1/responses");
    let json = r.json.as_ref().unwrap();
    assert_eq!(json["model"], "gpt-5.5");
    assert_eq!(json["input"], "a poster of a whale");
    assert_eq!(json["tools"][0]["type"], "image_generation");
    assert_eq!(json["tools"][0]["model"], "gpt-image-2");
    assert_eq!(json["tools"][0]["quality"], "low");
    assert_eq!(json["tool_choice"], serde_json::json!({"type": "image_generation"}));

    let mut next = first.clone();
    next.prompt = "now make it blue".into();
    next.previous_response_id = Some(response_id.clone());
    next.images = vec![png_input("ref.png", 1024, 1024)];
    next.mask = Some(common::mask_input(1024, 1024));
    c.respond(&next, &Control::new()).await.unwrap();
    let json = fake.requests()[1].json.clone().unwrap();
    assert_eq!(json["previous_response_id"], response_id.as_str());
    let content = &json["input"][0]["content"];
    assert_eq!(content[0]["type"], "input_text");
    assert_eq!(content[1]["type"], "input_image");
    assert!(
        content[1]["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert!(
        json["tools"][0]["input_image_mask"]["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png")
    );

    let mut unknown = first.clone();
    unknown.previous_response_id = Some("resp_does_not_exist".into());
    let e = c.respond(&unknown, &Control::new()).await.unwrap_err();
    assert!(matches!(e, Error::BadRequest { .. }), "{e:?}");
    assert!(
        e.to_string().contains("resp_does_not_exist"),
        "OpenAI's message passes through: {e}"
    );
}

#[tokio::test]
async fn responses_route_streams_partials() {
    let fake = fake().await;
    let c = client(&fake);
    let (seen, on_progress) = collect_partials();
    let req = RespondRequest {
        prompt: "a kite".into(),
        images: vec![],
        mask: None,
        params: ImageParams {
            stream: true,
            partial_images: Some(2),
            size: size("1024x1024"),
            ..ImageParams::default()
        },
        previous_response_id: None,
        mainline_model: None,
    };
    let ctl = Control {
        cancel: Default::default(),
        on_progress: &on_progress,
        first_image: None,
    };
    let g = c.respond(&req, &ctl).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(g.images.len(), 1);
    assert!(g.response_id.is_some());
    assert_eq!(fake.requests()[0].json.as_ref().unwrap()["stream"], true);
}

fn azure(fake: &fake_openai::FakeOpenAi, deployment: Option<&str>, api_version: Option<&str>) -> Provider {
    Provider {
        name: "azure".into(),
        kind: ProviderKind::Azure,
        base_url: format!("http://{}", fake.addr()),
        organization: None,
        project: None,
        api_version: api_version.map(str::to_string),
        deployment: deployment.map(str::to_string),
        api_key_env: Some("AZURE_OPENAI_API_KEY".into()),
        responses_model: None,
    }
}

#[tokio::test]
async fn azure_deployment_and_v1_routes_use_the_api_key_header() {
    let fake = fake().await;
    let key = ApiKey::new(fake.azure_api_key());
    let legacy = easel::openai::Client::new(
        azure(&fake, Some("gpt-image-2"), Some("2025-04-01-preview")),
        key.clone(),
    )
    .unwrap();
    legacy.generate(&generate_req("a map"), &Control::new()).await.unwrap();
    let v1 = easel::openai::Client::new(azure(&fake, None, None), key.clone()).unwrap();
    v1.generate(&generate_req("a map"), &Control::new()).await.unwrap();
    let resp = RespondRequest {
        prompt: "a map".into(),
        images: vec![],
        mask: None,
        params: ImageParams::default(),
        previous_response_id: None,
        mainline_model: None,
    };
    v1.respond(&resp, &Control::new()).await.unwrap();

    let reqs = fake.requests();
    assert_eq!(reqs[0].path, "/openai/deployments/gpt-image-2/images/generations");
    assert_eq!(reqs[0].query.as_deref(), Some("api-version=2025-04-01-preview"));
    assert_eq!(reqs[1].path, "/openai/v1/images/generations");
    assert_eq!(reqs[2].path, "/openai/v1/responses");
    assert_eq!(
        reqs[2].header("x-ms-oai-image-generation-deployment"),
        Some("gpt-image-2")
    );
    for r in &reqs {
        assert_eq!(r.header("api-key"), Some(fake.azure_api_key()));
        assert!(r.header("authorization").is_none(), "no bearer header on Azure");
    }

    let mut webp = generate_req("a map");
    webp.params.output_format = OutputFormat::Webp;
    let e = v1.generate(&webp, &Control::new()).await.unwrap_err();
    assert!(e.to_string().contains("WebP"), "{e}");
    assert_eq!(fake.requests().len(), 3, "refused before sending");
}

// ---- fault matrix ----

fn fast_retries() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(40),
            max_backoff: Duration::from_millis(200),
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    }
}

async fn run_with_faults(faults: Vec<Fault>) -> (Result<easel::openai::Generated, Error>, usize, Duration) {
    let fake = fake().await;
    fake.push_faults(faults);
    let c = client_with(&fake, Provider::openai(fake.base_url()), fast_retries());
    let started = Instant::now();
    let res = c.generate(&generate_req("fault"), &Control::new()).await;
    (res, fake.requests().len(), started.elapsed())
}

fn rate_limited(ms: Option<&str>, secs: Option<&str>) -> Fault {
    Fault::RateLimited {
        retry_after_ms: ms.map(str::to_string),
        retry_after: secs.map(str::to_string),
    }
}

#[tokio::test]
async fn rate_limits_honour_retry_after_then_succeed() {
    let (res, count, took) =
        run_with_faults(vec![rate_limited(Some("150"), None), rate_limited(None, Some("0.2"))]).await;
    let g = res.unwrap();
    assert_eq!((count, g.attempts), (3, 3));
    assert!(took >= Duration::from_millis(350), "waited as asked: {took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn rate_limits_give_up_after_two_retries_with_an_actionable_error() {
    let faults = vec![rate_limited(Some("10"), None); 3];
    let (res, count, _) = run_with_faults(faults).await;
    let e = res.unwrap_err();
    assert_eq!(count, 3, "1 try + 2 retries");
    match &e {
        Error::RateLimited {
            attempts, request_id, ..
        } => {
            assert_eq!(*attempts, 3);
            assert!(request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("rate limited"), "{e}");
}

#[tokio::test]
async fn a_retry_after_beyond_120_seconds_is_not_waited_for() {
    let (res, count, took) = run_with_faults(vec![rate_limited(None, Some("121"))]).await;
    let e = res.unwrap_err();
    assert_eq!(count, 1);
    assert!(took < Duration::from_secs(1));
    assert!(matches!(e, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(121)));
    assert!(e.to_string().contains("121"), "{e}");
}

#[tokio::test]
async fn quota_exhaustion_is_not_retried() {
    let (res, count, _) = run_with_faults(vec![Fault::InsufficientQuota]).await;
    assert_eq!(count, 1);
    let e = res.unwrap_err();
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    assert!(e.to_string().contains("billing"), "{e}");
}

#[tokio::test]
async fn server_errors_back_off_exponentially_then_succeed_or_fail() {
    let (res, count, took) = run_with_faults(vec![Fault::Status { status: 500 }, Fault::Status { status: 503 }]).await;
    assert!(res.is_ok());
    assert_eq!(count, 3);
    // 40 ms then 80 ms, each minus at most 25 % jitter.
    assert!(took >= Duration::from_millis(90), "{took:?}");

    let (res, count, _) = run_with_faults(vec![Fault::Status { status: 502 }; 3]).await;
    assert_eq!(count, 3);
    let e = res.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Server {
                status: 502,
                attempts: 3,
                ..
            }
        ),
        "{e:?}"
    );

    for status in [408, 409] {
        let (res, count, _) = run_with_faults(vec![Fault::Status { status }]).await;
        assert!(res.is_ok(), "{status} is retried");
        assert_eq!(count, 2);
    }
}

#[tokio::test]
async fn x_should_retry_overrides_the_status_rule() {
    let (res, count, _) = run_with_faults(vec![Fault::ShouldRetry {
        status: 500,
        should_retry: false,
    }])
    .await;
    assert!(res.is_err());
    assert_eq!(count, 1);
    let (res, count, _) = run_with_faults(vec![Fault::ShouldRetry {
        status: 400,
        should_retry: true,
    }])
    .await;
    assert!(res.is_ok());
    assert_eq!(count, 2);
}

#[tokio::test]
async fn auth_and_policy_failures_say_what_to_do_and_never_echo_the_key() {
    let (res, count, _) = run_with_faults(vec![Fault::Unauthorized]).await;
    let e = res.unwrap_err();
    assert_eq!(count, 1);
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains("sk-fake-openai-key"), "{e}");

    let (res, _, _) = run_with_faults(vec![Fault::OrgVerification]).await;
    let e = res.unwrap_err();
    assert!(matches!(e, Error::OrganizationVerification { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("platform.openai.com/settings/organization/general"),
        "{e}"
    );

    let (res, count, _) = run_with_faults(vec![Fault::ModerationBlocked]).await;
    let e = res.unwrap_err();
    assert_eq!(count, 1, "moderation blocks are not retried");
    match &e {
        Error::ModerationBlocked { categories, .. } => assert!(!categories.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_key_is_rejected_without_echoing_it() {
    let fake = fake().await;
    let secret = "sk-this-is-the-wrong-key-1234567890";
    let c = easel::openai::Client::new(Provider::openai(fake.base_url()), ApiKey::new(secret)).unwrap();
    let e = c.generate(&generate_req("x"), &Control::new()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains(secret), "{e}");
    assert!(!format!("{e:?}").contains(secret), "{e:?}");
}

#[tokio::test]
async fn timeouts_and_malformed_answers_are_errors_not_images() {
    let fake = fake().await;
    fake.push_faults(vec![Fault::Delay { ms: 2000 }; 3]);
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        ..fast_retries()
    };
    let c = client_with(&fake, Provider::openai(fake.base_url()), options);
    let started = Instant::now();
    let e = c.generate(&generate_req("slow"), &Control::new()).await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");
    assert_eq!(fake.requests().len(), 3, "timeouts are retried like the SDKs do");
    assert!(started.elapsed() < Duration::from_secs(3));

    let (res, _, _) = run_with_faults(vec![Fault::InvalidBase64]).await;
    let e = res.unwrap_err();
    assert!(
        matches!(e, Error::Malformed { .. }) && e.to_string().contains("base64"),
        "{e}"
    );

    let (res, _, _) = run_with_faults(vec![Fault::TruncatedStream]).await;
    assert!(
        matches!(res, Err(Error::Malformed { .. })),
        "truncated JSON body: {:?}",
        res.err()
    );
}

/// A call that also sends its first image ahead while the answer arrives (`Control::first_image`): its
/// result, the bytes the receiving end got, and whether the client confirmed them as the first image.
async fn with_early_image(fault: Option<Fault>, req: GenerateRequest) -> (Result<Generated, Error>, Vec<u8>, bool) {
    let fake = fake().await;
    fake.push_faults(fault);
    let c = client(&fake);
    let (early, pieces) = easel::openai::early_image();
    let receiver = std::thread::spawn(move || pieces.iter().flatten().collect::<Vec<u8>>());
    let ctl = Control {
        cancel: Default::default(),
        on_progress: &|_| {},
        first_image: Some(&early),
    };
    let res = c.generate(&req, &ctl).await;
    let confirmed = early.confirmed();
    drop(early);
    (res, receiver.join().unwrap(), confirmed)
}

#[tokio::test]
async fn the_first_image_goes_ahead_while_the_answer_arrives_and_only_a_whole_one_is_confirmed() {
    let mut two = generate_req("two");
    two.params.n = 2;
    let (res, got, confirmed) = with_early_image(None, two.clone()).await;
    let images = res.unwrap().images;
    assert_eq!(images.len(), 2);
    assert!(
        confirmed && got == images[0].bytes,
        "the first image, whole: {} bytes",
        got.len()
    );

    // Legal JSON that the look-ahead does not read (`\/` for `/`): it stops short, unconfirmed, and the
    // call still returns the same image, decoded by the parse.
    let (res, got, confirmed) = with_early_image(Some(Fault::EscapedSlashes), two.clone()).await;
    let escaped = res.unwrap().images;
    assert_eq!(escaped[0].bytes, images[0].bytes);
    assert!(!confirmed && got.len() < images[0].bytes.len() && images[0].bytes.starts_with(&got));

    let (res, _, confirmed) = with_early_image(Some(Fault::InvalidBase64), two.clone()).await;
    assert!(res.is_err() && !confirmed);
    // A body cut halfway: inside the only image's string.
    let (res, _, _) = with_early_image(None, generate_req("one")).await;
    let whole = res.unwrap().images[0].bytes.len();
    let (res, got, confirmed) = with_early_image(Some(Fault::TruncatedStream), generate_req("one")).await;
    assert!(
        res.is_err() && !confirmed && got.len() < whole,
        "{} of {whole} bytes",
        got.len()
    );

    // A streamed answer has no JSON body to look into: nothing goes ahead.
    let mut streamed = two;
    streamed.params.stream = true;
    let (res, got, confirmed) = with_early_image(None, streamed).await;
    assert!(res.is_ok() && got.is_empty() && !confirmed);
}

async fn stream_with_fault(fault: Fault) -> Result<easel::openai::Generated, Error> {
    let fake = fake().await;
    fake.push_fault(fault);
    let c = client(&fake);
    let mut req = generate_req("stream fault");
    req.params.stream = true;
    req.params.partial_images = Some(2);
    c.generate(&req, &Control::new()).await
}

#[tokio::test]
async fn broken_streams_are_errors() {
    let e = stream_with_fault(Fault::TruncatedStream).await.unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("stream"), "{e}");
    let e = stream_with_fault(Fault::StreamError).await.unwrap_err();
    assert!(
        !matches!(e, Error::Malformed { .. }),
        "the in-stream error is reported as such: {e:?}"
    );
    let e = stream_with_fault(Fault::InvalidBase64).await.unwrap_err();
    assert!(e.to_string().contains("base64"), "{e}");
}

#[tokio::test]
async fn cancellation_stops_the_call_at_once() {
    let fake = fake().await;
    fake.push_fault(Fault::Delay { ms: 10_000 });
    let c = client(&fake);
    let ctl = Control::new();
    let cancel = ctl.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let e = c.generate(&generate_req("cancel me"), &ctl).await.unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Cancelling during a retry wait also stops at once.
    fake.push_fault(rate_limited(None, Some("30")));
    let ctl = Control::new();
    let cancel = ctl.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    assert!(matches!(
        c.generate(&generate_req("x"), &ctl).await,
        Err(Error::Cancelled)
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn connection_check_is_one_unbilled_get_and_reports_a_bad_key() {
    let fake = fake().await;
    let ok = client(&fake)
        .check_connection(&tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(ok.url, format!("{}/models", fake.base_url()));
    assert!(ok.request_id.is_some_and(|id| id.starts_with("req_")));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "no retry, no image");
    assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("GET", "/v1/models"));
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {}", fake.api_key()).as_str())
    );

    let wrong = Client::new(Provider::openai(fake.base_url()), ApiKey::new("sk-wrong-key-1234")).unwrap();
    let e = wrong
        .check_connection(&tokio_util::sync::CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(
        !e.to_string().contains("sk-wrong-key-1234"),
        "the key is never echoed: {e}"
    );
    assert_eq!(fake.requests().len(), 2, "a rejected key is not retried");

    let azure = Client::new(
        azure(&fake, Some("gpt-image-1"), None),
        ApiKey::new(fake.azure_api_key()),
    )
    .unwrap();
    azure
        .check_connection(&tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.path, "/openai/v1/models");
    assert!(last.header("api-key").is_some());

    let nowhere = Client::new(Provider::openai("http://127.0.0.1:9/v1"), ApiKey::new("sk-x")).unwrap();
    let e = nowhere
        .check_connection(&tokio_util::sync::CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
}
