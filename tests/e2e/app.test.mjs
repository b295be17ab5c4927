// End-to-end test of the real desktop app: the debug binary (UI embedded from ui/dist) in a real
// WebKitGTK window, driven over W3C WebDriver by tauri-driver + WebKitWebDriver.
// Run it inside scripts/with-session.sh --display (virtual X server, private D-Bus, keyring);
// `make test-e2e` builds the binary and does that (EASEL_APP names the binary to test).
// The app gets throwaway config/data/library folders and no OpenAI credentials: its provider is a
// fake-openai server, its key is typed into the setup screen (landing in the session's keychain), and
// the `easel` CLI, run beside it on the same library, plays the other process whose images appear live.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { McpStdio } from './mcp.mjs';
import { alphaAt, decodePng, pngHeader } from './png.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts', 'e2e');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const application = process.env.EASEL_APP ?? path.join(targetDir, 'debug', 'easel-studio');
const nativeDriver = process.env.EASEL_NATIVE_DRIVER ?? '/usr/bin/WebKitWebDriver';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

let driver;
let base;
let session;
let home;
let fake;
let fakeUrl;
let env;
const binDir = path.dirname(application);
const cli = path.join(binDir, 'easel');

/** The environment the app runs in: isolated folders, nothing that could reach a real provider. */
function appEnvironment() {
  home = mkdtempSync(path.join(os.tmpdir(), 'easel-e2e-'));
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(OPENAI|AZURE_OPENAI)_/.test(name)) delete env[name];
  }
  return {
    ...env,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    EASEL_LIBRARY: path.join(home, 'library'),
    OPENAI_BASE_URL: fakeUrl,
    EASEL_MCP_TOKEN: MCP_TOKEN,
  };
}

/** Starts fake-openai on a free port; resolves with its base URL. */
function startFake() {
  return new Promise((resolve, reject) => {
    // streamed events 250 ms apart, so the queue tile visibly shows the partial images
    fake = spawn(path.join(binDir, 'fake-openai'), ['--port', '0', '--partial-interval-ms', '250'], { stdio: ['ignore', 'pipe', 'ignore'] });
    fake.once('error', reject);
    let out = '';
    fake.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    fake.once('exit', (code) => reject(new Error(`fake-openai exited (${code})`)));
  });
}

/** Runs the `easel` CLI with the app's environment (same library, settings, keychain, provider). */
function easel(...args) {
  return execFileSync(cli, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

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

/** The hosted MCP endpoint's token (the app's environment instead of the session keychain). */
const MCP_TOKEN = `e2e-mcp-token-${Math.random().toString(36).slice(2)}-0123456789`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function wd(method, route, body) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { error, message } = payload.value ?? {};
    throw new Error(`${method} ${route} → ${response.status} ${error ?? ''}: ${message ?? ''}`);
  }
  return payload.value;
}

/** Polls until `probe` returns something other than undefined, or fails after `ms`. */
async function eventually(what, probe, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function find(css) {
  const found = await wd('POST', `/session/${session}/elements`, { using: 'css selector', value: css });
  return found.map((element) => element[ELEMENT]);
}

async function textOf(css) {
  const [id] = await find(css);
  if (!id) return undefined;
  return wd('GET', `/session/${session}/element/${id}/text`);
}

async function click(css) {
  const [id] = await find(css);
  assert.ok(id, `no element ${css}`);
  await wd('POST', `/session/${session}/element/${id}/click`, {});
}

async function type(css, text) {
  const [id] = await find(css);
  assert.ok(id, `no element ${css}`);
  await wd('POST', `/session/${session}/element/${id}/clear`, {});
  // WebDriver's clear fires no `input` event: without one the page would keep the old value
  await script('arguments[0].dispatchEvent(new Event("input", { bubbles: true }));', [{ [ELEMENT]: id }]);
  if (text) await wd('POST', `/session/${session}/element/${id}/value`, { text });
}

/** Real key presses (WebDriver actions) to whatever has the focus. */
async function press(...keys) {
  const actions = keys.flatMap((value) => [
    { type: 'keyDown', value },
    { type: 'keyUp', value },
  ]);
  await wd('POST', `/session/${session}/actions`, { actions: [{ type: 'key', id: 'keyboard', actions }] });
  await wd('DELETE', `/session/${session}/actions`);
}

const DELETE_KEY = '\uE017';

async function screenshot(name) {
  await painted();
  const png = Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64');
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  writeFileSync(path.join(artifacts, name), png);
}

const script = (body, args = []) => wd('POST', `/session/${session}/execute/sync`, { script: body, args });

/** Resolves once images and fonts have loaded and two frames have been painted since. */
const painted = () =>
  wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      const images = [...document.images].map((img) => img.complete ? null : new Promise((r) => { img.onload = img.onerror = r; }));
      Promise.all([document.fonts.ready, ...images]).then(() =>
        requestAnimationFrame(() => requestAnimationFrame(() => done(true))));`,
    args: [],
  });

function cargoVersion() {
  const metadata = JSON.parse(
    execFileSync('cargo', ['metadata', '--no-deps', '--format-version', '1'], { cwd: root, encoding: 'utf8' }),
  );
  return metadata.packages.find((p) => p.name === 'easel-studio').version;
}

before(async () => {
  assert.ok(existsSync(application), `desktop binary not found at ${application}: run \`make test-e2e\``);
  assert.ok(process.env.DISPLAY, 'no X display: run under scripts/with-session.sh --display');
  mkdirSync(artifacts, { recursive: true });
  fakeUrl = await startFake();
  env = appEnvironment();

  const port = await freePort();
  const nativePort = await freePort();
  const log = openSync(path.join(artifacts, 'tauri-driver.log'), 'w');
  driver = spawn(
    'tauri-driver',
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', nativeDriver],
    { stdio: ['ignore', log, log], env },
  );
  let spawnError;
  driver.on('error', (error) => (spawnError = error));
  base = `http://127.0.0.1:${port}`;
  await eventually(
    'tauri-driver to listen',
    async () => {
      if (spawnError) return Promise.reject(new Error(`cannot run tauri-driver: ${spawnError.message}`));
      if (driver.exitCode !== null) return Promise.reject(new Error(`tauri-driver exited (${driver.exitCode})`));
      return (await fetch(`${base}/status`)).ok ? true : undefined;
    },
    15_000,
  );

  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } },
  });
  session = created.sessionId;
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  if (driver && driver.exitCode === null) {
    driver.kill('SIGTERM');
    await Promise.race([new Promise((r) => driver.once('exit', r)), sleep(5_000)]);
  }
  if (fake && fake.exitCode === null) fake.kill('SIGTERM');
  // the app may still be writing its caches while it exits
  if (home) rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

