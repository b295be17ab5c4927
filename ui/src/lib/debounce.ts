/** Calls `fn` once `ms` after the last call; `flush` runs a pending call now, `cancel` drops it. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const call = (...args: A) => {
    pending = args;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const a = pending!;
      pending = undefined;
      fn(...a);
    }, ms);
  };
  call.flush = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    const a = pending!;
    pending = undefined;
    fn(...a);
  };
  call.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
    pending = undefined;
  };
  return call;
}
