/**
 * Polling for what a cloud does asynchronously (a server going ACTIVE, a port bound, an
 * event recorded): the tests wait on observable state, never on a fixed sleep.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Calls `fn` every `every` ms until it returns something other than undefined; throws after `ms`. */
export async function waitFor<T>(what: string | (() => string), fn: () => Promise<T | undefined>, ms = 30_000, every = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(every);
  }
}
