//! API keys in a real OS keychain: `easel keys set|get-status|delete` against a real Secret Service
//! (gnome-keyring on a private D-Bus session, started by `scripts/with-session.sh`), a generation that
//! authenticates with the keychain key alone, and the environment fallback on a machine without any
//! Secret Service. The key must never appear in any output, log or file. The MCP HTTP token is made in
//! and read back from the same keychain.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fake_openai::FakeOpenAi;

const WITH_SESSION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/with-session.sh");

/// A key nobody could mistake for anything else, accepted by this test's fake only.
fn secret() -> String {
    format!(
        "sk-easel-keychain-test-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    )
}

async fn fake_with_key(key: &str) -> FakeOpenAi {
    FakeOpenAi::start_with(fake_openai::Config {
        api_key: key.to_string(),
        ..fake_openai::Config::default()
    })
    .await
    .unwrap()
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
                hits.push(path);
            }
        }
    }
    hits
}

/// The steps run inside the session. Each step's stdout, stderr and exit code land in `$OUT/<step>.*`;
/// the key reaches the script only through `$EASEL_TEST_KEY`, never on a command line.
const SCRIPT: &str = r#"
set -u
step() {
  local name="$1"; shift
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  echo $? >"$OUT/$name.code"
}
set_from_stdin() { printf '%s\n' "$EASEL_TEST_KEY" | "$EASEL_BIN" keys set "$1"; }
set_from_env() { STUDIO_SECRET="$EASEL_TEST_KEY" "$EASEL_BIN" keys set studio --from-env STUDIO_SECRET; }
with_env_key() { OPENAI_API_KEY="$EASEL_TEST_KEY" "$EASEL_BIN" "$@"; }
unset OPENAI_API_KEY

step status-before   "$EASEL_BIN" keys get-status openai
step set-stdin       set_from_stdin openai
step status-set      "$EASEL_BIN" keys get-status openai
step status-env-wins with_env_key keys get-status openai
step gen-keychain    env EASEL_LOG=debug "$EASEL_BIN" generate "a heron, key from the keychain" --quality low --size 1024x1024
step delete          "$EASEL_BIN" keys delete openai
step status-deleted  "$EASEL_BIN" keys get-status openai
step delete-again    "$EASEL_BIN" keys delete openai
step gen-no-key      "$EASEL_BIN" generate "no key anywhere" --quality low --size 1024x1024

step set-from-env    set_from_env
step status-studio   "$EASEL_BIN" keys get-status studio
step gen-studio      env EASEL_LOG=debug "$EASEL_BIN" generate "an egret" --provider studio --quality low --size 1024x1024
step delete-studio   "$EASEL_BIN" keys delete studio
step status-studio-deleted "$EASEL_BIN" keys get-status studio
"#;

