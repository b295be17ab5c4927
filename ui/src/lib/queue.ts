// The generate panel's queue tiles and prompt history: pure state, no IPC (see GeneratePanel.svelte).
import type { JobState, QueueEvent } from '../api';

export interface QueueTile {
  id: string;
  prompt: string;
  state: JobState;
  /** The latest partial image (a data URL), shown until the final one lands. */
  partial: string | null;
  partials: number;
  error: string | null;
  images: string[];
  /** Set when the job was a masked edit from the painter: what "Keep changes inside the mask only" needs. */
  masked: MaskedEdit | null;
  /** Each edited image's composite (a new library image), by the edited image's id. */
  composites: Record<string, string>;
  /** A composite in progress. */
  compositing: boolean;
  compositeError: string | null;
}

/** The original image and the saved mask (its name in the library's masks folder) an edit was sent with. */
export interface MaskedEdit {
  originalId: string;
  mask: string;
}

/** One `compositeMask` call: the edit `editedId` put back over `originalId` inside `mask`. */
export interface CompositeCall {
  originalId: string;
  editedId: string;
  mask: string;
}

/** Continue a session from one of its turns: the new job edits that turn's image and becomes its child. */
export interface Continuation {
  sessionId: string;
  sessionName: string;
  turnId: string;
  /** The turn's image, edited by the new prompt (none: a new generation in the session). */
  imageId: string | null;
}

const FINAL: JobState[] = ['done', 'failed', 'cancelled'];

export function isFinal(state: JobState): boolean {
  return FINAL.includes(state);
}

/** A new tile for a job the panel just queued (`masked`: it was sent with a painted mask). */
export function queued(id: string, prompt: string, masked: MaskedEdit | null = null): QueueTile {
  return {
    id,
    prompt,
    state: 'queued',
    partial: null,
    partials: 0,
    error: null,
    images: [],
    masked,
    composites: {},
    compositing: false,
    compositeError: null,
  };
}

/** The composites still to make for a finished masked edit: one per edited image without one yet. */
export function compositeCalls(tile: QueueTile): CompositeCall[] {
  const { masked } = tile;
  if (!masked || tile.state !== 'done') return [];
  return tile.images
    .filter((id) => !(id in tile.composites))
    .map((editedId) => ({ originalId: masked.originalId, editedId, mask: masked.mask }));
}

/** The tiles with tile `id` changed by `change` (the others untouched). */
export function updateTile(tiles: QueueTile[], id: string, change: (tile: QueueTile) => Partial<QueueTile>): QueueTile[] {
  return tiles.map((tile) => (tile.id === id ? { ...tile, ...change(tile) } : tile));
}

/** The tiles after `event`; events of jobs this panel did not queue are ignored. A late state event
 * never moves a finished job back (partials are shrunk off-thread and may arrive after `done`). */
export function applyEvent(tiles: QueueTile[], event: QueueEvent): QueueTile[] {
  return tiles.map((tile) => {
    if (tile.id !== event.job_id) return tile;
    if (event.kind === 'partial') {
      if (isFinal(tile.state)) return tile;
      return { ...tile, partial: event.data_url, partials: Math.max(tile.partials, event.index + 1) };
    }
    if (isFinal(tile.state)) return tile;
    return { ...tile, state: event.state, error: event.error, images: event.images.length ? event.images : tile.images };
  });
}

/** Jobs still waiting for a slot (what "Cancel pending" cancels). */
/** The size an edit of a `width`×`height` image asks for: the same when it is one of `presets`, otherwise
 * `auto` (the model picks one near the image's shape) — never a square crop of a landscape picture. */
export function editSize(width: number, height: number, presets: readonly string[]): string {
  const same = `${width}x${height}`;
  return presets.includes(same) && same !== 'auto' ? same : 'auto';
}

export function pendingCount(tiles: QueueTile[]): number {
  return tiles.filter((t) => t.state === 'queued').length;
}

/** Earlier prompts, newest last; ↑/↓ walk through them like a shell. Kept apart from the library, so
 * deleting images never loses a prompt. */
export class PromptHistory {
  #items: string[];
  #cursor: number;
  readonly limit: number;

  constructor(items: string[] = [], limit = 200) {
    this.limit = limit;
    this.#items = items.slice(-limit);
    this.#cursor = this.#items.length;
  }

  get items(): readonly string[] {
    return this.#items;
  }

  /** Records a sent prompt (an immediate repeat is kept once) and resets the walk. */
  push(prompt: string): void {
    const text = prompt.trim();
    if (text && this.#items[this.#items.length - 1] !== text) {
      this.#items.push(text);
      if (this.#items.length > this.limit) this.#items.shift();
    }
    this.#cursor = this.#items.length;
  }

  /** The previous prompt (↑), or null at the oldest. */
  up(): string | null {
    if (this.#cursor === 0) return null;
    this.#cursor -= 1;
    return this.#items[this.#cursor] ?? null;
  }

  /** The next prompt (↓); past the newest, an empty prompt. */
  down(): string | null {
    if (this.#cursor >= this.#items.length) return null;
    this.#cursor += 1;
    return this.#items[this.#cursor] ?? '';
  }
}
