//! Invariants of the code map (ARCHITECTURE.md), checked on the real dependency graph.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

const GUI_CRATES: &[&str] = &["tauri", "wry", "tao", "webkit2gtk", "gtk", "gdk", "javascriptcore-rs"];

/// Every package reachable from `root` through normal (non-dev, non-build) dependencies on this machine's
/// platform. Offline, and only this platform: packages that only other platforms use (Android, Windows)
/// were never downloaded by the build, and a fresh machine does not have them.
fn normal_closure(root: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            "host-tuple",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root_id = names
        .iter()
        .find(|(_, n)| **n == root)
        .map(|(id, _)| *id)
        .expect("root package");
    let mut seen = BTreeSet::new();
    let mut stack = vec![root_id];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[dep_id].to_string()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

fn gui_crates_in(closure: &BTreeSet<String>) -> Vec<&String> {
    closure
        .iter()
        .filter(|name| {
            GUI_CRATES
                .iter()
                .any(|g| *name == g || name.starts_with(&format!("{g}-")))
        })
        .collect()
}

#[test]
fn the_core_never_depends_on_tauri_or_a_gui_toolkit() {
    let core = normal_closure("easel");
    assert!(core.contains("reqwest"), "the walk sees the core's real dependencies");
    assert_eq!(
        gui_crates_in(&core),
        Vec::<&String>::new(),
        "crates/easel must stay GUI-free"
    );

    // The check can fail: the desktop shell's closure does contain them.
    let shell = normal_closure("easel-studio");
    assert!(gui_crates_in(&shell).iter().any(|n| n.as_str() == "tauri"));
    #[cfg(target_os = "linux")]
    assert!(
        gui_crates_in(&shell).iter().any(|n| n.as_str() == "webkit2gtk"),
        "the platform filter keeps this platform's dependencies"
    );
}

#[test]
fn fake_openai_does_not_depend_on_the_core() {
    // The fake must stay an independent reading of the API, or it would share the core's mistakes.
    assert!(!normal_closure("fake-openai").contains("easel"));
}
