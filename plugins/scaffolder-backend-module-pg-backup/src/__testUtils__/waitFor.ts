/** Resolves once `condition` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 5));
  }
}
