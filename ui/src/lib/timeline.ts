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