test('the main window shows the header with the Cargo version', async () => {
  const expected = cargoVersion();
  const shown = await eventually('the version badge', () => textOf('[data-testid="app-version"]'));
  assert.equal(shown, `v${expected}`);

  const [badge] = await find('[data-testid="app-version"]');
  assert.equal(await wd('GET', `/session/${session}/element/${badge}/attribute/data-version`), expected);
  assert.equal(await textOf('header h1'), 'Easel');
  assert.equal(await wd('GET', `/session/${session}/title`), 'Easel');
});

test('the UI comes from the embedded bundle, styled under the app CSP', async () => {
  const location = await wd('GET', `/session/${session}/url`);
  assert.match(location, /^tauri:\/\/localhost(\/|$)/, 'loaded from the embedded assets, not a dev server');
  // app.css and the component styles loaded: a strict CSP blocking them would leave `display: block`
  assert.equal(await script('return getComputedStyle(document.querySelector("header")).display'), 'flex');
  assert.deepEqual(await find('[role="alert"]'), [], 'the core answered app_info');
});

test('first run without a key: the setup screen stores the key in the keychain', async () => {
  await eventually('the setup screen', () => textOf('[data-testid="setup"] h2'));
  assert.equal(await textOf('[data-testid="setup"] h2'), 'Welcome to Easel');
  assert.equal(await textOf('[data-testid="key-status-openai"]'), 'not set');
  assert.deepEqual(await find('[role="alert"]'), [], 'a friendly screen, not an error');
  await screenshot('first-run.png');
  assert.match(easel('keys', 'get-status', 'openai'), /^openai: not set/);

  await type('input[aria-label="API key for openai"]', 'sk-fake-openai-key');
  await click('[data-testid="key-form-openai"] button[type="submit"]');
  await eventually('the setup screen to close', async () => ((await find('[data-testid="setup"]')).length ? undefined : true));
  assert.equal(easel('keys', 'get-status', 'openai').trim(), 'openai: set (keychain)');
});

test('the empty gallery invites a first image, and a screenshot is kept', async () => {
  assert.equal(await eventually('the empty gallery', () => textOf('[data-testid="empty-gallery"] h3')), 'No images yet');
  assert.match(await textOf('[data-testid="empty-gallery"] pre'), /^easel generate ".+"$/);
  await screenshot('main-window.png');
});

test('Settings tests the connection to the provider with the stored key', async () => {
  await click('nav button[data-view=settings]');
  await eventually('the provider card', () => textOf('[data-testid="key-status-openai"]'));
  assert.equal(await textOf('[data-testid="key-status-openai"]'), 'set (keychain)');
  await click('[data-testid="provider-openai"] button[type="button"]');
  const message = await eventually('the connection test', () => textOf('[data-testid="key-message"]'));
  assert.match(message, /^Connected in \d+ ms\.$/);
  await screenshot('settings.png');
  await click('nav button[data-view=gallery]');
});

const PROMPT = 'a lighthouse on a cliff, e2e marker';
const tileCss = `[role="option"][aria-label="${PROMPT}"]`;

test('an image generated by the CLI appears in the gallery without a reload, with its thumbnail', async () => {
  await eventually('the empty gallery', () => textOf('[data-testid="empty-gallery"] h3'));
  const marker = await script('return (window.__e2eMarker = Math.random())');
  const saved = easel('generate', PROMPT, '--size', '1024x1024', '--quality', 'low').trim();
  const made = Date.now();
  assert.ok(saved.startsWith(env.EASEL_LIBRARY), saved);
  await eventually('the new tile', async () => ((await find(tileCss)).length ? true : undefined), 5_000);
  const waited = Date.now() - made;
  assert.ok(waited < 1_500, `appeared ${waited} ms after the CLI finished`);
  assert.equal(await script('return window.__e2eMarker'), marker, 'the page was not reloaded');
  assert.equal(await textOf('[data-testid="count"]'), '1 image');

  // the thumbnail came through the easel: scheme under the CSP
  const width = await eventually('the thumbnail to load', async () => {
    const w = await script(`const img = document.querySelector('${tileCss} img'); return img && img.complete ? img.naturalWidth : 0;`);
    return w > 0 ? w : undefined;
  });
  assert.ok(width > 0 && width <= 384, `thumbnail width ${width}`);
});

