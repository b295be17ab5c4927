import { describe, expect, it } from 'vitest';
import { MAX_SCALE, fit, panBy, toNatural, toScreen, wheelFactor, zoomAt } from './view';

describe('view transforms', () => {
  it('zooming keeps the natural point under the cursor fixed', () => {
    const view = { scale: 0.37, x: 12, y: -40 };
    const cursor = { x: 321, y: 187 };
    const before = toNatural(view, cursor.x, cursor.y);
    for (const factor of [1.25, 0.8, 3, 0.1]) {
      const zoomed = zoomAt(view, factor, cursor.x, cursor.y);
      const after = toNatural(zoomed, cursor.x, cursor.y);
      expect(after.x).toBeCloseTo(before.x, 9);
      expect(after.y).toBeCloseTo(before.y, 9);
    }
  });

  it('clamps the scale and still keeps the cursor point', () => {
    const view = zoomAt({ scale: 20, x: 0, y: 0 }, 100, 50, 50);
    expect(view.scale).toBe(MAX_SCALE);
    expect(toNatural(view, 50, 50)).toEqual({ x: 2.5, y: 2.5 });
  });

  it('round-trips screen and natural coordinates, and pans', () => {
    const view = panBy({ scale: 2, x: 10, y: 20 }, 5, -5);
    expect(view).toEqual({ scale: 2, x: 15, y: 15 });
    const s = toScreen(view, 7, 9);
    expect(toNatural(view, s.x, s.y)).toEqual({ x: 7, y: 9 });
  });

  it('fits the image centred, never above 1:1', () => {
    const big = fit(4096, 2048, 1056, 544, 16);
    expect(big.scale).toBeCloseTo(0.25);
    expect(big.x).toBeCloseTo(16);
    expect(big.y).toBeCloseTo(16);
    expect(fit(100, 100, 1000, 1000).scale).toBe(1);
  });

  it('turns a wheel notch into ×1.25, up zooming in', () => {
    expect(wheelFactor(-100)).toBeCloseTo(1.25);
    expect(wheelFactor(100)).toBeCloseTo(0.8);
  });
});
