// End-to-end test of the real desktop app: the debug binary (UI embedded from ui/dist) in a real
// WebKitGTK window, driven over W3C WebDriver by tauri-driver + WebKitWebDriver.
// Run it inside scripts/with-session.sh --display (virtual X server, private D-Bus, keyring);
// `make test-e2e` builds the binary and does that (EASEL_APP names the binary to test).
// The app gets throwaway config/data/library folders and no OpenAI credentials.
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
  };
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

  const port = await freePort();
  const nativePort = await freePort();
  const log = openSync(path.join(artifacts, 'tauri-driver.log'), 'w');
  driver = spawn(
    'tauri-driver',
    ['--port', String(port), '--native-port', String(nativePort), '--native-driver', nativeDriver],
    { stdio: ['ignore', log, log], env: appEnvironment() },
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
  if (home) rmSync(home, { recursive: true, force: true });
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

test('the empty gallery invites a first image, and a screenshot is kept', async () => {
  assert.equal(await textOf('[data-testid="empty-gallery"] h3'), 'No images yet');
  assert.match(await textOf('[data-testid="empty-gallery"] pre'), /^easel generate ".+"$/);

  await painted();
  const png = Buffer.from(await wd('GET', `/session/${session}/screenshot`), 'base64');
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  writeFileSync(path.join(artifacts, 'main-window.png'), png);
});

test('the window may call app_info and nothing from the Tauri core plugins', async () => {
  const outcomes = await wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      const call = (cmd) => window.__TAURI_INTERNALS__.invoke(cmd, {}).then(() => 'allowed', (e) => 'denied: ' + e);
      Promise.all(['app_info', 'plugin:app|version', 'plugin:window|title'].map(call)).then(done);`,
    args: [],
  });
  assert.equal(outcomes[0], 'allowed');
  assert.match(outcomes[1], /^denied: .*not allowed/, outcomes[1]);
  assert.match(outcomes[2], /^denied: .*not allowed/, outcomes[2]);
});