test('star it from the keyboard, find it by search, trash it and restore it', async () => {
  await click(tileCss);
  await eventually('the detail panel', () => textOf('[data-testid="detail-prompt"]'));
  assert.equal(await textOf('[data-testid="detail-prompt"]'), PROMPT);
  await press('s');
  await eventually('the star badge', async () => ((await find(`${tileCss} [data-testid="star-badge"]`)).length ? true : undefined));
  assert.match(easel('search', 'lighthouse', '--starred'), /lighthouse/, 'the star is in the shared library');

  await type('[data-testid="search"]', 'zzzz');
  await eventually('no matches', () => textOf('[data-testid="no-matches"]'));
  await type('[data-testid="search"]', 'lightho');
  await eventually('the search result', async () => ((await find(tileCss)).length ? true : undefined));
  assert.equal(await textOf('[data-testid="count"]'), '1 image');
  await type('[data-testid="search"]', '');

  await click(tileCss);
  await press(DELETE_KEY);
  await eventually('the gallery to empty', async () => ((await textOf('[data-testid="count"]')) === '0 images' ? true : undefined));
  assert.equal(easel('search', 'lighthouse').trim(), '', 'gone from the gallery for the CLI too');

  await click('nav button[data-view=trash]');
  await eventually('the trashed tile', async () => ((await find(tileCss)).length ? true : undefined));
  await click(tileCss);
  await eventually('the restore button', async () => ((await find('[data-testid="detail-panel"] button')).length ? true : undefined));
  await screenshot('trash.png');
  await click('[data-testid="detail-panel"] button');
  await eventually('the empty trash', () => textOf('[data-testid="empty-trash"]'));

  await click('nav button[data-view=gallery]');
  await eventually('the restored tile', async () => ((await find(tileCss)).length ? true : undefined));
  assert.match(easel('search', 'lighthouse'), /lighthouse/);
  await click(tileCss);
  await screenshot('gallery.png');
});

