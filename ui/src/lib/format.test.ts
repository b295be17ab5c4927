import { describe, expect, it } from 'vitest';
import { describeBuild, errorMessage, formatVersion, generateCommand, shellQuote } from './format';

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
