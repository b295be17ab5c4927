import { describe, expect, it, vi } from 'vitest';
import { subscription } from './subscription';

describe('subscription', () => {
  it('stops a subscription that is already in place', async () => {
    const unlisten = vi.fn();
    const stop = subscription(Promise.resolve(unlisten));
    await Promise.resolve();
    await Promise.resolve();
    stop();
    expect(unlisten).toHaveBeenCalledOnce();
  });

  it('ends a subscription that arrives after the stop', async () => {
    const unlisten = vi.fn();
    let resolve: (f: () => void) => void = () => {};
    const stop = subscription(new Promise((r) => (resolve = r)));
    stop();
    expect(unlisten).not.toHaveBeenCalled();
    resolve(unlisten);
    await Promise.resolve();
    await Promise.resolve();
    expect(unlisten).toHaveBeenCalledOnce();
  });
});