test('the window may call its commands and nothing else from the Tauri core plugins', async () => {
  const outcomes = await wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      const call = (cmd) => window.__TAURI_INTERNALS__.invoke(cmd, {}).then(() => 'allowed', (e) => 'denied: ' + e);
      Promise.all(['app_info', 'providers', 'plugin:app|version', 'plugin:window|title', 'plugin:fs|read_file',
        'plugin:clipboard-manager|read_text', 'plugin:opener|open_path'].map(call)).then(done);`,
    args: [],
  });
  assert.equal(outcomes[0], 'allowed');
  assert.equal(outcomes[1], 'allowed');
  for (const denied of outcomes.slice(2)) assert.match(denied, /^denied: .*not (allowed|found)/, denied);
});

/** Clicks the button whose text is `label` (inside `scope`, a CSS selector). */
async function clickButton(label, scope = 'body') {
  const clicked = await script(
    `const b = [...document.querySelectorAll(arguments[0] + ' button')].find((b) => b.textContent.trim() === arguments[1]);
     if (b) b.click(); return !!b;`,
    [scope, label],
  );
  assert.ok(clicked, `no button "${label}" in ${scope}`);
}

test('the detail panel copies the image and its path through the real clipboard', async () => {
  await click(tileCss);
  await eventually('the detail panel', () => textOf('[data-testid="detail-prompt"]'));
  await clickButton('Copy image', '[data-testid="detail-panel"]');
  assert.equal(await eventually('the copy note', () => textOf('[data-testid="detail-panel"] [role="status"]')), 'Copied the image.');
  await clickButton('Copy path', '[data-testid="detail-panel"]');
  await eventually('the path note', async () =>
    (await textOf('[data-testid="detail-panel"] [role="status"]')) === 'Copied the path.' ? true : undefined,
  );
  assert.deepEqual(await find('[data-testid="detail-panel"] [role="alert"]'), []);
});

/** An MCP initialize over HTTP with the token; the HTTP status (or the connection error). */
async function initializeOver(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${MCP_TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
        protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { error: String(error.cause?.code ?? error) };
  }
}

test('Settings turns the hosted MCP endpoint on (MCP answers with the token) and off (the port is freed)', async () => {
  await click('nav button[data-view=settings]');
  const status = '[data-testid="endpoint-status"]';
  assert.equal(await eventually('the endpoint status', () => textOf(status)), 'Stopped.');
  const port = await freePort();
  await type('[data-testid="mcp-endpoint"] input[type="number"]', String(port));
  await click('[data-testid="mcp-endpoint"] input[type="checkbox"]');
  await eventually('the endpoint to run', async () => ((await textOf(status))?.includes(`127.0.0.1:${port}`) ? true : undefined));
  const answer = await initializeOver(port);
  assert.equal(answer.status, 200, JSON.stringify(answer));
  assert.match(answer.body, /"serverInfo":\{"name":"easel"/);
  assert.ok(!(await script('return document.body.innerText')).includes(MCP_TOKEN), 'the token is never shown');
  await screenshot('settings-mcp-endpoint.png');

  await click('[data-testid="mcp-endpoint"] input[type="checkbox"]');
  await eventually('the endpoint to stop', async () => ((await textOf(status)) === 'Stopped.' ? true : undefined));
  assert.equal((await initializeOver(port)).error, 'ECONNREFUSED');
  await click('nav button[data-view=gallery]');
});

test('Generate: a streamed job shows its partial images in the queue, then lands in the gallery', async () => {
  const prompt = 'a paper kite over the dunes, e2e generate';
  await click('nav button[data-view=generate]');
  await eventually('the generate form', async () => ((await find('[data-testid="prompt"]')).length ? true : undefined));
  await type('[data-testid="prompt"]', prompt);
  await eventually('the estimate', async () => ((await textOf('[data-testid="form-check"]'))?.startsWith('about $') ? true : undefined));
  await clickButton('Generate', 'form');
  const tile = '[data-testid="queue-tile"]';
  await eventually('a partial image in the queue tile', async () => {
    const loaded = await script(
      `const img = document.querySelector('${tile} [data-testid="partial"]'); return !!img && img.complete && img.naturalWidth > 0;`,
    );
    return loaded ? true : undefined;
  }, 10_000);
  await screenshot('generate-partial.png');
  await eventually('the job to finish', async () => {
    const state = await script(`return document.querySelector('${tile}')?.dataset.state;`);
    assert.notEqual(state, 'failed', await textOf(tile));
    return state === 'done' ? true : undefined;
  }, 20_000);
  await screenshot('generate-done.png');
  assert.match(easel('search', 'kite dunes'), /kite/, 'the image is in the shared library');
  await click('nav button[data-view=gallery]');
  await eventually('the gallery to count the new image', async () => ((await textOf('[data-testid="count"]')) === '2 images' ? true : undefined));
  await screenshot('generate-gallery.png');
  const labels = await script(`return [...document.querySelectorAll('[role="option"]')].map((t) => t.getAttribute('aria-label'));`);
  assert.ok(labels.includes(prompt), JSON.stringify(labels));
});

/** fake-openai's admin surface (`/__fake/...`, see crates/fake-openai/src/lib.rs). */
async function fakeAdmin(method, route) {
  const response = await fetch(`${fakeUrl.replace(/\/v1$/, '')}/__fake/${route}`, { method });
  assert.ok(response.ok, `${method} /__fake/${route} → ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** `probe` as an `eventually` probe that waits for a truthy script result. */
const until = (what, body, args = [], ms) =>
  eventually(what, async () => ((await script(body, args)) || undefined), ms);

/**
 * Waits for the queue tile of `prompt` (the generate panel's queue) to finish, failing on a failed job.
 * One asynchronous script watches the page: polling it through WebDriver would load both cores of this
 * machine while the latency test measures.
 */
async function tileDone(prompt, ms = 25_000) {
  const tile = await wd('POST', `/session/${session}/execute/async`, {
    script: `const [prompt, ms, done] = arguments;
      const state = () => {
        const t = [...document.querySelectorAll('[data-testid="queue-tile"]')]
          .find((t) => t.querySelector('.prompt-text')?.textContent === prompt);
        return t && (t.dataset.state === 'done' || t.dataset.state === 'failed') ? { state: t.dataset.state, text: t.textContent } : null;
      };
      const now = state();
      if (now) return done(now);
      const watch = new MutationObserver(() => {
        const s = state();
        if (s) { watch.disconnect(); clearTimeout(timer); done(s); }
      });
      const timer = setTimeout(() => { watch.disconnect(); done({ state: 'timeout' }); }, ms);
      watch.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });`,
    args: [prompt, ms],
  });
  assert.equal(tile?.state, 'done', `the job "${prompt}": ${JSON.stringify(tile)}`);
}

/** Drags the left mouse button through `points` (viewport pixels) with real WebDriver pointer actions. */
async function drag(points) {
  const [first, ...rest] = points.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) }));
  const actions = [
    { type: 'pointerMove', duration: 0, origin: 'viewport', ...first },
    { type: 'pointerDown', button: 0 },
    ...rest.map((p) => ({ type: 'pointerMove', duration: 30, origin: 'viewport', ...p })),
    { type: 'pointerUp', button: 0 },
  ];
  await wd('POST', `/session/${session}/actions`, {
    actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
  });
  await wd('DELETE', `/session/${session}/actions`);
}

const SESSION_NAME = 'harbour poster, e2e session';
const SOURCE_PROMPT = 'a harbour at dawn with fishing boats, e2e source';
const EDIT_PROMPT = 'paint the middle boat red, e2e masked edit';
/** The turn the masked edit branches from, and its image (set by the painter test). */
let source;

