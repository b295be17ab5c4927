// Drawing the mask on screen without ever touching the whole image per pointer event:
// - `MaskLayer`: an offscreen canvas at the natural size holding the overlay colour with alpha =
//   coverage; `update(rect)` re-colours only that rectangle (putImageData of the rect);
// - `MaskView`: the visible canvas, the size of the viewport; `draw(rect)` redraws only the screen area
//   of a natural rectangle (clear + drawImage of the matching source rectangle, clipped).
// Zoom and pan redraw the viewport once (`draw('all')`), which costs the viewport, not the image.
import { type Coverage, type Rect, full } from './coverage';
import { type View } from './view';

export function parseColor(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export class MaskLayer {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private rgb: [number, number, number] = [255, 0, 0];

  constructor(readonly coverage: Coverage) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = coverage.width;
    this.canvas.height = coverage.height;
    const ctx = this.canvas.getContext('2d', { willReadFrequently: false });
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
  }

  /** Changes the overlay colour (re-colours everything once). */
  setColor(hex: string): void {
    this.rgb = parseColor(hex);
    this.update(full(this.coverage));
  }

  /** Re-colours the pixels under `rect` from the coverage. */
  update(rect: Rect): void {
    const r = this.coverage.clip(rect);
    if (!r) return;
    // big areas in horizontal bands, so no single ImageData is the whole 4096² image at once
    const band = Math.max(1, Math.floor((1 << 22) / r.w));
    for (let y = r.y; y < r.y + r.h; y += band) {
      const h = Math.min(band, r.y + r.h - y);
      this.paintBand({ x: r.x, y, w: r.w, h });
    }
  }

  private paintBand(r: Rect): void {
    const image = this.ctx.createImageData(r.w, r.h);
    const px = new Uint32Array(image.data.buffer);
    const [red, green, blue] = this.rgb;
    // little-endian RGBA: alpha in the top byte
    const base = red | (green << 8) | (blue << 16);
    const { data, width } = this.coverage;
    for (let row = 0; row < r.h; row++) {
      let src = (r.y + row) * width + r.x;
      let dst = row * r.w;
      for (let col = 0; col < r.w; col++, src++, dst++) {
        const a = data[src]!;
        if (a !== 0) px[dst] = (base | (a << 24)) >>> 0;
      }
    }
    this.ctx.putImageData(image, r.x, r.y);
  }
}

export class MaskView {
  private ctx: CanvasRenderingContext2D;
  private ratio = 1;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly layer: MaskLayer,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
  }

  /** Matches the canvas to its CSS size (× device pixels). */
  resize(cssWidth: number, cssHeight: number, ratio = window.devicePixelRatio || 1): void {
    this.ratio = ratio;
    this.canvas.width = Math.max(1, Math.round(cssWidth * ratio));
    this.canvas.height = Math.max(1, Math.round(cssHeight * ratio));
  }

  /** Redraws the screen area of `rect` (natural pixels), or the whole viewport. */
  draw(view: View, rect: Rect | 'all'): void {
    const { ctx, ratio } = this;
    const { width, height } = this.layer.coverage;
    const scale = view.scale * ratio;
    const ox = view.x * ratio;
    const oy = view.y * ratio;
    // the screen rectangle to repaint, in whole device pixels
    let sx0 = 0, sy0 = 0, sx1 = this.canvas.width, sy1 = this.canvas.height;
    let src: Rect = { x: 0, y: 0, w: width, h: height };
    if (rect !== 'all') {
      sx0 = Math.max(0, Math.floor(rect.x * scale + ox) - 1);
      sy0 = Math.max(0, Math.floor(rect.y * scale + oy) - 1);
      sx1 = Math.min(this.canvas.width, Math.ceil((rect.x + rect.w) * scale + ox) + 1);
      sy1 = Math.min(this.canvas.height, Math.ceil((rect.y + rect.h) * scale + oy) + 1);
      if (sx1 <= sx0 || sy1 <= sy0) return;
      // the natural pixels behind it, with a margin for the filter
      const pad = Math.ceil(2 / Math.min(1, scale)) + 1;
      const clipped = this.layer.coverage.clip({
        x: (sx0 - ox) / scale - pad,
        y: (sy0 - oy) / scale - pad,
        w: (sx1 - sx0) / scale + 2 * pad,
        h: (sy1 - sy0) / scale + 2 * pad,
      });
      if (!clipped) {
        ctx.clearRect(sx0, sy0, sx1 - sx0, sy1 - sy0);
        return;
      }
      src = clipped;
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(sx0, sy0, sx1 - sx0, sy1 - sy0);
    ctx.clip();
    ctx.clearRect(sx0, sy0, sx1 - sx0, sy1 - sy0);
    ctx.imageSmoothingEnabled = scale < 1;
    ctx.imageSmoothingQuality = 'low';
    ctx.drawImage(
      this.layer.canvas,
      src.x,
      src.y,
      src.w,
      src.h,
      src.x * scale + ox,
      src.y * scale + oy,
      src.w * scale,
      src.h * scale,
    );
    ctx.restore();
  }
}
