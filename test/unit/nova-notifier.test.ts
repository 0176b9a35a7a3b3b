/**
 * neutron's nova notifier: which port changes become which events (Zed's rules), the
 * BatchNotifier timing, the config gates, and every failure logged and dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { FakeClock } from '../../src/common/clock.js';
import { type Config, loadConfig } from '../../src/common/config.js';
import type { RestResponse } from '../../src/common/rest-client.js';
import { type NovaEvent, NovaNotifier, isComputePort, pyRepr } from '../../src/network/notifiers/nova.js';
import type { FloatingIps } from '../../src/network/plugin/floating-ips.js';
import { PortEvents, type PortStatusChange } from '../../src/network/plugin/port-events.js';

const SERVER = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00';

function harness(network: Partial<Config['network']> = {}, respond?: (events: NovaEvent[]) => RestResponse | Promise<RestResponse>) {
  const cfg = loadConfig({ overrides: { network: { send_events_interval: 2, ...network } } });
  const clock = new FakeClock();
  const sent: NovaEvent[][] = [];
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const notifier = new NovaNotifier({
    cfg,
    clock,
    log,
    getPort: async (id) => (id.startsWith('gone') ? null : { id, device_id: id === 'dhcp' ? 'dhcp-x' : SERVER, device_owner: id === 'dhcp' ? 'network:dhcp' : 'compute:nova' }),
    client: {
      async createEvents(events) {
        sent.push(events);
        return respond ? respond(events) : { status: 200, body: { events: events.map((e) => ({ ...e, code: 200 })) }, requestId: 'req-1' };
      },
    },
  });
  const events = new PortEvents();
  notifier.attach(events);
  return { notifier, events, sent, clock, lines };
}

const tick = () => new Promise((r) => setImmediate(r));
const change = (previous: string, current: string, extra: Partial<PortStatusChange> = {}): PortStatusChange => ({
  id: 'port-1',
  device_id: SERVER,
  device_owner: 'compute:nova',
  network_id: 'net-1',
  previous,
  current,
  ...extra,
});
const port = (extra: Record<string, unknown> = {}) => ({ id: 'port-1', device_id: SERVER, device_owner: 'compute:nova', status: 'ACTIVE', ...extra });

describe('which events', () => {
  it('status transitions: plugged on DOWN/BUILD → ACTIVE (failed on ERROR), unplugged on ACTIVE → DOWN, nothing else', async () => {
    const h = harness({ send_events_interval: 0 });
    for (const [prev, cur] of [
      ['DOWN', 'BUILD'],
      ['BUILD', 'ACTIVE'],
      ['ACTIVE', 'DOWN'],
      ['DOWN', 'ACTIVE'],
      ['DOWN', 'ERROR'],
      ['ACTIVE', 'BUILD'],
      ['ACTIVE', 'ERROR'],
    ] as const) {
      h.events.emit('statusChanged', change(prev, cur));
      await tick();
    }
    assert.deepEqual(h.sent.flat(), [
      { server_uuid: SERVER, name: 'network-vif-plugged', status: 'completed', tag: 'port-1' },
      { server_uuid: SERVER, name: 'network-vif-unplugged', status: 'completed', tag: 'port-1' },
      { server_uuid: SERVER, name: 'network-vif-plugged', status: 'completed', tag: 'port-1' },
      { server_uuid: SERVER, name: 'network-vif-plugged', status: 'failed', tag: 'port-1' },
    ]);
  });

  it('only compute ports with a uuid-like device_id', async () => {
    const h = harness({ send_events_interval: 0 });
    h.events.emit('statusChanged', change('DOWN', 'ACTIVE', { device_owner: 'network:dhcp' }));
    h.events.emit('statusChanged', change('DOWN', 'ACTIVE', { device_id: 'not-a-uuid' }));
    h.events.emit('statusChanged', change('DOWN', 'ACTIVE', { device_id: '' }));
    await tick();
    assert.deepEqual(h.sent, []);
    assert.ok(isComputePort({ device_id: SERVER.replace(/-/g, '').toUpperCase(), device_owner: 'compute:az1' }));
  });

  it('data changes: network-changed on every update_port, network-vif-deleted on delete, nothing on create', async () => {
    const h = harness({ send_events_interval: 0 });
    h.events.emit('afterUpdate', port(), null);
    await tick();
    h.events.emit('afterUpdate', port({ name: 'x' }), port());
    await tick();
    h.events.emit('afterDelete', port());
    await tick();
    assert.deepEqual(h.sent.flat(), [
      { name: 'network-changed', server_uuid: SERVER, tag: 'port-1' },
      { server_uuid: SERVER, name: 'network-vif-deleted', tag: 'port-1' },
    ]);
  });

  it('floating IPs: network-changed for the associated compute port, both ports when it moves', async () => {
    const h = harness({ send_events_interval: 0 });
    const fips = { listeners: [] } as unknown as FloatingIps;
    h.notifier.attachFloatingIps(fips);
    const fire = async (action: string, original: Record<string, unknown>, returned: Record<string, unknown>) => {
      for (const l of fips.listeners) l(action as never, original, returned);
      for (let i = 0; i < 5; i++) await tick();
    };
    await fire('create_floatingip', {}, { id: 'f', port_id: 'p-a' });
    await fire('update_floatingip', { id: 'f', port_id: 'p-a' }, { id: 'f', port_id: 'p-b' });
    await fire('update_floatingip', { id: 'f', port_id: 'p-b' }, { id: 'f', port_id: null });
    await fire('create_floatingip', {}, { id: 'g', port_id: null });
    await fire('delete_floatingip', {}, { id: 'h', port_id: 'dhcp' });
    await fire('delete_floatingip', {}, { id: 'i', port_id: 'gone-1' });
    assert.deepEqual(
      h.sent.flat().map((e) => [e.name, e.tag]),
      [
        ['network-changed', 'p-a'],
        ['network-changed', 'p-a'],
        ['network-changed', 'p-b'],
        ['network-changed', 'p-b'],
      ],
    );
  });

  it('the config switches', async () => {
    const h = harness({ send_events_interval: 0, notify_nova_on_port_status_changes: false, notify_nova_on_port_data_changes: false });
    h.events.emit('statusChanged', change('DOWN', 'ACTIVE'));
    h.events.emit('afterDelete', port());
    h.notifier.notifyPortActiveDirect(port());
    await tick();
    assert.deepEqual(h.sent, []);
  });
});

describe('batching (BatchNotifier)', () => {
  it('the first event goes at once; the ones during send_events_interval go together after it', async () => {
    const h = harness({ send_events_interval: 2 });
    h.events.emit('statusChanged', change('BUILD', 'ACTIVE', { id: 'a' }));
    await tick();
    assert.equal(h.sent.length, 1);
    h.events.emit('statusChanged', change('BUILD', 'ACTIVE', { id: 'b' }));
    h.events.emit('statusChanged', change('BUILD', 'ACTIVE', { id: 'c' }));
    await h.clock.advance(1999);
    assert.equal(h.sent.length, 1);
    await h.clock.advance(1);
    assert.deepEqual(
      h.sent.map((b) => b.map((e) => e.tag)),
      [['a'], ['b', 'c']],
    );
    await h.clock.advance(2000);
    await h.notifier.idle();
    h.events.emit('statusChanged', change('BUILD', 'ACTIVE', { id: 'd' }));
    await tick();
    assert.equal(h.sent.length, 3, 'after a quiet interval the next event goes at once again');
  });

  it('events of one commit go in one POST', async () => {
    const h = harness({ send_events_interval: 0 });
    for (let i = 0; i < 100; i++) h.events.emit('statusChanged', change('BUILD', 'ACTIVE', { id: `p${i}` }));
    await tick();
    assert.equal(h.sent.length, 1);
    assert.equal(h.sent[0]!.length, 100);
  });
});

describe('answers and failures are logged, never thrown', () => {
  it("logs nova's answer per event as neutron does", async () => {
    const h = harness({ send_events_interval: 0 });
    h.events.emit('statusChanged', change('BUILD', 'ACTIVE'));
    await tick();
    await tick();
    const info = h.lines.find((l) => l.msg.startsWith('Nova event matching'));
    assert.equal(
      info?.msg,
      `Nova event matching ['req-1'] response: {'server_uuid': '${SERVER}', 'name': 'network-vif-plugged', 'status': 'completed', 'tag': 'port-1', 'code': 200}`,
    );
  });

  for (const [what, respond, level, pattern] of [
    ['404 for unknown servers', () => ({ status: 404, body: { itemNotFound: { code: 404, message: 'No instances found for any event' } }, requestId: 'r' }), 20, /^Nova returned NotFound for event: \[\{'server_uuid'/],
    ['a 207 with a failed event', (evs: NovaEvent[]) => ({ status: 207, body: { events: evs.map((e) => ({ ...e, code: 422, status: 'failed' })) }, requestId: 'r' }), 40, /returned with failed status$/],
    ['a 500', () => ({ status: 500, body: 'boom', requestId: undefined }), 50, /^Failed to notify nova on events: /],
    ['no compute endpoint', () => Promise.reject(new Error('no public endpoint of type compute in the catalog')), 50, /^Failed to notify nova on events: /],
  ] as const) {
    it(what, async () => {
      const h = harness({ send_events_interval: 0 }, respond as never);
      h.events.emit('statusChanged', change('BUILD', 'ACTIVE'));
      await tick();
      await tick();
      await h.notifier.idle();
      assert.ok(
        h.lines.some((l) => l.level === level && pattern.test(l.msg)),
        JSON.stringify(h.lines.map((l) => [l.level, l.msg])),
      );
    });
  }
});

describe('pyRepr', () => {
  it('prints like Python', () => {
    assert.equal(pyRepr({ a: [1, 'x', null, true] }), "{'a': [1, 'x', None, True]}");
  });
});