test('Sessions → Paint mask → Edit with this mask: the image and a mask of its size are sent, the result is a child turn', async () => {
  // an MCP client (another process) starts a session and makes its first turn
  const mcp = await McpStdio.start(cli, env);
  let parent;
  try {
    const started = await mcp.call('start_session', { name: SESSION_NAME });
    await mcp.call('generate_image', {
      prompt: SOURCE_PROMPT, session_id: started.id, size: '1536x1024', quality: 'low', return: 'link',
    });
    const tree = await mcp.call('get_session', { id: started.id });
    assert.equal(tree.turns.length, 1);
    parent = tree.turns[0];
    source = { session: started.id, turn: parent.id, image: await mcp.call('get_image', { id: parent.images[0] }) };
  } finally {
    mcp.close();
  }
  const header = pngHeader(readFileSync(source.image.path));
  assert.deepEqual([header.width, header.height], [1536, 1024], 'the source PNG on disk');

  // Sessions → the session → its turn → Paint mask
  await click('nav button[data-view=sessions]');
  await until('the session in the list',
    `const b = [...document.querySelectorAll('[data-testid="session-item"]')].find((b) => b.textContent.includes(arguments[0]));
     if (b) b.click(); return !!b;`, [SESSION_NAME]);
  await until('its turn', `return document.querySelectorAll('[data-testid="turn"]').length === 1`);
  assert.equal(await textOf('[data-testid="turn"] .prompt'), SOURCE_PROMPT);
  await clickButton('Paint mask', '[data-testid="turn"]');

  // the painter: the image at its natural size, fitted into the stage
  const stage = '[data-testid="painter-stage"]';
  await until('the image in the painter',
    `const img = document.querySelector('${stage} img'); return !!img && img.complete && img.naturalWidth === 1536;`);
  assert.match(await wd('GET', `/session/${session}/element/${(await find(stage))[0]}/attribute/aria-label`), /1536×1024/);
  const view = await until('the fitted view',
    `const s = document.querySelector('${stage}'); const r = s.getBoundingClientRect();
     return Number(s.dataset.scale) < 1 && { left: r.left, top: r.top, scale: Number(s.dataset.scale), x: Number(s.dataset.x), y: Number(s.dataset.y) };`);
  // a horizontal stroke through the middle of the image, 30% → 70% of its width
  const onScreen = (nx, ny) => ({ x: view.left + view.x + nx * view.scale, y: view.top + view.y + ny * view.scale });
  const stroke = Array.from({ length: 9 }, (_, i) => onScreen(1536 * (0.3 + 0.05 * i), 512));
  await drag(stroke);
  await until('the stroke to be undoable',
    `const b = [...document.querySelectorAll('[data-testid="painter"] button')].find((b) => b.textContent.trim() === 'Undo');
     return !!b && !b.disabled;`);

  await clickButton('Export mask', '[data-testid="painter"]');
  const status = await eventually('the exported mask', () => textOf('[data-testid="painter-status"]'));
  const saved = /^Mask saved \((\d+)×(\d+), .*\): (\/.+\.png)$/.exec(status);
  assert.ok(saved, status);
  assert.deepEqual([Number(saved[1]), Number(saved[2])], [1536, 1024]);
  await screenshot('painter-mask.png');

  // the mask file: OpenAI's format at the image's size, transparent exactly along the stroke
  const maskFile = readFileSync(saved[3]);
  const mask = decodePng(maskFile);
  assert.deepEqual([mask.width, mask.height, mask.channels], [1536, 1024, 4]);
  assert.equal(alphaAt(mask, 768, 512), 0, 'painted: the stroke’s middle');
  assert.equal(alphaAt(mask, 1536 * 0.3, 512), 0, 'painted: where the stroke starts');
  for (const [x, y] of [[20, 20], [1515, 1000], [768, 100], [768, 920], [200, 512], [1330, 512]]) {
    assert.equal(alphaAt(mask, x, y), 255, `not painted at ${x},${y}`);
  }

  // Edit with this mask → the generate panel, set to edit that turn's image inside the mask
  await clickButton('Edit with this mask', '[data-testid="painter"]');
  await eventually('the masked edit in the generate panel', () => textOf('[data-testid="mask-edit"]'));
  assert.match(await textOf('[data-testid="continuation"]'), new RegExp(`Continuing ${SESSION_NAME}`));
  await type('[data-testid="prompt"]', EDIT_PROMPT);
  await eventually('the estimate', async () => ((await textOf('[data-testid="form-check"]'))?.startsWith('about $') ? true : undefined));
  await fakeAdmin('DELETE', 'requests');
  await clickButton('Generate', 'form');
  await tileDone(EDIT_PROMPT);
  await screenshot('masked-edit-done.png');

  // what reached the provider: one edit with the image and the exported mask, both 1536×1024
  const edits = (await fakeAdmin('GET', 'requests')).filter((r) => r.method === 'POST' && r.path.endsWith('/images/edits'));
  assert.equal(edits.length, 1, JSON.stringify(edits.map((r) => r.path)));
  const [edit] = edits;
  assert.equal(edit.status, 200);
  const images = edit.parts.filter((p) => p.name === 'image[]');
  assert.equal(images.length, 1, JSON.stringify(edit.parts.map((p) => p.name)));
  assert.deepEqual([images[0].width, images[0].height, images[0].len], [1536, 1024, source.image.bytes]);
  const maskParts = edit.parts.filter((p) => p.name === 'mask');
  assert.equal(maskParts.length, 1);
  assert.equal(maskParts[0].content_type, 'image/png');
  assert.deepEqual([maskParts[0].width, maskParts[0].height], [header.width, header.height], 'the mask has the source’s size');
  assert.equal(maskParts[0].len, maskFile.length, 'the exported mask file, byte for byte');
  assert.equal(edit.parts.find((p) => p.name === 'prompt')?.len, Buffer.byteLength(EDIT_PROMPT));

  // the result is a new turn under the painted one, in the timeline and in the library
  await click('nav button[data-view=sessions]');
  const rows = await eventually('the new turn in the timeline', async () => {
    const found = await script(
      `return [...document.querySelectorAll('[data-testid="turn"]')].map((li) => ({
         depth: Number(li.dataset.depth), prompt: li.querySelector('.prompt').textContent,
         meta: li.querySelector('.meta').textContent, thumb: !!li.querySelector('img') }));`,
    );
    return found.length === 2 ? found : undefined;
  });
  assert.deepEqual(rows.map((r) => [r.depth, r.prompt]), [[0, SOURCE_PROMPT], [1, EDIT_PROMPT]]);
  assert.match(rows[1].meta, /masked edit/);
  assert.ok(rows[1].thumb, 'the new turn shows its image');
  await screenshot('sessions-masked-edit.png');
  const stored = JSON.parse(easel('session', source.session, '--json'));
  const child = stored.turns.find((t) => t.prompt === EDIT_PROMPT);
  assert.equal(child?.parent_id, parent.id, JSON.stringify(stored.turns));
  assert.equal(child.params.size, '1536x1024', 'the edit asks for its image’s size, not the form’s last preset');
  assert.equal(child.has_mask, true);
});

