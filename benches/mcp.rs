//! `make bench`: the MCP server as an agent meets it — a real `easel mcp` process over stdio, with
//! fake-openai answering instantly with a ~2.8 MB 1024² PNG:
//!
//! 1. spawn → initialize reply (the handshake a client does at every start);
//! 2. a generate_image tool call end to end (file + index + preview + result) and the result's size;
//! 3. HTTP: 64 concurrent clients × 20 search_images calls against `easel mcp --http` (errors, latency);
//! 4. the server's memory: RSS just after initialize and once idle (after the idle release), peak RSS
//!    (VmHWM) over the 31 sequential generate calls, RSS once idle again after them
//!    (the target is stated for 10; more calls can only raise the peak).
//!
//! Prints a Markdown table for BENCHMARKS.md.

mod measure;
use measure::{machine, ms};

use std::process::Stdio;
use std::time::{Duration, Instant};

use fake_openai::FakeOpenAi;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use tokio::io::AsyncBufReadExt;

const INIT_RUNS: usize = 30;
const CALL_RUNS: usize = 30;
const HTTP_CLIENTS: usize = 64;
const HTTP_CALLS: usize = 20;
const TOKEN: &str = "easel-bench-token-0123456789abcdef";

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

struct Setup {
    fake: FakeOpenAi,
    dir: tempfile::TempDir,
}

impl Setup {
    fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_easel"));
        cmd.arg("mcp")
            .env("OPENAI_BASE_URL", self.fake.base_url())
            .env("OPENAI_API_KEY", self.fake.api_key())
            .env("EASEL_SETTINGS", self.dir.path().join("settings.json"))
            .env("EASEL_LIBRARY", self.dir.path().join("library"))
            .env_remove("EASEL_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

/// A `/proc/<pid>/status` field in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// `easel mcp --http` on a free port; its URL.
async fn start_http(setup: &Setup) -> (tokio::process::Child, String) {
    let mut cmd = setup.command();
    cmd.args(["--http", "127.0.0.1:0"])
        .env("EASEL_MCP_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix("easel MCP over HTTP at ") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, url.to_string());
        }
    }
    panic!("easel mcp --http did not start");
}

/// 64 clients connect, then each makes 20 calls as fast as it can; every call's latency and the errors.
async fn http_load(url: &str) -> (Vec<Duration>, usize) {
    let mut clients = Vec::new();
    for _ in 0..HTTP_CLIENTS {
        let config = StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(TOKEN.to_string());
        clients.push(
            ().serve(StreamableHttpClientTransport::from_config(config))
                .await
                .unwrap(),
        );
    }
    let args = json!({"query": "bench", "limit": 20}).as_object().unwrap().clone();
    let tasks = clients.into_iter().map(|client| {
        let args = args.clone();
        tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0;
            for _ in 0..HTTP_CALLS {
                let started = Instant::now();
                let call = CallToolRequestParams::new("search_images").with_arguments(args.clone());
                match client.call_tool(call).await {
                    Ok(r) if r.is_error != Some(true) => times.push(started.elapsed()),
                    _ => errors += 1,
                }
            }
            let _ = client.cancel().await;
            (times, errors)
        })
    });
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (times, e) = task.await.unwrap();
        all.extend(times);
        errors += e;
    }
    (all, errors)
}

