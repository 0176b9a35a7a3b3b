/**
 * The pure parts of multiple port bindings: a binding's wire form (ML2's
 * _make_port_binding_dict: key order, an empty vif_details or profile shown as {}) and
 * agent/rpc.py's migrating_to_host over the active binding's profile.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portBindingDict } from '../../src/network/plugin/port-bindings.js';
import { migratingToHost } from '../../src/network/rpc/plugin-endpoint.js';

describe('portBindingDict', () => {
  it("gives neutron's keys in neutron's order, JSON columns parsed", () => {
    const d = portBindingDict({ port_id: 'p', host: 'compute2', vnic_type: 'normal', profile: '{"migrating_to": "compute3"}', vif_type: 'ovs', vif_details: '{"port_filter": true}', status: 'INACTIVE' });
    assert.deepEqual(Object.keys(d), ['host', 'vif_type', 'vnic_type', 'status', 'profile', 'vif_details']);
    assert.deepEqual(d, { host: 'compute2', vif_type: 'ovs', vnic_type: 'normal', status: 'INACTIVE', profile: { migrating_to: 'compute3' }, vif_details: { port_filter: true } });
  });

  it("shows a cleared binding's empty columns as {} (ML2 stores '' after _clear_port_binding)", () => {
    const d = portBindingDict({ port_id: 'p', host: 'compute1', vnic_type: 'normal', profile: '', vif_type: 'unbound', vif_details: '', status: 'INACTIVE' });
    assert.deepEqual([d.profile, d.vif_details], [{}, {}]);
  });
});

describe('migratingToHost', () => {
  it('is the profile\'s migrating_to when it names a host, null otherwise', () => {
    assert.equal(migratingToHost({ migrating_to: 'compute2' }), 'compute2');
    for (const profile of [{}, { migrating_to: '' }, { migrating_to: null }, null, undefined, 'compute2', { other: 'compute2' }]) assert.equal(migratingToHost(profile), null, JSON.stringify(profile));
  });
});
