import { describe, expect, it } from 'vitest';
import { Coverage } from './coverage';
import { crossings, fillLasso, fillRect, insidePolygon } from './fill';

const square = [
  { x: 10, y: 10 },
  { x: 30, y: 10 },
  { x: 30, y: 30 },
  { x: 10, y: 30 },
];

describe('point in polygon', () => {
  it('tells inside from outside', () => {
    expect(insidePolygon(square, { x: 20, y: 20 })).toBe(true);
    expect(insidePolygon(square, { x: 5, y: 20 })).toBe(false);
    expect(insidePolygon(square, { x: 20, y: 35 })).toBe(false);
  });

  it('uses the even-odd rule on a self-crossing lasso (a bow tie)', () => {
    const bowTie = [
      { x: 0, y: 0 },
      { x: 20, y: 20 },
      { x: 20, y: 0 },
      { x: 0, y: 20 },
    ];
    expect(insidePolygon(bowTie, { x: 3, y: 10 })).toBe(true);
    expect(insidePolygon(bowTie, { x: 10, y: 3 })).toBe(false);
  });

  it('counts a vertex on the scanline once', () => {
    const diamond = [
      { x: 10, y: 0 },
      { x: 20, y: 10 },
      { x: 10, y: 20 },
      { x: 0, y: 10 },
    ];
    expect(crossings(diamond, 10)).toEqual([0, 20]);
  });
});

describe('fills', () => {
  it('fills a lasso by scanlines: pixel centres inside are painted, outside untouched', () => {
    const c = new Coverage(40, 40);
    const triangle = [
      { x: 0, y: 0 },
      { x: 40, y: 0 },
      { x: 0, y: 40 },
    ];
    fillLasso(c, triangle, false);
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 40; x++) {
        const inside = insidePolygon(triangle, { x: x + 0.5, y: y + 0.5 });
        expect(c.at(x, y), `${x},${y}`).toBe(inside ? 255 : 0);
      }
    }
  });

  it('erases a lasso and fills a rectangle from either corner', () => {
    const c = new Coverage(40, 40);
    fillRect(c, { x: 30, y: 30 }, { x: 10, y: 10 }, false);
    expect(c.at(10, 10)).toBe(255);
    expect(c.at(29, 29)).toBe(255);
    expect(c.at(30, 30)).toBe(0);
    expect(c.at(9, 20)).toBe(0);
    fillLasso(c, square, true);
    expect(c.at(20, 20)).toBe(0);
  });
});
