// The gallery's state: the query, the pages loaded so far (only those the grid has asked for), the
// selection and the focused item. Components read it; only its methods call the api.
import * as api from '../api';
import type { GalleryPage, Query, Sort, Tile } from '../api';
import { debounce } from './debounce';
import { dayEndMs, dayStartMs, errorMessage } from './format';
import { markOnce } from './marks';
import { clickSelect, emptySelection, type Modifiers, type Selection, targets } from './selection';

/** Items fetched per request. */
export const PAGE_SIZE = 120;

/** Quiet time after typing in the search box before the gallery reloads. */
export const SEARCH_DELAY_MS = 150;

export interface Filters {
  text: string;
  model: string;
  sessionId: string;
  starredOnly: boolean;
  /** `YYYY-MM-DD` or '' (from the date inputs). */
  from: string;
  to: string;
  sort: Sort;
}

export const noFilters = (): Filters => ({
  text: '',
  model: '',
  sessionId: '',
  starredOnly: false,
  from: '',
  to: '',
  sort: 'newest',
});

/** The core query for these filters (without paging). */
export function toQuery(f: Filters, trashed: boolean): Query {
  const text = f.text.trim();
  return {
    text: text === '' ? null : text,
    model: f.model || null,
    session_id: f.sessionId || null,
    starred: f.starredOnly ? true : null,
    from_ms: dayStartMs(f.from),
    to_ms: dayEndMs(f.to),
    trashed,
    sort: f.sort,
  };
}