#[tokio::test]
async fn keys_round_trip_through_a_real_secret_service_and_are_never_shown() {
    let key = secret();
    let fake = fake_with_key(&key).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let script = dir.path().join("steps.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let settings = dir.path().join("settings.json");
    // A second provider whose key can only come from the keychain (no api_key_env).
    let studio = serde_json::json!({"providers": [
        {"name": "studio", "kind": "compatible", "base_url": fake.base_url()}
    ]});
    std::fs::write(&settings, studio.to_string()).unwrap();

    let mut cmd = tokio::process::Command::new(WITH_SESSION);
    // A private bus and keyring for this test alone, even when the whole suite already runs inside one.
    for var in [
        "EASEL_SESSION_BUS",
        "EASEL_SESSION_KEYRING",
        "EASEL_SESSION_DISPLAY",
        "XDG_RUNTIME_DIR",
        "DBUS_SESSION_BUS_ADDRESS",
        "OPENAI_API_KEY",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "AZURE_OPENAI_ENDPOINT",
        "EASEL_PROVIDER",
        "EASEL_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(["bash", script.to_str().unwrap()])
        .env("OUT", &out_dir)
        .env("EASEL_BIN", env!("CARGO_BIN_EXE_easel"))
        .env("EASEL_TEST_KEY", &key)
        .env("OPENAI_BASE_URL", fake.base_url())
        .env("EASEL_SETTINGS", &settings)
        .env("EASEL_LIBRARY", dir.path().join("library"))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let done = cmd.output().await.unwrap();
    let session_err = String::from_utf8_lossy(&done.stderr).into_owned();
    assert!(done.status.success(), "with-session.sh failed: {session_err}");

    let mut steps: HashMap<String, (i32, String, String)> = HashMap::new();
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "code") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let read = |ext: &str| std::fs::read_to_string(out_dir.join(format!("{name}.{ext}"))).unwrap();
            let result = (read("code").trim().parse().unwrap(), read("out"), read("err"));
            steps.insert(name, result);
        }
    }
    let step = |name: &str| {
        steps
            .get(name)
            .unwrap_or_else(|| panic!("step {name} did not run: {session_err}"))
    };
    let ok = |name: &str| {
        let (code, out, err) = step(name);
        assert_eq!(*code, 0, "{name} failed: {out}{err}");
        out.clone()
    };

    assert_eq!(ok("status-before").trim(), "openai: not set");
    ok("set-stdin");
    assert_eq!(ok("status-set").trim(), "openai: set (keychain)");
    assert_eq!(
        ok("status-env-wins").trim(),
        "openai: set (environment OPENAI_API_KEY)",
        "the environment comes before the keychain"
    );
    let saved = PathBuf::from(ok("gen-keychain").trim());
    assert!(saved.is_file(), "generated with the keychain key alone: {saved:?}");
    ok("delete");
    assert_eq!(ok("status-deleted").trim(), "openai: not set");
    assert!(
        step("delete-again").2.contains("no key for 'openai'"),
        "{:?}",
        step("delete-again")
    );
    let (code, _, err) = step("gen-no-key");
    assert_eq!(*code, 2, "a deleted key is gone: {err}");
    assert!(err.contains("easel keys set"), "{err}");

    ok("set-from-env");
    assert_eq!(ok("status-studio").trim(), "studio: set (keychain)");
    assert!(PathBuf::from(ok("gen-studio").trim()).is_file());
    ok("delete-studio");
    assert_eq!(ok("status-studio-deleted").trim(), "studio: not set");

    // Both generations reached the fake, authenticated with the keychain's key; the one without a key
    // never left the machine.
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        2,
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(format!("Bearer {key}").as_str()));
        assert_eq!(r.status, 200);
    }

    // Never shown: not in any output (debug logs included), not in any file Easel wrote (settings,
    // library, index).
    for (name, (_, out, err)) in &steps {
        assert!(!out.contains(&key) && !err.contains(&key), "{name} printed the key");
    }
    assert!(!session_err.contains(&key) && !String::from_utf8_lossy(&done.stdout).contains(&key));
    assert!(steps.len() >= 14, "{:?}", steps.keys());
    let leaks = files_containing(dir.path(), key.as_bytes());
    assert!(leaks.is_empty(), "the key was written to {leaks:?}");
}

#[tokio::test]
async fn without_a_secret_service_keys_say_so_and_the_environment_still_works() {
    let key = secret();
    let fake = fake_with_key(&key).await;
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library");
    let settings = dir.path().join("settings.json");
    let easel = |args: &[&str], with_key: bool| {
        let mut cmd = common::easel_cmd(&fake, &library, &settings);
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test-bus")
            .env_remove("OPENAI_API_KEY");
        if with_key {
            cmd.env("OPENAI_API_KEY", &key);
        }
        cmd
    };
    let text = |o: &std::process::Output| {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };

    let status = easel(&["keys", "get-status", "openai"], false).output().await.unwrap();
    let (out, err) = text(&status);
    assert!(status.status.success(), "{err}");
    assert!(
        out.starts_with("openai: not set") && out.contains("no OS keychain is available"),
        "says clearly that there is no keychain: {out}"
    );

    let mut set = easel(&["keys", "set", "openai"], false)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stdin = set.stdin.take().unwrap();
        stdin.write_all(format!("{key}\n").as_bytes()).await.unwrap();
    }
    let set = set.wait_with_output().await.unwrap();
    let (set_out, set_err) = text(&set);
    assert_eq!(set.status.code(), Some(1), "storing cannot succeed: {set_err}");
    assert!(set_err.contains("no OS keychain is available"), "{set_err}");

    let no_key = easel(&["generate", "x", "--quality", "low"], false)
        .output()
        .await
        .unwrap();
    let (_, no_key_err) = text(&no_key);
    assert_eq!(no_key.status.code(), Some(2), "{no_key_err}");
    assert!(
        no_key_err.contains("OPENAI_API_KEY") && no_key_err.contains("no OS keychain is available"),
        "says what to set and why the keychain was not used: {no_key_err}"
    );
    assert!(fake.requests().is_empty());

    let env_status = easel(&["keys", "get-status", "openai"], true).output().await.unwrap();
    assert_eq!(text(&env_status).0.trim(), "openai: set (environment OPENAI_API_KEY)");
    let generated = easel(
        &[
            "generate",
            "a heron, key from the environment",
            "--quality",
            "low",
            "--size",
            "1024x1024",
        ],
        true,
    )
    .output()
    .await
    .unwrap();
    let (gen_out, gen_err) = text(&generated);
    assert!(generated.status.success(), "the environment fallback works: {gen_err}");
    assert!(PathBuf::from(gen_out.trim()).is_file());
    assert_eq!(fake.requests().len(), 1);

    for s in [out, err, set_out, set_err, no_key_err, gen_out, gen_err] {
        assert!(!s.contains(&key), "the key was printed: {s}");
    }
    let leaks = files_containing(dir.path(), key.as_bytes());
    assert!(leaks.is_empty(), "the key was written to {leaks:?}");
}

