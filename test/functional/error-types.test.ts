/**
 * Regression, issue 8 defect 1: the shipped bundle mislabelled errors. esbuild renames
 * classes whose names collide (neutron's and nova's PortNotFound...), and the wire type
 * came from `constructor.name`: `GET /v2.0/ports/<missing>` answered "PortNotFound2",
 * and nova, no longer recognising neutron's PortNotFound, answered a boot on a missing
 * port with 500 "Failed to access port" instead of Zed's 400. Speaks HTTP only, so it
 * runs in-process and against dist/nimbus.mjs (NIMBUS_TEST_TARGET=bundle).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

const MISSING = '3f0a2c55-7a39-4c36-b1f4-8a0b3c9a4e11';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
});
after(() => cloud.stop());

describe('neutron: NeutronError.type is the exception name', () => {
  test('GET a missing port: 404 PortNotFound', async () => {
    assertNeutronError(await n.get('demo', `ports/${MISSING}`), 404, 'PortNotFound', `Port ${MISSING} could not be found.`);
  });

  test('GET a missing network: 404 NetworkNotFound', async () => {
    assertNeutronError(await n.get('demo', `networks/${MISSING}`), 404, 'NetworkNotFound', `Network ${MISSING} could not be found.`);
  });

  test('GET a missing security group: 404 SecurityGroupNotFound', async () => {
    assertNeutronError(await n.get('demo', `security-groups/${MISSING}`), 404, 'SecurityGroupNotFound', `Security group ${MISSING} does not exist`);
  });

  test('a value convert_to refuses: 400 InvalidInput', async () => {
    assertNeutronError(
      await n.post('demo', 'networks', { network: { admin_state_up: 'maybe' } }),
      400,
      'InvalidInput',
      "Invalid input for operation: 'maybe' cannot be converted to boolean.",
    );
  });

  test('an admin-only attribute from a member: 403 PolicyNotAuthorized', async () => {
    assertNeutronError(
      await n.post('demo', 'networks', { network: { name: 'x', shared: true } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_network and rule:create_network:shared) is disallowed by policy',
    );
  });

  test("a MAC change on a bound port: 409 PortBound (neutron_lib's InUse; was an inline class)", async () => {
    const net = await n.network('admin', { name: 'bound' });
    await n.subnet('admin', net.id, '10.66.0.0/24');
    const port = await n.port('admin', net.id, { 'binding:host_id': 'compute1' });
    assert.equal(port['binding:vif_type'], 'ovs');
    assertNeutronError(
      await n.put('admin', `ports/${port.id}`, { port: { mac_address: 'fa:16:3e:00:00:01' } }),
      409,
      'PortBound',
      `Unable to complete operation on port ${port.id}, port is already bound, port type: ovs, old_mac ${port.mac_address}, new_mac fa:16:3e:00:00:01`,
    );
  });

  test('over the network quota: 409 OverQuota', async () => {
    // Its own project's quota only; the other tests here create no network as demo.
    const project = await cloud.projectId('demo');
    assertStatus(await n.put('admin', `quotas/${project}`, { quota: { network: 0 } }), 200);
    try {
      assertNeutronError(await n.post('demo', 'networks', { network: { name: 'q' } }), 409, 'OverQuota', "Quota exceeded for resources: ['network'].");
    } finally {
      assertStatus(await n.del('admin', `quotas/${project}`), 204);
    }
  });
});

describe('nova: faults keyed by status, neutron errors recognised by name', () => {
  const compute = (path: string) => `${cloud.urls.compute}/v2.1/${path}`;

  test('boot on a missing port: 400 "Port id X could not be found." (nova maps neutron\'s PortNotFound)', async () => {
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    const flavor = (await cloud.api('demo', 'GET', compute('flavors'))).body.flavors[0].id;
    const res = await cloud.api('demo', 'POST', compute('servers'), { server: { name: 's', imageRef: image, flavorRef: flavor, networks: [{ port: MISSING }] } });
    assert.deepEqual(res.body, { badRequest: { code: 400, message: `Port id ${MISSING} could not be found.` } });
    assert.equal(res.status, 400);
  });

  test('an admin API as a member: 403 forbidden (nova PolicyNotAuthorized)', async () => {
    const res = await cloud.api('demo', 'GET', compute('os-services'));
    assert.deepEqual(res.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." } });
    assert.equal(res.status, 403);
  });
});
