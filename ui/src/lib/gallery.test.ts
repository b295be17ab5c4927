import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as api from '../api';
import type { Query, Tile } from '../api';
import { askFirstPage, Gallery, noFilters, PAGE_SIZE, SEARCH_DELAY_MS, toQuery } from './gallery.svelte';

vi.mock('../api', () => ({
  galleryPage: vi.fn(),
  setStarred: vi.fn(),
  trashImages: vi.fn(),
  restoreImages: vi.fn(),
  emptyTrash: vi.fn(),
}));

const tile = (i: number, starred = false): Tile => ({
  id: `id${i}`,
  prompt: `prompt ${i}`,
  model: 'gpt-image-2',
  width: 1024,
  height: 1024,
  created_ms: 1_000_000 - i,
  cost_usd: 0.04,
  starred,
  trashed: false,
});

/** A fake library of `total` items answering by offset/limit. */
function serve(total: number, starredIds = new Set<string>()) {
  vi.mocked(api.galleryPage).mockImplementation(async (q: Query) => {
    const offset = q.offset ?? 0;
    const count = Math.max(0, Math.min(q.limit ?? 200, total - offset));
    return {
      total,
      offset,
      tiles: Array.from({ length: count }, (_, k) => tile(offset + k, starredIds.has(`id${offset + k}`))),
    };
  });
}

afterEach(() => vi.resetAllMocks());

describe('toQuery', () => {
  it('sends only the filters that are set, dates as a local-day range', () => {
    expect(toQuery(noFilters(), false)).toEqual({
      text: null,
      model: null,
      session_id: null,
      starred: null,
      from_ms: null,
      to_ms: null,
      trashed: false,
      sort: 'newest',
    });
    const q = toQuery({ ...noFilters(), text: '  fox ', starredOnly: true, from: '2026-11-01', to: '2026-11-30' }, true);
    expect(q).toMatchObject({ text: 'fox', starred: true, trashed: true });
    expect(q.to_ms! - q.from_ms!).toBeGreaterThan(29 * 86_400_000);
  });
});

describe('Gallery', () => {
  it('loads page 0 with the total, then only the pages asked for', async () => {
    serve(100_000);
    const g = new Gallery();
    await g.reload();
    expect(g.total).toBe(100_000);
    expect(g.tileAt(0)?.id).toBe('id0');
    expect(g.tileAt(PAGE_SIZE)).toBeUndefined();

    g.ensure([833]);
    g.ensure([833]); // already on its way: not asked twice
    await vi.waitFor(() => expect(g.tileAt(99_999)?.id).toBe('id99999'));
    expect(api.galleryPage).toHaveBeenCalledTimes(2);
    expect(vi.mocked(api.galleryPage).mock.calls[1]![0]).toMatchObject({ offset: 833 * PAGE_SIZE, limit: PAGE_SIZE });
  });

  it('opens on page 0 asked for before mounting: at once when it has arrived, else when it comes, asked once', async () => {
    serve(500);
    const asked = askFirstPage();
    expect(vi.mocked(api.galleryPage).mock.calls[0]![0]).toEqual({ ...toQuery(noFilters(), false), limit: PAGE_SIZE, offset: 0 });

    const arrived = new Gallery();
    void arrived.open(await asked);
    // no await: the first render already has the tiles
    expect(arrived.loaded).toBe(true);
    expect(arrived.total).toBe(500);
    expect(arrived.tileAt(PAGE_SIZE - 1)?.id).toBe(`id${PAGE_SIZE - 1}`);

    const pending = new Gallery();
    const opened = pending.open(askFirstPage());
    expect(pending.loaded).toBe(false);
    pending.ensure([0]); // the grid asking for page 0 meanwhile does not ask again
    await opened;
    expect(pending.tileAt(0)?.id).toBe('id0');
    expect(api.galleryPage).toHaveBeenCalledTimes(2);

    vi.mocked(api.galleryPage).mockRejectedValueOnce('the core is gone');
    const failed = new Gallery();
    await failed.open(askFirstPage());
    expect(failed.error).toBe('the core is gone');
  });

  it('a reload makes a pending search reload moot: it cannot undo the focus set after a view switch', async () => {
    vi.useFakeTimers();
    try {
      serve(10);
      const g = new Gallery();
      await g.reload();
      g.filters = { ...g.filters, text: '' };
      g.reloadSoon(); // the search box was just cleared…
      g.trashed = true; // …and the view switched to the trash before the typing settled
      await g.reload();
      g.click(3, {});
      await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS * 2);
      expect(g.focus).toBe(3);
      expect(g.selection.ids).toEqual(new Set(['id3']));
      expect(api.galleryPage).toHaveBeenCalledTimes(2);

      // on its own, it reloads once the typing has stopped
      g.filters = { ...g.filters, text: 'fox' };
      g.reloadSoon();
      g.reloadSoon();
      await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS * 2);
      expect(api.galleryPage).toHaveBeenCalledTimes(3);
      expect(vi.mocked(api.galleryPage).mock.calls[2]![0]).toMatchObject({ text: 'fox', trashed: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops answers to an older query', async () => {
    let release!: () => void;
    vi.mocked(api.galleryPage).mockImplementationOnce(
      () => new Promise((resolve) => (release = () => resolve({ total: 99, offset: 0, tiles: [tile(99)] }))),
    );
    const g = new Gallery();
    const stale = g.reload();
    serve(2);
    await g.reload();
    release();
    await stale;
    expect(g.total).toBe(2);
    expect(g.tileAt(0)?.id).toBe('id0');
  });

  it('selects with clicks and arrow keys, and acts on the selection or the focused item', async () => {
    serve(10);
    const g = new Gallery();
    await g.reload();
    g.click(2, {});
    g.moveTo(4, true);
    expect([...g.selection.ids].sort()).toEqual(['id2', 'id3', 'id4']);
    expect(g.targets.sort()).toEqual(['id2', 'id3', 'id4']);
    g.moveTo(6, false);
    expect(g.selection.ids.size).toBe(0);
    expect(g.targets).toEqual(['id6']);
    g.selectAll();
    expect(g.selection.ids.size).toBe(10);
  });

  it('stars the targets (unstars when all are starred) and patches the tiles in place', async () => {
    serve(5);
    const g = new Gallery();
    await g.reload();
    g.click(1, {});
    vi.mocked(api.setStarred).mockResolvedValue([tile(1, true)]);
    await g.toggleStar();
    expect(api.setStarred).toHaveBeenCalledWith(['id1'], true);
    expect(g.tileAt(1)?.starred).toBe(true);
    vi.mocked(api.setStarred).mockResolvedValue([tile(1, false)]);
    await g.toggleStar();
    expect(api.setStarred).toHaveBeenLastCalledWith(['id1'], false);
    expect(g.tileAt(1)?.starred).toBe(false);
  });

  it('trash refreshes the pages, clears the selection and reports failures', async () => {
    serve(5);
    const g = new Gallery();
    await g.reload();
    g.click(4, {});
    vi.mocked(api.trashImages).mockResolvedValue(1);
    serve(4);
    await g.trash();
    flushSync();
    expect(api.trashImages).toHaveBeenCalledWith(['id4']);
    expect(g.total).toBe(4);
    expect(g.focus).toBe(3);
    expect(g.selection.ids.size).toBe(0);

    vi.mocked(api.restoreImages).mockRejectedValue('no such image');
    await g.restore(['gone']);
    expect(g.error).toBe('no such image');
  });
});
