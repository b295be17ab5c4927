// Pure presentation helpers: no DOM, no IPC, so they are unit-tested directly.

/** "0.1.0" → "v0.1.0"; an already prefixed or blank version is returned trimmed. */
export function formatVersion(version: string): string {
  const v = version.trim();
  if (v === '' || /^v\d/i.test(v)) return v;
  return `v${v}`;
}

/** One line describing the build, for tooltips and about boxes. */
export function describeBuild(info: { name: string; version: string; core_version: string }): string {
  return `${info.name} ${formatVersion(info.version)} (core ${formatVersion(info.core_version)})`;
}

/**
 * Quotes a prompt for a POSIX shell so the suggested command can be pasted as-is.
 * Double quotes read naturally for ordinary prompts; `"`, `\`, `$` and backticks are escaped.
 */
export function shellQuote(text: string): string {
  return `"${text.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** The CLI command that generates `prompt`. */
export function generateCommand(prompt: string): string {
  return `easel generate ${shellQuote(prompt)}`;
}

/** A readable message for whatever an IPC call rejected with. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return 'Unknown error';
}

/** "$0.042" for costs below a dollar (three decimals), "$12.50" above; "—" when unknown. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  return Math.abs(usd) < 1 ? `$${usd.toFixed(3)}` : `$${usd.toFixed(2)}`;
}

/** "1.2 MB", "640 KB", "512 B". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A local date and time, e.g. "2026-11-30 10:02". */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `<input type="date">` value (local day) → ms at its start, or `null` when empty/invalid. */
export function dayStartMs(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
}

/** The end of a local day (exclusive bound: the next day's start), or `null`. */
export function dayEndMs(value: string): number | null {
  const start = dayStartMs(value);
  if (start === null) return null;
  const d = new Date(start);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** "1 image", "2,345 images". */
export function countLabel(n: number, noun = 'image'): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
