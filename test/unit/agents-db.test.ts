import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import {
  AgentNotFound,
  type AgentStateReport,
  agentToWire,
  agentsOnHost,
  deleteAgent,
  getAgent,
  listAgents,
  reportState,
  updateAgent,
} from '../../src/network/agents/index.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { openTestDb } from './ml2-fixtures.js';

let db: Kysely<NeutronDB>;
let close: () => Promise<void>;
beforeEach(async () => ({ db, close } = await openTestDb()));
afterEach(() => close());

const report = (host: string, extra: Partial<AgentStateReport> = {}): AgentStateReport => ({
  agent_type: 'Open vSwitch agent',
  binary: 'neutron-openvswitch-agent',
  host,
  topic: 'N/A',
  configurations: { tunnel_types: ['vxlan'], bridge_mappings: { physnet1: 'br-phys' } },
  start_flag: true,
  resource_versions: { Port: '1.7' },
  ...extra,
});

describe('agents db', () => {
  it('creates on first report and keeps created_at on later ones', async () => {
    const clock = new FakeClock();
    const random = seededRandom(5);
    const first = await reportState(db, report('c1'), clock.now(), { random });
    assert.equal(first.status, 'new');
    await clock.advance(30_000);
    const second = await reportState(db, report('c1', { start_flag: undefined, resource_versions: undefined }), clock.now(), { random });
    assert.deepEqual(second, { status: 'alive', id: first.id, admin_state_up: true });
    const row = await getAgent(db, first.id);
    const wire = agentToWire(row, clock.now(), 75);
    assert.equal(wire.created_at, '2026-01-01 00:00:00');
    assert.equal(wire.started_at, '2026-01-01 00:00:00');
    assert.equal(wire.heartbeat_timestamp, '2026-01-01 00:00:30');
    assert.deepEqual(wire.resource_versions, { Port: '1.7' }, 'kept when a later report omits them');

    await clock.advance(10_000);
    await reportState(db, report('c1'), clock.now());
    const restarted = agentToWire(await getAgent(db, first.id), clock.now(), 75);
    assert.equal(restarted.created_at, '2026-01-01 00:00:00');
    assert.equal(restarted.started_at, '2026-01-01 00:00:40', 'start_flag moves started_at');
  });

  it("gives neutron's agent JSON", async () => {
    const clock = new FakeClock();
    const { id } = await reportState(db, report('c1'), clock.now(), { random: seededRandom(1) });
    const wire = agentToWire(await getAgent(db, id), clock.now(), 75);
    assert.deepEqual(Object.keys(wire), [
      'id',
      'agent_type',
      'binary',
      'topic',
      'host',
      'admin_state_up',
      'created_at',
      'started_at',
      'heartbeat_timestamp',
      'description',
      'alive',
      'configurations',
      'resource_versions',
      'availability_zone',
      'resources_synced',
    ]);
    assert.equal(wire.alive, true);
    assert.equal(wire.description, null);
    assert.equal(wire.availability_zone, null);
    assert.equal(wire.resources_synced, null);
    assert.equal(wire.topic, 'N/A');
    assert.deepEqual(wire.configurations, { tunnel_types: ['vxlan'], bridge_mappings: { physnet1: 'br-phys' } });
    assert.equal(agentToWire(await getAgent(db, id), clock.now() + 76_000, 75).alive, false);
  });

  it('answers revived when a down agent reports again', async () => {
    const clock = new FakeClock();
    await reportState(db, report('c1'), clock.now());
    await clock.advance(100_000);
    assert.equal((await reportState(db, report('c1'), clock.now(), { agentDownTime: 75 })).status, 'revived');
  });

  it('lists, filters, updates and deletes', async () => {
    const clock = new FakeClock();
    const a = await reportState(db, report('c1'), clock.now());
    await clock.advance(100_000);
    const b = await reportState(db, report('c2'), clock.now());
    await reportState(db, { ...report('c2'), agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent' }, clock.now());
    assert.equal((await listAgents(db)).length, 3);
    assert.deepEqual((await listAgents(db, { host: 'c1' })).map((r) => r.id), [a.id]);
    assert.equal((await listAgents(db, { agent_type: ['Open vSwitch agent'] })).length, 2);
    assert.deepEqual(
      (await listAgents(db, { alive: false }, { nowMs: clock.now(), agentDownTime: 75 })).map((r) => r.id),
      [a.id],
    );
    assert.equal((await agentsOnHost(db, 'c2')).length, 2);

    const updated = await updateAgent(db, b.id, { admin_state_up: false, description: 'maintenance' });
    assert.equal(updated.admin_state_up, 0);
    assert.equal(updated.description, 'maintenance');
    assert.deepEqual((await listAgents(db, { admin_state_up: false })).map((r) => r.id), [b.id]);
    assert.equal((await reportState(db, report('c2'), clock.now())).admin_state_up, false, 'a report does not re-enable it');

    await deleteAgent(db, a.id);
    for (const op of [() => getAgent(db, a.id), () => deleteAgent(db, a.id), () => updateAgent(db, a.id, { description: 'x' })]) {
      await assert.rejects(op(), (e: unknown) => {
        assert.ok(e instanceof AgentNotFound);
        assert.equal(e.status, 404);
        assert.equal(e.message, `Agent ${a.id} could not be found.`);
        return true;
      });
    }
  });
});
