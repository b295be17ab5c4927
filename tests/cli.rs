//! The real `easel` binary against fake-openai: saving into the library layout, streaming progress,
//! edits with a mask, exit codes, and no file left behind by a failed call.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use fake_openai::{FakeOpenAi, Fault};

struct Env {
    fake: FakeOpenAi,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        Env {
            fake: common::fake().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn library(&self) -> PathBuf {
        self.dir.path().join("library")
    }

    async fn easel(&self, args: &[&str]) -> Output {
        common::easel_cmd(&self.fake, &self.library(), &self.dir.path().join("settings.json"))
            .args(args)
            .output()
            .await
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn generate_saves_into_the_library_and_prints_path_and_cost() {
    let env = Env::new().await;
    let out = env
        .easel(&["generate", "A red fox in fresh snow", "--quality", "low"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = PathBuf::from(stdout(&out).trim());
    assert!(printed.starts_with(env.library()), "{printed:?}");
    let rel = printed.strip_prefix(env.library()).unwrap();
    let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    assert_eq!(parts.len(), 3, "YYYY/MM/file: {rel:?}");
    assert_eq!(parts[0].len(), 4);
    assert_eq!(parts[1].len(), 2);
    assert!(
        parts[2].contains("-a-red-fox-in-fresh-snow-") && parts[2].ends_with(".png"),
        "{}",
        parts[2]
    );
    let img = image::open(&printed).unwrap();
    assert_eq!((img.width(), img.height()), (1024, 1024));
    assert!(stderr(&out).contains("$0.0"), "cost shown: {}", stderr(&out));
    assert_eq!(
        common::library_files(&env.library()),
        vec![printed],
        "exactly one file, no temp files"
    );
}

#[tokio::test]
async fn json_output_and_streaming_progress() {
    let env = Env::new().await;
    let out = env
        .easel(&[
            "generate",
            "a tram",
            "--stream",
            "--partial-images",
            "2",
            "--size",
            "1536x1024",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("partial image 1 received: 1536x1024") && err.contains("partial image 2"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["model"], "gpt-image-2");
    assert_eq!(v["partial_images"], 2);
    assert_eq!(v["images"][0]["width"], 1536);
    assert!(v["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(Path::new(v["images"][0]["path"].as_str().unwrap()).exists());
}

#[tokio::test]
async fn edit_with_two_images_and_a_mask() {
    let env = Env::new().await;
    let a = env.dir.path().join("a.png");
    let b = env.dir.path().join("b.jpg");
    let m = env.dir.path().join("mask.png");
    std::fs::write(&a, common::encode(1024, 1024, image::ImageFormat::Png)).unwrap();
    std::fs::write(&b, common::encode(800, 600, image::ImageFormat::Jpeg)).unwrap();
    std::fs::write(&m, &common::mask_input(1024, 1024).bytes).unwrap();
    let out = env
        .easel(&[
            "edit",
            "put the cat in the basket",
            "-i",
            a.to_str().unwrap(),
            "-i",
            b.to_str().unwrap(),
            "--mask",
            m.to_str().unwrap(),
            "-o",
            env.dir.path().join("out").to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let r = &env.fake.requests()[0];
    let parts = r.parts_named("image[]");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(r.parts_named("mask").len(), 1);
    assert_eq!(common::library_files(&env.dir.path().join("out")).len(), 1);
}

#[tokio::test]
async fn failures_exit_non_zero_and_leave_no_file_behind() {
    let env = Env::new().await;
    env.fake.push_fault(Fault::ModerationBlocked);
    let out = env.easel(&["generate", "something blocked"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("safety system"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());

    env.fake.push_fault(Fault::TruncatedStream);
    let out = env
        .easel(&["generate", "cut off", "--stream", "--partial-images", "2"])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("partial image 1"),
        "partials arrived before the cut: {}",
        stderr(&out)
    );

    env.fake.push_fault(Fault::InvalidBase64);
    let out = env.easel(&["generate", "garbage"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::library_files(&env.library()).is_empty(),
        "{:?}",
        common::library_files(&env.library())
    );
}

#[tokio::test]
async fn bad_input_exits_2_before_any_request() {
    let env = Env::new().await;
    let out = env.easel(&["generate", "x", "--size", "1000x1000"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("multiple"), "{}", stderr(&out));
    let out = env.easel(&["edit", "x", "-i", "/no/such/file.png"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/no/such/file.png"), "{}", stderr(&out));
    assert!(env.fake.requests().is_empty());
}

#[tokio::test]
async fn a_missing_key_says_how_to_provide_one() {
    let env = Env::new().await;
    let settings = r#"{"providers":[{"name":"keyless-test-provider","kind":"compatible","base_url":"http://127.0.0.1:9/v1"}],
        "default_provider":"keyless-test-provider"}"#;
    std::fs::write(env.dir.path().join("settings.json"), settings).unwrap();
    let out = env.easel(&["generate", "x"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no API key for provider 'keyless-test-provider'") && err.contains("easel keys set"),
        "{err}"
    );
}

#[tokio::test]
async fn models_lists_the_table() {
    let env = Env::new().await;
    let out = env.easel(&["models"]).await;
    assert!(out.status.success());
    let text = stdout(&out);
    for id in [
        "gpt-image-2",
        "gpt-image-1.5",
        "gpt-image-1",
        "gpt-image-1-mini",
        "dall-e-2",
    ] {
        assert!(text.contains(id), "{id} missing from:\n{text}");
    }
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[tokio::test]
async fn generated_images_are_indexed_searchable_and_costed() {
    let env = Env::new().await;
    let out = json(&env.easel(&["generate", "a lighthouse on a cliff", "--json"]).await);
    let id = out["images"][0]["id"].as_str().unwrap().to_string();
    env.easel(&["generate", "a tram in the rain", "--quality", "low"]).await;

    let found = json(&env.easel(&["search", "lighth", "--json"]).await);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["model"], "gpt-image-2");

    let usage = json(&env.easel(&["usage", "--by", "model", "--json"]).await);
    assert_eq!(usage["totals"][0]["key"], "gpt-image-2");
    assert_eq!(usage["totals"][0]["calls"], 2);
    assert!(usage["today_usd"].as_f64().unwrap() > 0.0);

    let jobs = json(&env.easel(&["jobs", "--json"]).await);
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert!(jobs.as_array().unwrap().iter().all(|j| j["state"] == "done"));
}

#[tokio::test]
async fn sessions_continue_from_any_turn_as_branches() {
    let env = Env::new().await;
    // A session is created by the library API (the app and MCP do the same); the CLI joins it.
    let lib = easel::library::Library::open(&env.library()).unwrap();
    let session = lib.create_session("poster").unwrap();
    drop(lib);
    let t1 = json(
        &env.easel(&["generate", "a poster", "--session", &session.id, "--json"])
            .await,
    );
    let t1 = t1["turn_id"].as_str().unwrap().to_string();
    let t2 = json(&env.easel(&["generate", "bluer", "--from-turn", &t1, "--json"]).await);
    let t3 = json(&env.easel(&["generate", "greener", "--from-turn", &t1, "--json"]).await);
    assert_eq!(t2["session_id"], session.id.as_str());

    let tree = json(&env.easel(&["session", &session.id, "--json"]).await);
    let turns = tree["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    assert!(turns[0]["parent_id"].is_null());
    assert_eq!(turns[1]["parent_id"], t1.as_str());
    assert_eq!(turns[2]["parent_id"], t1.as_str(), "a branch from turn 1");
    assert_eq!(turns[2]["id"], t3["turn_id"]);
    assert_eq!(turns[1]["images"].as_array().unwrap().len(), 1);

    let bad = env.easel(&["generate", "x", "--from-turn", "t_nope"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no turn with id 't_nope'"), "{}", stderr(&bad));
}

#[tokio::test]
async fn a_budget_cap_refuses_the_call_before_it_is_sent() {
    let env = Env::new().await;
    std::fs::write(env.dir.path().join("settings.json"), r#"{"budget":{"daily_usd":0.01}}"#).unwrap();
    let out = env.easel(&["generate", "expensive", "--quality", "high"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("daily budget of $0.01") && err.contains("refused before sending"),
        "{err}"
    );
    assert!(env.fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn failed_calls_are_recorded_as_failed_jobs_and_reindex_restores_the_index() {
    let env = Env::new().await;
    env.fake.push_fault(Fault::ModerationBlocked);
    let out = env.easel(&["generate", "blocked"]).await;
    assert_eq!(out.status.code(), Some(1));
    let jobs = json(&env.easel(&["jobs", "--json"]).await);
    assert_eq!(jobs[0]["state"], "failed");
    assert!(jobs[0]["error"].as_str().unwrap().contains("safety system"));

    json(&env.easel(&["generate", "a fox", "--json"]).await);
    json(&env.easel(&["generate", "an owl", "--json"]).await);
    for f in ["library.db", "library.db-wal", "library.db-shm"] {
        let _ = std::fs::remove_file(env.library().join(".easel").join(f));
    }
    let report = json(&env.easel(&["reindex", "--json"]).await);
    assert_eq!(report["indexed"], 2);
    let found = json(&env.easel(&["search", "fox", "--json"]).await);
    assert_eq!(found.as_array().unwrap().len(), 1);
}
