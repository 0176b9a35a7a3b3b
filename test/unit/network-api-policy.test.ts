import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestContext } from '../../src/common/auth.js';
import type { OpenStackError } from '../../src/common/errors.js';
import { networkDef, portDef } from '../../src/network/api/definitions/core.js';
import { enforceAttrPolicy, filterVisible, prepareRequestBody } from '../../src/network/api/resource.js';

const member: RequestContext = { requestId: 'r', userId: 'u', projectId: 'p1', projectName: 'demo', roles: ['member', 'reader'], isAdmin: false, authToken: 't' };
const admin: RequestContext = { ...member, projectId: 'p0', roles: ['admin'], isAdmin: true };
const NET = '11111111-1111-4111-8111-111111111111';
const rejects = (fn: () => unknown, status: number, type: string, message: string) =>
  assert.throws(fn, (e: OpenStackError) => (assert.equal(e.status, status), assert.equal(e.type, type), assert.equal(e.message, message), true));

test('a member may not set binding:host_id: oslo.policy\'s rule text', () => {
  const { items } = prepareRequestBody(member, { port: { network_id: NET, 'binding:host_id': 'compute1' } }, true, portDef);
  rejects(() => enforceAttrPolicy(member, portDef, 'create', items[0]!, true), 403, 'PolicyNotAuthorized', '(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy');
  assert.doesNotThrow(() => enforceAttrPolicy(admin, portDef, 'create', items[0]!, true));
});

test('defaults do not count as set attributes for policy', () => {
  const { items } = prepareRequestBody(member, { port: { network_id: NET } }, true, portDef);
  assert.doesNotThrow(() => enforceAttrPolicy(member, portDef, 'create', items[0]!, false));
});

test('mac_address is for the network owner (or admin) only', () => {
  const { items } = prepareRequestBody(member, { port: { network_id: NET, mac_address: 'fa:16:3e:00:00:01' } }, true, portDef);
  assert.doesNotThrow(() => enforceAttrPolicy(member, portDef, 'create', items[0]!, true));
  assert.throws(() => enforceAttrPolicy(member, portDef, 'create', items[0]!, false), /disallowed by policy/);
});

test('provider attributes are admin-only to set and to see', () => {
  const { items } = prepareRequestBody(member, { network: { name: 'n', 'provider:network_type': 'vlan' } }, true, networkDef);
  assert.throws(() => enforceAttrPolicy(member, networkDef, 'create', items[0]!, true), /rule:create_network:provider:network_type/);
  const shown = filterVisible(member, networkDef, { id: 'x', 'provider:network_type': 'vxlan', name: 'n' });
  assert.deepEqual(shown, { id: 'x', name: 'n' });
  assert.ok('provider:network_type' in filterVisible(admin, networkDef, { 'provider:network_type': 'vxlan' }));
});

test('a member sees binding:vnic_type but no other binding field', () => {
  const port = { id: 'x', 'binding:vnic_type': 'normal', 'binding:host_id': 'h', 'binding:vif_type': 'ovs', 'binding:vif_details': {}, 'binding:profile': {} };
  assert.deepEqual(Object.keys(filterVisible(member, portDef, port)), ['id', 'binding:vnic_type']);
});

test('request bodies: another project, unknown attributes, required ones, read-only on PUT', () => {
  rejects(() => prepareRequestBody(member, { port: { network_id: NET, tenant_id: 'other' } }, true, portDef), 400, 'HTTPBadRequest', "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
  rejects(() => prepareRequestBody(member, { port: { network_id: NET, foo: 1 } }, true, portDef), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'foo'");
  rejects(() => prepareRequestBody(member, { port: { name: 'x' } }, true, portDef), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'network_id' not specified");
  rejects(() => prepareRequestBody(member, { port: { id: NET } }, false, portDef), 400, 'HTTPBadRequest', 'Cannot update read-only attribute id');
  rejects(() => prepareRequestBody(member, { port: { network_id: NET, admin_state_up: 'maybe' } }, true, portDef), 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean.");
  rejects(() => prepareRequestBody(member, { network: { name: 'n' } }, true, portDef), 400, 'HTTPBadRequest', "Unable to find 'port' in request body");
});
