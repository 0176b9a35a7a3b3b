/**
 * Neutron's subnet pools over HTTP (subnet_allocation, default-subnetpools,
 * subnetpool-prefix-ops): the resource, its policy and visibility, prefix compaction and
 * bounds, subnets allocated from a pool (any block, a given CIDR, around a gateway), the
 * pool's quota, default pools, add/remove_prefixes and tags, each refusal with Zed's
 * type and text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { type User, assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
});
after(() => cloud.stop());

const pool = async (user: User, attrs: Record<string, unknown>) => assertStatus(await n.post(user, 'subnetpools', { subnetpool: { name: 'p', ...attrs } }), 201).subnetpool;
const subnetFrom = (user: User, networkId: string, poolId: string, attrs: Record<string, unknown> = {}) =>
  n.post(user, 'subnets', { subnet: { network_id: networkId, subnetpool_id: poolId, ip_version: 4, ...attrs } });

describe('subnetpool resource', () => {
  test('create, show, list, update, delete with the wire shape of Zed', async () => {
    const p = await pool('demo', { name: 'p1', prefixes: ['10.10.0.0/16', '10.11.0.0/16', '10.10.5.0/24'] });
    assert.deepEqual(Object.keys(p).sort(), [
      'address_scope_id', 'created_at', 'default_prefixlen', 'default_quota', 'description', 'id', 'ip_version', 'is_default', 'max_prefixlen', 'min_prefixlen', 'name', 'prefixes',
      'project_id', 'revision_number', 'shared', 'tags', 'tenant_id', 'updated_at',
    ]);
    // Overlapping and adjacent prefixes compact as netaddr.IPSet does.
    assert.deepEqual(p.prefixes, ['10.10.0.0/15']);
    assert.equal(p.ip_version, 4);
    // Prefix lengths are strings on create and show (neutron's _make_subnetpool_dict).
    assert.equal(p.min_prefixlen, '8');
    assert.equal(p.max_prefixlen, '32');
    assert.equal(p.default_prefixlen, '8');
    assert.equal(p.default_quota, null);
    assert.equal(p.is_default, false);
    assert.equal(p.shared, false);
    assert.equal(p.address_scope_id, null);
    assert.equal(p.revision_number, 1);

    const shown = assertStatus(await n.get('demo', `subnetpools/${p.id}`), 200).subnetpool;
    assert.deepEqual(shown, p);
    assert.ok(assertStatus(await n.get('demo', 'subnetpools?name=p1'), 200).subnetpools.some((x: any) => x.id === p.id));
    assert.deepEqual(assertStatus(await n.get('demo', 'subnetpools?ip_version=6&name=p1'), 200).subnetpools, []);

    const up = assertStatus(await n.put('demo', `subnetpools/${p.id}`, { subnetpool: { name: 'p1b', min_prefixlen: 16, default_prefixlen: 24 } }), 200).subnetpool;
    assert.equal(up.name, 'p1b');
    // Zed's update answers the integers it stored (update_subnetpool's `updated['key']` typo).
    assert.equal(up.min_prefixlen, 16);
    assert.equal(up.default_prefixlen, 24);
    assert.equal(up.revision_number, 2);
    assert.equal(assertStatus(await n.get('demo', `subnetpools/${p.id}`), 200).subnetpool.default_prefixlen, '24');

    assert.equal((await n.del('demo', `subnetpools/${p.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `subnetpools/${p.id}`), 404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`);
  });

  test('required and refused attributes', async () => {
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8'] } }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'name' not specified");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x' } }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'prefixes' not specified");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: ' ', prefixes: ['10.0.0.0/8'] } }), 400, 'HTTPBadRequest', "Invalid input for name. Reason: ' ' Blank strings are not permitted.");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: '10.0.0.0/8' } }), 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.0.0.0/8' is not a list.");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/33'] } }), 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.0.0.0/33' is not a valid IP subnet.");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8', '10.0.0.0/8'] } }), 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: Duplicate items in the list: '10.0.0.0/8'.");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], min_prefixlen: -1 } }), 400, 'HTTPBadRequest', "Invalid input for min_prefixlen. Reason: '-1' should be non-negative.");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], ip_version: 4 } }), 400, 'HTTPBadRequest', "Attribute 'ip_version' not allowed in POST");
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: [] } }), 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.');
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8', '2001:db8::/32'] } }), 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], address_scope_id: UNKNOWN } }), 404, 'AddressScopeNotFound', `Address scope ${UNKNOWN} could not be found.`);
  });

  test('prefix bounds: defaults by version, and IllegalSubnetPoolPrefixBounds', async () => {
    const v6 = await pool('demo', { prefixes: ['2001:db8::/32'] });
    assert.deepEqual([v6.ip_version, v6.min_prefixlen, v6.max_prefixlen, v6.default_prefixlen], [6, '64', '128', '64']);
    const bounds = (attrs: Record<string, unknown>) => n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], ...attrs } });
    assertNeutronError(await bounds({ min_prefixlen: 24, max_prefixlen: 16 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.');
    assertNeutronError(await bounds({ max_prefixlen: 33 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.');
    assertNeutronError(await bounds({ min_prefixlen: 16, default_prefixlen: 8 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=8, min_prefixlen=16.');
    assertNeutronError(await bounds({ max_prefixlen: 24, default_prefixlen: 26 }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=26, max_prefixlen=24.');
    const p = await pool('demo', { prefixes: ['10.0.0.0/8'], min_prefixlen: '20', max_prefixlen: 28 });
    assert.deepEqual([p.min_prefixlen, p.max_prefixlen, p.default_prefixlen], ['20', '28', '20']);
    assertNeutronError(await n.put('demo', `subnetpools/${p.id}`, { subnetpool: { max_prefixlen: 16 } }), 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=20, max_prefixlen=16.');
  });

  test('updating prefixes: only supersets, compacted', async () => {
    const p = await pool('demo', { prefixes: ['10.20.0.0/24'] });
    const up = assertStatus(await n.put('demo', `subnetpools/${p.id}`, { subnetpool: { prefixes: ['10.20.1.0/24', '10.20.0.0/24'] } }), 200).subnetpool;
    assert.deepEqual(up.prefixes, ['10.20.0.0/23']);
    assertNeutronError(
      await n.put('demo', `subnetpools/${p.id}`, { subnetpool: { prefixes: ['10.20.0.0/24'] } }),
      400,
      'IllegalSubnetPoolPrefixUpdate',
      'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.',
    );
    assertNeutronError(await n.put('demo', `subnetpools/${p.id}`, { subnetpool: { shared: true } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute shared');
  });

  test('policy: shared and is_default are admin-only; others see shared pools but cannot change them', async () => {
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], shared: true } }), 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:shared) is disallowed by policy');
    assertNeutronError(await n.post('demo', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], is_default: true } }), 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:is_default) is disallowed by policy');
    const priv = await pool('admin', { prefixes: ['192.168.0.0/16'] });
    assertNeutronError(await n.get('demo', `subnetpools/${priv.id}`), 404, 'SubnetPoolNotFound', `Subnet pool ${priv.id} could not be found.`);
    assert.ok(!assertStatus(await n.get('demo', 'subnetpools'), 200).subnetpools.some((x: any) => x.id === priv.id));
    assertNeutronError(await n.del('demo', `subnetpools/${priv.id}`), 404, 'SubnetPoolNotFound', `Subnet pool ${priv.id} could not be found.`);

    const shared = await pool('admin', { prefixes: ['172.30.0.0/16'], shared: true });
    assert.equal(assertStatus(await n.get('demo', `subnetpools/${shared.id}`), 200).subnetpool.shared, true);
    assertNeutronError(await n.put('demo', `subnetpools/${shared.id}`, { subnetpool: { name: 'mine' } }), 403, 'PolicyNotAuthorized', 'rule:update_subnetpool is disallowed by policy');
    assertNeutronError(await n.del('demo', `subnetpools/${shared.id}`), 403, 'PolicyNotAuthorized', 'rule:delete_subnetpool is disallowed by policy');
    assertNeutronError(await n.put('demo', `subnetpools/${shared.id}/add_prefixes`, { prefixes: ['172.31.0.0/16'] }), 403, 'PolicyNotAuthorized', 'rule:add_prefixes is disallowed by policy');
  });

  test('one default pool per IP version', async () => {
    const p = await pool('admin', { prefixes: ['100.64.0.0/16'], is_default: true });
    assert.equal(p.is_default, true);
    const again = await n.post('admin', 'subnetpools', { subnetpool: { name: 'x', prefixes: ['100.65.0.0/16'], is_default: true } });
    assertNeutronError(again, 400, 'InvalidInput', 'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.');
    const other = await pool('admin', { prefixes: ['100.66.0.0/16'] });
    assertNeutronError(await n.put('admin', `subnetpools/${other.id}`, { subnetpool: { is_default: true } }), 400, 'InvalidInput', /A default subnetpool for this IP family has already been set/);
    // The demo project cannot see the admin's default pool: it has no default.
    const net = await n.network('demo');
    const res = await n.post('demo', 'subnets', { subnet: { network_id: net.id, ip_version: 4, use_default_subnetpool: true } });
    assertNeutronError(res, 400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv4.');
    // Admin subnets use it.
    const anet = await n.network('admin');
    const s = assertStatus(await n.post('admin', 'subnets', { subnet: { network_id: anet.id, ip_version: 4, use_default_subnetpool: true, prefixlen: 24 } }), 201).subnet;
    assert.equal(s.subnetpool_id, p.id);
    assert.equal(s.cidr, '100.64.0.0/24');
    assertNeutronError(
      await n.post('admin', 'subnets', { subnet: { network_id: anet.id, ip_version: 4, use_default_subnetpool: true, subnetpool_id: p.id } }),
      400,
      'BadRequest',
      'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.',
    );
    assert.equal(assertStatus(await n.put('admin', `subnetpools/${p.id}`, { subnetpool: { is_default: false } }), 200).subnetpool.is_default, false);
  });

  test('the subnetpool quota counts pools', async () => {
    const projectId = (await pool('demo', { prefixes: ['10.200.0.0/16'] })).project_id;
    const q = assertStatus(await n.get('demo', `quotas/${projectId}/details`), 200).quota.subnetpool;
    assert.equal(q.limit, -1);
    assert.ok(q.used >= 1);
  });
});

describe('subnets from a pool', () => {
  test('any request: the smallest free prefix first, default_prefixlen, gateway the first host', async () => {
    const p = await pool('demo', { prefixes: ['10.30.0.0/16', '10.40.0.0/24'], default_prefixlen: 26 });
    const net = await n.network('demo');
    const a = assertStatus(await subnetFrom('demo', net.id, p.id), 201).subnet;
    assert.equal(a.cidr, '10.40.0.0/26');
    assert.equal(a.subnetpool_id, p.id);
    assert.equal(a.gateway_ip, '10.40.0.1');
    assert.deepEqual(a.allocation_pools, [{ start: '10.40.0.2', end: '10.40.0.62' }]);
    const b = assertStatus(await subnetFrom('demo', net.id, p.id, { prefixlen: 24 }), 201).subnet;
    assert.equal(b.cidr, '10.30.0.0/24');
    const c = assertStatus(await subnetFrom('demo', net.id, p.id, { gateway_ip: null }), 201).subnet;
    assert.equal(c.cidr, '10.40.0.64/26');
    assert.equal(c.gateway_ip, '10.40.0.65');
    assert.ok(assertStatus(await n.get('demo', `subnets?subnetpool_id=${p.id}`), 200).subnets.length === 3);

    // A pool in use cannot go; once its subnets are gone it can.
    assertNeutronError(await n.del('demo', `subnetpools/${p.id}`), 400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.');
    for (const s of [a, b, c]) assert.equal((await n.del('demo', `subnets/${s.id}`)).status, 204);
    assert.equal((await n.del('demo', `subnetpools/${p.id}`)).status, 204);
  });

  test('specific requests: a free CIDR, a gateway with prefixlen, and what is not free', async () => {
    const p = await pool('demo', { prefixes: ['10.50.0.0/16'], min_prefixlen: 20, max_prefixlen: 28, default_prefixlen: 24 });
    const net = await n.network('demo');
    const s = assertStatus(await subnetFrom('demo', net.id, p.id, { cidr: '10.50.3.0/24', allocation_pools: [{ start: '10.50.3.10', end: '10.50.3.20' }] }), 201).subnet;
    assert.equal(s.cidr, '10.50.3.0/24');
    assert.deepEqual(s.allocation_pools, [{ start: '10.50.3.10', end: '10.50.3.20' }]);
    const g = assertStatus(await subnetFrom('demo', net.id, p.id, { gateway_ip: '10.50.4.254', prefixlen: 25 }), 201).subnet;
    assert.equal(g.cidr, '10.50.4.128/25');
    assert.equal(g.gateway_ip, '10.50.4.254');

    const net2 = await n.network('demo');
    const taken = await subnetFrom('demo', net2.id, p.id, { cidr: '10.50.3.128/25' });
    assertNeutronError(taken, 500, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.');
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { cidr: '10.60.0.0/24' }), 500, 'SubnetAllocationError', /Cannot allocate requested subnet/);
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { prefixlen: 29 }), 400, 'MaxPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28.');
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { cidr: '10.50.64.0/18' }), 400, 'MinPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 18, minimum allowed prefix is 20.');
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { allocation_pools: [{ start: '10.50.9.2', end: '10.50.9.9' }] }), 400, 'BadRequest', 'Bad subnets request: allocation_pools allowed only for specific subnet requests..');
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { cidr: '10.50.9.0/24', prefixlen: 24 }), 400, 'BadRequest', 'Bad subnets request: cidr and prefixlen must not be supplied together.');
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { ip_version: 6 }), 400, 'BadRequest', 'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.');
    assertNeutronError(await subnetFrom('demo', net2.id, UNKNOWN), 404, 'SubnetPoolNotFound', `Subnet pool ${UNKNOWN} could not be found.`);
    assertNeutronError(await subnetFrom('demo', net2.id, p.id, { prefixlen: -2 }), 400, 'HTTPBadRequest', "Invalid input for prefixlen. Reason: '-2' should be non-negative.");
    assertNeutronError(await n.post('demo', 'subnets', { subnet: { network_id: net2.id, ip_version: 4 } }), 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
  });

  test('a full pool: SubnetAllocationError naming the size', async () => {
    const p = await pool('demo', { prefixes: ['10.70.0.0/24'], default_prefixlen: 25 });
    const net = await n.network('demo');
    assertStatus(await subnetFrom('demo', net.id, p.id), 201);
    assertStatus(await subnetFrom('demo', net.id, p.id), 201);
    assertNeutronError(await subnetFrom('demo', net.id, p.id), 500, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /25.');
  });

  test("the pool's prefix quota, in /32 units, counts the pool owner's subnets", async () => {
    const p = await pool('demo', { prefixes: ['10.80.0.0/16'], default_prefixlen: 24, default_quota: 512 });
    const net = await n.network('demo');
    assertStatus(await subnetFrom('demo', net.id, p.id), 201);
    assertStatus(await subnetFrom('demo', net.id, p.id), 201);
    assertNeutronError(await subnetFrom('demo', net.id, p.id), 409, 'SubnetPoolQuotaExceeded', 'Per-tenant subnet pool prefix quota exceeded.');
  });

  test('a network takes the subnets of one IP version from one pool or none', async () => {
    const p = await pool('demo', { prefixes: ['10.90.0.0/16'], default_prefixlen: 24 });
    const q = await pool('demo', { prefixes: ['10.91.0.0/16'], default_prefixlen: 24 });
    const net = await n.network('demo');
    assertStatus(await subnetFrom('demo', net.id, p.id), 201);
    const msg = 'Subnets hosted on the same network must be allocated from the same subnet pool.';
    assertNeutronError(await subnetFrom('demo', net.id, q.id), 400, 'NetworkSubnetPoolAffinityError', msg);
    assertNeutronError(await n.post('demo', 'subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '192.168.7.0/24' } }), 400, 'NetworkSubnetPoolAffinityError', msg);
    // Another IP version is free to differ.
    assertStatus(await n.post('demo', 'subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: '2001:db8:7::/64' } }), 201);
  });

  test('a shared pool serves other projects', async () => {
    const p = await pool('admin', { prefixes: ['10.100.0.0/16'], shared: true, default_prefixlen: 24 });
    const net = await n.network('demo');
    const s = assertStatus(await subnetFrom('demo', net.id, p.id), 201).subnet;
    assert.equal(s.cidr, '10.100.0.0/24');
  });
});

describe('add_prefixes, remove_prefixes and tags', () => {
  test('add_prefixes unions, remove_prefixes takes away what no subnet uses', async () => {
    const p = await pool('demo', { prefixes: ['10.120.0.0/24'], default_prefixlen: 26 });
    const added = assertStatus(await n.put('demo', `subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.120.1.0/24', '10.121.0.0/24'] }), 200);
    assert.deepEqual(added, { prefixes: ['10.120.0.0/23', '10.121.0.0/24'] });
    const net = await n.network('demo');
    const s = assertStatus(await subnetFrom('demo', net.id, p.id), 201).subnet;
    assert.equal(s.cidr, '10.121.0.0/26');
    assertNeutronError(
      await n.put('demo', `subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.121.0.0/24'] }),
      400,
      'IllegalSubnetPoolPrefixUpdate',
      'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..',
    );
    const removed = assertStatus(await n.put('demo', `subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.120.1.0/25'] }), 200);
    assert.deepEqual(removed, { prefixes: ['10.120.0.0/24', '10.120.1.128/25', '10.121.0.0/24'] });
    // Disjoint: nothing changes.
    assert.deepEqual(assertStatus(await n.put('demo', `subnetpools/${p.id}/remove_prefixes`, { prefixes: ['192.0.2.0/24'] }), 200), removed);
    const shown = assertStatus(await n.get('demo', `subnetpools/${p.id}`), 200).subnetpool;
    assert.deepEqual(shown.prefixes, removed.prefixes);
    assert.equal(shown.revision_number, 3);
    for (const body of [{}, { prefixes: [] }, { prefixes: '10.0.0.0/8' }]) {
      assertNeutronError(await n.put('demo', `subnetpools/${p.id}/add_prefixes`, body), 400, 'HTTPBadRequest', 'Request body contains invalid data');
    }
    assertNeutronError(await n.put('demo', `subnetpools/${UNKNOWN}/add_prefixes`, { prefixes: ['10.0.0.0/8'] }), 404, 'SubnetPoolNotFound', `Subnet pool ${UNKNOWN} could not be found.`);
  });

  test('tags on a subnet pool (tempest TagsExtTest)', async () => {
    const p = await pool('demo', { prefixes: ['10.130.0.0/16'] });
    assert.equal((await n.put('demo', `subnetpools/${p.id}/tags/red`, undefined)).status, 201);
    assert.deepEqual(assertStatus(await n.put('demo', `subnetpools/${p.id}/tags`, { tags: ['a', 'b'] }), 200).tags, ['a', 'b']);
    const shown = assertStatus(await n.get('demo', `subnetpools/${p.id}`), 200).subnetpool;
    assert.deepEqual(shown.tags, ['a', 'b']);
    assert.equal(shown.revision_number, 3);
    assert.deepEqual(assertStatus(await n.get('demo', 'subnetpools?tags=a'), 200).subnetpools.map((x: any) => x.id), [p.id]);
    assert.equal((await n.del('demo', `subnetpools/${p.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `subnetpools/${p.id}/tags`), 404, 'TagResourceNotFound', `Resource subnetpools ${p.id} could not be found.`);
  });

  test('extensions: subnet_allocation, default-subnetpools, subnetpool-prefix-ops; not address-scope', async () => {
    const aliases = assertStatus(await n.get('demo', 'extensions'), 200).extensions.map((e: any) => e.alias);
    for (const a of ['subnet_allocation', 'default-subnetpools', 'subnetpool-prefix-ops']) assert.ok(aliases.includes(a), a);
    assert.ok(!aliases.includes('address-scope'));
    // subnetpools is one of neutron's core resources (pecan's _CORE_RESOURCES).
    const root = await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0`);
    assert.ok(root.body.resources.some((r: any) => r.collection === 'subnetpools' && r.name === 'subnetpool'));
  });
});