test('every view renders its own content, and a screenshot of each is kept', async () => {
  const views = [
    ['gallery', 'the gallery tiles with their thumbnails',
      `const tiles = document.querySelectorAll('[role="option"] img');
       return document.querySelector('[data-testid="count"]')?.textContent === '4 images' && tiles.length === 4 &&
         [...tiles].every((img) => img.complete && img.naturalWidth > 0);`],
    ['generate', 'the generate form and the queue',
      `return !!document.querySelector('[data-testid="prompt"]') &&
         [...document.querySelectorAll('.queue h2')].some((h) => h.textContent === 'Queue');`],
    ['sessions', 'the session and its turn tree',
      `return [...document.querySelectorAll('[data-testid="session-item"]')].some((b) => b.textContent.includes(arguments[0])) &&
         document.querySelectorAll('[data-testid="turn"] img').length === 2;`],
    ['trash', 'the empty trash', `return !!document.querySelector('[data-testid="empty-trash"]');`],
    ['settings', 'the provider card and the MCP endpoint',
      `return document.querySelector('[data-testid="key-status-openai"]')?.textContent === 'set (keychain)' &&
         !!document.querySelector('[data-testid="mcp-endpoint"]');`],
    ['costs', 'the spend per model and the session among the top ones',
      `const view = document.querySelector('[data-testid="cost-view"]');
       return view?.querySelector('h2')?.textContent === 'Costs' && view.textContent.includes('gpt-image-2') &&
         view.textContent.includes(arguments[0]);`],
  ];
  for (const [name, what, probe] of views) {
    await click(`nav button[data-view=${name}]`);
    await until(`${name}: ${what}`, probe, [SESSION_NAME], 10_000);
    assert.equal(await script(`return document.querySelector('nav button[aria-current="page"]')?.dataset.view`), name);
    await screenshot(`view-${name}.png`);
  }

  // the mask painter, opened from the gallery's detail panel on the session's image
  await click('nav button[data-view=gallery]');
  const tile = `[role="option"][aria-label="${SOURCE_PROMPT}"]`;
  await eventually('the source tile', async () => ((await find(tile)).length ? true : undefined));
  await click(tile);
  await eventually('the detail panel', async () => ((await textOf('[data-testid="detail-prompt"]')) === SOURCE_PROMPT ? true : undefined));
  await clickButton('Paint mask', '[data-testid="detail-panel"]');
  await until('the painter on the image',
    `const img = document.querySelector('[data-testid="painter-stage"] img');
     return !!img && img.complete && img.naturalWidth === 1536 && img.alt === arguments[0] &&
       !!document.querySelector('[data-testid="painter-canvas"]');`, [SOURCE_PROMPT]);
  await screenshot('view-painter.png');
  await clickButton('Close', '[data-testid="painter"]');
  await eventually('the gallery again', async () => ((await find('[data-testid="painter"]')).length ? undefined : true));
});

/** Installs, in the page, a record of every partial image: when its queue event reached the window (a
 * listener on the same Tauri event the generate panel uses) and when its <img> in the queue tile had
 * loaded (the `load` event), both on `Date.now()`, the clock fake-openai's `sent_at_ms` uses. */
