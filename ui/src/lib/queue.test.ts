import { describe, expect, it } from 'vitest';
import { PromptHistory, applyEvent, pendingCount, queued } from './queue';

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
