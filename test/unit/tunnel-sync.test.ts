/**
 * neutron-server's tunnel_sync (type_tunnel.py TunnelRpcCallbackMixin, stable/zed) on a
 * migrated SQLite neutron database, over the bus: endpoints in ml2_vxlan_endpoints, the
 * reply {tunnels: [{ip_address, udp_port, host}]}, tunnel_update fanned out for the
 * caller's address, a host's changed address announced with tunnel_delete first, an
 * address moving to another host, and ML2's InvalidInput refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InprocBus } from '../../src/bus/inproc.js';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import { type Db, migrate, openDatabase } from '../../src/db/database.js';
import { neutronMigrations } from '../../src/network/db/migrations.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { selectVxlanEndpoints } from '../../src/network/db/tunnel-endpoints.js';
import { InvalidInput } from '../../src/network/errors.js';
import { TunnelRpcCallback } from '../../src/network/rpc/tunnel-rpc.js';

describe('tunnel_sync', () => {
  let handle: Db<NeutronDB>;
  let bus: InprocBus;
  let rpc: TunnelRpcCallback;
  const casts: [string, unknown][] = [];
  const clock = new FakeClock();

  before(async () => {
    handle = openDatabase<NeutronDB>('sqlite://:memory:');
    await migrate(handle.kysely as never, neutronMigrations, 'neutron');
    bus = new InprocBus(clock, silentLogger());
    await bus.listen(Topics.agentTunnelUpdate, 'agent-x', { tunnel_update: (a: unknown) => void casts.push(['tunnel_update', a]) });
    await bus.listen(Topics.agentTunnelDelete, 'agent-x', { tunnel_delete: (a: unknown) => void casts.push(['tunnel_delete', a]) });
    rpc = new TunnelRpcCallback({ db: handle.kysely, bus, log: silentLogger(), typeDrivers: ['local', 'flat', 'vlan', 'vxlan'] });
  });
  after(async () => {
    await bus.close();
    await handle.close();
  });

  const flush = async () => {
    for (let i = 0; i < 3; i++) await clock.advance(0);
  };

  it('records endpoints, answers with all of them and fans out tunnel_update for the caller', async () => {
    assert.deepEqual(await rpc.tunnelSync({ tunnel_ip: '192.0.2.1', tunnel_type: 'vxlan', host: 'compute1' }), { tunnels: [{ ip_address: '192.0.2.1', udp_port: 4789, host: 'compute1' }] });
    const r = await rpc.tunnelSync({ tunnel_ip: '192.0.2.2', tunnel_type: 'vxlan', host: 'compute2' });
    assert.deepEqual(r.tunnels.map((t) => [t.ip_address, t.host]), [['192.0.2.1', 'compute1'], ['192.0.2.2', 'compute2']]);
    // Again (an agent restart): nothing changes, tunnel_update again.
    await rpc.tunnelSync({ tunnel_ip: '192.0.2.2', tunnel_type: 'vxlan', host: 'compute2' });
    await flush();
    assert.deepEqual(casts.splice(0), [
      ['tunnel_update', { tunnel_ip: '192.0.2.1', tunnel_type: 'vxlan' }],
      ['tunnel_update', { tunnel_ip: '192.0.2.2', tunnel_type: 'vxlan' }],
      ['tunnel_update', { tunnel_ip: '192.0.2.2', tunnel_type: 'vxlan' }],
    ]);
  });

  it('a host with a new address: tunnel_delete of the old one, then tunnel_update; an address taken by another host moves', async () => {
    await rpc.tunnelSync({ tunnel_ip: '192.0.2.12', tunnel_type: 'vxlan', host: 'compute2' });
    await flush();
    assert.deepEqual(casts.splice(0), [
      ['tunnel_delete', { tunnel_ip: '192.0.2.2', tunnel_type: 'vxlan' }],
      ['tunnel_update', { tunnel_ip: '192.0.2.12', tunnel_type: 'vxlan' }],
    ]);
    await rpc.tunnelSync({ tunnel_ip: '192.0.2.1', tunnel_type: 'vxlan', host: 'compute3' });
    assert.deepEqual((await selectVxlanEndpoints(handle.kysely)).map((t) => [t.ip_address, t.host]), [['192.0.2.1', 'compute3'], ['192.0.2.12', 'compute2']]);
  });

  it('refuses what ML2 refuses, with its messages', async () => {
    await assert.rejects(rpc.tunnelSync({ tunnel_ip: '', tunnel_type: 'vxlan', host: 'h' }), (e: unknown) => e instanceof InvalidInput && /Tunnel IP value needed by the ML2 plugin/.test((e as Error).message));
    await assert.rejects(rpc.tunnelSync({ tunnel_ip: 'fd00::1', tunnel_type: 'vxlan', host: 'h' }), /Tunnel IP version does not match ML2 overlay_ip_version: 4, host: h, tunnel_ip: fd00::1/);
    await assert.rejects(rpc.tunnelSync({ tunnel_ip: '192.0.2.9', tunnel_type: 'gre', host: 'h' }), /Network type value gre not supported, host: h with tunnel IP: 192.0.2.9/);
  });
});
