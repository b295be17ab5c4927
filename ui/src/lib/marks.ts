// Performance marks of the start sequence, read by `make bench-app` (tests/e2e/bench-app.mjs), which
// reports each one's time from the page's start. Each mark is set once per page load.

/** Sets performance mark `easel:<name>` unless this page load already set it. */
export function markOnce(name: string): void {
  const full = `easel:${name}`;
  if (performance.getEntriesByName(full).length === 0) performance.mark(full);
}
