// The cost view's arithmetic: the last N days as bars (days without spend included, as zero) and a
// period's spend as a share of its cap.
import { type CostTotal } from '../api';

export interface DayBar {
  day: string;
  cost: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** `YYYY-MM-DD` of a local date. */
export function dayKey(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * One bar per day for the `count` days ending `today` (oldest on the left), scaled so the highest
 * fills `height`; days missing from `totals` are zero-height bars.
 */
export function dayBars(totals: readonly CostTotal[], count: number, today: Date, width: number, height: number): { bars: DayBar[]; max: number } {
  const byDay = new Map(totals.map((t) => [t.key, t.cost_usd]));
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    days.push(dayKey(new Date(today.getFullYear(), today.getMonth(), today.getDate() - i)));
  }
  const max = Math.max(0, ...days.map((d) => byDay.get(d) ?? 0));
  const slot = width / count;
  const gap = Math.min(4, slot * 0.2);
  const bars = days.map((day, i) => {
    const cost = byDay.get(day) ?? 0;
    const h = max > 0 ? Math.max(cost > 0 ? 1 : 0, (cost / max) * height) : 0;
    return { day, cost, x: i * slot + gap / 2, y: height - h, w: slot - gap, h };
  });
  return { bars, max };
}

/** Spent ÷ cap, or null without a (positive) cap. */
export function capShare(spent: number, cap: number | null): number | null {
  return cap === null || !(cap > 0) ? null : spent / cap;
}
