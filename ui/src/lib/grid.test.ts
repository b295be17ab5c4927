import { describe, expect, it } from 'vitest';
import { cellPosition, layout, pagesFor, scrollToReveal, visibleWindow } from './grid';

describe('layout', () => {
  it('fits as many cells of about the requested size as the width allows, stretched to fill', () => {
    const l = layout(1000, 180, 8, 100);
    expect(l.columns).toBe(5); // 5*180 + 4*8 = 932 ≤ 1000 < 6*180 + 5*8
    expect(l.cell).toBe(193); // (1000 - 32) / 5
    expect(l.rowHeight).toBe(201);
    expect(l.rows).toBe(20);
    expect(l.height).toBe(20 * 201 - 8);
  });

  it('always has one column and no height for an empty gallery', () => {
    expect(layout(50, 180, 8, 3).columns).toBe(1);
    expect(layout(0, 180, 8, 0)).toMatchObject({ rows: 0, height: 0 });
  });
});

describe('visibleWindow', () => {
  const total = 100_000;
  const l = layout(1200, 180, 8, total); // 6 columns

  it('renders only the rows in view plus the overscan', () => {
    const w = visibleWindow(l, total, 0, 600, 1);
    expect(l.columns).toBe(6);
    expect(w.start).toBe(0);
    // rows of 201 px: rows 0-2 meet the 600 px viewport, row 3 is the overscan below
    expect(w.end).toBe(4 * 6);
  });

  it('stays a screenful deep in a 100k gallery and at its very end', () => {
    const middle = visibleWindow(l, total, 50_000 * 33, 600, 1);
    expect(middle.end - middle.start).toBeLessThanOrEqual(6 * 6);
    const end = visibleWindow(l, total, l.height - 600, 600, 1);
    expect(end.end).toBe(total);
    expect(end.end - end.start).toBeLessThanOrEqual(6 * 6);
  });

  it('clamps negative scroll (rubber-banding) and handles an empty list', () => {
    expect(visibleWindow(l, total, -300, 600).start).toBe(0);
    expect(visibleWindow(layout(1200, 180, 8, 0), 0, 0, 600)).toEqual({ start: 0, end: 0, firstRow: 0 });
  });
});

describe('pagesFor', () => {
  it('names the pages covering a range', () => {
    expect(pagesFor(0, 30, 120)).toEqual([0]);
    expect(pagesFor(100, 150, 120)).toEqual([0, 1]);
    expect(pagesFor(99_960, 100_000, 120)).toEqual([833]);
    expect(pagesFor(5, 5, 120)).toEqual([]);
  });
});

describe('scrollToReveal', () => {
  const l = layout(1000, 180, 8, 1000); // 5 columns, rows of 201 px

  it('scrolls up or down just enough, or not at all', () => {
    expect(cellPosition(l, 7)).toEqual({ x: 2 * 201, y: 201 });
    expect(scrollToReveal(l, 7, 0, 600)).toBeNull();
    expect(scrollToReveal(l, 0, 500, 600)).toBe(0);
    // row 10 starts at 2010 and ends at 2203: bottom-aligned
    expect(scrollToReveal(l, 50, 0, 600)).toBe(2010 + 193 - 600);
  });
});