const WATCH_PARTIALS = `
  const done = arguments[arguments.length - 1];
  const record = (window.__partials = { arrived: new Map(), progress: [], loads: [] });
  const internals = window.__TAURI_INTERNALS__;
  const handler = internals.transformCallback(({ payload }) => {
    const at = Date.now();
    // the queue says "partial" as the client hands it a partial image, then sends it shrunk (a JPEG)
    if (payload.kind === 'state' && payload.state === 'partial') record.progress.push({ job: payload.job_id, at });
    if (payload.kind === 'partial') record.arrived.set(payload.data_url, { job: payload.job_id, index: payload.index, at });
  });
  const seen = new WeakMap();
  const watch = (img) => {
    if (!(img instanceof HTMLImageElement) || img.dataset.testid !== 'partial') return;
    const src = img.getAttribute('src');
    if (!src || seen.get(img) === src) return;
    seen.set(img, src);
    const alt = img.alt;
    const loaded = () => {
      const event = record.arrived.get(src) ?? {};
      record.loads.push({ alt, job: event.job, index: event.index, arrived: event.at, loaded: Date.now() });
    };
    if (img.complete && img.naturalWidth > 0) return loaded();
    img.addEventListener('load', () => { if (img.getAttribute('src') === src) loaded(); }, { once: true });
  };
  window.__partialWatch?.disconnect();
  window.__partialWatch = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') watch(r.target);
      else for (const node of r.addedNodes) {
        if (node.nodeType !== 1) continue;
        watch(node);
        node.querySelectorAll('img').forEach(watch);
      }
    }
  });
  window.__partialWatch.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
  internals.invoke('plugin:event|listen', { event: 'queue-event', target: { kind: 'Any' }, handler })
    .then(() => done(true), (e) => done('cannot listen: ' + e));`;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const summary = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const round = (v) => Math.round(v * 10) / 10;
  return { n: sorted.length, p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
};

