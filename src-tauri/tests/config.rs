//! Guards on `tauri.conf.json` that no command test would notice.

use serde_json::Value;

fn config() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json");
    let text = std::fs::read_to_string(path).expect("tauri.conf.json is readable");
    serde_json::from_str(&text).expect("tauri.conf.json is JSON")
}

/// With Tauri's own drop handler on (the default), WebKitGTK never gives an OS file drop to the page:
/// wry's handler swallows it and reports paths instead. The reference list takes dropped files as
/// `File`s in the page (`ui/src/painter/drop.ts`), so the window must leave drops to the page.
#[test]
fn the_main_window_leaves_os_file_drops_to_the_page() {
    let config = config();
    let windows = config["app"]["windows"].as_array().expect("app.windows");
    let main = windows
        .iter()
        .find(|w| w["label"] == "main")
        .expect("a window labelled main");
    assert_eq!(main["dragDropEnabled"], Value::Bool(false), "{main}");
}
