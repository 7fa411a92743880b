/**
 * A lazily started async value that is computed once and shared, except that a failure is not kept: the next
 * call tries again (a store that could not open, a module that failed to load). `current()` is the value in
 * flight or settled, if it was ever asked for.
 */
export function onceUntilFailure<T>(compute: () => Promise<T>): (() => Promise<T>) & { current(): Promise<T> | undefined } {
  let pending: Promise<T> | undefined;
  const get = (): Promise<T> => {
    pending ??= compute().catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
  return Object.assign(get, { current: () => pending });
}
