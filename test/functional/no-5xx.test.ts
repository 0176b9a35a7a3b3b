/**
 * Issue 8, defect 2: client input that answered 500. Each case is one class the fuzzing
 * found, pinned with the status and body the service gives it (real Zed's, or where
 * real Zed itself answers 500, the 4xx its own handlers would give).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError } from '../helpers/neutron.js';

const INVALID_UTF8 = Buffer.from('{"x": "\xff\xfe"}', 'latin1');
const DEEP_ARRAY = '['.repeat(10_000) + ']'.repeat(10_000);
const DEEP_OBJECT = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
const MISSING = '0b1e7a43-0000-4000-8000-00000000dead';

let cloud: TestCloud;
before(async () => {
  cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 } });
});
after(() => cloud?.stop());

/** Sends raw bytes as demo (fetch directly: the api() helper would JSON-encode them). */
async function raw(base: string, method: string, path: string, body: Buffer | string, contentType = 'application/json') {
  const res = await fetch(`${base}${path}`, { method, headers: { 'x-auth-token': await cloud.token('demo'), 'content-type': contentType, accept: 'application/json' }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

/** Each service's malformed-body answer, in its own wire format. */
const MALFORMED: [string, () => string, string, string, (body: any) => void][] = [
  ['keystone', () => cloud.urls.identity, 'POST', '/v3/auth/tokens', (b) => {
    assert.equal(b.error.code, 400);
    assert.equal(b.error.title, 'Bad Request');
    assert.match(b.error.message, /^Expecting to find valid JSON in request body\./);
  }],
  ['glance', () => cloud.urls.image, 'POST', '/v2/images', (b) => assert.deepEqual(b, { message: 'Malformed JSON in request body.<br /><br />\n\n\n', code: '400 Bad Request', title: 'Bad Request' })],
  ['neutron', () => cloud.urls.network, 'POST', '/v2.0/networks', (b) => assert.deepEqual(b, { NeutronError: { type: 'HTTPBadRequest', message: 'Body contains invalid data', detail: '' } })],
  ['nova', () => cloud.urls.compute, 'POST', '/v2.1/servers', (b) => assert.deepEqual(b, { badRequest: { code: 400, message: 'Malformed request body' } })],
];

describe('a body that is not valid UTF-8: 400 malformed body, not Fastify\'s length error as a 500', () => {
  for (const [svc, base, method, path, check] of MALFORMED) {
    test(svc, async () => {
      const r = await raw(base(), method, path, INVALID_UTF8);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      check(r.body);
    });
  }
  test('nova reading a text/plain body itself (flavors)', async () => {
    const r = await raw(cloud.urls.compute, 'POST', '/v2.1/flavors', INVALID_UTF8, 'text/plain');
    assert.deepEqual(r, { status: 400, body: { badRequest: { code: 400, message: 'Malformed request body' } } });
  });
  test('glance reading a JSON-patch body itself', async () => {
    const img = (await cloud.api('demo', 'POST', `${cloud.urls.image}/v2/images`, { name: 'utf8' })).body;
    const r = await raw(cloud.urls.image, 'PATCH', `/v2/images/${img.id}`, INVALID_UTF8, 'application/openstack-images-v2.1-json-patch');
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'Malformed JSON in request body.<br /><br />\n\n\n');
  });
});

describe('JSON nested 10,000 deep: 400 malformed body, not a stack overflow in an error formatter', () => {
  for (const [svc, base, method, path, check] of MALFORMED) {
    for (const [shape, text] of [['array', DEEP_ARRAY], ['object', DEEP_OBJECT]] as const) {
      test(`${svc}, ${shape}`, async () => {
        const r = await raw(base(), method, path, text);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        check(r.body);
      });
    }
  }
  test('nested under the resource key (nova flavors, neutron network name)', async () => {
    assert.equal((await raw(cloud.urls.compute, 'POST', '/v2.1/flavors', `{"flavor":${DEEP_ARRAY}}`)).status, 400);
    assert.equal((await raw(cloud.urls.network, 'POST', '/v2.0/networks', `{"network":{"name":${DEEP_OBJECT}}}`)).status, 400);
  });
  test('a shallower body the parser accepts still gets the schema error', async () => {
    const nested = '['.repeat(900) + ']'.repeat(900);
    const r = await raw(cloud.urls.compute, 'POST', '/v2.1/servers', `{"server":${nested}}`);
    assert.equal(r.status, 400);
    assert.match(r.body.badRequest.message, /is not of type 'object'$/);
  });
});

describe('nova boot', () => {
  test('an imageRef holding a lone surrogate fails the schema (image_id_or_empty_string), never reaching glance', async () => {
    const r = await raw(cloud.urls.compute, 'POST', '/v2.1/servers', '{"server":{"name":"s","imageRef":"\\ud800","flavorRef":"1","networks":"none"}}');
    assert.equal(r.status, 400);
    assert.equal(r.body.badRequest.message, "Invalid input for field/attribute imageRef. Value: \ud800. '\\ud800' is not valid under any of the given schemas");
  });
  test('an empty imageRef without block devices: Missing imageRef attribute', async () => {
    const r = await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 's', imageRef: '', flavorRef: '1' } });
    assert.deepEqual(r.body, { badRequest: { code: 400, message: 'Missing imageRef attribute' } });
  });
});

