/**
 * Neutron list queries over HTTP: the exact calls nova makes (seed), `.json` suffixes,
 * `fields=`, sorting, limit/marker pagination with `<collection>_links` as neutron's
 * api_common builds them, and filter validation (filter_validation defaults on in Zed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let net: any;
let dhcp: any;
let vmPort: any;
let ext: any;
let fip: any;
let demoProject: string;

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
  net = await n.network('demo', { name: 'lists' });
  const subnet = await n.subnet('demo', net.id, '10.50.0.0/24');
  dhcp = await n.port('admin', net.id, { device_owner: 'network:dhcp', device_id: 'dhcp-lists', project_id: net.project_id });
  vmPort = await n.port('demo', net.id, { device_owner: 'compute:nova', device_id: 'vm-1', name: 'b', fixed_ips: [{ ip_address: '10.50.0.10' }] });
  await n.port('demo', net.id, { device_owner: 'compute:nova', device_id: 'vm-2', name: 'a' });
  await n.port('demo', net.id, { name: 'c' });
  demoProject = net.project_id;
  ext = await n.network('admin', { name: 'ext', 'router:external': true });
  await n.subnet('admin', ext.id, '198.51.100.0/24');
  // Zed associates a floating IP only through a router joining the port's subnet to the external network.
  const router = assertStatus(await n.post('demo', 'routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } }), 201).router;
  assertStatus(await n.put('demo', `routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }), 200);
  fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id, port_id: vmPort.id } }), 201).floatingip;
});
after(() => cloud.stop());

const ids = (list: any[]) => list.map((x) => x.id);

describe("nova's calls, exactly as written", () => {
  test('ports?network_id=X&device_owner=network%3Adhcp', async () => {
    const res = assertStatus(await n.get('demo', `ports?network_id=${net.id}&device_owner=network%3Adhcp`), 200);
    assert.deepEqual(ids(res.ports), [dhcp.id]);
    assert.equal(res.ports_links, undefined);
  });

  test('floatingips?fixed_ip_address=IP&port_id=P', async () => {
    const res = assertStatus(await n.get('demo', `floatingips?fixed_ip_address=10.50.0.10&port_id=${vmPort.id}`), 200);
    assert.deepEqual(ids(res.floatingips), [fip.id]);
  });

  test('ports?tenant_id=T&device_id=D', async () => {
    const res = assertStatus(await n.get('demo', `ports?tenant_id=${demoProject}&device_id=vm-1`), 200);
    assert.deepEqual(ids(res.ports), [vmPort.id]);
    const admin = assertStatus(await n.get('admin', `ports?tenant_id=${demoProject}&device_id=vm-1`), 200);
    assert.deepEqual(ids(admin.ports), [vmPort.id]);
  });

  test('networks?id=N', async () => {
    const res = assertStatus(await n.get('demo', `networks?id=${net.id}`), 200);
    assert.deepEqual(ids(res.networks), [net.id]);
  });

  test('security-groups?tenant_id=T', async () => {
    const res = assertStatus(await n.get('demo', `security-groups?tenant_id=${demoProject}`), 200);
    assert.deepEqual(res.security_groups.map((g: any) => g.name), ['default']);
    const admin = assertStatus(await n.get('admin', `security-groups?tenant_id=${demoProject}`), 200);
    assert.deepEqual(admin.security_groups.map((g: any) => g.project_id), [demoProject]);
  });

  test('the .json suffix', async () => {
    const res = assertStatus(await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/ports.json?network_id=${net.id}&device_owner=network%3Adhcp`), 200);
    assert.deepEqual(ids(res.ports), [dhcp.id]);
    const one = assertStatus(await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/ports/${vmPort.id}.json`), 200);
    assert.equal(one.port.id, vmPort.id);
  });

  test('networks/<id>?fields=segments (admin) answers only the asked fields that exist', async () => {
    const res = assertStatus(await n.get('admin', `networks/${net.id}?fields=segments`), 200);
    assert.deepEqual(res, { network: {} });
  });
});

describe('fields, sorting, filters', () => {
  test('repeated fields= keep only those attributes', async () => {
    const res = assertStatus(await n.get('demo', `ports?network_id=${net.id}&fields=id&fields=mac_address`), 200);
    assert.equal(res.ports.length, 5);
    for (const p of res.ports) assert.deepEqual(Object.keys(p).sort(), ['id', 'mac_address']);
    const one = assertStatus(await n.get('demo', `ports/${vmPort.id}?fields=name&fields=fixed_ips`), 200).port;
    assert.deepEqual(one, { name: 'b', fixed_ips: vmPort.fixed_ips });
  });

  test('demo cannot get hidden fields through fields=', async () => {
    const res = assertStatus(await n.get('demo', `ports/${vmPort.id}?fields=binding:host_id&fields=id`), 200).port;
    assert.deepEqual(res, { id: vmPort.id });
  });

  test('sort_key/sort_dir', async () => {
    const asc = assertStatus(await n.get('demo', `ports?network_id=${net.id}&sort_key=name&sort_dir=asc`), 200).ports;
    assert.deepEqual(asc.map((p: any) => p.name), ['', '', 'a', 'b', 'c']);
    const desc = assertStatus(await n.get('demo', `ports?network_id=${net.id}&sort_key=name&sort_dir=desc`), 200).ports;
    assert.deepEqual(desc.map((p: any) => p.name), ['c', 'b', 'a', '', '']);
    const bad = await n.get('demo', 'ports?sort_key=foo&sort_dir=asc');
    assertNeutronError(bad, 400, 'HTTPBadRequest', "['foo'] is invalid attribute for sort_keys");
    const badDir = await n.get('demo', 'ports?sort_key=name&sort_dir=up');
    assertNeutronError(badDir, 400, 'HTTPBadRequest', "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
  });

  test('an unknown filter: 400 (filter-validation is on in Zed)', async () => {
    assertNeutronError(await n.get('demo', 'ports?foo=bar'), 400, 'HTTPBadRequest', "['foo'] is invalid attribute for filtering");
    assertNeutronError(await n.get('demo', 'networks?foo=1&bar=2'), 400, 'HTTPBadRequest', "['foo', 'bar'] is invalid attribute for filtering");
  });

  test('filters on fixed_ips and on admin_state_up', async () => {
    const byIp = assertStatus(await n.get('demo', 'ports?fixed_ips=ip_address%3D10.50.0.10'), 200).ports;
    assert.deepEqual(ids(byIp), [vmPort.id]);
    const up = assertStatus(await n.get('demo', `ports?network_id=${net.id}&admin_state_up=True`), 200).ports;
    assert.equal(up.length, 5);
    const down = assertStatus(await n.get('demo', `ports?network_id=${net.id}&admin_state_up=false`), 200).ports;
    assert.equal(down.length, 0);
  });

  test('repeated filter values OR together', async () => {
    const res = assertStatus(await n.get('demo', 'ports?device_id=vm-1&device_id=vm-2'), 200).ports;
    assert.equal(res.length, 2);
  });
});

describe('pagination', () => {
  test('limit/marker walk the list with next and previous links', async () => {
    const all = ids(assertStatus(await n.get('demo', `ports?network_id=${net.id}&sort_key=id&sort_dir=asc`), 200).ports);
    assert.equal(all.length, 5);
    const base = `${cloud.urls.network}/v2.0/ports`;
    const first = assertStatus(await n.get('demo', `ports?network_id=${net.id}&limit=3`), 200);
    assert.deepEqual(ids(first.ports), all.slice(0, 3));
    // api_common.get_pagination_links: next when the page is full, previous on every forward page.
    assert.deepEqual(first.ports_links, [
      { rel: 'next', href: `${base}?network_id=${net.id}&limit=3&marker=${all[2]}` },
      { rel: 'previous', href: `${base}?network_id=${net.id}&limit=3&marker=${all[0]}&page_reverse=True` },
    ]);
    const second = assertStatus(await cloud.api('demo', 'GET', first.ports_links[0].href), 200);
    assert.deepEqual(ids(second.ports), all.slice(3));
    assert.deepEqual(second.ports_links, [{ rel: 'previous', href: `${base}?network_id=${net.id}&limit=3&marker=${all[3]}&page_reverse=True` }]);
    const back = assertStatus(await cloud.api('demo', 'GET', second.ports_links[0].href), 200);
    assert.deepEqual(ids(back.ports), all.slice(0, 3));
    assert.deepEqual(back.ports_links, [
      { rel: 'next', href: `${base}?network_id=${net.id}&limit=3&marker=${all[2]}` },
      { rel: 'previous', href: `${base}?network_id=${net.id}&limit=3&marker=${all[0]}&page_reverse=True` },
    ]);
  });

  test('an unknown marker: 404 of the resource', async () => {
    const marker = '0b1e7a43-0000-4000-8000-00000000dead';
    assertNeutronError(await n.get('demo', `ports?limit=2&marker=${marker}`), 404, 'PortNotFound', `Port ${marker} could not be found.`);
  });

  test('a bad limit: 400', async () => {
    assertNeutronError(await n.get('demo', 'ports?limit=abc'), 400, 'BadRequest', "Bad limit request: Limit must be an integer 0 or greater and not 'abc'.");
  });
});
