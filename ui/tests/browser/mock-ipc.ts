// Runs in the page before the app: routes `invoke` through `mockIPC` from @tauri-apps/api, with a
// small in-memory core behind it (a library of `images` generated items, keys, settings).
// The answers come from `window.__EASEL_MOCK__`, set by an earlier init script (see fixtures.ts).
import { emit } from '@tauri-apps/api/event';
import { mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';

export interface MockConfig {
  appInfo?: { name: string; version: string; core_version: string };
  failWith?: string;
  /** How many images the fake library holds (generated on demand). */
  images?: number;
  /** Whether the default provider has a key. */
  keySet?: boolean;
  demo?: boolean;
  /** A port the mock's MCP endpoint cannot listen on ("in use"). */
  busyPort?: number;
  /** Natural width and height of every image (1024 by default). */
  imageEdge?: number;
  /** How many `composite_mask` calls fail (as the core would, e.g. a full disk) before they work. */
  compositeFailures?: number;
  /** How long each generate job runs (600 ms by default); its two partials come at ⅓ and ⅔ of it. */
  jobMs?: number;
}

interface Tile {
  id: string;
  prompt: string;
  model: string;
  width: number;
  height: number;
  created_ms: number;
  cost_usd: number;
  starred: boolean;
  trashed: boolean;
}

type Args = Record<string, unknown>;

const target = window as unknown as {
  __EASEL_MOCK__?: MockConfig;
  __EASEL_CALLS__: string[];
  /** Every invoke with its arguments, in order. */
  __EASEL_INVOKES__: { cmd: string; args: Args }[];
  __EASEL_ADD__: (prompt: string, tile?: Partial<Tile>) => Promise<string>;
};
const config: MockConfig = { keySet: true, images: 0, ...target.__EASEL_MOCK__ };
target.__EASEL_CALLS__ = [];
target.__EASEL_INVOKES__ = [];

const SUBJECTS = ['red fox in the snow', 'lighthouse at dusk', 'owl at night', 'city skyline', 'bowl of lemons'];
const MODELS = ['gpt-image-2', 'gpt-image-1.5', 'gpt-image-1'];
const BASE_MS = Date.UTC(2026, 10, 30, 12, 0, 0);

const starred = new Set<string>();
const trashed = new Set<string>();
const deleted = new Set<string>();
const added: Tile[] = [];
let keySet = !!config.keySet;
const connected = new Set<string>();
let choices = { default_provider: 'openai', library: null, defaults: {}, budget: {} } as Record<string, unknown>;

function generated(i: number): Tile {
  const id = `img${i}`;
  return {
    id,
    prompt: `${SUBJECTS[i % SUBJECTS.length]} #${i}`,
    model: MODELS[i % MODELS.length]!,
    width: config.imageEdge ?? 1024,
    height: config.imageEdge ?? 1024,
    created_ms: BASE_MS - i * 60_000,
    cost_usd: 0.04 + (i % 7) / 100,
    starred: starred.has(id),
    trashed: trashed.has(id),
  };
}

/** Every tenth image, from the fourth on, belongs to one session. */
const sessionOf = (id: string) => (/^img\d*3$/.test(id) ? 's_fox' : null);

function* everything(): Generator<Tile> {
  for (const t of added) yield { ...t, starred: starred.has(t.id), trashed: trashed.has(t.id) };
  for (let i = 0; i < (config.images ?? 0); i++) {
    if (!deleted.has(`img${i}`)) yield generated(i);
  }
}

function find(id: string): Tile | undefined {
  for (const t of everything()) if (t.id === id) return t;
  return undefined;
}

function search(q: Args) {
  const words = String(q['text'] ?? '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const matches: Tile[] = [];
  for (const t of everything()) {
    if (t.trashed !== !!q['trashed']) continue;
    if (q['model'] && t.model !== q['model']) continue;
    if (q['session_id'] && sessionOf(t.id) !== q['session_id']) continue;
    if (q['starred'] === true && !t.starred) continue;
    if (typeof q['from_ms'] === 'number' && t.created_ms < q['from_ms']) continue;
    if (typeof q['to_ms'] === 'number' && t.created_ms >= q['to_ms']) continue;
    const haystack = t.prompt.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    if (!words.every((w) => haystack.some((h) => h.startsWith(w)))) continue;
    matches.push(t);
  }
  if (q['sort'] === 'oldest') matches.reverse();
  const offset = Number(q['offset'] ?? 0);
  const limit = Number(q['limit'] ?? 200);
  return { total: matches.length, offset, tiles: matches.slice(offset, offset + limit) };
}

/** Providers added in Settings (besides the built-in openai). */
const extraProviders: { name: string; kind: string; base_url: string }[] = [];
let libraryRoot = '/home/me/Pictures/Easel';

function providers() {
  return {
    demo: !!config.demo,
    providers: [
      {
        name: 'openai',
        kind: 'openai',
        base_url: 'https://api.openai.com/v1',
        is_default: true,
        key: keySet ? 'keychain' : 'not_set',
        problem: null,
      },
      ...extraProviders.map((p) => ({ ...p, is_default: false, key: 'not_set', problem: null })),
    ],
  };
}

function answer(cmd: string, args: Args): unknown {
  switch (cmd) {
    case 'app_info':
      if (config.failWith) throw new Error(config.failWith);
      return config.appInfo;
    case 'gallery_page':
      return search(args['query'] as Args);
    case 'image_detail': {
      const t = find(String(args['id']));
      if (!t) throw `unknown image id '${String(args['id'])}'`;
      return {
        ...t,
        path: `/home/me/Pictures/Easel/2026/11/${t.id}.png`,
        revised_prompt: null,
        provider: 'openai',
        operation: 'generate',
        format: 'png',
        bytes: 1_234_567,
        session_id: sessionOf(t.id),
        turn_id: null,
        tags: [],
        session_name: sessionOf(t.id) ? 'Fox studies' : null,
        meta: { params: { quality: 'high', size: '1024x1024' }, request_id: 'req_mock' },
      };
    }
    case 'set_starred': {
      const ids = args['ids'] as string[];
      for (const id of ids) {
        if (args['starred']) starred.add(id);
        else starred.delete(id);
      }
      return ids.map((id) => find(id));
    }
    case 'trash_images':
      for (const id of args['ids'] as string[]) trashed.add(id);
      return (args['ids'] as string[]).length;
    case 'restore_images':
      for (const id of args['ids'] as string[]) trashed.delete(id);
      return (args['ids'] as string[]).length;
    case 'empty_trash': {
      const n = trashed.size;
      for (const id of trashed) deleted.add(id);
      for (let i = added.length - 1; i >= 0; i--) if (trashed.has(added[i]!.id)) added.splice(i, 1);
      trashed.clear();
      return n;
    }
    case 'filter_options':
      return { models: MODELS.map((m) => ({ id: m, label: m })), sessions: [{ id: 's_fox', label: 'Fox studies' }] };
    case 'providers':
      return providers();
    case 'set_key':
      keySet = true;
      return providers();
    case 'delete_key':
      keySet = false;
      return providers();
    case 'test_connection':
      if (!keySet) throw "no API key for provider 'openai'";
      return { url: 'https://api.openai.com/v1/models', ms: 42, request_id: 'req_1' };
    case 'settings':
      return {
        choices,
        settings_path: '/home/me/.local/share/app.easel.studio/settings.json',
        library_root: libraryRoot,
        spent_today_usd: 0.42,
        spent_month_usd: 3.1,
      };
    case 'save_settings': {
      choices = args['choices'] as Record<string, unknown>;
      const library = choices['library'];
      if (typeof library === 'string' && !library.startsWith('/')) {
        throw `the library folder must be an absolute path (like /home/you/Pictures/Easel), not '${library}'`;
      }
      if (typeof library === 'string' && library !== libraryRoot) {
        libraryRoot = library;
        config.images = 0; // the new folder is empty
        added.length = 0;
        void emit('library-event', { kind: 'reindexed' });
      }
      return answer('settings', {});
    }
    case 'add_provider': {
      const p = args['provider'] as { name: string; kind: string; base_url: string };
      if (extraProviders.some((e) => e.name === p.name)) throw `a provider named '${p.name}' already exists`;
      if (!/^https?:\/\//.test(p.base_url)) throw `provider '${p.name}': base URL must start with https://`;
      extraProviders.push({ name: p.name, kind: p.kind, base_url: p.base_url });
      return providers();
    }
    case 'remove_provider':
      extraProviders.splice(
        extraProviders.findIndex((e) => e.name === args['name']),
        1,
      );
      return providers();
    case 'connect_client': {
      const client = String(args['client']);
      const first = !connected.has(client);
      connected.add(client);
      return {
        path: client === 'cursor' ? '/home/me/.cursor/mcp.json' : `/home/me/${client}.json`,
        backup: first ? `/home/me/${client}.json.easel-backup-20261130-120000` : null,
        changed: first,
        snippet: '{\n  "mcpServers": {\n    "easel": {\n      "command": "/usr/bin/easel-studio",\n      "args": ["mcp"]\n    }\n  }\n}',
      };
    }
    case 'copy_image':
    case 'reveal_image':
      if (!find(String(args['id']))) throw `unknown image id '${String(args['id'])}'`;
      return null;
    case 'copy_image_path':
      return `/home/me/Pictures/Easel/2026/11/${String(args['id'])}.png`;
    case 'mcp_endpoint':
    case 'set_mcp_endpoint':
    case 'copy_mcp_token':
      return endpointAnswer(cmd, args);
    case 'sessions':
    case 'create_session':
    case 'session_tree':
    case 'rename_session':
    case 'archive_session':
      return sessionsAnswer(cmd, args);
    case 'check_form':
    case 'generate':
    case 'cancel_job':
    case 'cancel_pending':
    case 'retry_job':
      return queueAnswer(cmd, args);
    case 'export_mask':
    case 'composite_mask':
    case 'import_image':
    case 'import_file':
    case 'cost_summary':
      return painterAnswer(cmd, args);
    default:
      throw new Error(`command not mocked in browser tests: ${cmd}`);
  }
}

// The hosted MCP endpoint: stopped until switched on; `busyPort` stands for a port in use.
const endpoint = { enabled: false, port: null as number | null };

function endpointAnswer(cmd: string, args: Args): unknown {
  if (cmd === 'copy_mcp_token') return null;
  if (cmd === 'set_mcp_endpoint') {
    endpoint.enabled = !!args['enabled'];
    endpoint.port = (args['port'] as number | null) ?? null;
  }
  const port = endpoint.port ?? 8765;
  const base = { enabled: endpoint.enabled, port: endpoint.port, default_port: 8765 };
  if (!endpoint.enabled) return { ...base, state: 'stopped', url: null };
  if (port === config.busyPort) {
    return { ...base, state: 'failed', url: null, message: `port ${port} is in use: choose another port` };
  }
  const address = `127.0.0.1:${port}`;
  return { ...base, state: 'running', address, token: 'keychain', url: `http://${address}/mcp` };
}

// The generate queue: one slot; each job runs `JOB_MS`, streams two partials, then lands in the library.
const JOB_MS = config.jobMs ?? 600;
const PARTIAL = 'data:image/svg+xml;base64,' + btoa('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#c84"/></svg>');
interface MockJob {
  id: string;
  prompt: string;
  state: string;
}
const jobs: MockJob[] = [];
let running: MockJob | null = null;

function setState(job: MockJob, state: string, images: string[] = [], error: string | null = null) {
  job.state = state;
  void emit('queue-event', { kind: 'state', job_id: job.id, state, error, images });
}

function runNext() {
  if (running) return;
  const job = jobs.find((j) => j.state === 'queued');
  if (!job) return;
  running = job;
  setState(job, 'running');
  [1, 2].forEach((i) =>
    setTimeout(() => {
      if (job.state !== 'running' && job.state !== 'partial') return;
      setState(job, 'partial');
      void emit('queue-event', { kind: 'partial', job_id: job.id, index: i - 1, data_url: PARTIAL });
    }, (JOB_MS * i) / 3),
  );
  setTimeout(() => {
    running = null;
    if (job.state === 'running' || job.state === 'partial') {
      void target.__EASEL_ADD__(job.prompt).then((id) => setState(job, 'done', [id]));
    }
    runNext();
  }, JOB_MS);
}

function queueAnswer(cmd: string, args: Args): unknown {
  const form = (args['form'] ?? {}) as { prompt?: string; params?: { size?: string; n?: number } };
  switch (cmd) {
    case 'check_form': {
      const size = form.params?.size ?? 'auto';
      const m = /^(\d+)x(\d+)$/.exec(size);
      if (size !== 'auto' && (!m || Number(m[1]) % 16 || Number(m[2]) % 16)) {
        return { estimate_usd: null, problem: `size ${size}: both edges must be multiples of 16` };
      }
      return { estimate_usd: 0.042 * (form.params?.n ?? 1), problem: null };
    }
    case 'generate': {
      const job = { id: `job${jobs.length + 1}`, prompt: form.prompt ?? '', state: 'queued' };
      jobs.push(job);
      setTimeout(runNext, 0);
      return { id: job.id, state: 'queued' };
    }
    case 'cancel_job': {
      const job = jobs.find((j) => j.id === args['jobId']);
      if (!job || ['done', 'failed', 'cancelled'].includes(job.state)) return false;
      setState(job, 'cancelled');
      return true;
    }
    case 'cancel_pending': {
      const pending = jobs.filter((j) => j.state === 'queued');
      pending.forEach((j) => setState(j, 'cancelled'));
      return pending.length;
    }
    default: {
      const old = jobs.find((j) => j.id === args['jobId']);
      if (!old) throw `no queued job with id '${String(args['jobId'])}'`;
      const job = { id: `job${jobs.length + 1}`, prompt: old.prompt, state: 'queued' };
      jobs.push(job);
      setTimeout(runNext, 0);
      return { id: job.id, state: 'queued' };
    }
  }
}

// One session, "Fox studies": turn 1 → turn 2 → turn 3, each with an image.
const fox = { id: 's_fox', name: 'Fox studies', created_ms: BASE_MS, updated_ms: BASE_MS, archived: false, turns: 3, cost_usd: 0.12 };
const foxTurns = ['a red fox', 'the fox at dusk', 'the fox in snow'].map((prompt, i) => ({
  id: `t${i + 1}`,
  session_id: 's_fox',
  parent_id: i === 0 ? null : `t${i}`,
  prompt,
  params: {},
  inputs: [],
  has_mask: false,
  created_ms: BASE_MS + i * 60_000,
  cost_usd: 0.04,
  images: [`img${i * 10 + 3}`],
}));

/** Sessions made with `create_session` (no turns), newest first. */
const madeSessions: (typeof fox)[] = [];

function sessionsAnswer(cmd: string, args: Args): unknown {
  if (cmd === 'create_session') {
    const name = String(args['name'] ?? '').trim();
    if (!name) throw 'a session needs a name';
    const made = { ...fox, id: `s_made${madeSessions.length + 1}`, name, turns: 0, cost_usd: 0 };
    madeSessions.unshift(made);
    return made;
  }
  if (cmd === 'sessions') return [...madeSessions, ...(fox.archived && !args['includeArchived'] ? [] : [fox])];
  if (args['id'] !== fox.id) throw `no session with id '${String(args['id'])}'`;
  if (cmd === 'rename_session') fox.name = String(args['name']);
  if (cmd === 'archive_session') fox.archived = !!args['archived'];
  return cmd === 'session_tree' ? { session: fox, turns: foxTurns } : fox;
}

mockConvertFileSrc('windows'); // http://easel.localhost/…: a URL Playwright can intercept and count
mockIPC(
  (cmd, payload) => {
    target.__EASEL_CALLS__.push(cmd);
    target.__EASEL_INVOKES__.push({ cmd, args: (payload ?? {}) as Args });
    return answer(cmd, (payload ?? {}) as Args);
  },
  { shouldMockEvents: true },
);

/** Files dragged in from another application and dropped at (x, y) in CSS pixels: what Tauri's native
 * drop handler reports in the desktop window (physical pixels, absolute paths). */
(window as unknown as { __EASEL_FILE_DROP__: unknown }).__EASEL_FILE_DROP__ = async (paths: string[], x: number, y: number) => {
  const position = { x: x * window.devicePixelRatio, y: y * window.devicePixelRatio };
  await emit('tauri://drag-enter', { paths, position });
  await emit('tauri://drag-over', { position });
  await emit('tauri://drag-drop', { paths, position });
};

/** Another process (the CLI, an MCP server) adds an image: the core's change event follows. */
target.__EASEL_ADD__ = async (prompt: string, tile: Partial<Tile> = {}) => {
  const id = `new${added.length}`;
  added.unshift({
    id,
    prompt,
    model: 'gpt-image-2',
    width: 1024,
    height: 1024,
    created_ms: Date.now(),
    cost_usd: 0.05,
    starred: false,
    trashed: false,
    ...tile,
  });
  await emit('library-event', { kind: 'image_added', id });
  return id;
};

// ------------------------------------------------------------------ mask painter and cost view

interface ExportedMask {
  bytes: Uint8Array;
  headers: Record<string, string>;
}

const painterTarget = window as unknown as { __EASEL_MASKS__: ExportedMask[]; __EASEL_IMPORTS__: { name: string; bytes: number }[] };
painterTarget.__EASEL_MASKS__ = [];
/** Files imported with `import_image`: their names and sizes. */
painterTarget.__EASEL_IMPORTS__ = [];
/** The headers of the invoke in progress (mockIPC hands its handler the payload only). */
let lastHeaders: Record<string, string> = {};
{
  const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: (c: string, a: unknown, o?: { headers?: unknown }) => Promise<unknown> } }).__TAURI_INTERNALS__;
  const inner = internals.invoke;
  internals.invoke = (cmd, args, options) => {
    const h = options?.headers;
    lastHeaders = h instanceof Headers ? Object.fromEntries(h.entries()) : ((h ?? {}) as Record<string, string>);
    return inner(cmd, args, options);
  };
}

