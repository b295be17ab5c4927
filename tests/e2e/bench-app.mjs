// `make bench-app`: the desktop app's speed figures for BENCHMARKS.md, measured on the release binary
// (the one `make bundle` packs) in a real WebKitGTK window under Xvfb, driven by tauri-driver:
//   1. window first paint: process start → the first gallery thumbnail drawn (a library of 3 images
//      made by the `easel` CLI against fake-openai), 5 cold launches;
//   2. gallery first page with 100,000 indexed images: the UI's start → the first tiles on screen, and
//      the `gallery_page` command's round trip from the window (first page, newest first);
//   3. the .deb's size, when `make bundle` made one.
// Times come from performance marks the grid sets (`easel:first-tiles`, `easel:first-thumbnail`) on
// the page clock, against the wall clock taken just before the WebDriver session (which starts the app).
// Run inside scripts/with-session.sh --display; EASEL_APP names the binary, EASEL_TOOLS the folder
// with the `easel` and `fake-openai` binaries.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const application = process.env.EASEL_APP ?? path.join(targetDir, 'release', 'easel-studio');
const tools = process.env.EASEL_TOOLS ?? path.join(targetDir, 'debug');
const LAUNCHES = Number(process.env.EASEL_BENCH_LAUNCHES ?? 5);
const BIG = 100_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, probe, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One tauri-driver for all launches; each WebDriver session starts the app afresh. */
class Driver {
  async start(env) {
    const port = await freePort();
    const log = openSync(path.join(os.tmpdir(), 'easel-bench-tauri-driver.log'), 'w');
    this.process = spawn(
      'tauri-driver',
      ['--port', String(port), '--native-port', String(await freePort())],
      { stdio: ['ignore', log, log], env },
    );
    this.base = `http://127.0.0.1:${port}`;
    await until('tauri-driver', async () => ((await fetch(`${this.base}/status`)).ok ? true : undefined), 15_000);
  }

