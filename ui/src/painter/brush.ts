// Brush math on a Coverage: a round brush with a hardness (the solid share of its radius; the rest fades
// out linearly), dragged as capsules between pointer positions, so a fast stroke has no gaps and costs
// only the pixels around the segment. Painting takes the maximum of old and new coverage, erasing the
// minimum, so overlapping segments of one stroke never build up.
import { type Coverage, type Rect } from './coverage';

export interface Point {
  x: number;
  y: number;
}

export interface Brush {
  /** Diameter in natural pixels. */
  size: number;
  /** 0 = all feather, 1 = hard edge (anti-aliased over one pixel). */
  hardness: number;
  erase: boolean;
}

/**
 * How much of a pixel whose centre is `distance` from the brush's centre line the brush covers (0–1).
 * Inside `radius × hardness` it is 1; from there to the radius it falls linearly to 0; a hard edge is
 * still anti-aliased over one pixel.
 */
export function stampCoverage(distance: number, radius: number, hardness: number): number {
  const feather = Math.max(1, radius * (1 - Math.min(1, Math.max(0, hardness))));
  const inner = radius - feather;
  if (distance <= inner) return 1;
  const v = (radius - distance) / feather;
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

/** Distance from `p` to the segment `a`–`b` (to `a` when they coincide). */
export function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}

/** The pixels a segment of `brush` from `a` to `b` may touch, clipped to the image. */
export function segmentRect(coverage: Coverage, a: Point, b: Point, brush: Brush): Rect | null {
  const r = brush.size / 2 + 1;
  const x = Math.min(a.x, b.x) - r;
  const y = Math.min(a.y, b.y) - r;
  return coverage.clip({ x, y, w: Math.abs(a.x - b.x) + 2 * r, h: Math.abs(a.y - b.y) + 2 * r });
}

/**
 * Paints (or erases) the capsule from `a` to `b`; returns the rectangle that may have changed, null when
 * the segment lies outside the image. Pixel centres are at +0.5.
 */
export function paintSegment(coverage: Coverage, a: Point, b: Point, brush: Brush): Rect | null {
  const rect = segmentRect(coverage, a, b, brush);
  if (!rect) return null;
  const radius = brush.size / 2;
  const r2 = radius * radius;
  const { data, width } = coverage;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const len = Math.sqrt(len2);
  // unit normal of the segment's line: a row crosses the capsule only within the strip |p·n| < radius
  const nx = len > 0 ? -dy / len : 0;
  const ny = len > 0 ? dx / len : 0;
  const feather = Math.max(1, radius * (1 - Math.min(1, Math.max(0, brush.hardness))));
  const inner = radius - feather;
  const inner2 = inner > 0 ? inner * inner : -1;
  const erase = brush.erase;
  const xEnd = rect.x + rect.w;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const py = y + 0.5 - a.y;
    // the columns this row can touch: the strip around the line (any slope but near-horizontal)
    let from = rect.x;
    let to = xEnd;
    if (Math.abs(nx) > 1e-6) {
      const p0 = (-radius - py * ny) / nx + a.x - 0.5;
      const p1 = (radius - py * ny) / nx + a.x - 0.5;
      from = Math.max(from, Math.floor(Math.min(p0, p1)));
      to = Math.min(to, Math.ceil(Math.max(p0, p1)) + 1);
    }
    let i = y * width + from;
    for (let x = from; x < to; x++, i++) {
      const old = data[i]!;
      if (erase ? old === 0 : old === 255) continue;
      const px = x + 0.5 - a.x;
      let t = len2 === 0 ? 0 : (px * dx + py * dy) / len2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const d2 = ex * ex + ey * ey;
      if (d2 >= r2) continue;
      const v = d2 <= inner2 ? 255 : Math.round(((radius - Math.sqrt(d2)) / feather) * 255);
      if (erase) {
        const keep = 255 - v;
        if (keep < old) data[i] = keep;
      } else if (v > old) {
        data[i] = v;
      }
    }
  }
  return rect;
}
