import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce } from './debounce';

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once with the last arguments after the pause', () => {
    const fn = vi.fn();
    const d = debounce(fn, 150);
    d('f');
    d('fo');
    vi.advanceTimersByTime(100);
    d('fox');
    vi.advanceTimersByTime(149);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledExactlyOnceWith('fox');
  });

  it('flush runs a pending call now; cancel drops it', () => {
    const fn = vi.fn();
    const d = debounce(fn, 150);
    d(1);
    d.flush();
    expect(fn).toHaveBeenCalledExactlyOnceWith(1);
    d(2);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
    d.flush();
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