  async wd(method, route, body) {
    const response = await fetch(`${this.base}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(`${method} ${route} → ${response.status}: ${JSON.stringify(payload.value)}`);
    return payload.value;
  }

  /** Launches the app; returns the session id and the wall-clock time just before. */
  async launch() {
    const started = Date.now();
    const created = await this.wd('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } },
    });
    return { session: created.sessionId, started };
  }

  script(session, body) {
    return this.wd('POST', `/session/${session}/execute/sync`, { script: body, args: [] });
  }

  /** The absolute time (epoch ms) of performance mark `name`, once it is set. */
  mark(session, name, ms = 30_000) {
    return until(
      name,
      () =>
        this.script(
          session,
          `const m = performance.getEntriesByName(${JSON.stringify(name)})[0];
           return m ? performance.timeOrigin + m.startTime : null;`,
        ),
      ms,
    );
  }

  async close(session) {
    await this.wd('DELETE', `/session/${session}`).catch(() => {});
    await sleep(300);
  }

  stop() {
    if (this.process && this.process.exitCode === null) this.process.kill('SIGTERM');
  }
}

function startFake() {
  return new Promise((resolve, reject) => {
    const fake = spawn(path.join(tools, 'fake-openai'), ['--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    fake.once('error', reject);
    let out = '';
    fake.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ fake, url: m[1] });
    });
  });
}

function environment(home, library, fakeUrl) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^(OPENAI|AZURE_OPENAI)_/.test(name)) delete env[name];
  return {
    ...env,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    EASEL_LIBRARY: library,
    OPENAI_BASE_URL: fakeUrl,
    OPENAI_API_KEY: 'sk-fake-openai-key',
  };
}

/** 100,000 index rows in one statement (the app's own schema, made by the CLI first). */
function seedIndex(env, library) {
  execFileSync(path.join(tools, 'easel'), ['search', 'nothing'], { env, stdio: 'ignore' });
  const words = ['fox', 'lighthouse', 'owl', 'city', 'lemons', 'harbor', 'forest', 'robot', 'castle', 'river'];
  const pick = (k) => `(SELECT w FROM words WHERE n = (i * ${k} + ${k * 3}) % ${words.length})`;
  const sql = `
    PRAGMA journal_mode = WAL;
    CREATE TEMP TABLE words (n INTEGER, w TEXT);
    INSERT INTO words VALUES ${words.map((w, n) => `(${n}, '${w}')`).join(', ')};
    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${BIG - 1})
    INSERT INTO images (id, path, original_path, created_ms, prompt, model, provider, operation, width, height,
                        format, bytes, cost_usd, meta)
    SELECT printf('%012x', 1000000007 + i * 7919), printf('2026/01/bench-%06d.png', i),
           printf('2026/01/bench-%06d.png', i), 1767225600000 + i * 60000,
           ${pick(1)} || ' ' || ${pick(3)} || ' at dusk, ' || ${pick(7)} || ' study #' || i,
           'gpt-image-2', 'openai', 'generate', 1024, 1024, 'png', 2700000, 0.04, '{}'
    FROM seq;
    PRAGMA wal_checkpoint(TRUNCATE);`;
  execFileSync('sqlite3', [path.join(library, '.easel', 'library.db')], { input: sql });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

async function main() {
  assert.ok(existsSync(application), `no app binary at ${application}: run \`make bundle\` first`);
  assert.ok(process.env.DISPLAY, 'no X display: run under scripts/with-session.sh --display');
  const home = mkdtempSync(path.join(os.tmpdir(), 'easel-bench-app-'));
  const { fake, url } = await startFake();
  const driver = new Driver();
  const rows = [];
  try {
    // 1. first paint: a small real library
    const small = path.join(home, 'small');
    let env = environment(home, small, url);
    for (const prompt of ['a red fox in the snow', 'a lighthouse at dusk', 'an owl at night']) {
      execFileSync(path.join(tools, 'easel'), ['generate', prompt, '--size', '1024x1024', '--quality', 'low'], {
        env,
        stdio: 'ignore',
      });
    }
    await driver.start(env);
    const firstPaint = [];
    const navigation = [];
    for (let i = 0; i < LAUNCHES; i++) {
      const { session, started } = await driver.launch();
      const thumb = await driver.mark(session, 'easel:first-thumbnail');
      const origin = await driver.script(session, 'return performance.timeOrigin');
      firstPaint.push(thumb - started);
      navigation.push(origin - started);
      await driver.close(session);
    }
    driver.stop();
    rows.push(['window first paint: process start → first thumbnail drawn', firstPaint, 1000]);
    rows.push(['⤷ process start → page navigation starts', navigation, null]);

    // 2. the gallery over a 100k index
    const big = path.join(home, 'big');
    env = environment(home, big, url);
    const seeding = Date.now();
    seedIndex(env, big);
    console.error(`seeded ${BIG} index rows in ${Date.now() - seeding} ms`);
    await driver.start(env);
    const firstTiles = [];
    const domReady = [];
    const firstCall = [];
    const pageCalls = [];
    /** The UI's own start-up marks (`ui/src/lib/marks.ts`), page clock, by name. */
    const steps = new Map();
    for (let i = 0; i < LAUNCHES; i++) {
      const { session } = await driver.launch();
      const tiles = await driver.mark(session, 'easel:first-tiles');
      const origin = await driver.script(session, 'return performance.timeOrigin');
      firstTiles.push(tiles - origin);
      const nav = await driver.script(
        session,
        `const n = performance.getEntriesByType('navigation')[0];
         const r = performance.getEntriesByType('resource').find((e) => /gallery_page/.test(e.name));
         return [n ? n.domContentLoadedEventEnd : null, r ? r.startTime : null];`,
      );
      const marks = await driver.script(
        session,
        `return performance.getEntriesByType('mark').filter((m) => m.name.startsWith('easel:')).map((m) => [m.name, m.startTime]);`,
      );
      for (const [name, at] of marks) steps.set(name, [...(steps.get(name) ?? []), at]);
      console.error(`launch ${i + 1}: ${marks.map(([name, at]) => `${name.slice(6)} ${at.toFixed(0)}`).join(', ')}`);
      if (nav[0] !== null) domReady.push(nav[0]);
      if (nav[1] !== null) firstCall.push(nav[1]);
      const count = await driver.script(session, `return document.querySelector('[data-testid="count"]')?.textContent`);
      assert.match(String(count), /100,000 images|100000 images/, `the gallery counts ${count}`);
      const calls = await driver.wd('POST', `/session/${session}/execute/async`, {
        script: `const done = arguments[arguments.length - 1];
          (async () => {
            const invoke = window.__TAURI_INTERNALS__.invoke;
            const times = [];
            for (let k = 0; k < 10; k++) {
              const t = performance.now();
              const page = await invoke('gallery_page', { query: { limit: 120, offset: 0 } });
              if (page.tiles.length !== 120) throw new Error('short page');
              times.push(performance.now() - t);
            }
            return times;
          })().then(done, (e) => done(String(e)));`,
        args: [],
      });
      assert.ok(Array.isArray(calls), `gallery_page failed: ${calls}`);
      pageCalls.push(...calls);
      await driver.close(session);
    }
    driver.stop();
    rows.push(['gallery first page, 100k indexed: UI start → first tiles on screen', firstTiles, 300]);
    if (domReady.length) rows.push(['⤷ UI start → DOMContentLoaded (bundle loaded and run)', domReady, null]);
    if (firstCall.length) rows.push(['⤷ UI start → first gallery_page request sent', firstCall, null]);
    const ordered = [...steps].filter(([name]) => name !== 'easel:first-tiles');
    ordered.sort((a, b) => median(a[1]) - median(b[1]));
    for (const [name, xs] of ordered) rows.push([`⤷ UI start → mark ${name}`, xs, null]);
    rows.push(['⤷ gallery_page round trip from the window (120 tiles, 100k index)', pageCalls, null]);
  } finally {
    driver.stop();
    fake.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }

  const debs = path.join(targetDir, 'release', 'bundle', 'deb');
  const deb = existsSync(debs) ? readdirSync(debs).find((f) => f.endsWith('.deb')) : undefined;
  const cpu = /model name\s*:\s*(.+)/.exec(execFileSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }))?.[1];
  console.log(`\nDesktop app · ${cpu}, ${os.cpus().length} cores · ${new Date().toISOString().slice(0, 10)}`);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`binary: ${application} (${(statSync(application).size / 1e6).toFixed(1)} MB)\n`);
  console.log('| measurement | median | min | max | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const [name, xs, target] of rows) {
    const m = median(xs);
    const verdict = target === null ? '' : `≤ ${target} ms ${m <= target ? '✅' : '❌'}`;
    console.log(`| ${name} | ${fmt(m)} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} | ${verdict} |`);
  }
  if (deb) {
    const mb = statSync(path.join(debs, deb)).size / 1e6;
    console.log(`| .deb size (${deb}) | ${mb.toFixed(1)} MB | | | ≤ 15 MB ${mb <= 15 ? '✅' : '❌'} |`);
  } else {
    console.log('| .deb size | not built: run `make bundle` first | | | ≤ 15 MB |');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
