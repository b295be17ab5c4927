import { describe, expect, it } from 'vitest';
import { galleryAction } from './keyboard';

const act = (key: string, focus = 7, extra: Record<string, boolean> = {}, inTrash = false) =>
  galleryAction({ key, ...extra }, focus, 50, 5, 3, inTrash);

describe('galleryAction', () => {
  it('arrows move by one or by a row, clamped to the list', () => {
    expect(act('ArrowRight')).toEqual({ kind: 'move', to: 8, extend: false });
    expect(act('ArrowLeft')).toEqual({ kind: 'move', to: 6, extend: false });
    expect(act('ArrowDown')).toEqual({ kind: 'move', to: 12, extend: false });
    expect(act('ArrowUp')).toEqual({ kind: 'move', to: 2, extend: false });
    expect(act('ArrowUp', 2)).toEqual({ kind: 'move', to: 0, extend: false });
    expect(act('ArrowDown', 48)).toEqual({ kind: 'move', to: 49, extend: false });
    expect(act('End')).toEqual({ kind: 'move', to: 49, extend: false });
    expect(act('PageDown')).toEqual({ kind: 'move', to: 22, extend: false });
  });

  it('the first arrow press focuses the first item; shift extends the selection', () => {
    expect(act('ArrowDown', -1)).toEqual({ kind: 'move', to: 0, extend: false });
    expect(act('ArrowRight', 7, { shiftKey: true })).toEqual({ kind: 'move', to: 8, extend: true });
  });

  it('space previews, s stars, Delete trashes, only with a focused item', () => {
    expect(act(' ')).toEqual({ kind: 'preview' });
    expect(act('s')).toEqual({ kind: 'star' });
    expect(act('Delete')).toEqual({ kind: 'trash' });
    expect(act(' ', -1)).toBeNull();
    expect(act('s', -1)).toBeNull();
    expect(act('Delete', -1)).toBeNull();
  });

  it('in the trash, r restores and Delete/s do nothing', () => {
    expect(act('r', 3, {}, true)).toEqual({ kind: 'restore' });
    expect(act('Delete', 3, {}, true)).toBeNull();
    expect(act('s', 3, {}, true)).toBeNull();
    expect(act('r', 3, {}, false)).toBeNull();
  });

  it('ctrl+a selects all, Escape clears, other keys and ctrl+s are not ours', () => {
    expect(act('a', 3, { ctrlKey: true })).toEqual({ kind: 'select-all' });
    expect(act('Escape')).toEqual({ kind: 'clear' });
    expect(act('s', 3, { ctrlKey: true })).toBeNull();
    expect(act('x')).toBeNull();
    expect(act('ArrowRight', 3, { altKey: true })).toBeNull();
    expect(galleryAction({ key: 'ArrowRight' }, -1, 0, 5, 3, false)).toBeNull();
  });
});
