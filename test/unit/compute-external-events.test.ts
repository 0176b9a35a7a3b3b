import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import type { NovaContext } from '../../src/compute/context.js';
import { type ComputeDeps, InstanceLocks } from '../../src/compute/manager/deps.js';
import { ComputeManager } from '../../src/compute/manager/manager.js';
import type { ExternalEvent } from '../../src/compute/rpc.js';

/** A compute manager whose cache refreshes wait until the test lets each one finish. */
function managerWithHeldRefreshes() {
  const seen: string[] = [];
  const held = new Map<string, () => void>();
  const deps = {
    host: 'compute1',
    log: silentLogger(),
    cacheLocks: new InstanceLocks(),
    instances: {
      find: async (uuid: string) => ({ uuid }),
      networkInfo: async () => [],
      saveNetworkInfo: async (uuid: string) => void seen.push(`saved ${uuid}`),
    },
    network: {
      getInstanceNwInfo: (_ctx: unknown, i: { uuid: string }) =>
        new Promise<never[]>((resolve) => {
          seen.push(`refresh ${i.uuid}`);
          held.set(i.uuid, () => resolve([]));
        }),
    },
    events: { pop: (uuid: string, ev: ExternalEvent) => (seen.push(`${ev.name} ${uuid}`), true) },
  };
  return { manager: new ComputeManager(deps as unknown as ComputeDeps), seen, held };
}

const settle = () => new Promise((r) => setImmediate(r));
const ev = (name: string, serverUuid: string): ExternalEvent => ({ name, serverUuid, tag: `port-of-${serverUuid}`, status: 'completed' }) as ExternalEvent;

test('external events: an instance with nothing to refresh is not held back by other instances\' cache refreshes', async () => {
  const { manager, seen, held } = managerWithHeldRefreshes();
  const done = manager.externalInstanceEvent({} as NovaContext, [ev('network-changed', 'a'), ev('network-vif-plugged', 'a'), ev('network-vif-plugged', 'b')]);
  await settle();
  // b's event went through while a's refresh is still running; a's own plug event waits for it.
  assert.deepEqual([...seen].sort(), ['network-vif-plugged b', 'refresh a']);
  held.get('a')!();
  await done;
  assert.deepEqual(seen.slice(2), ['saved a', 'network-vif-plugged a']);
});

test('external events: refreshes run a few at a time, each instance\'s events in the order they came', async () => {
  const { manager, seen, held } = managerWithHeldRefreshes();
  const uuids = Array.from({ length: 12 }, (_, i) => `i${i}`);
  const done = manager.externalInstanceEvent({} as NovaContext, uuids.flatMap((u) => [ev('network-changed', u), ev('network-vif-plugged', u)]));
  await settle();
  assert.equal(seen.filter((s) => s.startsWith('refresh')).length, 8, 'eight refreshes at once');
  while (held.size) {
    const [uuid, release] = [...held][0]!;
    held.delete(uuid);
    release();
    await settle();
  }
  await done;
  for (const u of uuids) {
    const order = seen.filter((s) => s.endsWith(` ${u}`));
    assert.deepEqual(order, [`refresh ${u}`, `saved ${u}`, `network-vif-plugged ${u}`]);
  }
});
