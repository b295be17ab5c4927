import { describe, expect, it } from 'vitest';
import { paintSegment, segmentDistance, stampCoverage } from './brush';
import { Coverage } from './coverage';

describe('stampCoverage', () => {
  it('is solid inside the hard part and zero outside the radius', () => {
    expect(stampCoverage(0, 10, 0.5)).toBe(1);
    expect(stampCoverage(5, 10, 0.5)).toBe(1);
    expect(stampCoverage(10, 10, 0.5)).toBe(0);
    expect(stampCoverage(12, 10, 0.5)).toBe(0);
  });

  it('falls off linearly over the feather', () => {
    // hardness 0.5 of radius 10: solid to 5, feather 5
    expect(stampCoverage(7.5, 10, 0.5)).toBeCloseTo(0.5);
    expect(stampCoverage(6, 10, 0.5)).toBeCloseTo(0.8);
    // hardness 0: the whole radius is feather
    expect(stampCoverage(2.5, 10, 0)).toBeCloseTo(0.75);
  });

  it('keeps a one-pixel anti-aliased edge on a hard brush', () => {
    expect(stampCoverage(8.9, 10, 1)).toBe(1);
    expect(stampCoverage(9.5, 10, 1)).toBeCloseTo(0.5);
    expect(stampCoverage(10, 10, 1)).toBe(0);
  });
});

describe('segmentDistance', () => {
  it('measures to the nearest point of the segment, ends included', () => {
    expect(segmentDistance({ x: 5, y: 3 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(3);
    expect(segmentDistance({ x: -4, y: 3 }, { x: 0, y: 0 }, { x: 10, y: 0 })).toBe(5);
    expect(segmentDistance({ x: 3, y: 4 }, { x: 0, y: 0 }, { x: 0, y: 0 })).toBe(5);
  });
});

describe('paintSegment', () => {
  it('covers every pixel between two distant pointer positions (no gaps)', () => {
    const c = new Coverage(200, 50);
    const rect = paintSegment(c, { x: 10, y: 25 }, { x: 190, y: 25 }, { size: 10, hardness: 1, erase: false });
    for (let x = 10; x < 190; x++) expect(c.at(x, 24), `x=${x}`).toBe(255);
    expect(c.at(100, 10)).toBe(0);
    expect(c.at(100, 40)).toBe(0);
    expect(rect).toEqual({ x: 4, y: 19, w: 192, h: 12 });
  });

  it('paints a soft edge by hardness and never lowers coverage where strokes overlap', () => {
    const c = new Coverage(100, 100);
    const soft = { size: 40, hardness: 0, erase: false };
    paintSegment(c, { x: 50, y: 50 }, { x: 50, y: 50 }, soft);
    const centre = c.at(49, 49);
    const edge = c.at(50, 66); // ≈ 16.5 px from the centre of a 20 px radius
    expect(centre).toBeGreaterThan(240);
    expect(edge).toBeGreaterThan(0);
    expect(edge).toBeLessThan(centre);
    expect(Math.abs(edge - Math.round((1 - 16.5 / 20) * 255))).toBeLessThanOrEqual(2);
    // the same dab again: maximum, not a sum
    paintSegment(c, { x: 50, y: 50 }, { x: 50, y: 50 }, soft);
    expect(c.at(50, 66)).toBe(edge);
  });

  it('erases down to what the brush leaves uncovered', () => {
    const c = new Coverage(60, 60);
    c.data.fill(255);
    paintSegment(c, { x: 30, y: 30 }, { x: 30, y: 30 }, { size: 20, hardness: 1, erase: true });
    expect(c.at(30, 30)).toBe(0);
    expect(c.at(5, 5)).toBe(255);
  });

  it('ignores a segment outside the image and clips one across its edge', () => {
    const c = new Coverage(20, 20);
    expect(paintSegment(c, { x: -50, y: -50 }, { x: -40, y: -40 }, { size: 4, hardness: 1, erase: false })).toBeNull();
    const r = paintSegment(c, { x: -5, y: 10 }, { x: 5, y: 10 }, { size: 4, hardness: 1, erase: false });
    expect(r?.x).toBe(0);
    expect(c.at(0, 10)).toBe(255);
  });
});
