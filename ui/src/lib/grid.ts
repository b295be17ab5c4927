// Virtualization math for the gallery grid: which rows are on screen, which items and pages they
// need. Pure functions, so the 100k-item behaviour is unit-tested without a DOM.

export interface Layout {
  /** Items per row (at least 1). */
  columns: number;
  /** Width and height of one cell, in px (square cells). */
  cell: number;
  /** Gap between cells, in px. */
  gap: number;
  /** Height of one row including the gap below it. */
  rowHeight: number;
  rows: number;
  /** Total scroll height. */
  height: number;
}

/** Lays `total` square cells of about `size` px into a container `width` px wide. */
export function layout(width: number, size: number, gap: number, total: number): Layout {
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + gap) / (size + gap)));
  // stretch cells to fill the row exactly
  const cell = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns));
  const rowHeight = cell + gap;
  const rows = Math.ceil(Math.max(0, total) / columns);
  return { columns, cell, gap, rowHeight, rows, height: Math.max(0, rows * rowHeight - gap) };
}

export interface Window {
  /** Index of the first item to render (inclusive). */
  start: number;
  /** Index past the last item to render (exclusive). */
  end: number;
  firstRow: number;
}

/** The items to render for a viewport at `scrollTop`, `viewport` px tall, with `overscan` extra rows each side. */
export function visibleWindow(l: Layout, total: number, scrollTop: number, viewport: number, overscan = 1): Window {
  if (total <= 0 || l.rows === 0) return { start: 0, end: 0, firstRow: 0 };
  const top = Math.max(0, scrollTop);
  const firstRow = Math.max(0, Math.floor(top / l.rowHeight) - overscan);
  const lastRow = Math.min(l.rows - 1, Math.floor((top + Math.max(0, viewport)) / l.rowHeight) + overscan);
  return {
    start: firstRow * l.columns,
    end: Math.min(total, (lastRow + 1) * l.columns),
    firstRow,
  };
}

/** Page numbers (of `pageSize` items) that cover items `start`..`end`. */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/** Position of item `index` (top-left, px). */
export function cellPosition(l: Layout, index: number): { x: number; y: number } {
  const row = Math.floor(index / l.columns);
  const col = index % l.columns;
  return { x: col * (l.cell + l.gap), y: row * l.rowHeight };
}

/** The scrollTop that brings item `index` fully into view, or `null` when it already is. */
export function scrollToReveal(l: Layout, index: number, scrollTop: number, viewport: number): number | null {
  const { y } = cellPosition(l, index);
  if (y < scrollTop) return y;
  if (y + l.cell > scrollTop + viewport) return Math.max(0, y + l.cell - viewport);
  return null;
}
