import { describe, expect, it } from 'vitest';
import { parseColor, sampleIndices, samplesPerPixel } from './layer';

describe('screen sampling of the mask', () => {
  it('averages more samples the further it is zoomed out, at most 3×3', () => {
    expect(samplesPerPixel(2)).toBe(1);
    expect(samplesPerPixel(1)).toBe(1);
    expect(samplesPerPixel(0.5)).toBe(2);
    expect(samplesPerPixel(0.1)).toBe(3);
  });

  it('maps screen pixels to natural ones through the view, -1 outside the image', () => {
    // scale 2, image starting at screen x 10: screen 10–11 → natural 0, 12–13 → 1
    expect(Array.from(sampleIndices(8, 8, 1, 10, 2, 3))).toEqual([-1, -1, 0, 0, 1, 1, 2, 2]);
    // scale 0.5 with two samples per screen pixel: each screen pixel covers natural 2k and 2k+1
    expect(Array.from(sampleIndices(0, 3, 2, 0, 0.5, 5))).toEqual([0, 1, 2, 3, 4, -1]);
  });

  it('reads #rrggbb colours', () => {
    expect(parseColor('#ff3b6b')).toEqual([255, 59, 107]);
  });
});
