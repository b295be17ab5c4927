// The only module that talks to the Rust side. Components import typed functions from here,
// never `@tauri-apps/api` directly, so every command the UI relies on is listed in one place.
// Types mirror the DTOs in src-tauri/src/commands.rs.
import { convertFileSrc, invoke } from '@tauri-apps/api/core';
import { listen, TauriEvent, type UnlistenFn } from '@tauri-apps/api/event';

/** Mirrors `easel_studio::commands::AppInfo`. */
export interface AppInfo {
  /** Product name, e.g. "Easel". */
  name: string;
  /** Version of the desktop app (the `easel-studio` crate). */
  version: string;
  /** Version of the core library (`easel::VERSION`). */
  core_version: string;
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>('app_info');
}

// ------------------------------------------------------------------------------------ gallery

export type Sort = 'newest' | 'oldest' | 'cost';

/** `easel::library::Query`: every field optional; newest first, 200 per page by default. */
export interface Query {
  text?: string | null;
  model?: string | null;
  starred?: boolean | null;
  session_id?: string | null;
  /** Created at or after (ms since the epoch). */
  from_ms?: number | null;
  /** Created before (ms since the epoch). */
  to_ms?: number | null;
  trashed?: boolean;
  sort?: Sort;
  limit?: number;
  offset?: number;
}

