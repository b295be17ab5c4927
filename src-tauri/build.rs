// tauri.conf.json sits at the repository root (the Cargo package root), while the shell's
// capabilities and permissions live under src-tauri/; point tauri-build at them explicitly.
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/permissions");

    let app_acl = tauri_build::AppManifest::new().permissions_path_pattern("./src-tauri/permissions/**/*.toml");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*.json")
        .app_manifest(app_acl);
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }

    relocate_schemas();
}

/// tauri-build always writes the capability JSON schemas to `./gen/schemas` (relative to the
/// package root, i.e. the repository root). Keep the top level as the layout fixes it: move
/// them to `src-tauri/gen/schemas`, where the capability files' `$schema` points.
fn relocate_schemas() {
    let from = Path::new("gen/schemas");
    let to = Path::new("src-tauri/gen/schemas");
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    if fs::create_dir_all(to).is_err() {
        return;
    }
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if fs::copy(entry.path(), &target).is_ok() {
            let _ = fs::remove_file(entry.path());
        }
    }
    // Only removes empty directories: anything else someone put in gen/ stays.
    let _ = fs::remove_dir(from);
    let _ = fs::remove_dir("gen");
}
