// The painted mask as data: one byte per pixel at the image's natural size (255 = painted = the area to
// edit), and the rectangles that changed. Everything here is pure and runs without a DOM.

/** A rectangle in natural pixels, `x`/`y` inclusive, `w`/`h` its extent. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export class Coverage {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height);
  }

  at(x: number, y: number): number {
    return this.data[y * this.width + x] ?? 0;
  }

  /** Everything inside the image that `r` touches, or null when it lies outside. */
  clip(r: Rect): Rect | null {
    const x0 = Math.max(0, Math.floor(r.x));
    const y0 = Math.max(0, Math.floor(r.y));
    const x1 = Math.min(this.width, Math.ceil(r.x + r.w));
    const y1 = Math.min(this.height, Math.ceil(r.y + r.h));
    return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
  }

  /** A copy of the bytes under `r` (already clipped), row by row. */
  read(r: Rect): Uint8Array {
    const out = new Uint8Array(r.w * r.h);
    for (let row = 0; row < r.h; row++) {
      const start = (r.y + row) * this.width + r.x;
      out.set(this.data.subarray(start, start + r.w), row * r.w);
    }
    return out;
  }

  /** Writes `bytes` (as from `read`) back under `r`. */
  write(r: Rect, bytes: Uint8Array): void {
    for (let row = 0; row < r.h; row++) {
      this.data.set(bytes.subarray(row * r.w, (row + 1) * r.w), (r.y + row) * this.width + r.x);
    }
  }

  invert(): void {
    const d = this.data;
    for (let i = 0; i < d.length; i++) d[i] = 255 - d[i]!;
  }

  clear(): void {
    this.data.fill(0);
  }

  /** Whether anything is painted (a mask with nothing painted edits nothing). */
  painted(): boolean {
    return this.data.some((v) => v !== 0);
  }
}

export function full(c: { width: number; height: number }): Rect {
  return { x: 0, y: 0, w: c.width, h: c.height };
}

/** The smallest rectangle holding both. */
export function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
