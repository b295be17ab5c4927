import { describe, expect, it } from 'vitest';
import {
  countLabel,
  dayEndMs,
  dayStartMs,
  describeBuild,
  errorMessage,
  formatBytes,
  formatCost,
  formatDate,
  formatVersion,
  generateCommand,
  shellQuote,
} from './format';

describe('formatVersion', () => {
  it('prefixes a bare semver with v', () => {
    expect(formatVersion('0.1.0')).toBe('v0.1.0');
    expect(formatVersion(' 1.2.3-beta.1 ')).toBe('v1.2.3-beta.1');
  });

  it('leaves prefixed and blank versions alone', () => {
    expect(formatVersion('v2.0.0')).toBe('v2.0.0');
    expect(formatVersion('')).toBe('');
  });
});

describe('describeBuild', () => {
  it('names app and core versions', () => {
    expect(describeBuild({ name: 'Easel', version: '0.1.0', core_version: '0.2.0' })).toBe(
      'Easel v0.1.0 (core v0.2.0)',
    );
  });
});

describe('shellQuote / generateCommand', () => {
  it('wraps a plain prompt in double quotes', () => {
    expect(generateCommand('a red fox')).toBe('easel generate "a red fox"');
  });

  it('escapes characters a shell would interpret inside double quotes', () => {
    expect(shellQuote('say "hi" to $HOME and `id` \\ end')).toBe(
      '"say \\"hi\\" to \\$HOME and \\`id\\` \\\\ end"',
    );
  });

  it("keeps single quotes and unicode as they are", () => {
    expect(shellQuote("it's a café — at night")).toBe(`"it's a café — at night"`);
  });
});

describe('errorMessage', () => {
  it('reads Error, string and message-bearing objects', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('no key')).toBe('no key');
    expect(errorMessage({ message: 'from rust' })).toBe('from rust');
  });

  it('falls back for anything else', () => {
    expect(errorMessage(42)).toBe('Unknown error');
    expect(errorMessage(null)).toBe('Unknown error');
  });
});

describe('gallery formatting', () => {
  it('formats costs with cents precision that matches their size', () => {
    expect(formatCost(0.042)).toBe('$0.042');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(null)).toBe('—');
    expect(formatCost(Number.NaN)).toBe('—');
  });

  it('formats sizes and counts', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(640 * 1024)).toBe('640 KB');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
    expect(countLabel(1)).toBe('1 image');
    expect(countLabel(100_000)).toBe('100,000 images');
  });

  it('turns date inputs into a local [start, next day) range', () => {
    const start = dayStartMs('2026-11-30')!;
    expect(new Date(start).getDate()).toBe(30);
    expect(new Date(start).getHours()).toBe(0);
    expect(dayEndMs('2026-11-30')! - start).toBeGreaterThanOrEqual(23 * 3600_000); // DST-safe
    expect(new Date(dayEndMs('2026-12-31')!).getFullYear()).toBe(2027);
    expect(dayStartMs('')).toBeNull();
    expect(dayStartMs('30/11/2026')).toBeNull();
    expect(formatDate(new Date(2026, 10, 30, 9, 5).getTime())).toBe('2026-11-30 09:05');
  });
});