/// A private D-Bus session with an unlocked keyring, kept open until dropped.
struct KeyringSession {
    bus: String,
    _holder: tokio::process::Child,
}

impl KeyringSession {
    async fn start() -> KeyringSession {
        use tokio::io::AsyncBufReadExt as _;
        let mut cmd = tokio::process::Command::new(WITH_SESSION);
        for var in [
            "EASEL_SESSION_BUS",
            "EASEL_SESSION_KEYRING",
            "EASEL_SESSION_DISPLAY",
            "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS",
        ] {
            cmd.env_remove(var);
        }
        // Prints the bus address, then holds the session open until its stdin closes.
        cmd.args(["bash", "-c", r#"printf '%s\n' "$DBUS_SESSION_BUS_ADDRESS"; read -r _"#])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        // No kill on drop: dropping the child closes its stdin, and the session then cleans up after
        // itself (keyring daemon, bus, temporary files).
        let mut holder = cmd.spawn().unwrap();
        let mut lines = tokio::io::BufReader::new(holder.stdout.take().unwrap()).lines();
        let bus = lines
            .next_line()
            .await
            .unwrap()
            .expect("the session prints its bus address");
        assert!(bus.starts_with("unix:"), "{bus}");
        KeyringSession { bus, _holder: holder }
    }
}

#[tokio::test]
async fn the_mcp_http_token_is_made_in_the_keychain_and_read_back() {
    use tokio::io::AsyncBufReadExt as _;
    let fake = common::fake().await;
    let session = KeyringSession::start().await;
    let dir = tempfile::tempdir().unwrap();
    let easel = |args: &[&str]| {
        let mut cmd = common::easel_cmd(&fake, &dir.path().join("library"), &dir.path().join("settings.json"));
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &session.bus)
            .env_remove("EASEL_MCP_TOKEN");
        cmd
    };
    let run = |args: &'static [&'static str]| {
        let mut cmd = easel(args);
        async move {
            let out = cmd.output().await.unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            assert!(out.status.success(), "{args:?}: {stderr}");
            (stdout, stderr)
        }
    };

    let (first, made) = run(&["mcp", "token"]).await;
    let token = first.trim().to_string();
    assert!(made.contains("stored it in the OS keychain"), "{made}");
    assert_eq!(token.len(), 43, "32 random bytes, base64url: {token}");
    assert!(
        token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    let (again, quiet) = run(&["mcp", "token"]).await;
    assert_eq!(again.trim(), token, "read back, not made again");
    assert!(!quiet.contains(&token));

    let env_token = "a-token-from-the-environment-0123456789";
    let overridden = easel(&["mcp", "token"])
        .env("EASEL_MCP_TOKEN", env_token)
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&overridden.stdout).trim(), env_token);

    // The server reads the same token from the keychain and accepts only it.
    let mut server = easel(&["mcp", "--http", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no address: {log}"));
        log.push_str(&line);
        if let Some(url) = line.strip_prefix("easel MCP over HTTP at ") {
            break url.replace("/mcp", "/metrics");
        }
    };
    let client = reqwest::Client::new();
    let status = |token: String| {
        let request = client.get(&url).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(token.clone()).await, 200);
    assert_eq!(status(env_token.to_string()).await, 401);
    assert!(!log.contains(&token), "the token was logged: {log}");
    server.kill().await.unwrap();

    // Without any Secret Service and without EASEL_MCP_TOKEN, both say what to do instead.
    for args in [&["mcp", "token"][..], &["mcp", "--http", "127.0.0.1:0"]] {
        let out = easel(args)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test-bus")
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("no OS keychain is available") && err.contains("EASEL_MCP_TOKEN"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}
