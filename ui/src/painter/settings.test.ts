import { describe, expect, it } from 'vitest';
import { painterAction } from './keys';
import { DEFAULTS, KEY, loadSettings, parseSettings, saveSettings, stepSize } from './settings';

describe('painter settings', () => {
  it('round-trips through storage and repairs damaged entries', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveSettings({ ...DEFAULTS, size: 120, tool: 'lasso', color: '#00ff00' }, storage);
    expect(loadSettings(storage)).toMatchObject({ size: 120, tool: 'lasso', color: '#00ff00' });
    store.set(KEY, '{"size":-5,"tool":"spray","color":"red","opacity":7}');
    expect(loadSettings(storage)).toMatchObject({ size: 1, tool: 'brush', color: DEFAULTS.color, opacity: 1 });
    expect(parseSettings('not json')).toEqual(DEFAULTS);
  });

  it('steps the brush size by at least a pixel within its limits', () => {
    expect(stepSize(1, true)).toBe(2);
    expect(stepSize(100, true)).toBe(115);
    expect(stepSize(100, false)).toBe(87);
    expect(stepSize(1, false)).toBe(1);
    expect(stepSize(1000, true)).toBe(1000);
  });
});

describe('painter shortcuts', () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
    painterAction({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

  it('maps undo, redo, fit, size and tools', () => {
    expect(key('z', { ctrlKey: true })).toEqual({ kind: 'undo' });
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toEqual({ kind: 'redo' });
    expect(key('0', { ctrlKey: true })).toEqual({ kind: 'fit' });
    expect(key('[')).toEqual({ kind: 'size', up: false });
    expect(key(']')).toEqual({ kind: 'size', up: true });
    expect(key('e')).toEqual({ kind: 'tool', tool: 'eraser' });
    expect(key('x')).toBeNull();
  });
});
