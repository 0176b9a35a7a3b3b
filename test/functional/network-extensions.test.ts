/**
 * Extensions Tempest 33 skips unless neutron lists them (issue 9), each as Zed answers:
 * quota_details (GET /v2.0/quotas/{project}/details), service-type
 * (GET /v2.0/service-providers), standard-attr-description on every standard-attribute
 * resource, and ip-substring-filtering (fixed_ips=ip_address_substr=... on ports).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
});
after(() => cloud.stop());

test('the four extensions are listed with their neutron texts; the retired `tag` alias is not', async () => {
  const want: Record<string, [name: string, description: string, updated: string]> = {
    quota_details: ['Quota details management support', 'Expose functions for quotas usage statistics per project', '2017-02-10T10:00:00-00:00'],
    'service-type': ['Neutron Service Type Management', 'API for retrieving service providers for Neutron advanced services', '2013-01-20T00:00:00-00:00'],
    'standard-attr-description': ['standard-attr-description', 'Extension to add descriptions to standard attributes', '2016-02-10T10:00:00-00:00'],
    'ip-substring-filtering': ['IP address substring filtering', 'Provides IP address substring filtering when listing ports', '2017-11-28T09:00:00-00:00'],
  };
  const listed = assertStatus(await n.get('demo', 'extensions'), 200).extensions.map((e: { alias: string }) => e.alias);
  for (const [alias, [name, description, updated]] of Object.entries(want)) {
    assert.ok(listed.includes(alias), alias);
    assert.deepEqual(assertStatus(await n.get('demo', `extensions/${alias}`), 200).extension, { name, alias, description, updated, links: [] });
  }
  // Zed's tag plugin supports only standard-attr-tag (there is no neutron/extensions/tag.py).
  assert.equal((await n.get('demo', 'extensions/tag')).status, 404);
});

describe('quota_details', () => {
  test('a project sees its own limit, use and reservations for every resource', async () => {
    const demo = await cloud.projectId('demo');
    const before = assertStatus(await n.get('demo', `quotas/${demo}/details`), 200).quota;
    assert.deepEqual(Object.keys(before).sort(), ['floatingip', 'network', 'port', 'rbac_policy', 'router', 'security_group', 'security_group_rule', 'subnet', 'subnetpool']);
    for (const [r, d] of Object.entries(before)) assert.deepEqual(Object.keys(d as object).sort(), ['limit', 'reserved', 'used'], r);
    assert.equal(before.network.reserved, 0);

    await n.network('demo', { name: 'counted' });
    assertStatus(await n.put('admin', `quotas/${demo}`, { quota: { network: 42 } }), 200);
    const after = assertStatus(await n.get('demo', `quotas/${demo}/details`), 200).quota;
    assert.deepEqual(after.network, { limit: 42, used: before.network.used + 1, reserved: 0 });
    assert.deepEqual(assertStatus(await n.get('admin', `quotas/${demo}/details`), 200).quota.network, after.network);
    assertStatus(await n.del('admin', `quotas/${demo}`), 204);
  });

  test("another project's details are for admins only, with quotasv2_detail's reason", async () => {
    const admin = await cloud.projectId('admin');
    assertNeutronError(await n.get('demo', `quotas/${admin}/details`), 403, 'AdminRequired', 'User does not have admin privileges: Only admin is authorized to access quotas for another project.');
    assertStatus(await n.get('admin', `quotas/${await cloud.projectId('demo')}/details`), 200);
  });
});

describe('service-type', () => {
  const L3 = ['dvrha', 'dvr', 'ha', 'single_node'].map((name) => ({ service_type: 'L3_ROUTER_NAT', name, default: false }));

  test("lists the L3 router plugin's providers, driver hidden", async () => {
    assert.deepEqual(assertStatus(await n.get('demo', 'service-providers'), 200), { service_providers: L3 });
  });

  test('filters as ServiceTypeManager does: known keys narrow, unknown keys are ignored, `default` strings match nothing', async () => {
    assert.deepEqual(assertStatus(await n.get('demo', 'service-providers?name=ha&name=dvr'), 200).service_providers, [L3[1], L3[2]]);
    assert.deepEqual(assertStatus(await n.get('demo', 'service-providers?service_type=LOADBALANCERV2'), 200).service_providers, []);
    assert.deepEqual(assertStatus(await n.get('demo', 'service-providers?default=False'), 200).service_providers, []);
    assert.deepEqual(assertStatus(await n.get('demo', 'service-providers?foo=bar'), 200).service_providers, L3);
    const onlyNames = assertStatus(await n.get('demo', 'service-providers?fields=name&name=ha'), 200).service_providers;
    assert.deepEqual(onlyNames, [{ name: 'ha' }]);
  });

  test('no attribute is a sort key', async () => {
    assertNeutronError(await n.get('demo', 'service-providers?sort_key=name&sort_dir=asc'), 400, 'HTTPBadRequest', "['name'] is invalid attribute for sort_keys");
  });
});

describe('standard-attr-description', () => {
  test('every standard-attribute resource takes a description on create, shows it, filters by it, and (rules aside) updates it', async () => {
    const ext = await n.network('admin', { name: 'ext-desc', 'router:external': true, description: 'external' });
    await n.subnet('admin', ext.id, '172.24.60.0/24');
    const net = await n.network('demo', { description: 'net d' });
    const subnet = await n.subnet('demo', net.id, '10.61.0.0/24', { description: 'subnet d' });
    const port = await n.port('demo', net.id, { description: 'port d' });
    const sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'sg-desc', description: 'sg d' } }), 201).security_group;
    const rule = assertStatus(await n.post('demo', 'security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', description: 'rule d' } }), 201).security_group_rule;
    const router = assertStatus(await n.post('demo', 'routers', { router: { name: 'r-desc', description: 'router d' } }), 201).router;
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id, description: 'fip d' } }), 201).floatingip;
    const made: [string, string, any, string][] = [
      ['networks', 'network', net, 'net d'],
      ['subnets', 'subnet', subnet, 'subnet d'],
      ['ports', 'port', port, 'port d'],
      ['security-groups', 'security_group', sg, 'sg d'],
      ['security-group-rules', 'security_group_rule', rule, 'rule d'],
      ['routers', 'router', router, 'router d'],
      ['floatingips', 'floatingip', fip, 'fip d'],
    ];
    for (const [path, key, item, description] of made) {
      assert.equal(item.description, description, path);
      assert.equal(assertStatus(await n.get('demo', `${path}/${item.id}`), 200)[key].description, description, path);
      const found = assertStatus(await n.get('demo', `${path}?description=${encodeURIComponent(description)}`), 200)[`${key}s`];
      assert.deepEqual(found.map((x: { id: string }) => x.id), [item.id], path);
      // Rules have no update in neutron's security group plugin.
      if (key === 'security_group_rule') continue;
      const updated = assertStatus(await n.put('demo', `${path}/${item.id}`, { [key]: { description: `${description} 2` } }), 200)[key];
      assert.equal(updated.description, `${description} 2`, path);
      assert.equal(updated.revision_number, assertStatus(await n.get('demo', `${path}/${item.id}`), 200)[key].revision_number, path);
    }
    // Created without one, a description is "".
    assert.equal((await n.network('demo')).description, '');
  });

  test('regression: a non-string description is refused in Python words (None, True), not JavaScript ones', async () => {
    assertNeutronError(await n.post('demo', 'networks', { network: { description: null } }), 400, 'HTTPBadRequest', "Invalid input for description. Reason: 'None' is not a valid string.");
    const net = await n.network('demo');
    assertNeutronError(await n.put('demo', `networks/${net.id}`, { network: { description: true } }), 400, 'HTTPBadRequest', "Invalid input for description. Reason: 'True' is not a valid string.");
  });

  test('regression: description is a filter but not a sort key (DESCRIPTION_BODY has no is_sort_key)', async () => {
    assertNeutronError(await n.get('demo', 'networks?sort_key=description&sort_dir=asc'), 400, 'HTTPBadRequest', "['description'] is invalid attribute for sort_keys");
    assertStatus(await n.get('demo', 'networks?description=x'), 200);
  });

  test('regression: the 255 limit counts characters as Python does, not UTF-16 units', async () => {
    const emoji = '\u{1F600}'.repeat(255);
    assert.equal((await n.network('demo', { description: emoji, name: emoji })).description, emoji);
    const long = '\u{1F600}'.repeat(256);
    assertNeutronError(await n.post('demo', 'networks', { network: { description: long } }), 400, 'HTTPBadRequest', `Invalid input for description. Reason: '${long}' exceeds maximum length of 255.`);
  });
});

describe('ip-substring-filtering', () => {
  let net: any;
  let s1: any;
  let s2: any;
  let p1: any;
  let p2: any;
  let both: any;
  const ids = async (query: string) => (assertStatus(await n.get('demo', `ports?network_id=${net.id}&${query}`), 200).ports as { id: string }[]).map((p) => p.id).sort();
  const sorted = (...xs: { id: string }[]) => xs.map((x) => x.id).sort();

  before(async () => {
    net = await n.network('demo', { name: 'substr' });
    s1 = await n.subnet('demo', net.id, '10.70.1.0/24');
    s2 = await n.subnet('demo', net.id, '2001:db8:70::/64');
    p1 = await n.port('demo', net.id, { fixed_ips: [{ subnet_id: s1.id, ip_address: '10.70.1.15' }] });
    p2 = await n.port('demo', net.id, { fixed_ips: [{ subnet_id: s1.id, ip_address: '10.70.1.25' }] });
    both = await n.port('demo', net.id, {
      fixed_ips: [
        { subnet_id: s1.id, ip_address: '10.70.1.99' },
        { subnet_id: s2.id, ip_address: '2001:db8:70::abcd' },
      ],
    });
  });

  test('a substring of an address picks the ports holding a matching one', async () => {
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=10.70.1.1'), sorted(p1));
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=.1.'), sorted(p1, p2, both));
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=1.15&fixed_ips=ip_address_substr=1.25'), sorted(p1, p2));
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=db8:70'), sorted(both));
  });

  test("it is SQL LIKE '%s%': `_` is any one character and (MySQL's collation) case does not matter", async () => {
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=1_25'), sorted(p2));
    assert.deepEqual(await ids('fixed_ips=ip_address_substr=ABCD'), sorted(both));
  });

  test('regression: ip_address, subnet_id and the substring each match any of the port\'s IPs, not one IP matching all', async () => {
    // `both` holds 10.70.1.99 on s1 and an IPv6 address on s2: neutron's separate EXISTS clauses match it.
    assert.deepEqual(await ids(`fixed_ips=ip_address=10.70.1.99&fixed_ips=subnet_id=${s2.id}`), sorted(both));
    assert.deepEqual(await ids(`fixed_ips=ip_address_substr=abcd&fixed_ips=subnet_id=${s1.id}`), sorted(both));
    assert.deepEqual(await ids(`fixed_ips=ip_address=10.70.1.15&fixed_ips=subnet_id=${s2.id}`), []);
  });

  test('regression: a pair without "=" is InvalidInput as convert_kvp_list_to_dict raises it; a bare flag and unknown keys filter nothing', async () => {
    assertNeutronError(await n.get('demo', 'ports?fixed_ips=10.70.1.15'), 400, 'InvalidInput', "Invalid input for operation: '10.70.1.15' is not of the form <key>=[value].");
    assertNeutronError(await n.get('demo', 'ports?fixed_ips==x'), 400, 'InvalidInput', "Invalid input for operation: '=x' is not of the form <key>=[value].");
    const all = sorted(p1, p2, both);
    assert.deepEqual(await ids('fixed_ips=True'), all);
    assert.deepEqual(await ids('fixed_ips=mac=fa:16:3e:00:00:00'), all);
  });
});
