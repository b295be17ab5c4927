// Gallery keyboard shortcuts, as a pure mapping from a key press to an action.

export type Action =
  | { kind: 'move'; to: number; extend: boolean }
  | { kind: 'preview' }
  | { kind: 'star' }
  | { kind: 'trash' }
  | { kind: 'restore' }
  | { kind: 'select-all' }
  | { kind: 'clear' }
  | { kind: 'open' };

export interface KeyPress {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/**
 * What `press` does in a grid of `total` items laid out in `columns` columns, with item `focus`
 * focused (`-1` when none) and `pageRows` rows per screen. `null`: not a gallery key.
 */
export function galleryAction(
  press: KeyPress,
  focus: number,
  total: number,
  columns: number,
  pageRows: number,
  inTrash: boolean,
): Action | null {
  if (press.altKey || total <= 0) return null;
  const ctrl = press.ctrlKey || press.metaKey;
  const clamp = (i: number) => Math.min(total - 1, Math.max(0, i));
  const at = focus < 0 ? 0 : focus;
  const move = (to: number): Action => ({ kind: 'move', to: clamp(to), extend: !!press.shiftKey });
  switch (press.key) {
    case 'ArrowRight':
      return move(focus < 0 ? 0 : at + 1);
    case 'ArrowLeft':
      return move(focus < 0 ? 0 : at - 1);
    case 'ArrowDown':
      return move(focus < 0 ? 0 : at + columns);
    case 'ArrowUp':
      return move(focus < 0 ? 0 : at - columns);
    case 'PageDown':
      return move(at + columns * Math.max(1, pageRows));
    case 'PageUp':
      return move(at - columns * Math.max(1, pageRows));
    case 'Home':
      return move(0);
    case 'End':
      return move(total - 1);
    case ' ':
      return focus < 0 ? null : { kind: 'preview' };
    case 'Enter':
      return focus < 0 ? null : { kind: 'open' };
    case 's':
    case 'S':
      return ctrl || inTrash || focus < 0 ? null : { kind: 'star' };
    case 'Delete':
    case 'Backspace':
      return focus < 0 ? null : inTrash ? null : { kind: 'trash' };
    case 'r':
    case 'R':
      return inTrash && !ctrl && focus >= 0 ? { kind: 'restore' } : null;
    case 'a':
    case 'A':
      return ctrl ? { kind: 'select-all' } : null;
    case 'Escape':
      return { kind: 'clear' };
    default:
      return null;
  }
}
