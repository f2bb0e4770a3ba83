/** A promise with its settle functions, for results that arrive by event. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody waits for must not become an unhandled rejection that kills Node.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