fn generate_args(prompt: &str) -> CallToolRequestParams {
    let args = json!({"prompt": prompt, "size": "1024x1024", "output_format": "png"});
    CallToolRequestParams::new("generate_image").with_arguments(args.as_object().unwrap().clone())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let setup = Setup {
        fake: FakeOpenAi::start().await.unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    std::fs::write(setup.dir.path().join("settings.json"), "{}").unwrap();
    setup.fake.warm(1024, 1024, "png").await;

    // 1. spawn → initialize reply.
    let mut init = Vec::new();
    for run in 0..=INIT_RUNS {
        let started = Instant::now();
        let mut child = setup.command().spawn().unwrap();
        let io = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
        let client = ().serve(io).await.expect("initialize");
        if run > 0 {
            init.push(started.elapsed());
        }
        drop(client);
        let _ = child.kill().await;
    }

    // 2 and 3: one server, idle RSS, then generate calls.
    let mut child = setup.command().spawn().unwrap();
    let pid = child.id().unwrap();
    let io = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let client = ().serve(io).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started_kb = status_kb(pid, "VmRSS:");
    // Idle: the client has been quiet long enough for the server's idle release.
    let settle = easel::memory::IDLE_RELEASE + Duration::from_millis(500);
    tokio::time::sleep(settle).await;
    let idle_kb = status_kb(pid, "VmRSS:");
    let mut calls = Vec::new();
    let mut result_bytes = 0;
    let mut first_call = Duration::ZERO;
    for run in 0..=CALL_RUNS {
        let started = Instant::now();
        let result = client.call_tool(generate_args(&format!("bench {run}"))).await.unwrap();
        let took = started.elapsed();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        result_bytes = serde_json::to_vec(&result).unwrap().len();
        if run > 0 {
            calls.push(took);
        } else {
            first_call = took;
        }
    }
    let peak_kb = status_kb(pid, "VmHWM:");
    tokio::time::sleep(settle).await;
    let after_kb = status_kb(pid, "VmRSS:");
    let _ = client.cancel().await;
    let _ = child.kill().await;

    // 3. HTTP under 64 concurrent clients.
    let (mut http_child, url) = start_http(&setup).await;
    let (mut http_times, http_errors) = http_load(&url).await;
    let _ = http_child.kill().await;

    let init_med = percentile(&mut init, 0.5);
    let call_med = percentile(&mut calls, 0.5);
    println!("machine: {}", machine());
    println!("date: {}", jiff::Zoned::now().strftime("%Y-%m-%d"));
    println!("| measurement | median | p95 | target | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| stdio: spawn → initialize reply ({INIT_RUNS} runs) | {} | {} | ≤ 10 ms median | {:.2}× |",
        ms(init_med),
        ms(percentile(&mut init, 0.95)),
        init_med.as_secs_f64() / 0.010
    );
    println!(
        "| generate_image end to end, 1024² PNG ({CALL_RUNS} calls) | {} | {} | ≤ 20 ms median | {:.2}× |",
        ms(call_med),
        ms(percentile(&mut calls, 0.95)),
        call_med.as_secs_f64() / 0.020
    );
    println!(
        "| ⤷ result size (JSON) | {:.0} KB | | ≤ 1 MB | {:.2}× |",
        result_bytes as f64 / 1024.0,
        result_bytes as f64 / 1_048_576.0
    );
    println!(
        "| HTTP: {HTTP_CLIENTS} clients × {HTTP_CALLS} search_images calls at once | {} | {} (p99 {}) | 0 errors, p99 ≤ 50 ms | {http_errors} errors, {:.2}× |",
        ms(percentile(&mut http_times, 0.5)),
        ms(percentile(&mut http_times, 0.95)),
        ms(percentile(&mut http_times, 0.99)),
        percentile(&mut http_times, 0.99).as_secs_f64() / 0.050
    );
    println!(
        "| RSS 0.3 s after initialize | {:.1} MB | | – | – |",
        started_kb as f64 / 1024.0
    );
    println!(
        "| idle RSS ({} s after initialize) | {:.1} MB | | ≤ 10 MB | {:.2}× |",
        (settle + Duration::from_millis(300)).as_secs_f64(),
        idle_kb as f64 / 1024.0,
        idle_kb as f64 / 10_240.0
    );
    println!(
        "| idle RSS after the generate calls ({} s later) | {:.1} MB | | ≤ 10 MB | {:.2}× |",
        settle.as_secs_f64(),
        after_kb as f64 / 1024.0,
        after_kb as f64 / 10_240.0
    );
    println!(
        "| ⤷ the first generate call, from idle (not in the median) | {} | | – | – |",
        ms(first_call)
    );
    println!(
        "| peak RSS over {} generate calls | {:.1} MB | | ≤ 60 MB | {:.2}× |",
        CALL_RUNS + 1,
        peak_kb as f64 / 1024.0,
        peak_kb as f64 / 61_440.0
    );
}