test('a partial image appears in the queue tile ≤ 100 ms after fake-openai sends it', async () => {
  const JOBS = 5;
  const PARTIALS = 3;
  await click('nav button[data-view=generate]');
  await eventually('the generate form', async () => ((await find('[data-testid="prompt"]')).length ? true : undefined));
  // plain generations: leave the masked edit of the session (still set from the painter test)
  await clickButton('Drop the mask', '[data-testid="mask-edit"]');
  await clickButton('New image instead', '[data-testid="continuation"]');
  await eventually('a plain generation form', async () =>
    (await find('[data-testid="mask-edit"], [data-testid="continuation"]')).length ? undefined : true);
  await type('input[type="number"][max="3"]', String(PARTIALS));
  assert.equal(await wd('POST', `/session/${session}/execute/async`, { script: WATCH_PARTIALS, args: [] }), true);
  const samples = [];
  for (let job = 1; job <= JOBS; job++) {
    const prompt = `a lantern festival, latency run ${job}`;
    await type('[data-testid="prompt"]', prompt);
    await eventually('the estimate', async () => ((await textOf('[data-testid="form-check"]'))?.startsWith('about $') ? true : undefined));
    await fakeAdmin('DELETE', 'events');
    await clickButton('Generate', 'form');
    await tileDone(prompt);
    // the tile shows the final image now; a late partial has had time to load
    await sleep(300);
    const sent = (await fakeAdmin('GET', 'events')).filter((e) => e.event.endsWith('.partial_image'));
    assert.equal(sent.length, PARTIALS, JSON.stringify(sent));
    const loads = await script(`return window.__partials.loads.filter((l) => l.alt.endsWith(' of ' + arguments[0]));`, [prompt]);
    const jobId = loads.find((l) => l.job)?.job;
    const progress = await script(`return window.__partials.progress.filter((p) => p.job === arguments[0]);`, [jobId]);
    for (let i = 0; i < PARTIALS; i++) {
      const shown = loads.find((l) => l.index === i);
      const from = sent[i].sent_at_ms;
      samples.push({
        job, partial: i + 1, sent: from,
        toProgress: progress[i] ? progress[i].at - from : null,
        toImageEvent: shown ? shown.arrived - from : null,
        toLoaded: shown ? shown.loaded - from : null,
        shownAs: shown?.alt ?? 'never shown',
      });
    }
    samples.push(...loads.filter((l) => !Number.isInteger(l.index)).map((l) => ({ job, unmatchedLoad: l })));
  }
  const figures = {
    partials: summary(samples.map((s) => s.toLoaded)),
    steps: {
      'sent → the window hears "partial" (client parse + queue + IPC)': summary(samples.map((s) => s.toProgress)),
      '→ the shrunk image reaches the window (thumbnail + data URL + IPC)': summary(samples.map((s) => s.toImageEvent - s.toProgress)),
      '→ <img> loaded (Svelte update + decode)': summary(samples.map((s) => s.toLoaded - s.toImageEvent)),
    },
    samples,
  };
  writeFileSync(path.join(artifacts, 'partial-latency.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`partial images, fake sent → <img> loaded (ms): ${JSON.stringify(figures.partials)}`);
  for (const [step, value] of Object.entries(figures.steps)) console.log(`  ${step}: ${JSON.stringify(value)}`);
  const missing = samples.filter((s) => s.shownAs === 'never shown' || s.unmatchedLoad);
  assert.deepEqual(missing, [], 'every partial image was shown, each once');
  assert.equal(figures.partials.n, JOBS * PARTIALS);
  assert.ok(figures.partials.min > -5, `a partial loaded before it was sent? ${JSON.stringify(samples)}`);
  assert.ok(figures.partials.p95 <= 100, `p95 ${figures.partials.p95} ms > 100 ms: ${JSON.stringify(figures)}`);
  assert.ok(figures.partials.max <= 100, `max ${figures.partials.max} ms > 100 ms: ${JSON.stringify(figures)}`);
  await screenshot('generate-latency.png');
});

/** Runs xdotool (the real X pointer) with `args`. */
const xdotool = (...args) => execFileSync('xdotool', args.map(String), { env, stdio: ['ignore', 'ignore', 'pipe'] });

test('a file dragged in from another application lands in the reference list, imported into the library', async () => {
  // a PNG outside the library, as in a Downloads folder (the space makes the dropped URI percent-encoded)
  const downloads = path.join(home, 'Downloads');
  mkdirSync(downloads, { recursive: true });
  const file = path.join(downloads, 'pier sketch.png');
  writeFileSync(file, readFileSync(source.image.path));

  // the painter of the session's first turn, whose side panel holds the reference list
  await click('nav button[data-view=sessions]');
  await until('the session in the list',
    `const b = [...document.querySelectorAll('[data-testid="session-item"]')].find((b) => b.textContent.includes(arguments[0]));
     if (b) b.click(); return !!b;`, [SESSION_NAME]);
  await until('its first turn', `return !!document.querySelector('[data-testid="turn"][data-depth="0"]')`);
  await clickButton('Paint mask', '[data-testid="turn"][data-depth="0"]');
  const list = '[data-testid="painter"] [data-testid="reference-list"]';
  await eventually('the reference list', async () => ((await find(list)).length ? true : undefined));
  const listed = () => script(`return [...document.querySelectorAll(arguments[0] + ' .ref')].map((r) => ({
      label: r.querySelector('.label').textContent, src: r.querySelector('img').getAttribute('src'),
      loaded: r.querySelector('img').complete && r.querySelector('img').naturalWidth > 0 }));`, [list]);
  const before = await listed();
  // what the page hears of the drag itself (reported if the drop goes astray; the files come natively)
  await script(`window.__drags = [];
    for (const type of ['dragenter', 'dragover', 'dragleave', 'drop']) document.addEventListener(type, (e) => {
      const last = window.__drags.at(-1);
      const seen = { type, x: e.clientX, y: e.clientY, types: [...(e.dataTransfer?.types ?? [])], files: e.dataTransfer?.files.length ?? 0 };
      if (last?.type === type) last.n = (last.n ?? 1) + 1; else window.__drags.push(seen);
    }, true);`);

  // where the list is on the X screen: the window's origin plus the list's place in the page
  const win = await wd('GET', `/session/${session}/window/rect`);
  const box = await script(`const r = document.querySelector(arguments[0]).getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + Math.min(r.height / 2, 30) };`, [list]);
  const target = { x: Math.round(win.x + box.x), y: Math.round(win.y + box.y) };

  // the other application's window, beside the app's (no window manager: windows go where they ask)
  const at = { x: win.x + win.width + 20, y: 100 };
  const other = spawn('/usr/bin/python3', [path.join(root, 'tests', 'e2e', 'drag-source.py'), file, String(at.x), String(at.y)], {
    env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let said = '';
  other.stdout.on('data', (chunk) => (said += chunk));
  try {
    await eventually('the drag source window', async () => (said.includes('ready') ? true : undefined), 10_000);
    await sleep(200);
    // press on it, move past GTK's drag threshold, then across to the list in steps (XDND follows the pointer)
    xdotool('mousemove', '--sync', at.x + 60, at.y + 60);
    xdotool('mousedown', 1);
    for (let i = 1; i <= 3; i++) {
      xdotool('mousemove', '--sync', at.x + 60 - i * 10, at.y + 60);
      await sleep(50);
    }
    for (let i = 1; i <= 10; i++) {
      const f = i / 10;
      xdotool('mousemove', '--sync', Math.round(at.x + 30 + (target.x - at.x - 30) * f), Math.round(at.y + 60 + (target.y - at.y - 60) * f));
      await sleep(60);
    }
    // a hand never holds still: WebKit fires dragover only for moves within one element
    for (const dx of [2, 4, 2]) {
      xdotool('mousemove', '--sync', target.x + dx, target.y);
      await sleep(100);
    }
    xdotool('mouseup', 1);
    await eventually('the drop to finish', async () => (/dropped|cancelled/.test(said) ? true : undefined), 10_000);
    assert.match(said, /dropped/, 'the app window accepted the drop');
  } finally {
    if (other.exitCode === null) other.kill('SIGTERM');
  }

  // the page got the file itself: imported into the library and listed under its own name
  const after = await eventually('the dropped file in the reference list', async () => {
    const now = await listed();
    return now.length === before.length + 1 && now.at(-1).loaded ? now : undefined;
  }).catch(async (error) => {
    const page = await script(`return { at: location.href, note: document.querySelector('[data-testid="painter"] .refs .note')?.textContent, drags: window.__drags };`);
    await screenshot('reference-drop-failed.png');
    throw new Error(`${error.message}; drag source: ${said.trim()}; target ${JSON.stringify(target)}; page ${JSON.stringify(page)}`);
  });
  const added = after.at(-1);
  assert.equal(added.label, 'pier sketch.png');
  await screenshot('reference-dropped-from-another-app.png');
  const id = /(?:thumb|image)(?:\/|%2F)([A-Za-z0-9_-]+)/.exec(added.src)?.[1];
  assert.ok(id, added.src);
  const mcp = await McpStdio.start(cli, env);
  try {
    const image = await mcp.call('get_image', { id });
    assert.equal(image.operation, 'import', JSON.stringify(image));
    assert.deepEqual([image.width, image.height], [1536, 1024], 'the dropped PNG’s own size');
    assert.notEqual(image.path, file, 'a copy in the library, not the dropped file');
  } finally {
    mcp.close();
  }
});
