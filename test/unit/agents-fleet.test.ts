import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { InprocBus } from '../../src/bus/inproc.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import { OvsAgentFleet, agentToWire, listAgents, registerReportEndpoint } from '../../src/network/agents/index.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { Ml2, type Segment } from '../../src/network/ml2/index.js';
import { openTestDb, testConfig } from './ml2-fixtures.js';

let db: Kysely<NeutronDB>;
let close: () => Promise<void>;
let clock: FakeClock;
let bus: InprocBus;
let fleet: OvsAgentFleet | undefined;
const log = silentLogger();
const cfg = testConfig({ agent: { report_interval: 30 }, network: { agent_down_time: 75 } });

beforeEach(async () => {
  ({ db, close } = await openTestDb());
  clock = new FakeClock();
  bus = new InprocBus(clock, log);
  await registerReportEndpoint(bus, db, clock, log, { agentDownTime: 75, random: seededRandom(2) });
});
afterEach(async () => {
  fleet?.stop();
  await bus.close();
  await close();
});

const newFleet = () => (fleet = new OvsAgentFleet({ bus, clock, log, cfg, random: seededRandom(9) }));
const heartbeats = async () =>
  Object.fromEntries((await listAgents(db)).map((r) => [r.host, agentToWire(r, clock.now(), 75).heartbeat_timestamp]));

describe('simulated OVS agent fleet', () => {
  it('reports at start and then every report_interval, and stops when told', async () => {
    const f = newFleet();
    await f.addHost('compute1');
    await f.addHost('compute2');
    await f.start();
    assert.deepEqual(await heartbeats(), { compute1: '2026-01-01 00:00:00', compute2: '2026-01-01 00:00:00' });
    const wire = agentToWire((await listAgents(db, { host: 'compute1' }))[0]!, clock.now(), 75);
    assert.equal(wire.agent_type, 'Open vSwitch agent');
    assert.equal(wire.binary, 'neutron-openvswitch-agent');
    assert.equal(wire.topic, 'N/A');
    assert.equal(wire.alive, true);
    assert.deepEqual(wire.configurations['bridge_mappings'], { physnet1: 'br-phys' });
    assert.deepEqual(wire.configurations['tunnel_types'], ['vxlan']);
    assert.equal(wire.configurations['ovs_hybrid_plug'], true);
    assert.equal(wire.configurations['datapath_type'], 'system');
    assert.equal(wire.configurations['integration_bridge'], 'br-int');
    assert.equal(wire.configurations['in_distributed_mode'], false);
    assert.notEqual(wire.configurations['tunneling_ip'], agentToWire((await listAgents(db, { host: 'compute2' }))[0]!, 0, 75).configurations['tunneling_ip']);
    assert.equal(wire.resource_versions['Port'], '1.7');

    await clock.advance(29_000);
    assert.equal((await heartbeats())['compute1'], '2026-01-01 00:00:00');
    await clock.advance(1_000);
    assert.deepEqual(await heartbeats(), { compute1: '2026-01-01 00:00:30', compute2: '2026-01-01 00:00:30' });
    await clock.advance(30_000);
    assert.equal((await heartbeats())['compute1'], '2026-01-01 00:01:00');
    assert.equal(f.host('compute1')!.lastStatus, 'alive');

    f.stop();
    assert.equal(clock.pending, 0, 'one timer for the whole fleet, cancelled');
    await clock.advance(120_000);
    assert.equal((await heartbeats())['compute1'], '2026-01-01 00:01:00');
  });

  it('a silenced host goes down after agent_down_time and binding says so', async () => {
    const f = newFleet();
    await f.addHost('compute1');
    await f.start();
    await f.setReporting('compute1', false);
    const ml2 = new Ml2({ cfg, log, clock, random: seededRandom(1) });
    await ml2.init(db);
    const seg: Segment = { id: 's', network_id: 'n', network_type: 'vxlan', physical_network: null, segmentation_id: 1, segment_index: 0 };
    const bind = () => ml2.bindPort(db, { portId: 'p', host: 'compute1', vnicType: 'normal', profile: {}, segments: [seg] });
    await clock.advance(75_000);
    assert.equal((await bind()).ok, true);
    await clock.advance(15_000);
    const r = await bind();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.cause, 'agent_down');

    await f.setReporting('compute1', true);
    assert.equal(f.host('compute1')!.lastStatus, 'revived');
    assert.equal((await bind()).ok, true);
  });

  it('configure() changes what the agent reports, and binding follows', async () => {
    const f = newFleet();
    await f.addHost('compute1', { firewall_driver: 'openvswitch' });
    await f.start();
    const ml2 = new Ml2({ cfg, log, clock, random: seededRandom(1) });
    await ml2.init(db);
    const seg: Segment = { id: 's', network_id: 'n', network_type: 'vxlan', physical_network: null, segmentation_id: 1, segment_index: 0 };
    const bind = () => ml2.bindPort(db, { portId: 'p', host: 'compute1', vnicType: 'normal', profile: {}, segments: [seg] });
    const ok = await bind();
    assert.ok(ok.ok);
    assert.equal(ok.vifDetails['ovs_hybrid_plug'], false);

    await clock.advance(10_000);
    await f.configure('compute1', { tunnel_types: [] });
    const r = await bind();
    assert.equal(!r.ok && r.cause, 'no_tunnel_types');
    const row = (await listAgents(db, { host: 'compute1' }))[0]!;
    assert.equal(agentToWire(row, clock.now(), 75).started_at, '2026-01-01 00:00:10', 'a reconfigured agent restarts');
  });

  it('a host added while running reports at once; failures without a server are survived', async () => {
    const lonely = new InprocBus(clock, log);
    const f = (fleet = new OvsAgentFleet({ bus: lonely, clock, log, cfg }));
    await f.addHost('compute9');
    await f.start();
    assert.equal(f.host('compute9')!.lastStatus, null);
    f.stop();

    const g = newFleet();
    await g.start();
    await g.addHost('compute3');
    assert.deepEqual(Object.keys(await heartbeats()), ['compute3']);
    assert.equal(g.host('compute3')!.lastStatus, 'new');
  });
});