export interface Tile {
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

export interface GalleryPage {
  total: number;
  offset: number;
  tiles: Tile[];
}

export interface ImageDetail extends Tile {
  path: string;
  revised_prompt: string | null;
  provider: string;
  operation: string;
  format: string;
  bytes: number;
  session_id: string | null;
  turn_id: string | null;
  tags: string[];
  session_name: string | null;
  /** The metadata embedded in the file (`easel::metadata::ImageMeta`). */
  meta: Record<string, unknown> | null;
}

export interface Choice {
  id: string;
  label: string;
}

export interface FilterOptions {
  models: Choice[];
  sessions: Choice[];
}

export function galleryPage(query: Query): Promise<GalleryPage> {
  return invoke<GalleryPage>('gallery_page', { query });
}

export function imageDetail(id: string): Promise<ImageDetail> {
  return invoke<ImageDetail>('image_detail', { id });
}

export function setStarred(ids: string[], starred: boolean): Promise<Tile[]> {
  return invoke<Tile[]>('set_starred', { ids, starred });
}

export function trashImages(ids: string[]): Promise<number> {
  return invoke<number>('trash_images', { ids });
}

export function restoreImages(ids: string[]): Promise<number> {
  return invoke<number>('restore_images', { ids });
}

export function emptyTrash(): Promise<number> {
  return invoke<number>('empty_trash');
}

export function filterOptions(): Promise<FilterOptions> {
  return invoke<FilterOptions>('filter_options');
}

/** URL of an image's gallery thumbnail (the shell's `easel:` scheme, by id only). */
export function thumbUrl(id: string): string {
  return convertFileSrc(`thumb/${id}`, 'easel');
}

/** URL of the full image. */
export function imageUrl(id: string): string {
  return convertFileSrc(`image/${id}`, 'easel');
}

/** `easel::library::Event`: a change from this app, the CLI or an MCP server. */
export type LibraryEvent =
  | { kind: 'image_added' | 'image_changed' | 'image_removed' | 'session_changed' | 'job_changed'; id: string }
  | { kind: 'budget_changed' | 'reindexed' };

export function onLibraryEvent(handler: (event: LibraryEvent) => void): Promise<UnlistenFn> {
  return listen<LibraryEvent>('library-event', (e) => handler(e.payload));
}

// ---------------------------------------------------------------------------------- providers

export type KeyState = 'environment' | 'keychain' | 'not_set';

export interface ProviderStatus {
  name: string;
  kind: 'openai' | 'azure' | 'compatible';
  base_url: string;
  is_default: boolean;
  key: KeyState;
  problem: string | null;
}

export interface Providers {
  demo: boolean;
  providers: ProviderStatus[];
}

export interface ConnectionReport {
  url: string;
  ms: number;
  request_id: string | null;
}

export function providers(): Promise<Providers> {
  return invoke<Providers>('providers');
}

export function setKey(provider: string, key: string): Promise<Providers> {
  return invoke<Providers>('set_key', { provider, key });
}

export function deleteKey(provider: string): Promise<Providers> {
  return invoke<Providers>('delete_key', { provider });
}

export function testConnection(provider: string): Promise<ConnectionReport> {
  return invoke<ConnectionReport>('test_connection', { provider });
}

// ----------------------------------------------------------------------------------- settings

export interface Defaults {
  model?: string | null;
  size?: string | null;
  quality?: string | null;
  output_format?: string | null;
}

export interface Budget {
  daily_usd?: number | null;
  monthly_usd?: number | null;
}

/** `easel::settings::Choices`. */
export interface Choices {
  default_provider: string | null;
  library: string | null;
  defaults: Defaults;
  budget: Budget;
}

export interface SettingsView {
  choices: Choices;
  settings_path: string;
  library_root: string;
  spent_today_usd: number;
  spent_month_usd: number;
}

export function settings(): Promise<SettingsView> {
  return invoke<SettingsView>('settings');
}

export function saveSettings(choices: Choices): Promise<SettingsView> {
  return invoke<SettingsView>('save_settings', { choices });
}

// -------------------------------------------------------------------------------- MCP clients

export type McpClient = 'claude_desktop' | 'claude_code' | 'cursor';

/** `easel::connect::Connected`. */
export interface Connected {
  path: string;
  backup: string | null;
  /** false: the file already had this entry. */
  changed: boolean;
  snippet: string;
}

export function connectClient(client: McpClient): Promise<Connected> {
  return invoke<Connected>('connect_client', { client });
}

// ------------------------------------------------------------------------------ MCP endpoint

/** `easel_studio::endpoint::EndpointView`: the hosted MCP HTTP endpoint. The token never comes here. */
export type McpEndpoint = {
  enabled: boolean;
  /** The saved port; `null` means `default_port`. */
  port: number | null;
  default_port: number;
  url: string | null;
} & (
  | { state: 'stopped' }
  | { state: 'running'; address: string; token: 'environment' | 'keychain' | 'created' }
  | { state: 'failed'; message: string }
);

export function mcpEndpoint(): Promise<McpEndpoint> {
  return invoke<McpEndpoint>('mcp_endpoint');
}

/** Saves the switch and port and starts, moves or stops the endpoint at once. */
export function setMcpEndpoint(enabled: boolean, port: number | null): Promise<McpEndpoint> {
  return invoke<McpEndpoint>('set_mcp_endpoint', { enabled, port });
}

/** Puts the bearer token on the clipboard (done by the core; the token never reaches the UI). */
export function copyMcpToken(): Promise<void> {
  return invoke<void>('copy_mcp_token');
}

// --------------------------------------------------------------------------- image files

/** Puts the image's pixels on the system clipboard. */
export function copyImage(id: string): Promise<void> {
  return invoke<void>('copy_image', { id });
}

/** Puts the image's file path on the system clipboard; returns the path. */
export function copyImagePath(id: string): Promise<string> {
  return invoke<string>('copy_image_path', { id });
}

/** Opens the file manager with the image selected. */
export function revealImage(id: string): Promise<void> {
  return invoke<void>('reveal_image', { id });
}

// ----------------------------------------------------------------------------- provider list

/** `easel::settings::NewProvider`: the key is stored separately (`setKey`). */
export interface NewProvider {
  name: string;
  kind: 'azure' | 'compatible';
  base_url: string;
  deployment?: string | null;
  api_version?: string | null;
}

export function addProvider(provider: NewProvider): Promise<Providers> {
  return invoke<Providers>('add_provider', { provider });
}

export function removeProvider(name: string): Promise<Providers> {
  return invoke<Providers>('remove_provider', { name });
}

// ----------------------------------------------------------------------------------- generate

/** `easel::models::ImageParams` (every field optional: the core fills its defaults). */
export interface ImageParams {
  model?: string;
  /** `auto` or `WIDTHxHEIGHT`. */
  size?: string;
  quality?: 'auto' | 'low' | 'medium' | 'high';
  n?: number;
  output_format?: 'png' | 'jpeg' | 'webp';
  output_compression?: number | null;
  background?: 'auto' | 'opaque' | 'transparent';
  moderation?: 'auto' | 'low';
  stream?: boolean;
  partial_images?: number | null;
}

/** `easel_studio::generate::GenerateForm`. */
export interface GenerateForm {
  prompt: string;
  params: ImageParams;
  provider?: string | null;
  session_id?: string | null;
  parent_turn_id?: string | null;
  /** Library ids of the images to edit (the mask applies to the first). */
  inputs?: string[];
  mask_path?: string | null;
}

export type JobState = 'queued' | 'running' | 'partial' | 'saving' | 'done' | 'failed' | 'cancelled';

export interface QueuedJob {
  id: string;
  state: JobState;
}

/** The live check under the form: an estimate, or why the form cannot be sent. */
export interface FormCheck {
  estimate_usd: number | null;
  problem: string | null;
}

/** `easel_studio::generate::QueueEventDto`. */
export type QueueEvent =
  | { kind: 'state'; job_id: string; state: JobState; error: string | null; images: string[] }
  | { kind: 'partial'; job_id: string; index: number; data_url: string };

export function generate(form: GenerateForm): Promise<QueuedJob> {
  return invoke<QueuedJob>('generate', { form });
}

export function checkForm(form: GenerateForm): Promise<FormCheck> {
  return invoke<FormCheck>('check_form', { form });
}

export function cancelJob(jobId: string): Promise<boolean> {
  return invoke<boolean>('cancel_job', { jobId });
}

export function cancelPending(): Promise<number> {
  return invoke<number>('cancel_pending');
}

export function retryJob(jobId: string): Promise<QueuedJob> {
  return invoke<QueuedJob>('retry_job', { jobId });
}

export function onQueueEvent(handler: (event: QueueEvent) => void): Promise<UnlistenFn> {
  return listen<QueueEvent>('queue-event', (e) => handler(e.payload));
}

// ----------------------------------------------------------------------------------- sessions

/** `easel::session::Session`. */
export interface Session {
  id: string;
  name: string;
  created_ms: number;
  updated_ms: number;
  archived: boolean;
  turns: number;
  cost_usd: number;
}

/** `easel::session::Turn` (the fields the timeline reads). */
export interface Turn {
  id: string;
  session_id: string;
  parent_id: string | null;
  prompt: string;
  params: ImageParams;
  inputs: string[];
  has_mask: boolean;
  created_ms: number;
  cost_usd: number;
  images: string[];
}

export interface SessionTree {
  session: Session;
  turns: Turn[];
}

export function sessions(includeArchived: boolean): Promise<Session[]> {
  return invoke<Session[]>('sessions', { includeArchived });
}

export function sessionTree(id: string): Promise<SessionTree> {
  return invoke<SessionTree>('session_tree', { id });
}

export function createSession(name: string): Promise<Session> {
  return invoke<Session>('create_session', { name });
}

export function renameSession(id: string, name: string): Promise<Session> {
  return invoke<Session>('rename_session', { id, name });
}

export function archiveSession(id: string, archived: boolean): Promise<Session> {
  return invoke<Session>('archive_session', { id, archived });
}

// ------------------------------------------------------------------------------ mask painter

/** `easel::library::SavedMask`: a mask written into the library's masks folder. */
export interface SavedMask {
  /** File name in the masks folder (what `compositeMask` takes). */
  name: string;
  path: string;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Sends what was painted over image `imageId` (one byte per pixel, 255 = painted, `width × height`) as
 * a raw IPC body, no JSON; the core saves it as OpenAI's mask at the image's natural size.
 */
export function exportMask(imageId: string, coverage: Uint8Array, width: number, height: number, invert: boolean): Promise<SavedMask> {
  return invoke<SavedMask>('export_mask', coverage, {
    headers: {
      'x-easel-image': imageId,
      'x-easel-width': String(width),
      'x-easel-height': String(height),
      'x-easel-invert': invert ? '1' : '0',
    },
  });
}

/** The edit `editedId` put back over `originalId` inside the saved mask `mask`: a new library image. */
export function compositeMask(originalId: string, editedId: string, mask: string): Promise<Tile> {
  return invoke<Tile>('composite_mask', { originalId, editedId, mask });
}

/**
 * A file dropped or pasted in from outside the library (PNG, JPEG or WebP, under 50 MB) added to the
 * library as an imported image; its bytes go as a raw IPC body, its name percent-encoded in a header.
 * The core refuses anything else with a message naming the file, and then writes nothing.
 */
export async function importImage(file: File): Promise<Tile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<Tile>('import_image', bytes, {
    headers: { 'x-easel-name': encodeURIComponent(file.name || 'pasted image') },
  });
}

/** `import_file`: the file at an absolute path (a file manager's drop) as a new library image. */
export function importFile(path: string): Promise<Tile> {
  return invoke<Tile>('import_file', { path });
}

/** A drag of files from another application over the window: where (CSS pixels in the page), and on
 * `drop` their absolute paths. Tauri's native drop handler reports these instead of page drag events
 * (without it, WebKitGTK gives the page neither the files' bytes nor their paths). */
export type FileDrag = { kind: 'over'; x: number; y: number } | { kind: 'drop'; x: number; y: number; paths: string[] } | { kind: 'leave' };

export async function onFileDrag(handler: (drag: FileDrag) => void): Promise<UnlistenFn> {
  type At = { position: { x: number; y: number } };
  const css = ({ position }: At) => {
    const scale = window.devicePixelRatio || 1;
    return { x: position.x / scale, y: position.y / scale };
  };
  const stops = await Promise.all([
    listen<At>(TauriEvent.DRAG_ENTER, (e) => handler({ kind: 'over', ...css(e.payload) })),
    listen<At>(TauriEvent.DRAG_OVER, (e) => handler({ kind: 'over', ...css(e.payload) })),
    listen<At & { paths: string[] }>(TauriEvent.DRAG_DROP, (e) => handler({ kind: 'drop', ...css(e.payload), paths: e.payload.paths })),
    listen(TauriEvent.DRAG_LEAVE, () => handler({ kind: 'leave' })),
  ]);
  return () => stops.forEach((stop) => stop());
}

// -------------------------------------------------------------------------------------- costs

/** `easel::ledger::Total`. */
export interface CostTotal {
  key: string;
  cost_usd: number;
  calls: number;
}

export interface SessionCost {
  id: string;
  name: string | null;
  cost_usd: number;
  calls: number;
}

/** Mirrors `easel_studio::costs::CostSummary`. */
export interface CostSummary {
  /** Newest day first, `YYYY-MM-DD`. */
  days: CostTotal[];
  models: CostTotal[];
  sessions: SessionCost[];
  spent_today_usd: number;
  spent_month_usd: number;
  budget: Budget;
}

export function costSummary(): Promise<CostSummary> {
  return invoke<CostSummary>('cost_summary');
}
