// Multi-select as file managers do it: click selects one, ctrl/cmd+click toggles, shift+click selects
// the range from the anchor. Indices are positions in the current result list.

export interface Selection {
  /** Selected item ids. */
  ids: Set<string>;
  /** Index the next shift-click extends from. */
  anchor: number | null;
}

export const emptySelection = (): Selection => ({ ids: new Set(), anchor: null });

export interface Modifiers {
  shift?: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  toggle?: boolean;
}

/**
 * The selection after clicking item `index` (id `id`). `idAt` gives the id at a position (it may be
 * unknown for unloaded positions: those are skipped).
 */
export function clickSelect(
  sel: Selection,
  index: number,
  id: string,
  mods: Modifiers,
  idAt: (index: number) => string | undefined,
): Selection {
  if (mods.shift && sel.anchor !== null) {
    const ids = mods.toggle ? new Set(sel.ids) : new Set<string>();
    const [from, to] = sel.anchor <= index ? [sel.anchor, index] : [index, sel.anchor];
    for (let i = from; i <= to; i++) {
      const at = idAt(i);
      if (at !== undefined) ids.add(at);
    }
    return { ids, anchor: sel.anchor };
  }
  if (mods.toggle) {
    const ids = new Set(sel.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: index };
  }
  return { ids: new Set([id]), anchor: index };
}

/** Ids the next action applies to: the selection, else the focused item. */
export function targets(sel: Selection, focusedId: string | undefined): string[] {
  if (sel.ids.size > 0) return [...sel.ids];
  return focusedId === undefined ? [] : [focusedId];
}
