import { describe, expect, it } from 'vitest';
import { clickSelect, emptySelection, targets } from './selection';

const idAt = (i: number) => (i >= 0 && i < 20 ? `id${i}` : undefined);
const ids = (s: { ids: Set<string> }) => [...s.ids].sort();

describe('clickSelect', () => {
  it('a plain click selects one item and sets the anchor', () => {
    const s = clickSelect({ ids: new Set(['id1', 'id2']), anchor: 1 }, 5, 'id5', {}, idAt);
    expect(ids(s)).toEqual(['id5']);
    expect(s.anchor).toBe(5);
  });

  it('ctrl toggles one item in or out', () => {
    let s = clickSelect(emptySelection(), 3, 'id3', {}, idAt);
    s = clickSelect(s, 6, 'id6', { toggle: true }, idAt);
    expect(ids(s)).toEqual(['id3', 'id6']);
    s = clickSelect(s, 3, 'id3', { toggle: true }, idAt);
    expect(ids(s)).toEqual(['id6']);
  });

  it('shift selects the range from the anchor, both directions, keeping the anchor', () => {
    let s = clickSelect(emptySelection(), 4, 'id4', {}, idAt);
    s = clickSelect(s, 7, 'id7', { shift: true }, idAt);
    expect(ids(s)).toEqual(['id4', 'id5', 'id6', 'id7']);
    s = clickSelect(s, 2, 'id2', { shift: true }, idAt);
    expect(ids(s)).toEqual(['id2', 'id3', 'id4']);
    expect(s.anchor).toBe(4);
  });

  it('ctrl+shift adds a range to the selection; unknown positions are skipped', () => {
    let s = clickSelect(emptySelection(), 0, 'id0', {}, idAt);
    s = clickSelect({ ...s, anchor: 18 }, 22, 'id22', { shift: true, toggle: true }, idAt);
    expect(ids(s)).toEqual(['id0', 'id18', 'id19']);
  });
});

describe('targets', () => {
  it('is the selection, else the focused item, else nothing', () => {
    expect(targets({ ids: new Set(['a', 'b']), anchor: 0 }, 'c').sort()).toEqual(['a', 'b']);
    expect(targets(emptySelection(), 'c')).toEqual(['c']);
    expect(targets(emptySelection(), undefined)).toEqual([]);
  });
});
