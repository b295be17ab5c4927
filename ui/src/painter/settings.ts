// The painter's settings, remembered between sessions in localStorage (nothing here is secret).

export type Tool = 'brush' | 'eraser' | 'rect' | 'lasso';

export interface PainterSettings {
  tool: Tool;
  /** Brush diameter in natural pixels. */
  size: number;
  /** 0–1: the solid share of the brush's radius. */
  hardness: number;
  /** Overlay colour (#rrggbb) and opacity (0–1). */
  color: string;
  opacity: number;
  maskOnly: boolean;
}

export const KEY = 'easel.painter';
export const MIN_SIZE = 1;
export const MAX_SIZE = 1000;

export const DEFAULTS: PainterSettings = {
  tool: 'brush',
  size: 80,
  hardness: 0.7,
  color: '#ff3b6b',
  opacity: 0.5,
  maskOnly: false,
};

const TOOLS: readonly Tool[] = ['brush', 'eraser', 'rect', 'lasso'];

const clamp = (v: unknown, lo: number, hi: number, dflt: number) =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : dflt;

/** Whatever was saved, checked field by field; anything missing or wrong is the default. */
export function parseSettings(text: string | null): PainterSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // a damaged entry: start from the defaults
  }
  return {
    tool: TOOLS.includes(raw['tool'] as Tool) ? (raw['tool'] as Tool) : DEFAULTS.tool,
    size: Math.round(clamp(raw['size'], MIN_SIZE, MAX_SIZE, DEFAULTS.size)),
    hardness: clamp(raw['hardness'], 0, 1, DEFAULTS.hardness),
    color: typeof raw['color'] === 'string' && /^#[0-9a-f]{6}$/i.test(raw['color']) ? raw['color'] : DEFAULTS.color,
    opacity: clamp(raw['opacity'], 0.05, 1, DEFAULTS.opacity),
    maskOnly: raw['maskOnly'] === true,
  };
}

export function loadSettings(storage: Pick<Storage, 'getItem'> = localStorage): PainterSettings {
  try {
    return parseSettings(storage.getItem(KEY));
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings: PainterSettings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // storage full or disabled: the settings just are not remembered
  }
}

/** `[` and `]`: the next brush size down or up (about 15% a step, at least 1 px). */
export function stepSize(size: number, up: boolean): number {
  const next = up ? Math.max(size + 1, Math.round(size * 1.15)) : Math.min(size - 1, Math.round(size / 1.15));
  return Math.min(MAX_SIZE, Math.max(MIN_SIZE, next));
}
