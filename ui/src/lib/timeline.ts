// The session timeline's pure part: the turn tree laid out for display, and the session list search.
import type { Session, Turn } from '../api';

export interface TimelineRow {
  turn: Turn;
  /** 0 for a root turn, +1 per parent. */
  depth: number;
  /** More than one turn continues from this one. */
  branchPoint: boolean;
}

/** Turns in depth-first order (children oldest first), each with its depth. Turns whose parent is not
 * in the list are shown as roots, so nothing is ever hidden. */
export function layoutTree(turns: Turn[]): TimelineRow[] {
  const ids = new Set(turns.map((t) => t.id));
  const children = new Map<string | null, Turn[]>();
  for (const turn of [...turns].sort((a, b) => a.created_ms - b.created_ms)) {
    const parent = turn.parent_id && ids.has(turn.parent_id) ? turn.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), turn]);
  }
  const rows: TimelineRow[] = [];
  const visit = (turn: Turn, depth: number) => {
    const kids = children.get(turn.id) ?? [];
    rows.push({ turn, depth, branchPoint: kids.length > 1 });
    kids.forEach((kid) => visit(kid, depth + 1));
  };
  (children.get(null) ?? []).forEach((root) => visit(root, 0));
  return rows;
}

/** Sessions whose name has every word of `text` (case-insensitive), in the given order. */
export function searchSessions(list: Session[], text: string): Session[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return list.filter((s) => words.every((w) => s.name.toLowerCase().includes(w)));
}

/** Turns picked for comparison (at most two, in the order picked). */
export const COMPARE_LIMIT = 2;

/** Whether a turn can be compared: it needs an image. */
export function comparable(turn: Turn): boolean {
  return turn.images.length > 0;
}

/** The picks after the user toggles `turn`: unpicks it when picked; else adds it, and a third pick
 * replaces the oldest one, so the newest two are always kept. A turn without an image is never picked. */
export function togglePick(picked: readonly string[], turn: Turn): string[] {
  if (picked.includes(turn.id)) return picked.filter((id) => id !== turn.id);
  if (!comparable(turn)) return [...picked];
  return [...picked, turn.id].slice(-COMPARE_LIMIT);
}

/** The picks still valid in `turns` (after the tree reloads: a turn may be gone or have lost its image). */
export function keepPicks(picked: readonly string[], turns: readonly Turn[]): string[] {
  return picked.filter((id) => turns.some((t) => t.id === id && comparable(t)));
}

export interface ComparePair {
  /** The earlier turn (the base: left of the slider, under the onion skin). */
  a: Turn;
  /** The later turn (right of the slider, blended over A in onion skin). */
  b: Turn;
}

/** The two picked turns, earlier first (by creation time, then tree order); null unless exactly two are
 * picked and both are in `turns` with an image. */
export function comparePair(picked: readonly string[], turns: readonly Turn[]): ComparePair | null {
  const found = keepPicks(picked, turns).map((id) => turns.find((t) => t.id === id)!);
  if (found.length !== COMPARE_LIMIT) return null;
  const [x, y] = found as [Turn, Turn];
  const before = x.created_ms !== y.created_ms ? x.created_ms < y.created_ms : turns.indexOf(x) < turns.indexOf(y);
  return before ? { a: x, b: y } : { a: y, b: x };
}
