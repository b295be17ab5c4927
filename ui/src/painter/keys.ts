// The painter's keyboard shortcuts: key → action, pure so it can be tested without a DOM.
import { type Tool } from './settings';

export type PainterAction =
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'fit' }
  | { kind: 'size'; up: boolean }
  | { kind: 'tool'; tool: Tool }
  | { kind: 'invert' }
  | { kind: 'close' };

type Key = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>;

const TOOL_KEYS: Record<string, Tool> = { b: 'brush', e: 'eraser', r: 'rect', l: 'lasso' };

export function painterAction(e: Key): PainterAction | null {
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (ctrl && key === 'z') return { kind: e.shiftKey ? 'redo' : 'undo' };
  if (ctrl && key === 'y') return { kind: 'redo' };
  if (ctrl && key === '0') return { kind: 'fit' };
  if (ctrl && key === 'i') return { kind: 'invert' };
  if (ctrl || e.altKey) return null;
  if (key === '[' || key === ']') return { kind: 'size', up: key === ']' };
  if (key === 'Escape') return { kind: 'close' };
  const tool = TOOL_KEYS[key];
  return tool ? { kind: 'tool', tool } : null;
}
