/**
 * MAC generation giving up. With base_mac fa:16:3e:01:02:03 every octet is fixed
 * (Nimbus keeps any non-00 octet of base_mac; neutron_lib keeps only the fourth), so
 * every generated MAC is the same: the first port gets it, the next one exhausts
 * mac_generation_retries and gets neutron_lib's NetworkMacAddressGenerationFailure
 * (503). Zed itself has no retry option any more: it relies on the DB unique key and
 * its retry decorator; this is Nimbus' documented behaviour.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BUNDLE_TARGET, type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;

before(async () => {
  cloud = await startTestCloud({ network: { base_mac: 'fa:16:3e:01:02:03', mac_generation_retries: 3 } });
  n = neutron(cloud);
});
after(() => cloud.stop());

/** Addresses allocated on the network: from the database, or (the bundle locks it) the ports' fixed IPs. */
async function allocations(networkId: string): Promise<number> {
  if (BUNDLE_TARGET) {
    const ports: { fixed_ips: unknown[] }[] = assertStatus(await n.get('admin', `ports?network_id=${networkId}`), 200).ports;
    return ports.reduce((sum, p) => sum + p.fixed_ips.length, 0);
  }
  return (await cloud.network.plugin.deps.db.selectFrom('ipallocations').select('ip_address').where('network_id', '=', networkId).execute()).length;
}

test('the second port on a network cannot get a MAC: 503 NetworkMacAddressGenerationFailure', async () => {
  const net = await n.network('demo');
  await n.subnet('demo', net.id, '10.90.0.0/24');
  const first = await n.port('demo', net.id);
  assert.equal(first.mac_address, 'fa:16:3e:01:02:03');
  const before = await allocations(net.id);
  const res = await n.post('demo', 'ports', { port: { network_id: net.id } });
  assertNeutronError(res, 503, 'NetworkMacAddressGenerationFailure', `Unable to generate unique mac on network ${net.id}.`);
  const after = await allocations(net.id);
  assert.equal(after, before);
  // An explicit MAC still works, and so does the same MAC on another network.
  assertStatus(await n.post('demo', 'ports', { port: { network_id: net.id, mac_address: 'fa:16:3e:01:02:04' } }), 201);
  const other = await n.network('demo');
  assert.equal((await n.port('demo', other.id)).mac_address, 'fa:16:3e:01:02:03');
});
