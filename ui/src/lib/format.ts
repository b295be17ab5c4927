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