describe("neutron allocation_pools: validate_ip_pools' messages on create and update", () => {
  const reason = (r: string) => `Invalid input for allocation_pools. Reason: ${r}.`;
  const cases: [unknown, string][] = [
    [null, "Invalid data format for IP pool: 'None'"],
    ['x', "Invalid data format for IP pool: 'x'"],
    [[null], "Invalid input. 'None' must be a dictionary with keys: ['start', 'end']"],
    [[1], "Invalid input. '1' must be a dictionary with keys: ['start', 'end']"],
    [['x'], "Invalid input. 'x' must be a dictionary with keys: ['start', 'end']"],
    [[{}], "Validation of dictionary's keys failed. Expected keys: {'start', 'end'} Provided keys: set()"],
    [[{ start: '10.9.0.5' }], "Validation of dictionary's keys failed. Expected keys: {'start', 'end'} Provided keys: {'start'}"],
    [[{ start: 5, end: '10.9.0.6' }], "'5' is not a valid IP address"],
    [[{ start: '10.9.0.5', end: null }], "'None' is not a valid IP address"],
  ];
  let netId: string;
  let subnetId: string;
  before(async () => {
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'pools' } })).body.network.id;
    subnetId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4 } })).body.subnet.id;
  });
  for (const [pools, why] of cases) {
    test(`${JSON.stringify(pools)}`, async () => {
      const create = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.9.1.0/24', ip_version: 4, allocation_pools: pools } });
      assertNeutronError(create, 400, 'HTTPBadRequest', reason(why));
      const update = await cloud.api('demo', 'PUT', `${cloud.urls.network}/v2.0/subnets/${subnetId}`, { subnet: { allocation_pools: pools } });
      assertNeutronError(update, 400, 'HTTPBadRequest', reason(why));
    });
  }
  test('nothing was created', async () => {
    const subnets = (await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/subnets?network_id=${netId}`)).body.subnets;
    assert.deepEqual(subnets.map((s: { id: string }) => s.id), [subnetId]);
  });
});

describe("another project's or a missing port or network on nova's boot and os-interface attach", () => {
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body);
  let adminNet: string;
  let adminPort: string;
  let serverId: string;
  let imageId: string;
  before(async () => {
    const neutron = (user: 'admin' | 'demo', path: string, body: unknown) => cloud.api(user, 'POST', `${cloud.urls.network}/v2.0${path}`, body);
    adminNet = (await neutron('admin', '/networks', { network: { name: 'admin-only' } })).body.network.id;
    await neutron('admin', '/subnets', { subnet: { network_id: adminNet, cidr: '10.30.0.0/24', ip_version: 4 } });
    adminPort = (await neutron('admin', '/ports', { port: { network_id: adminNet } })).body.port.id;
    const demoNet = (await neutron('demo', '/networks', { network: { name: 'mine' } })).body.network.id;
    await neutron('demo', '/subnets', { subnet: { network_id: demoNet, cidr: '10.31.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images?status=active`)).body.images[0].id;
    const boot = await nova('POST', '/servers', { server: { name: 'vm', imageRef: imageId, flavorRef: '100', networks: [{ uuid: demoNet }] } });
    assert.equal(boot.status, 202, JSON.stringify(boot.body));
    serverId = boot.body.server.id;
    for (let i = 0; i < 300; i++) {
      if ((await nova('GET', `/servers/${serverId}`)).body.server.status !== 'BUILD') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  test("boot on another project's port: 400 Port id … could not be found.", async () => {
    const r = await nova('POST', '/servers', { server: { name: 'x', imageRef: imageId, flavorRef: '100', networks: [{ port: adminPort }] } });
    assert.deepEqual(r.body, { badRequest: { code: 400, message: `Port id ${adminPort} could not be found.` } });
  });
  for (const [what, key, id] of [
    ["another project's port", 'port_id', () => adminPort],
    ['a missing port', 'port_id', () => MISSING],
  ] as const) {
    test(`attach ${what}: 404 Port id … could not be found.`, async () => {
      const r = await nova('POST', `/servers/${serverId}/os-interface`, { interfaceAttachment: { [key]: id() } });
      assert.deepEqual(r.body, { itemNotFound: { code: 404, message: `Port id ${id()} could not be found.` } });
    });
  }
  for (const [what, id] of [
    ["another project's network", () => adminNet],
    ['a missing network', () => MISSING],
  ] as const) {
    test(`attach ${what}: 404 Network … could not be found. (real Zed: 500)`, async () => {
      const r = await nova('POST', `/servers/${serverId}/os-interface`, { interfaceAttachment: { net_id: id() } });
      assert.deepEqual(r.body, { itemNotFound: { code: 404, message: `Network ${id()} could not be found.` } });
    });
  }
});
