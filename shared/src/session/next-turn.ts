/**
 * Runs a callback once the current turn of the event loop is over, so that frames produced
 * by everything handled in this turn leave together. Node: `setImmediate`, which runs right
 * after the turn's I/O callbacks. Browsers: a MessageChannel task, which (unlike
 * `setTimeout(0)`) is never clamped to 4 ms.
 */
export function nextTurn(callback: () => void): void {
  // Looked up on every call, so test fake timers that replace setImmediate apply.
  const { setImmediate } = globalThis as { setImmediate?: (callback: () => void) => unknown };
  if (typeof setImmediate === 'function') {
    setImmediate(callback);
    return;
  }
  browserTurn ??= createBrowserTurn();
  browserTurn(callback);
}

let browserTurn: ((callback: () => void) => void) | undefined;

function createBrowserTurn(): (callback: () => void) => void {
  const waiting: (() => void)[] = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    for (const callback of waiting.splice(0)) {
      try {
        callback();
      } catch (error) {
        // One failing callback must not cost the others their turn; report it unhandled.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };
  return (callback) => {
    if (waiting.push(callback) === 1) channel.port2.postMessage(undefined);
  };
}
