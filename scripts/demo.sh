#!/usr/bin/env bash
# `make demo`: the desktop app with a local fake-openai server as its provider (labelled "demo provider"
# in the UI), on a demo library of its own, seeded with a few images on the first run. Nothing reaches
# OpenAI and no key is needed. Folder: $EASEL_DEMO_DIR (default ~/.cache/easel/demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

app="$(scripts/build-app.sh)"
bin="$(dirname "$app")"
dir="${EASEL_DEMO_DIR:-$HOME/.cache/easel/demo}"
mkdir -p "$dir"

"$bin/fake-openai" --port 0 >"$dir/fake-openai.out" 2>"$dir/fake-openai.log" &
fake=$!
trap 'kill "$fake" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*' "$dir/fake-openai.out" || true)"
  [ -n "$url" ] && break
  kill -0 "$fake" 2>/dev/null || { echo "demo: fake-openai did not start:" >&2; cat "$dir/fake-openai.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: fake-openai did not report its address" >&2; exit 1; }

export OPENAI_BASE_URL="$url" OPENAI_API_KEY="sk-fake-openai-key" EASEL_DEMO=1 \
  EASEL_LIBRARY="$dir/library" EASEL_SETTINGS="$dir/settings.json"

if [ -z "$(find "$EASEL_LIBRARY" -path "$EASEL_LIBRARY/.easel" -prune -o -type f -print -quit 2>/dev/null)" ]; then
  echo "demo: making a few images in $EASEL_LIBRARY"
  for prompt in "a lighthouse at dusk, oil painting" "a red fox in the snow" "an owl at night, ink drawing" \
    "a bowl of lemons on a blue table" "a city skyline in the rain" "a paper kite over the sea"; do
    "$bin/easel" generate "$prompt" --quality low >/dev/null
  done
fi

echo "demo: provider $url (fake-openai), library $EASEL_LIBRARY"
echo "demo: try  OPENAI_BASE_URL=$url OPENAI_API_KEY=sk-fake-openai-key EASEL_LIBRARY=$EASEL_LIBRARY $bin/easel generate \"a kite\""
"$app"
