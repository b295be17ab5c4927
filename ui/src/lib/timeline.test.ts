import { describe, expect, it } from 'vitest';
import type { Session, Turn } from '../api';
import { layoutTree, searchSessions } from './timeline';

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
