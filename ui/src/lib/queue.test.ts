import { describe, expect, it } from 'vitest';
import { PromptHistory, applyEvent, compositeCalls, editSize, pendingCount, queued, updateTile } from './queue';

describe('queue tiles', () => {
  it('follow state and partial events of their own job only', () => {
    let tiles = [queued('a', 'kite'), queued('b', 'dune')];
    tiles = applyEvent(tiles, { kind: 'state', job_id: 'a', state: 'running', error: null, images: [] });
    tiles = applyEvent(tiles, { kind: 'partial', job_id: 'a', index: 1, data_url: 'data:image/jpeg;base64,AA' });
    tiles = applyEvent(tiles, { kind: 'state', job_id: 'z', state: 'done', error: null, images: ['x'] });
    expect(tiles[0]).toMatchObject({ state: 'running', partial: 'data:image/jpeg;base64,AA', partials: 2 });
    expect(tiles[1]?.state).toBe('queued');
    expect(pendingCount(tiles)).toBe(1);
  });

  it('never move a finished job back, even when a partial arrives late', () => {
    let tiles = [queued('a', 'kite')];
    tiles = applyEvent(tiles, { kind: 'state', job_id: 'a', state: 'done', error: null, images: ['img1'] });
    tiles = applyEvent(tiles, { kind: 'partial', job_id: 'a', index: 2, data_url: 'late' });
    tiles = applyEvent(tiles, { kind: 'state', job_id: 'a', state: 'partial', error: null, images: [] });
    expect(tiles[0]).toMatchObject({ state: 'done', partial: null, images: ['img1'] });
  });

  it('keep the reason of a failure', () => {
    const tiles = applyEvent([queued('a', 'x')], {
      kind: 'state',
      job_id: 'a',
      state: 'failed',
      error: 'blocked by the safety system',
      images: [],
    });
    expect(tiles[0]?.error).toContain('safety');
  });
});

describe('prompt history', () => {
  it('walks back and forth like a shell and skips immediate repeats', () => {
    const h = new PromptHistory(['one']);
    h.push('two');
    h.push('two ');
    h.push('');
    expect(h.items).toEqual(['one', 'two']);
    expect(h.up()).toBe('two');
    expect(h.up()).toBe('one');
    expect(h.up()).toBeNull();
    expect(h.down()).toBe('two');
    expect(h.down()).toBe('');
    expect(h.down()).toBeNull();
  });

  it('keeps at most its limit, dropping the oldest', () => {
    const h = new PromptHistory([], 2);
    ['a', 'b', 'c'].forEach((p) => h.push(p));
    expect(h.items).toEqual(['b', 'c']);
  });
});

describe('composite inside the mask', () => {
  const masked = { originalId: 'orig', mask: 'orig-1.png' };
  const done = (images: string[]) => ({ kind: 'state' as const, job_id: 'a', state: 'done' as const, error: null, images });

  it('is offered only for a finished masked edit, one call per edited image', () => {
    expect(compositeCalls(applyEvent([queued('a', 'kite')], done(['e1']))[0]!)).toEqual([]);
    const tile = queued('a', 'kite', masked);
    expect(compositeCalls(tile)).toEqual([]);
    expect(compositeCalls(applyEvent([tile], { ...done([]), state: 'running' })[0]!)).toEqual([]);
    expect(compositeCalls(applyEvent([tile], { ...done(['e1']), state: 'failed', error: 'boom' })[0]!)).toEqual([]);
    const finished = applyEvent([tile], done(['e1', 'e2']))[0]!;
    expect(compositeCalls(finished)).toEqual([
      { originalId: 'orig', editedId: 'e1', mask: 'orig-1.png' },
      { originalId: 'orig', editedId: 'e2', mask: 'orig-1.png' },
    ]);
  });

  it('skips the images already composited, and keeps the rest after a failure', () => {
    let tiles = applyEvent([queued('a', 'kite', masked), queued('b', 'dune')], done(['e1', 'e2']));
    tiles = updateTile(tiles, 'a', (t) => ({ composites: { ...t.composites, e1: 'c1' }, compositeError: 'disk full' }));
    expect(compositeCalls(tiles[0]!)).toEqual([{ originalId: 'orig', editedId: 'e2', mask: 'orig-1.png' }]);
    expect(tiles[0]).toMatchObject({ images: ['e1', 'e2'], composites: { e1: 'c1' }, compositeError: 'disk full' });
    expect(tiles[1]).toMatchObject({ composites: {}, compositeError: null });
    tiles = updateTile(tiles, 'a', (t) => ({ composites: { ...t.composites, e2: 'c2' } }));
    expect(compositeCalls(tiles[0]!)).toEqual([]);
  });
});

describe('edit size', () => {
  const presets = ['auto', '1024x1024', '1536x1024', '1024x1536'];
  it('keeps the image size when it is a preset', () => {
    expect(editSize(1536, 1024, presets)).toBe('1536x1024');
    expect(editSize(1024, 1536, presets)).toBe('1024x1536');
  });
  it('lets the model pick for any other size', () => {
    expect(editSize(800, 600, presets)).toBe('auto');
    expect(editSize(2048, 2048, presets)).toBe('auto');
  });
});
