/**
 * Migration 008 (multiple port bindings) on a database that already holds ports: every
 * existing binding row becomes its port's ACTIVE binding, whatever status it had, and
 * (port_id, host) is the key from then on — a second host's row fits, a second row for
 * one host does not, and rows still go with their port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { type Db, migrate, openDatabase } from '../../src/db/database.js';
import { neutronMigrations } from '../../src/network/db/migrations.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { BindingStatuses, selectPortBindings } from '../../src/network/ml2/db/port-bindings.js';

const before008 = Object.fromEntries(Object.entries(neutronMigrations).filter(([name]) => name < '008'));
const binding = (portId: string, host: string, status: string) => ({ port_id: portId, host, vnic_type: 'normal', profile: '{}', vif_type: 'ovs', vif_details: '{"port_filter": true}', status });

describe('008_port_bindings_host_key', () => {
  let handle: Db<NeutronDB>;
  let db: Kysely<NeutronDB>;

  before(async () => {
    handle = openDatabase<NeutronDB>('sqlite://:memory:');
    db = handle.kysely;
    await migrate(db as never, before008, 'neutron');
    const now = '2026-01-01T00:00:00Z';
    await db.insertInto('networks').values({ id: 'net-1', project_id: 'p', name: 'n', admin_state_up: 1, status: 'ACTIVE', shared: 0, mtu: 1450, port_security_enabled: 1, router_external: 0, availability_zone_hints: '[]', description: '', created_at: now, updated_at: now, revision_number: 1 }).execute();
    for (const id of ['port-1', 'port-2']) {
      await db.insertInto('ports').values({ id, project_id: 'p', network_id: 'net-1', name: '', mac_address: id === 'port-1' ? 'fa:16:3e:00:00:01' : 'fa:16:3e:00:00:02', admin_state_up: 1, status: 'DOWN', device_id: '', device_owner: 'compute:nova', port_security_enabled: 1, description: '', created_at: now, updated_at: now, revision_number: 1 }).execute();
    }
    await db.insertInto('ml2_port_bindings').values([binding('port-1', 'compute1', 'ACTIVE'), binding('port-2', '', 'whatever')]).execute();
    await migrate(db as never, neutronMigrations, 'neutron');
  });
  after(() => handle.close());

  it('keeps every row, each now ACTIVE, with its columns unchanged', async () => {
    assert.deepEqual(await selectPortBindings(db, 'port-1'), [binding('port-1', 'compute1', BindingStatuses.active)]);
    assert.deepEqual(await selectPortBindings(db, 'port-2'), [binding('port-2', '', BindingStatuses.active)]);
  });

  it('keys bindings by (port_id, host): another host fits, the same host twice does not', async () => {
    await db.insertInto('ml2_port_bindings').values(binding('port-1', 'compute2', BindingStatuses.inactive)).execute();
    await assert.rejects(db.insertInto('ml2_port_bindings').values(binding('port-1', 'compute2', BindingStatuses.inactive)).execute(), /UNIQUE constraint failed/);
    assert.deepEqual((await selectPortBindings(db, 'port-1')).map((b) => [b.host, b.status]), [['compute1', 'ACTIVE'], ['compute2', 'INACTIVE']]);
  });

  it('still deletes a port\'s bindings with the port', async () => {
    await db.deleteFrom('ports').where('id', '=', 'port-1').execute();
    assert.deepEqual(await selectPortBindings(db, 'port-1'), []);
  });
});
