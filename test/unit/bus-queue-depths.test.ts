/**
 * The in-process bus's queue depths: delivery is a microtask away, so only casts held
 * by fault injection (hold) wait, each on the queue it was sent to, until released.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { systemClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';

it('InprocBus.queueDepths counts held casts on their queue and every asked queue', async () => {
  const bus = new InprocBus(systemClock, silentLogger());
  const seen: unknown[] = [];
  await bus.listen('t', 'h1', { note: (a: never) => void seen.push(a) });
  const release = bus.hold('note');
  await bus.cast({ topic: 't' }, 'note', 1);
  await bus.cast({ topic: 't', server: 'h1' }, 'note', 2);
  await bus.cast({ topic: 't', server: 'h1' }, 'note', 3);
  assert.deepEqual(await bus.queueDepths(['t', 't.h1', 'other']), { t: 1, 't.h1': 2, other: 0 });
  release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(await bus.queueDepths(['t', 't.h1']), { t: 0, 't.h1': 0 });
  assert.deepEqual(seen, [1, 2, 3]);
  await bus.close();
});
