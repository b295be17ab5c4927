// Undo and redo as patches: a step keeps only the 64×64 tiles it changed, before and after, never a copy
// of the whole mask. While a stroke runs, `touch` saves each tile the first time it is about to change;
// `commit` turns those into one step. Invert is a step of its own with no pixels at all.
import { type Coverage, type Rect } from './coverage';

export const TILE = 64;
/** At least this many steps are kept; more while they fit in `budgetBytes`. */
export const MIN_STEPS = 50;

interface Tile {
  rect: Rect;
  before: Uint8Array;
  after: Uint8Array;
}

export type Step = { kind: 'patch'; tiles: Tile[]; rect: Rect } | { kind: 'invert' };

export class History {
  private undone: Step[] = [];
  private done: Step[] = [];
  private pending = new Map<number, { rect: Rect; before: Uint8Array }>();

  constructor(
    private readonly coverage: Coverage,
    private readonly budgetBytes = 512 * 1024 * 1024,
  ) {}

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  get steps(): number {
    return this.done.length;
  }

  /** Call before changing the pixels under `rect`: saves the tiles it covers that this step has not seen. */
  touch(rect: Rect): void {
    const cols = Math.ceil(this.coverage.width / TILE);
    const tx1 = Math.floor((rect.x + rect.w - 1) / TILE);
    const ty1 = Math.floor((rect.y + rect.h - 1) / TILE);
    for (let ty = Math.floor(rect.y / TILE); ty <= ty1; ty++) {
      for (let tx = Math.floor(rect.x / TILE); tx <= tx1; tx++) {
        const key = ty * cols + tx;
        if (this.pending.has(key)) continue;
        const tile = this.coverage.clip({ x: tx * TILE, y: ty * TILE, w: TILE, h: TILE });
        if (tile) this.pending.set(key, { rect: tile, before: this.coverage.read(tile) });
      }
    }
  }

  /** Ends the step begun by the first `touch`: it becomes undoable and the redo list is dropped. */
  commit(): void {
    if (this.pending.size === 0) return;
    const tiles: Tile[] = [];
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const { rect, before } of this.pending.values()) {
      const after = this.coverage.read(rect);
      if (after.every((v, i) => v === before[i])) continue;
      tiles.push({ rect, before, after });
      x0 = Math.min(x0, rect.x);
      y0 = Math.min(y0, rect.y);
      x1 = Math.max(x1, rect.x + rect.w);
      y1 = Math.max(y1, rect.y + rect.h);
    }
    this.pending.clear();
    if (tiles.length) this.push({ kind: 'patch', tiles, rect: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } });
  }

  /** Records an invert that already happened. */
  inverted(): void {
    this.commit();
    this.push({ kind: 'invert' });
  }

  /** Reverts the last step; returns the area to redraw (null: nothing to undo). */
  undo(): Rect | null | 'all' {
    this.commit();
    const step = this.done.pop();
    if (!step) return null;
    this.undone.push(step);
    return this.apply(step, 'before');
  }

  redo(): Rect | null | 'all' {
    const step = this.undone.pop();
    if (!step) return null;
    this.done.push(step);
    return this.apply(step, 'after');
  }

  /** Bytes held by the kept steps (both lists). */
  bytes(): number {
    let n = 0;
    for (const s of [...this.done, ...this.undone]) if (s.kind === 'patch') for (const t of s.tiles) n += t.before.length * 2;
    return n;
  }

  private push(step: Step): void {
    this.done.push(step);
    this.undone = [];
    while (this.done.length > MIN_STEPS && this.bytes() > this.budgetBytes) this.done.shift();
  }

  private apply(step: Step, side: 'before' | 'after'): Rect | 'all' {
    if (step.kind === 'invert') {
      this.coverage.invert();
      return 'all';
    }
    for (const tile of step.tiles) this.coverage.write(tile.rect, tile[side]);
    return step.rect;
  }
}
