// The painter's view: natural pixels → screen pixels by one scale and an offset
// (screen = natural × scale + offset). Zooming keeps the point under the cursor where it is.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 32;

export function toNatural(view: View, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - view.x) / view.scale, y: (sy - view.y) / view.scale };
}

export function toScreen(view: View, nx: number, ny: number): { x: number; y: number } {
  return { x: nx * view.scale + view.x, y: ny * view.scale + view.y };
}

/** Scales by `factor` around the screen point (`cx`, `cy`), within [MIN_SCALE, MAX_SCALE]. */
export function zoomAt(view: View, factor: number, cx: number, cy: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** The whole image centred in a `vw × vh` viewport with `margin` pixels around it, never above 1:1. */
export function fit(width: number, height: number, vw: number, vh: number, margin = 16): View {
  const scale = Math.max(MIN_SCALE, Math.min(1, (vw - 2 * margin) / width, (vh - 2 * margin) / height));
  return { scale, x: (vw - width * scale) / 2, y: (vh - height * scale) / 2 };
}

/** The wheel's zoom factor: one notch (100 px) = ×1.25. */
export function wheelFactor(deltaY: number): number {
  return Math.pow(1.25, -deltaY / 100);
}
