import { describe, expect, it } from 'vitest';
import { capShare, dayBars } from './spend';

describe('cost chart', () => {
  it('has one bar per day, oldest first, zero for days without spend, highest full height', () => {
    const today = new Date(2026, 11, 1);
    const { bars, max } = dayBars(
      [
        { key: '2026-12-01', cost_usd: 2, calls: 3 },
        { key: '2026-11-30', cost_usd: 0.5, calls: 1 },
        { key: '2026-10-01', cost_usd: 9, calls: 1 },
      ],
      30,
      today,
      300,
      100,
    );
    expect(bars).toHaveLength(30);
    expect(bars[0]!.day).toBe('2026-11-02');
    expect(bars[29]!.day).toBe('2026-12-01');
    expect(max).toBe(2);
    expect(bars[29]!.h).toBe(100);
    expect(bars[28]!.h).toBe(25);
    expect(bars[10]!.h).toBe(0);
    expect(bars[29]!.y + bars[29]!.h).toBe(100);
  });

  it('gives the share of a cap, or null without one', () => {
    expect(capShare(5, 20)).toBe(0.25);
    expect(capShare(5, null)).toBeNull();
    expect(capShare(5, 0)).toBeNull();
  });
});
