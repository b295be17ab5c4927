//! `make bench`: the client's own cost on the hot path, against fake-openai on loopback.
//!
//! 1. One 1024×1024 PNG generation (fake answering instantly with a ~2.8 MB PNG):
//!    request → JSON parsed → base64 decoded → written atomically (with fsync), beside the raw loopback
//!    transfer of the same body (so the ratio is the client's own cost), and the fsync share.
//! 2. Streaming: time from the fake writing the first partial-image event to the caller's callback.
//!
//! Prints a Markdown table for BENCHMARKS.md.

mod measure;
use measure::{machine, ms};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use easel::config::Provider;
use easel::keys::ApiKey;
use easel::models::{ImageParams, Size};
use easel::openai::{Client, Control, GenerateRequest, Progress};
use fake_openai::{Config, FakeOpenAi};

const RUNS: usize = 40;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn request(prompt: &str) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.into(),
        params: ImageParams {
            size: Size::Exact {
                width: 1024,
                height: 1024,
            },
            ..ImageParams::default()
        },
        user: None,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fake = FakeOpenAi::start().await.unwrap();
    let client = Client::new(Provider::openai(fake.base_url()), ApiKey::new(fake.api_key())).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Warm the fake's image cache and the connection pool.
    let warm = client.generate(&request("warm"), &Control::new()).await.unwrap();
    let png_bytes = warm.images[0].bytes.len();

    // Raw loopback transfer of the same answer: POST, read every byte, nothing else.
    let raw = reqwest::Client::new();
    let body = serde_json::json!({"prompt": "raw", "model": "gpt-image-2", "n": 1, "size": "1024x1024", "output_format": "png"});
    let mut raw_times = Vec::new();
    let mut body_len = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let resp = raw
            .post(format!("{}/images/generations", fake.base_url()))
            .bearer_auth(fake.api_key())
            .json(&body)
            .send()
            .await
            .unwrap();
        body_len = resp.bytes().await.unwrap().len();
        raw_times.push(t.elapsed());
    }

    // The client alone: request → JSON parsed → base64 decoded → checked (format, pixel size).
    let mut decoded = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let g = client.generate(&request("bench"), &Control::new()).await.unwrap();
        decoded.push(t.elapsed());
        last = Some(g);
    }
    let bytes = last.unwrap().images[0].bytes.clone();

    // The atomic write on its own, durable (fsync file + folder) and plain: the difference is fsync.
    let (mut writes_durable, mut writes_plain) = {
        let (bytes, root) = (bytes.clone(), dir.path().to_path_buf());
        tokio::task::spawn_blocking(move || {
            let (mut durable, mut plain) = (Vec::new(), Vec::new());
            for i in 0..RUNS {
                let t = Instant::now();
                easel::library::write_atomic(&root.join(format!("d{i}.png")), &bytes, true).unwrap();
                durable.push(t.elapsed());
                let t = Instant::now();
                easel::library::write_atomic(&root.join(format!("p{i}.png")), &bytes, false).unwrap();
                plain.push(t.elapsed());
            }
            (durable, plain)
        })
        .await
        .unwrap()
    };

    // End to end as the CLI does it: request → decoded → written atomically and durably (off the runtime).
    let mut full = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        let g = client.generate(&request("bench"), &Control::new()).await.unwrap();
        let path = dir.path().join(format!("e{i}.png"));
        tokio::task::spawn_blocking(move || easel::library::write_atomic(&path, &g.images[0].bytes, true))
            .await
            .unwrap()
            .unwrap();
        full.push(t.elapsed());
    }

    // Streaming: first partial from "fake wrote the event" to "callback ran".
    drop(fake);
    let fake = FakeOpenAi::start_with(Config {
        partial_interval: Duration::from_millis(30),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = Client::new(Provider::openai(fake.base_url()), ApiKey::new(fake.api_key())).unwrap();
    let mut stream_req = request("stream");
    stream_req.params.stream = true;
    stream_req.params.partial_images = Some(3);
    let mut first_partial = Vec::new();
    for run in 0..(RUNS / 2 + 1) {
        let seen: Arc<Mutex<Option<Instant>>> = Arc::default();
        let sink = seen.clone();
        let on_progress = move |p: Progress| {
            if let Progress::Partial { index: 0, .. } = p {
                sink.lock().unwrap().get_or_insert_with(Instant::now);
            }
        };
        fake.clear_events();
        let ctl = Control {
            cancel: Default::default(),
            on_progress: &on_progress,
            first_image: None,
        };
        client.generate(&stream_req, &ctl).await.unwrap();
        let delivered = seen.lock().unwrap().expect("a partial arrived");
        let sent = fake
            .events_sent()
            .into_iter()
            .find(|(kind, _)| kind.ends_with("partial_image"))
            .map(|(_, at)| at)
            .expect("the fake logged the partial");
        if run > 0 {
            first_partial.push(delivered.saturating_duration_since(sent));
        }
    }

    let raw_med = percentile(&mut raw_times, 0.5);
    let decoded_med = percentile(&mut decoded, 0.5);
    let full_med = percentile(&mut full, 0.5);
    let durable_med = percentile(&mut writes_durable, 0.5);
    let plain_med = percentile(&mut writes_plain, 0.5);
    let fsync_share = durable_med.saturating_sub(plain_med);
    let partial_med = percentile(&mut first_partial, 0.5);
    let partial_p95 = percentile(&mut first_partial, 0.95);

    println!("machine: {}", machine());
    println!("date: {}", jiff::Zoned::now().strftime("%Y-%m-%d"));
    println!(
        "payload: {:.2} MB PNG 1024x1024, {:.2} MB JSON body; {RUNS} runs each\n",
        png_bytes as f64 / 1e6,
        body_len as f64 / 1e6
    );
    println!("| measurement | median | p95 | target |");
    println!("|---|---|---|---|");
    println!(
        "| raw loopback transfer of the same body | {} | {} | (reference) |",
        ms(raw_med),
        ms(percentile(&mut raw_times, 0.95))
    );
    println!(
        "| client: request → JSON parsed → base64 decoded → checked | {} | {} | |",
        ms(decoded_med),
        ms(percentile(&mut decoded, 0.95))
    );
    println!(
        "| ⤷ client's own cost over the raw transfer (ratio) | {} | ({:.2}×) | |",
        ms(decoded_med.saturating_sub(raw_med)),
        decoded_med.as_secs_f64() / raw_med.as_secs_f64()
    );
    println!(
        "| atomic write alone, no fsync | {} | {} | |",
        ms(plain_med),
        ms(percentile(&mut writes_plain, 0.95))
    );
    println!(
        "| atomic write alone, with fsync (file + folder) | {} | {} | |",
        ms(durable_med),
        ms(percentile(&mut writes_durable, 0.95))
    );
    println!("| ⤷ fsync share | {} | | |", ms(fsync_share));
    println!(
        "| end to end: request → decoded → written atomically + fsync | {} | {} | ≤ 10 ms median |",
        ms(full_med),
        ms(percentile(&mut full, 0.95))
    );
    println!(
        "| streaming: first partial, fake sent → caller | {} | {} | ≤ 2 ms |",
        ms(partial_med),
        ms(partial_p95)
    );
}
