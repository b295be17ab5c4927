import { describe, expect, it } from 'vitest';
import type { Session, Turn } from '../api';
import { comparable, comparePair, keepPicks, layoutTree, searchSessions, togglePick } from './timeline';

const turn = (id: string, parent: string | null, at: number): Turn => ({
  id,
  session_id: 's',
  parent_id: parent,
  prompt: id,
  params: {},
  inputs: [],
  has_mask: false,
  created_ms: at,
  cost_usd: 0.01,
  images: [],
});

describe('layoutTree', () => {
  it('orders depth first with depths and marks branch points', () => {
    const rows = layoutTree([turn('t1', null, 1), turn('t2', 't1', 2), turn('t3', 't2', 3), turn('b1', 't1', 4)]);
    expect(rows.map((r) => [r.turn.id, r.depth, r.branchPoint])).toEqual([
      ['t1', 0, true],
      ['t2', 1, false],
      ['t3', 2, false],
      ['b1', 1, false],
    ]);
  });

  it('shows a turn whose parent is missing as a root', () => {
    const rows = layoutTree([turn('x', 'gone', 1)]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.depth).toBe(0);
  });
});

describe('searchSessions', () => {
  const s = (name: string): Session => ({ id: name, name, created_ms: 0, updated_ms: 0, archived: false, turns: 1, cost_usd: 0 });
  it('matches every word, case-insensitively', () => {
    const list = [s('Harbour at night'), s('Fox studies'), s('night owl')];
    expect(searchSessions(list, 'NIGHT').map((x) => x.name)).toEqual(['Harbour at night', 'night owl']);
    expect(searchSessions(list, 'harbour night').map((x) => x.name)).toEqual(['Harbour at night']);
    expect(searchSessions(list, '  ')).toHaveLength(3);
  });
});

describe('comparing two turns', () => {
  const pic = (id: string, at: number, images = [`img-${id}`]): Turn => ({ ...turn(id, null, at), images });

  it('picks up to two, a third replaces the oldest pick, picking again unpicks', () => {
    const [t1, t2, t3] = [pic('t1', 1), pic('t2', 2), pic('t3', 3)];
    let picked = togglePick([], t1);
    picked = togglePick(picked, t2);
    expect(picked).toEqual(['t1', 't2']);
    picked = togglePick(picked, t3);
    expect(picked).toEqual(['t2', 't3']);
    picked = togglePick(picked, t2);
    expect(picked).toEqual(['t3']);
  });

  it('never picks a turn without an image', () => {
    const empty = pic('x', 1, []);
    expect(comparable(empty)).toBe(false);
    expect(togglePick(['t1'], empty)).toEqual(['t1']);
  });

  it('pairs the earlier turn as A whatever the pick order, and needs exactly two', () => {
    const turns = [pic('t1', 10), pic('t2', 20), pic('t3', 30)];
    expect(comparePair(['t3', 't1'], turns)).toEqual({ a: turns[0], b: turns[2] });
    expect(comparePair(['t1', 't3'], turns)).toEqual({ a: turns[0], b: turns[2] });
    expect(comparePair(['t1'], turns)).toBeNull();
    expect(comparePair([], turns)).toBeNull();
  });

  it('falls back to tree order for turns made in the same millisecond', () => {
    const turns = [pic('t1', 5), pic('t2', 5)];
    expect(comparePair(['t2', 't1'], turns)?.a.id).toBe('t1');
  });

  it('drops picks whose turn is gone or lost its image when the tree reloads', () => {
    const turns = [pic('t1', 1), pic('t2', 2, [])];
    expect(keepPicks(['t1', 't2', 'gone'], turns)).toEqual(['t1']);
    expect(comparePair(['t1', 'gone'], turns)).toBeNull();
  });
});
