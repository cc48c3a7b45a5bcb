'use strict';

/**
 * Calls `fn` every second until it returns a value other than undefined, for at most
 * `timeoutMs`; then fails naming `what` and the last error `fn` threw.
 */
async function poll(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs / 1000}s${
      last ? `: ${last.message}` : ''
    }`,
  );
}

module.exports = { poll };
