#!/usr/bin/env bash
# Builds the desktop app with its UI embedded (tauri/custom-protocol) and prints the path of the
# `easel-studio` binary. It builds the whole workspace with its test targets, like
# `cargo test --workspace`, so both resolve the same dependency features and share every compiled
# crate: building the app alone would compile tauri and its dependencies a second time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --workspace --lib --bins --tests --features tauri/custom-protocol \
  --message-format=json-render-diagnostics |
  node -e '
    let found;
    for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const msg = JSON.parse(line);
      if (msg.reason === "compiler-artifact" && msg.executable && !msg.profile.test &&
          msg.target.name === "easel-studio" && msg.target.kind.includes("bin")) found = msg.executable;
    }
    if (!found) { console.error("build-app: cargo reported no easel-studio binary"); process.exit(1); }
    console.log(found);
  '
