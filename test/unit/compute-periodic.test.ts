/** manager/periodic.ts: a periodic task on the injected clock, never two runs at once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { every } from '../../src/compute/manager/periodic.js';

const unexpected = (err: unknown) => assert.fail(String(err));

describe('every (a periodic task)', () => {
  it('runs every `seconds` on the clock, and not at all for 0 or less', async () => {
    const clock = new FakeClock();
    let runs = 0;
    assert.equal(every(clock, 0, async () => runs++, unexpected), null);
    assert.equal(every(clock, -1, async () => runs++, unexpected), null);
    const h = every(clock, 60, async () => runs++, unexpected)!;
    await clock.advance(59_000);
    assert.equal(runs, 0);
    await clock.advance(1_000);
    assert.equal(runs, 1);
    await clock.advance(120_000);
    assert.equal(runs, 3);
    h.cancel();
    await clock.advance(600_000);
    assert.equal(runs, 3);
  });

  it('skips a tick while the previous run is still going; a failed run does not stop the next', async () => {
    const clock = new FakeClock();
    let runs = 0;
    let release = () => {};
    const errors: unknown[] = [];
    every(
      clock,
      10,
      async () => {
        runs++;
        if (runs === 1) await new Promise<void>((r) => (release = r));
        if (runs === 2) throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    await clock.advance(30_000);
    assert.equal(runs, 1);
    release();
    await clock.advance(10_000);
    assert.equal(runs, 2);
    assert.equal((errors[0] as Error).message, 'boom');
    await clock.advance(10_000);
    assert.equal(runs, 3);
  });
});
