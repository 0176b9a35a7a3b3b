/**
 * The fault book across processes (src/common/faults.ts): books on one bus stand for
 * the processes of a distributed cloud (nova-api twice behind a balancer,
 * neutron-server, a host). A fault added through one reaches the others; a use in one
 * counts down in all; clearing reaches everyone; a process started later learns the list;
 * ttl expiry follows the injected clock; state appliers hear hosts enter and leave.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { FakeClock } from '../../src/common/clock.js';
import { FaultBook, FaultRequestError, buildFault } from '../../src/common/faults.js';
import { silentLogger } from '../../src/common/log.js';
import { callKind } from '../../src/compute/network/neutron-client.js';

const settle = () => new Promise((r) => setImmediate(r));

function books() {
  const clock = new FakeClock();
  const log = silentLogger();
  const bus = new InprocBus(clock, log);
  const api = new FaultBook({ bus, clock, log, name: 'nova-api' });
  const other = new FaultBook({ bus, clock, log, name: 'neutron-server' });
  return { clock, bus, api, other, log };
}

describe('fault book', () => {
  it('a fault added in nova-api reaches another process; its uses count down everywhere', async () => {
    const { clock, api, other } = books();
    await api.start();
    await other.start();
    await api.add(buildFault({ kind: 'vif-plugged-drop', count: 2 }, 'f1', clock.now()));
    await settle();
    assert.equal(other.list()[0]?.id, 'f1');
    assert.equal(other.take('vif-plugged-drop')?.id, 'f1');
    await settle();
    assert.equal(api.list()[0]?.remaining, 1, 'the use in the other process counted in nova-api');
    assert.equal(api.take('vif-plugged-drop')?.id, 'f1');
    await settle();
    assert.deepEqual(api.list(), []);
    assert.deepEqual(other.list(), [], 'used up everywhere');
    assert.equal(other.take('vif-plugged-drop'), undefined);
  });

  it('a process started later gets the list; clearing through another nova-api reaches every book', async () => {
    const { clock, bus, log, api, other } = books();
    await api.start();
    await api.add(buildFault({ kind: 'scheduler-delay', delay: 3 }, 'f2', clock.now()));
    await other.start();
    await settle();
    assert.deepEqual(other.list().map((f) => f.id), ['f2']);
    const secondApi = new FaultBook({ bus, clock, log, name: 'nova-api-2' });
    await secondApi.start();
    await settle();
    assert.equal(await secondApi.clear('f2'), true);
    await settle();
    assert.deepEqual(other.list(), []);
    assert.deepEqual(api.list(), []);
  });

  it('the nth matching call fails, others pass; ttl expires on the clock', async () => {
    const { clock, api } = books();
    await api.start();
    await api.add(buildFault({ kind: 'neutron-call-fail', call: 'create_port', nth: 2, ttl: 10 }, 'f3', clock.now()));
    const createPort = () => api.take('neutron-call-fail', { match: (p) => p.call === 'create_port' });
    assert.equal(api.take('neutron-call-fail', { match: (p) => p.call === 'update_port' }), undefined);
    assert.equal(createPort(), undefined, 'the first create_port passes');
    assert.equal(createPort()?.id, 'f3');
    assert.equal(createPort()?.id, 'f3', 'no count: every later one fails');
    await clock.advance(10_000);
    assert.equal(createPort(), undefined);
    assert.deepEqual(api.list(), []);
  });

  it('state faults: appliers hear a host enter and leave, on removal and on ttl', async () => {
    const { clock, api, other } = books();
    await api.start();
    await other.start();
    const seen: [string, boolean][] = [];
    other.onState('agent-down', (host, down) => void seen.push([host, down]));
    await api.add(buildFault({ kind: 'agent-down', host: 'compute1' }, 'a1', clock.now()));
    await api.add(buildFault({ kind: 'agent-down', host: 'compute2', ttl: 5 }, 'a2', clock.now()));
    await settle();
    assert.deepEqual(seen, [['compute1', true], ['compute2', true]]);
    assert.ok(other.holds('agent-down', 'compute1'));
    await clock.advance(5_000);
    assert.deepEqual(seen.at(-1), ['compute2', false]);
    await api.clear('a1');
    await settle();
    assert.deepEqual(seen.at(-1), ['compute1', false]);
  });

  it('refuses malformed faults with what to change', () => {
    assert.throws(() => buildFault({ kind: 'ovsdb-down' }, 'x', 0), (e: unknown) => e instanceof FaultRequestError && e.message === "Fault ovsdb-down needs 'host', the compute host it applies to.");
    assert.throws(() => buildFault({ kind: 'vif-plugged-drop', host: 'h' }, 'x', 0), /Fault vif-plugged-drop takes no 'host'\./);
    assert.throws(() => buildFault({ kind: 'neutron-call-fail', call: 'create_port', status: 200 }, 'x', 0), /Invalid 'status' 200 for fault neutron-call-fail: must be a number >= 400\./);
    assert.throws(() => buildFault({ kind: 'vif-plugged-drop', ttl: -1 }, 'x', 0), /Invalid 'ttl' -1: must be a positive number\./);
  });
});

describe('neutron call kinds (what neutron-call-fail names)', () => {
  it('are neutronclient\'s method names', () => {
    const cases: [string, string, string][] = [
      ['POST', '/ports', 'create_port'],
      ['PUT', '/ports/p1', 'update_port'],
      ['GET', '/ports/p1?fields=id', 'show_port'],
      ['GET', '/ports?device_id=x', 'list_ports'],
      ['DELETE', '/ports/p1', 'delete_port'],
      ['GET', '/security-groups?tenant_id=t', 'list_security_groups'],
      ['GET', '/quotas/t1', 'show_quota'],
      ['POST', '/ports/p1/bindings', 'create_port_binding'],
      ['PUT', '/ports/p1/bindings/compute2/activate', 'activate_port_binding'],
      ['DELETE', '/ports/p1/bindings/compute2', 'delete_port_binding'],
      ['GET', 'http://127.0.0.1:9696/v2.0/ports?marker=p1', 'list_ports'],
    ];
    for (const [method, path, kind] of cases) assert.equal(callKind(method, path), kind, `${method} ${path}`);
  });
});