/** Page `page` of the results of `query`. */
function askPage(query: Query, page: number): Promise<GalleryPage> {
  return api.galleryPage({ ...query, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
}

/** Asks for page 0 of the gallery as it opens (no filters, newest first), before the UI exists (main.ts). */
export function askFirstPage(): Promise<GalleryPage> {
  return askPage(toQuery(noFilters(), false), 0);
}

export class Gallery {
  filters = $state<Filters>(noFilters());
  trashed = $state(false);
  total = $state(0);
  /** Set once the first answer for the current query arrived. */
  loaded = $state(false);
  error = $state<string | null>(null);
  pages = $state.raw<Map<number, Tile[]>>(new Map());
  selection = $state.raw<Selection>(emptySelection());
  /** Index of the focused item, -1 when none. */
  focus = $state(-1);

  /** Bumped on every new query: answers for an older one are dropped. */
  #generation = 0;
  #inFlight = new Set<number>();

  tileAt(index: number): Tile | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  get focused(): Tile | undefined {
    return this.focus < 0 ? undefined : this.tileAt(this.focus);
  }

  /** Ids an action applies to: the selection, else the focused item. */
  get targets(): string[] {
    return targets(this.selection, this.focused?.id);
  }

  query(): Query {
    return toQuery(this.filters, this.trashed);
  }

  /** `reload`, once the filters have stopped changing for a moment (typing in the search box). */
  readonly reloadSoon = debounce(() => void this.reload(), SEARCH_DELAY_MS);

  /** Starts over for the current filters (page 0 and the total); a `reloadSoon` still pending is moot. */
  async reload(): Promise<void> {
    this.reloadSoon.cancel();
    const generation = ++this.#generation;
    this.#inFlight.clear();
    this.selection = emptySelection();
    this.focus = -1;
    await this.#fetch(0, generation, new Map());
  }

  /**
   * The first load, from page 0 as `askFirstPage` asked for it: shown at once when it has already
   * arrived (so the first frame has tiles), else taken when it comes, without asking twice.
   */
  async open(first: GalleryPage | Promise<GalleryPage>): Promise<void> {
    const generation = ++this.#generation;
    if (!(first instanceof Promise)) {
      this.#accept(0, first, new Map());
      return;
    }
    await this.#fetch(0, generation, new Map(), first);
  }

  /** Re-reads the pages in view after a change (keeps the scroll position and the selection). */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    this.#inFlight.clear();
    const wanted = [...this.pages.keys()];
    if (wanted.length === 0) wanted.push(0);
    await Promise.all(wanted.map((p) => this.#fetch(p, generation)));
    if (this.focus >= this.total) this.focus = this.total - 1;
  }

  /** Loads the given pages unless they are loaded or on their way. */
  ensure(pageNumbers: number[]): void {
    for (const p of pageNumbers) {
      if (this.pages.has(p) || this.#inFlight.has(p)) continue;
      void this.#fetch(p, this.#generation);
    }
  }

  async #fetch(page: number, generation: number, replace?: Map<number, Tile[]>, asked?: Promise<GalleryPage>): Promise<void> {
    this.#inFlight.add(page);
    try {
      const answer = await (asked ?? askPage(this.query(), page));
      if (generation !== this.#generation) return;
      this.#accept(page, answer, replace ?? this.pages);
    } catch (e) {
      if (generation === this.#generation) this.error = errorMessage(e);
    } finally {
      if (generation === this.#generation) this.#inFlight.delete(page);
    }
  }

  #accept(page: number, answer: GalleryPage, previous: Map<number, Tile[]>): void {
    markOnce('first-page');
    const pages = new Map(previous);
    pages.set(page, answer.tiles);
    this.pages = pages;
    this.total = answer.total;
    this.loaded = true;
    this.error = null;
  }

  click(index: number, mods: Modifiers): void {
    const tile = this.tileAt(index);
    if (!tile) return;
    this.selection = clickSelect(this.selection, index, tile.id, mods, (i) => this.tileAt(i)?.id);
    this.focus = index;
  }

  /** Moves the focus; with `extend`, the selection grows like a shift-click. */
  moveTo(index: number, extend: boolean): void {
    const tile = this.tileAt(index);
    if (extend && tile) {
      const anchor = this.selection.anchor ?? (this.focus < 0 ? index : this.focus);
      this.selection = clickSelect({ ...this.selection, anchor }, index, tile.id, { shift: true }, (i) => this.tileAt(i)?.id);
    } else if (!extend) {
      this.selection = emptySelection();
    }
    this.focus = index;
  }

  selectAll(): void {
    const ids = new Set<string>();
    for (const tiles of this.pages.values()) for (const t of tiles) ids.add(t.id);
    this.selection = { ids, anchor: this.selection.anchor };
  }

  clearSelection(): void {
    this.selection = emptySelection();
  }

  #patch(updated: Tile[]): void {
    const byId = new Map(updated.map((t) => [t.id, t]));
    const pages = new Map<number, Tile[]>();
    for (const [p, tiles] of this.pages) pages.set(p, tiles.map((t) => byId.get(t.id) ?? t));
    this.pages = pages;
  }

  async #act(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Stars the targets, or unstars them when all are starred already. */
  async toggleStar(ids = this.targets): Promise<void> {
    if (ids.length === 0) return;
    const all = ids.every((id) => this.#find(id)?.starred);
    await this.#act(async () => {
      this.#patch(await api.setStarred(ids, !all));
      if (this.filters.starredOnly) await this.refresh();
    });
  }

  async trash(ids = this.targets): Promise<void> {
    if (ids.length === 0) return;
    await this.#act(async () => {
      await api.trashImages(ids);
      this.selection = emptySelection();
      await this.refresh();
    });
  }

  async restore(ids = this.targets): Promise<void> {
    if (ids.length === 0) return;
    await this.#act(async () => {
      await api.restoreImages(ids);
      this.selection = emptySelection();
      await this.refresh();
    });
  }

  async emptyTrash(): Promise<number> {
    let removed = 0;
    await this.#act(async () => {
      removed = await api.emptyTrash();
      await this.reload();
    });
    return removed;
  }

  #find(id: string): Tile | undefined {
    for (const tiles of this.pages.values()) {
      const t = tiles.find((x) => x.id === id);
      if (t) return t;
    }
    return undefined;
  }
}
