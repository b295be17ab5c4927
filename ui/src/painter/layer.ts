// Drawing the mask on screen without ever touching the whole image per pointer event. The visible canvas
// covers only the part of the viewport the image is on (`place`), and the overlay's opacity is in its
// pixels rather than a CSS opacity, so the compositor has the least to blend; `draw(view, rect)`
// recomputes only the screen pixels over a changed
// natural rectangle, straight from the coverage (no natural-size canvas: using a 4096² canvas as a
// drawImage source makes the browser snapshot all 64 MB of it every frame). Zoom and pan redraw the
// viewport once (`draw(view, 'all')`), which costs the viewport, not the image.
import { type Coverage, type Rect } from './coverage';
import { type View } from './view';

export function parseColor(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** How many samples per axis a screen pixel averages: 1 at 1:1 and above, up to 3 when zoomed out. */
export function samplesPerPixel(scale: number): number {
  return scale >= 1 ? 1 : Math.min(3, Math.ceil(1 / scale));
}

/**
 * The natural index along one axis for each screen pixel from `start` (`count` of them) and each of
 * `n` sub-samples, or -1 outside the image: `out[i * n + s]`.
 */
export function sampleIndices(start: number, count: number, n: number, offset: number, scale: number, limit: number): Int32Array {
  const out = new Int32Array(count * n);
  for (let i = 0; i < count; i++) {
    for (let s = 0; s < n; s++) {
      const v = Math.floor((start + i + (s + 0.5) / n - offset) / scale);
      out[i * n + s] = v >= 0 && v < limit ? v : -1;
    }
  }
  return out;
}

export class MaskView {
  private ctx: CanvasRenderingContext2D;
  private ratio = 1;
  private rgb = 0x0000ff;
  private opacity = 1;
  /** Where the canvas sits in the viewport, in CSS pixels. */
  left = 0;
  top = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly coverage: Coverage,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
  }

  /** Overlay colour (#rrggbb) and opacity (0–1); redraw everything afterwards. */
  setStyle(hex: string, opacity: number): void {
    const [r, g, b] = parseColor(hex);
    this.rgb = r | (g << 8) | (b << 16); // little-endian RGBA with alpha in the top byte
    this.opacity = Math.min(1, Math.max(0, opacity));
  }

  /**
   * Puts the canvas over the image's part of a `viewWidth × viewHeight` viewport (CSS pixels); returns
   * whether it moved or changed size (then redraw everything).
   */
  place(view: View, viewWidth: number, viewHeight: number, ratio = window.devicePixelRatio || 1): boolean {
    const left = Math.max(0, Math.floor(view.x));
    const top = Math.max(0, Math.floor(view.y));
    const right = Math.min(viewWidth, Math.ceil(view.x + this.coverage.width * view.scale));
    const bottom = Math.min(viewHeight, Math.ceil(view.y + this.coverage.height * view.scale));
    const w = Math.max(1, Math.round((right - left) * ratio));
    const h = Math.max(1, Math.round((bottom - top) * ratio));
    const moved = left !== this.left || top !== this.top || ratio !== this.ratio;
    const resized = w !== this.canvas.width || h !== this.canvas.height;
    this.left = left;
    this.top = top;
    this.ratio = ratio;
    if (resized) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    return moved || resized;
  }

  /** Redraws the screen area of `rect` (natural pixels), or the whole viewport. */
  draw(view: View, rect: Rect | 'all'): void {
    const scale = view.scale * this.ratio;
    const ox = (view.x - this.left) * this.ratio;
    const oy = (view.y - this.top) * this.ratio;
    let x0 = 0, y0 = 0, x1 = this.canvas.width, y1 = this.canvas.height;
    if (rect !== 'all') {
      x0 = Math.max(x0, Math.floor(rect.x * scale + ox) - 1);
      y0 = Math.max(y0, Math.floor(rect.y * scale + oy) - 1);
      x1 = Math.min(x1, Math.ceil((rect.x + rect.w) * scale + ox) + 1);
      y1 = Math.min(y1, Math.ceil((rect.y + rect.h) * scale + oy) + 1);
    }
    const w = x1 - x0;
    const h = y1 - y0;
    if (w <= 0 || h <= 0) return;
    if (this.opacity === 0) return this.ctx.clearRect(x0, y0, w, h);
    const { data, width, height } = this.coverage;
    const n = samplesPerPixel(scale);
    const cols = sampleIndices(x0, w, n, ox, scale, width);
    const rows = sampleIndices(y0, h, n, oy, scale, height);
    const image = this.ctx.createImageData(w, h);
    const px = new Uint32Array(image.data.buffer);
    const rgb = this.rgb;
    const total = (n * n * 255) / this.opacity; // sum → overlay alpha 0–255, opacity included
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let sy = 0; sy < n; sy++) {
          const row = rows[y * n + sy]!;
          if (row < 0) continue;
          const base = row * width;
          for (let sx = 0; sx < n; sx++) {
            const col = cols[x * n + sx]!;
            if (col >= 0) sum += data[base + col]!;
          }
        }
        if (sum !== 0) px[y * w + x] = (rgb | (Math.round((sum * 255) / total) << 24)) >>> 0;
      }
    }
    this.ctx.putImageData(image, x0, y0);
  }
}
