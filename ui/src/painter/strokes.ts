// One gesture at a time on the coverage: a brush or eraser stroke (a segment per pointer move), a
// rectangle or a lasso (filled on release). Each call returns the natural rectangle that changed so the
// caller redraws only that; every gesture is one undo step.
import { type Brush, type Point, paintSegment, segmentRect } from './brush';
import { Coverage, type Rect, full } from './coverage';
import { fillLasso, fillRect } from './fill';
import { History } from './history';
import { type Tool } from './settings';

export type Gesture =
  | { tool: 'brush' | 'eraser'; last: Point }
  | { tool: 'rect'; from: Point; to: Point }
  | { tool: 'lasso'; points: Point[] };

export class MaskDocument {
  readonly coverage: Coverage;
  readonly history: History;
  gesture: Gesture | null = null;

  constructor(width: number, height: number) {
    this.coverage = new Coverage(width, height);
    this.history = new History(this.coverage);
  }

  /** Starts a gesture; a brush or eraser paints its first dab at once. */
  begin(tool: Tool, at: Point, brush: Omit<Brush, 'erase'>): Rect | null {
    this.end();
    switch (tool) {
      case 'brush':
      case 'eraser':
        this.gesture = { tool, last: at };
        return this.segment(at, at, { ...brush, erase: tool === 'eraser' });
      case 'rect':
        this.gesture = { tool, from: at, to: at };
        return null;
      case 'lasso':
        this.gesture = { tool, points: [at] };
        return null;
    }
  }

  /** The pointer moved: a brush paints the segment from its last position. */
  move(at: Point, brush: Omit<Brush, 'erase'>): Rect | null {
    const g = this.gesture;
    if (!g) return null;
    if (g.tool === 'rect') {
      g.to = at;
      return null;
    }
    if (g.tool === 'lasso') {
      const last = g.points[g.points.length - 1]!;
      if (Math.hypot(at.x - last.x, at.y - last.y) >= 1) g.points.push(at);
      return null;
    }
    const changed = this.segment(g.last, at, { ...brush, erase: g.tool === 'eraser' });
    g.last = at;
    return changed;
  }

  /** Ends the gesture: fills a rectangle or lasso (`erase` with Alt), and makes it one undo step. */
  end(erase = false): Rect | null {
    const g = this.gesture;
    this.gesture = null;
    let changed: Rect | null = null;
    if (g?.tool === 'rect') {
      const r = this.coverage.clip(boxOf(g.from, g.to));
      if (r) {
        this.history.touch(r);
        changed = fillRect(this.coverage, g.from, g.to, erase);
      }
    } else if (g?.tool === 'lasso' && g.points.length >= 3) {
      const xs = g.points.map((p) => p.x);
      const ys = g.points.map((p) => p.y);
      const r = this.coverage.clip(boxOf({ x: Math.min(...xs), y: Math.min(...ys) }, { x: Math.max(...xs) + 1, y: Math.max(...ys) + 1 }));
      if (r) {
        this.history.touch(r);
        changed = fillLasso(this.coverage, g.points, erase);
      }
    }
    this.history.commit();
    return changed;
  }

  invert(): Rect {
    this.end();
    this.coverage.invert();
    this.history.inverted();
    return full(this.coverage);
  }

  clear(): Rect | null {
    this.end();
    if (!this.coverage.painted()) return null;
    const all = full(this.coverage);
    this.history.touch(all);
    this.coverage.clear();
    this.history.commit();
    return all;
  }

  undo(): Rect | null {
    const r = this.history.undo();
    return r === 'all' ? full(this.coverage) : r;
  }

  redo(): Rect | null {
    const r = this.history.redo();
    return r === 'all' ? full(this.coverage) : r;
  }

  private segment(a: Point, b: Point, brush: Brush): Rect | null {
    const r = segmentRect(this.coverage, a, b, brush);
    if (!r) return null;
    this.history.touch(r);
    return paintSegment(this.coverage, a, b, brush);
  }
}

function boxOf(a: Point, b: Point): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
}
