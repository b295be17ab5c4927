// End-to-end test of the real desktop app: the debug binary (UI embedded from ui/dist) in a real
// WebKitGTK window, driven over W3C WebDriver by tauri-driver + WebKitWebDriver.
// Run it inside scripts/with-session.sh --display (virtual X server, private D-Bus, keyring);
// `make test-e2e` builds the binary and does that (EASEL_APP names the binary to test).
// The app gets throwaway config/data/library folders and no OpenAI credentials: its provider is a
// fake-openai server, its key is typed into the setup screen (landing in the session's keychain), and
// the `easel` CLI, run beside it on the same library, plays the other process whose images appear live.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

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
