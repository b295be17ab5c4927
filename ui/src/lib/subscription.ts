// Event subscriptions from components: `listen` resolves later, but a component may unmount first.

/** Starts a subscription and returns its stop function, safe to call at any time: stopping before
 * the subscription is in place ends it as soon as it is. */
export function subscription(start: Promise<() => void>): () => void {
  let stop: (() => void) | undefined;
  let gone = false;
  start.then(
    (unlisten) => (gone ? unlisten() : (stop = unlisten)),
    () => {},
  );
  return () => {
    gone = true;
    stop?.();
  };
}
