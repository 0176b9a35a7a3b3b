/** One periodic task of nova-compute on the injected clock (oslo's periodic_task with a spacing). */
import type { Clock, TimerHandle } from '../../common/clock.js';

/**
 * Runs `task` every `seconds` (never when `seconds` <= 0, null then), never two runs at
 * once; a run's failure is handed to `onError` and the next run still comes. The handle
 * stops it.
 */
export function every(clock: Clock, seconds: number, task: () => Promise<unknown>, onError: (err: unknown) => void): TimerHandle | null {
  const ms = seconds * 1000;
  if (ms <= 0) return null;
  let handle: TimerHandle;
  // oslo runs a service's periodic tasks one after the other: a run still going when
  // the next is due makes that one wait for the following tick.
  let running = false;
  const tick = () => {
    handle = clock.after(ms, tick);
    if (running) return;
    running = true;
    void task()
      .catch(onError)
      .finally(() => (running = false));
  };
  handle = clock.after(ms, tick);
  return { cancel: () => handle.cancel() };
}

/** oslo.service's DEFAULT_INTERVAL: how often a periodic task without its own spacing runs. */
export const DEFAULT_PERIODIC_SPACING_S = 60;