function painterAnswer(cmd: string, args: unknown): unknown {
  switch (cmd) {
    case 'export_mask': {
      if (!(args instanceof Uint8Array)) throw 'the mask export must be sent as raw bytes';
      const width = Number(lastHeaders['x-easel-width']);
      const height = Number(lastHeaders['x-easel-height']);
      if (args.length !== width * height) throw `the painted mask is ${width}x${height} but carries ${args.length} bytes`;
      painterTarget.__EASEL_MASKS__.push({ bytes: args.slice(), headers: { ...lastHeaders } });
      const id = lastHeaders['x-easel-image'];
      const name = `${id}-${painterTarget.__EASEL_MASKS__.length}.png`;
      return { name, path: `/home/me/Pictures/Easel/.easel/masks/${name}`, width, height, bytes: 2345 };
    }
    case 'composite_mask': {
      // like `Library::add_composite`: both images and the saved mask must exist; the result is a new image
      const { originalId, editedId, mask } = args as Args;
      for (const id of [originalId, editedId]) if (!find(String(id))) throw `unknown image id '${String(id)}'`;
      const masks = painterTarget.__EASEL_MASKS__.map((m, i) => `${m.headers['x-easel-image']}-${i + 1}.png`);
      if (!masks.includes(String(mask))) throw `no saved mask named '${String(mask)}'`;
      if ((config.compositeFailures ?? 0) > 0) {
        config.compositeFailures! -= 1;
        throw 'could not write the composite: no space left on device';
      }
      const original = find(String(originalId))!;
      return target.__EASEL_ADD__(`${original.prompt} (edit inside the mask)`).then((id) => find(id));
    }
    case 'import_image': {
      // like `Library::import_image`: raw bytes of a PNG, JPEG or WebP (by content), else refused, nothing added
      if (!(args instanceof Uint8Array)) throw 'an imported image must be sent as its file\'s raw bytes, not JSON';
      const name = decodeURIComponent(lastHeaders['x-easel-name'] ?? 'the image');
      const starts = (magic: number[], at = 0) => magic.every((b, i) => args[at + i] === b);
      const image =
        starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) || starts([0xff, 0xd8, 0xff]) || (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8));
      if (!image) throw `${name} is not a PNG, JPEG or WebP image (the formats OpenAI accepts)`;
      painterTarget.__EASEL_IMPORTS__.push({ name, bytes: args.length });
      const edge = 64;
      return target.__EASEL_ADD__('', { model: '', width: edge, height: edge, cost_usd: 0 }).then((id) => find(id));
    }
    case 'import_file': {
      // like `Library::import_file`: an absolute path to an image (here: by its extension), else refused
      const path = String((args as { path?: string }).path ?? '');
      const name = path.split('/').pop() ?? path;
      if (!path.startsWith('/')) throw `${path} is not an absolute path`;
      if (!/\.(png|jpe?g|webp)$/i.test(name)) throw `cannot read image ${path}: not a PNG, JPEG or WebP image`;
      painterTarget.__EASEL_IMPORTS__.push({ name, bytes: 0 });
      return target.__EASEL_ADD__('', { model: '', width: 64, height: 64, cost_usd: 0 }).then((id) => find(id));
    }
    case 'cost_summary': {
      const today = new Date();
      const day = (back: number) => {
        const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() - back);
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      };
      return {
        days: [0, 1, 2, 4, 7, 8, 12, 20].map((back, i) => ({ key: day(back), cost_usd: [0.42, 1.2, 0.3, 2.05, 0.8, 0.16, 1.5, 0.9][i], calls: i + 2 })),
        models: [
          { key: 'gpt-image-2', cost_usd: 5.12, calls: 61 },
          { key: 'gpt-image-1.5', cost_usd: 1.61, calls: 23 },
          { key: 'gpt-image-1', cost_usd: 0.6, calls: 9 },
        ],
        sessions: [
          { id: 's_fox', name: 'Fox studies', cost_usd: 2.4, calls: 30 },
          { id: '-', name: null, cost_usd: 1.9, calls: 25 },
          { id: 's_gone', name: null, cost_usd: 0.7, calls: 8 },
        ],
        spent_today_usd: 0.42,
        spent_month_usd: 7.33,
        budget: { daily_usd: 1, monthly_usd: 20 },
      };
    }
  }
  return null;
}
