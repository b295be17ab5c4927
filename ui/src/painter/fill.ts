// Rectangle and lasso fills: hard-edged areas painted (or erased) in one step. The lasso is filled by
// scanlines with the even-odd rule, sampling pixel centres, so a self-crossing lasso leaves its
// overlaps unpainted like any vector editor.
import { type Coverage, type Rect } from './coverage';
import { type Point } from './brush';

/** Fills (255) or erases (0) the rectangle spanned by two corners; returns what changed. */
export function fillRect(coverage: Coverage, a: Point, b: Point, erase: boolean): Rect | null {
  const x0 = Math.round(Math.min(a.x, b.x));
  const y0 = Math.round(Math.min(a.y, b.y));
  const rect = coverage.clip({ x: x0, y: y0, w: Math.round(Math.max(a.x, b.x)) - x0, h: Math.round(Math.max(a.y, b.y)) - y0 });
  if (!rect) return null;
  const value = erase ? 0 : 255;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const start = y * coverage.width + rect.x;
    coverage.data.fill(value, start, start + rect.w);
  }
  return rect;
}

/** The x positions where the horizontal line at `y` crosses the polygon's edges, sorted. */
export function crossings(polygon: readonly Point[], y: number): number[] {
  const xs: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const p = polygon[i]!;
    const q = polygon[j]!;
    // half-open on y, so a vertex on the line counts once
    if (p.y <= y !== q.y <= y) xs.push(p.x + ((y - p.y) * (q.x - p.x)) / (q.y - p.y));
  }
  return xs.sort((a, b) => a - b);
}

/** Whether `p` is inside the polygon (even-odd rule). */
export function insidePolygon(polygon: readonly Point[], p: Point): boolean {
  let inside = false;
  for (const x of crossings(polygon, p.y)) if (x > p.x) inside = !inside;
  return inside;
}

/** Fills (or erases) the lasso's inside; returns what changed. */
export function fillLasso(coverage: Coverage, polygon: readonly Point[], erase: boolean): Rect | null {
  if (polygon.length < 3) return null;
  const xs = polygon.map((p) => p.x);
  const ys = polygon.map((p) => p.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const rect = coverage.clip({ x: minX, y: minY, w: Math.max(...xs) - minX + 1, h: Math.max(...ys) - minY + 1 });
  if (!rect) return null;
  const value = erase ? 0 : 255;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const row = crossings(polygon, y + 0.5);
    for (let k = 0; k + 1 < row.length; k += 2) {
      // pixel x is inside when its centre x + 0.5 lies in [row[k], row[k+1])
      const from = Math.max(rect.x, Math.ceil(row[k]! - 0.5));
      const to = Math.min(rect.x + rect.w, Math.ceil(row[k + 1]! - 0.5));
      if (to > from) coverage.data.fill(value, y * coverage.width + from, y * coverage.width + to);
    }
  }
  return rect;
}
