/**
 * neutron's standard-attr-tag extension over HTTP: the /tags routes on every taggable
 * collection (status codes, TagNotFound, TagResourceNotFound, Zed's validation
 * messages), revision bumps, tags in resource dicts, the tags / tags-any / not-tags /
 * not-tags-any list filters, and tags going away with their resource.
 */
import assert from 'node:assert/strict';
import { type TestContext, after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { BUNDLE_TARGET, type TestCloud, inProcessCheck, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const clock = new FakeClock();
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  // The bundle runs on its own clock; the one assertion that needs this one is left out there.
  cloud = await startTestCloud({}, BUNDLE_TARGET ? undefined : clock);
  await clock.advance(1000);
  n = neutron(cloud);
});
after(() => cloud.stop());

const tagRows = async (type: string, id: string) =>
  (await cloud.network.plugin.deps.db.selectFrom('tags').select('tag').where('resource_type', '=', type).where('resource_id', '=', id).execute()).map((r) => r.tag);
/** No tag row is left for these resources (read from the database: in-process only). */
const noTagRows = (t: TestContext, resources: [type: string, id: string][]) =>
  inProcessCheck(t, 'no tag rows left in the database', async () => {
    for (const [type, id] of resources) assert.deepEqual(await tagRows(type, id), [], type);
  });

describe('tag routes', () => {
  test('the extension is listed with neutron-lib texts', async () => {
    const ext = assertStatus(await n.get('demo', 'extensions/standard-attr-tag'), 200).extension;
    assert.equal(ext.name, 'Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, floatingip, router');
    assert.equal(ext.description, 'Enables to set tag on resources with standard attribute.');
    assert.equal(ext.updated, '2017-01-01T00:00:00-00:00');
    assert.equal((await n.get('demo', 'extensions/tag-ext')).status, 404);
  });

  test('a network: replace, show one, add one, remove one, remove all; each change bumps revision and updated_at', async (t) => {
    const net = await n.network('demo', { name: 'tagged' });
    assert.deepEqual(net.tags, []);
    assert.deepEqual(assertStatus(await n.get('demo', `networks/${net.id}/tags`), 200), { tags: [] });

    await clock.advance(5000);
    assert.deepEqual(assertStatus(await n.put('demo', `networks/${net.id}/tags`, { tags: ['b', 'a'] }), 200), { tags: ['b', 'a'] });
    let shown = assertStatus(await n.get('demo', `networks/${net.id}`), 200).network;
    assert.deepEqual(shown.tags, ['a', 'b']);
    assert.equal(shown.revision_number, net.revision_number + 1);
    const updatedAt = shown.updated_at;
    await inProcessCheck(t, 'updated_at moves with the injected clock', () => assert.notEqual(updatedAt, net.updated_at));
    assert.deepEqual(assertStatus(await n.get('demo', `networks/${net.id}/tags`), 200), { tags: ['a', 'b'] });

    // The same set again changes nothing, so no bump.
    assertStatus(await n.put('demo', `networks/${net.id}/tags`, { tags: ['a', 'b'] }), 200);
    assert.equal(assertStatus(await n.get('demo', `networks/${net.id}`), 200).network.revision_number, net.revision_number + 1);

    const one = await n.get('demo', `networks/${net.id}/tags/a`);
    assert.equal(one.status, 204);
    assert.equal(one.body, null);
    assertNeutronError(await n.get('demo', `networks/${net.id}/tags/zz`), 404, 'TagNotFound', 'Tag zz could not be found.');

    const added = await n.call('demo', 'PUT', `networks/${net.id}/tags/c`);
    assert.equal(added.status, 201);
    assert.equal(assertStatus(await n.get('demo', `networks/${net.id}`), 200).network.revision_number, net.revision_number + 2);
    // Adding a tag already there is accepted and is no change.
    assert.equal((await n.call('demo', 'PUT', `networks/${net.id}/tags/c`)).status, 201);
    shown = assertStatus(await n.get('demo', `networks/${net.id}`), 200).network;
    assert.deepEqual(shown.tags, ['a', 'b', 'c']);
    assert.equal(shown.revision_number, net.revision_number + 2);

    assert.equal((await n.del('demo', `networks/${net.id}/tags/a`)).status, 204);
    assertNeutronError(await n.del('demo', `networks/${net.id}/tags/a`), 404, 'TagNotFound', 'Tag a could not be found.');
    assert.deepEqual(assertStatus(await n.get('demo', `networks/${net.id}/tags`), 200), { tags: ['b', 'c'] });

    assert.equal((await n.del('demo', `networks/${net.id}/tags`)).status, 204);
    shown = assertStatus(await n.get('demo', `networks/${net.id}`), 200).network;
    assert.deepEqual(shown.tags, []);
    assert.equal(shown.revision_number, net.revision_number + 4);
    // Removing all of none is no change.
    assert.equal((await n.del('demo', `networks/${net.id}/tags`)).status, 204);
    assert.equal(assertStatus(await n.get('demo', `networks/${net.id}`), 200).network.revision_number, net.revision_number + 4);
  });

  test('tags with spaces, dots and unicode round-trip through the URL', async () => {
    const net = await n.network('demo');
    for (const tag of ['with space', 'v1.2', 'ünï', 'a:b=c']) {
      assert.equal((await n.call('demo', 'PUT', `networks/${net.id}/tags/${encodeURIComponent(tag)}`)).status, 201);
      assert.equal((await n.get('demo', `networks/${net.id}/tags/${encodeURIComponent(tag)}`)).status, 204);
    }
    assert.deepEqual(assertStatus(await n.get('demo', `networks/${net.id}/tags`), 200).tags, ['a:b=c', 'v1.2', 'with space', 'ünï']);
  });

  test('PUT .../tags validation: InvalidInput with neutron-lib reasons', async () => {
    const net = await n.network('demo');
    const path = `networks/${net.id}/tags`;
    assertNeutronError(await n.put('demo', path, { tags: 'abc' }), 400, 'InvalidInput', "Invalid input for operation: 'abc' is not a list.");
    assertNeutronError(await n.put('demo', path, { tags: { a: 1 } }), 400, 'InvalidInput', "Invalid input for operation: '{'a': 1}' is not a list.");
    assertNeutronError(await n.put('demo', path, { tags: null }), 400, 'InvalidInput', "Invalid input for operation: 'None' is not a list.");
    assertNeutronError(await n.put('demo', path, { tag: ['a'] }), 400, 'InvalidInput', 'Invalid input for operation: Invalid tags body.');
    assertNeutronError(await n.put('demo', path, ['a']), 400, 'InvalidInput', 'Invalid input for operation: Invalid tags body.');
    assertNeutronError(await n.call('demo', 'PUT', path), 400, 'InvalidInput', 'Invalid input for operation: Invalid tags body.');
    assertNeutronError(await n.put('demo', path, { tags: ['a', 'b', 'a', 'b', 'a'] }), 400, 'InvalidInput', "Invalid input for operation: Duplicate items in the list: 'a, b'.");
    assertNeutronError(await n.put('demo', path, { tags: ['a', 5] }), 400, 'InvalidInput', "Invalid input for operation: '5' is not a valid string.");
    const long = 'x'.repeat(256);
    assertNeutronError(await n.put('demo', path, { tags: [long] }), 400, 'InvalidInput', `Invalid input for operation: '${long}' exceeds maximum length of 255.`);
    assertNeutronError(await n.call('demo', 'PUT', `${path}/${long}`), 400, 'InvalidInput', `Invalid input for operation: '${long}' exceeds maximum length of 255.`);
    assertNeutronError(await n.get('demo', `${path}/${long}`), 400, 'InvalidInput', `Invalid input for operation: '${long}' exceeds maximum length of 255.`);
    // 255 characters and a comma are fine (a comma only splits list-filter values).
    assertStatus(await n.put('demo', path, { tags: ['y'.repeat(255), 'a,b', ''] }), 200);
    assert.deepEqual(assertStatus(await n.get('demo', path), 200).tags, ['', 'a,b', 'y'.repeat(255)]);
    // Nothing was written by the refused calls.
    assert.equal(assertStatus(await n.get('demo', `networks/${net.id}`), 200).network.revision_number, net.revision_number + 1);
  });

  test('an unknown or hidden parent is TagResourceNotFound naming the collection', async (t) => {
    assertNeutronError(await n.get('demo', `networks/${UNKNOWN}/tags`), 404, 'TagResourceNotFound', `Resource networks ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.put('demo', `subnets/${UNKNOWN}/tags`, { tags: [] }), 404, 'TagResourceNotFound', `Resource subnets ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.call('demo', 'PUT', `ports/${UNKNOWN}/tags/a`), 404, 'TagResourceNotFound', `Resource ports ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.del('demo', `security-groups/${UNKNOWN}/tags/a`), 404, 'TagResourceNotFound', `Resource security_groups ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.del('demo', `floatingips/${UNKNOWN}/tags`), 404, 'TagResourceNotFound', `Resource floatingips ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.get('demo', `floatingips/${UNKNOWN}/tags/a`), 404, 'TagResourceNotFound', `Resource floatingips ${UNKNOWN} could not be found.`);

    const hidden = await n.network('admin', { name: 'private-admin' });
    assertNeutronError(await n.put('demo', `networks/${hidden.id}/tags`, { tags: ['x'] }), 404, 'TagResourceNotFound', `Resource networks ${hidden.id} could not be found.`);
    assertNeutronError(await n.call('demo', 'PUT', `networks/${hidden.id}/tags/x`), 404, 'TagResourceNotFound', `Resource networks ${hidden.id} could not be found.`);
    await noTagRows(t, [['networks', hidden.id]]);
    // A missing parent is reported before a missing tag.
    assertNeutronError(await n.del('demo', `networks/${hidden.id}/tags/x`), 404, 'TagResourceNotFound', `Resource networks ${hidden.id} could not be found.`);
    // POST on the tags collection is not a route.
    assert.equal((await n.post('demo', `networks/${hidden.id}/tags`, { tags: ['x'] })).status, 404);
  });

  test('Zed has no policy on tag calls: a project tags a shared network it can see', async () => {
    const shared = await n.network('admin', { name: 'shared-tagged', shared: true });
    assert.equal((await n.call('demo', 'PUT', `networks/${shared.id}/tags/mine`)).status, 201);
    assert.deepEqual(assertStatus(await n.get('admin', `networks/${shared.id}`), 200).network.tags, ['mine']);
  });

  test('tags is read-only on networks and refused on POST; ports accept (and, like Zed without the tag_ports_during_bulk_creation driver, ignore) it', async () => {
    const net = await n.network('demo');
    assertNeutronError(await n.post('demo', 'networks', { network: { tags: ['a'] } }), 400, 'HTTPBadRequest', "Attribute 'tags' not allowed in POST");
    assertNeutronError(await n.put('demo', `networks/${net.id}`, { network: { tags: ['a'] } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute tags');
    const port = await n.port('demo', net.id, { tags: ['a'] });
    assert.deepEqual(port.tags, []);
    assertNeutronError(await n.post('demo', 'ports', { port: { network_id: net.id, tags: ['a', 'a'] } }), 400, 'HTTPBadRequest', "Invalid input for tags. Reason: Duplicate items in the list: 'a'.");
    assertNeutronError(await n.put('demo', `ports/${port.id}`, { port: { tags: ['a'] } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute tags');
  });
});

describe('every taggable resource', () => {
  test('subnets, ports, security groups and floating IPs carry their tags', async (t) => {
    const ext = await n.network('admin', { name: 'ext-tags', 'router:external': true });
    await n.subnet('admin', ext.id, '198.51.100.0/24');
    const net = await n.network('demo');
    const subnet = await n.subnet('demo', net.id, '10.77.0.0/24');
    const port = await n.port('demo', net.id);
    const sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'tagged-sg' } }), 201).security_group;
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id } }), 201).floatingip;
    const cases: [string, string, string, string][] = [
      ['subnets', 'subnet', subnet.id, 'subnets'],
      ['ports', 'port', port.id, 'ports'],
      ['security-groups', 'security_group', sg.id, 'security_groups'],
      ['floatingips', 'floatingip', fip.id, 'floatingips'],
    ];
    for (const [path, key, id] of cases) {
      const before = assertStatus(await n.get('demo', `${path}/${id}`), 200)[key];
      assert.deepEqual(before.tags, []);
      assert.deepEqual(assertStatus(await n.put('demo', `${path}/${id}/tags`, { tags: ['z', 'k'] }), 200), { tags: ['z', 'k'] });
      assert.equal((await n.call('demo', 'PUT', `${path}/${id}/tags/m`)).status, 201);
      const after = assertStatus(await n.get('demo', `${path}/${id}`), 200)[key];
      assert.deepEqual(after.tags, ['k', 'm', 'z'], path);
      assert.equal(after.revision_number, before.revision_number + 2, path);
      const listed = assertStatus(await n.get('demo', `${path}?tags=k,m`), 200)[`${key}s`];
      assert.deepEqual(listed.map((x: { id: string }) => x.id), [id], path);
    }
    // Deleting each resource deletes its tags.
    assert.equal((await n.del('demo', `floatingips/${fip.id}`)).status, 204);
    assert.equal((await n.del('demo', `ports/${port.id}`)).status, 204);
    assert.equal((await n.del('demo', `subnets/${subnet.id}`)).status, 204);
    assert.equal((await n.del('demo', `security-groups/${sg.id}`)).status, 204);
    await noTagRows(t, cases.map(([, , id, type]) => [type, id]));
  });

  test('a network deleted with its DHCP port and subnets takes all their tags', async (t) => {
    const net = await n.network('admin', { name: 'gone' });
    const subnet = await n.subnet('admin', net.id, '10.78.0.0/24');
    const dhcp = await n.port('admin', net.id, { device_owner: 'network:dhcp' });
    for (const [path, id] of [['networks', net.id], ['subnets', subnet.id], ['ports', dhcp.id]] as const) {
      assertStatus(await n.put('admin', `${path}/${id}/tags`, { tags: ['t'] }), 200);
    }
    assert.equal((await n.del('admin', `networks/${net.id}`)).status, 204);
    await noTagRows(t, [['networks', net.id], ['subnets', subnet.id], ['ports', dhcp.id]]);
  });

  test('security group rules are not taggable: no routes, no tag filters', async () => {
    assert.equal((await n.get('demo', `security-group-rules/${UNKNOWN}/tags`)).status, 404);
    assertNeutronError(await n.get('demo', 'security-group-rules?tags=a'), 400, 'HTTPBadRequest', "['tags'] is invalid attribute for filtering");
  });
});

describe('tag list filters', () => {
  test('tags = all of, tags-any = any of, not-tags = not all of, not-tags-any = none of', async () => {
    const both = await n.network('demo', { name: 'both' });
    const red = await n.network('demo', { name: 'red' });
    const none = await n.network('demo', { name: 'none' });
    assertStatus(await n.put('demo', `networks/${both.id}/tags`, { tags: ['f-red', 'f-blue'] }), 200);
    assertStatus(await n.put('demo', `networks/${red.id}/tags`, { tags: ['f-red'] }), 200);
    const ids = new Map([[both.id, 'both'], [red.id, 'red'], [none.id, 'none']]);
    const names = async (query: string) =>
      (assertStatus(await n.get('demo', `networks?${query}`), 200).networks as { id: string }[])
        .filter((x) => ids.has(x.id))
        .map((x) => ids.get(x.id))
        .sort();
    assert.deepEqual(await names('tags=f-red'), ['both', 'red']);
    assert.deepEqual(await names('tags=f-red,f-blue'), ['both']);
    assert.deepEqual(await names('tags=f-red&tags=f-blue'), ['both']);
    assert.deepEqual(await names('tags-any=f-blue,f-green'), ['both']);
    assert.deepEqual(await names('tags-any=f-blue&tags-any=f-red'), ['both', 'red']);
    assert.deepEqual(await names('not-tags=f-red,f-blue'), ['none', 'red']);
    assert.deepEqual(await names('not-tags=f-red'), ['none']);
    assert.deepEqual(await names('not-tags-any=f-blue'), ['none', 'red']);
    assert.deepEqual(await names('not-tags-any=f-blue,f-red'), ['none']);
    assert.deepEqual(await names('tags=f-red&not-tags-any=f-blue'), ['red']);
    assert.deepEqual(await names('tags=f-red,'), []);
    // Filters combine with fields= and pagination; tags-any is never shown.
    const page = assertStatus(await n.get('demo', 'networks?tags=f-red&fields=id&fields=tags-any&limit=1&sort_key=name&sort_dir=asc'), 200);
    assert.deepEqual(page.networks, [{ id: both.id }]);
    assert.equal(page.networks_links[0].rel, 'next');
  });

  test('port list filters by tags', async () => {
    const net = await n.network('demo');
    const a = await n.port('demo', net.id, { name: 'pa' });
    const b = await n.port('demo', net.id, { name: 'pb' });
    assert.equal((await n.call('demo', 'PUT', `ports/${a.id}/tags/web`)).status, 201);
    const listed = (q: string) => n.get('demo', `ports?network_id=${net.id}&${q}`).then((r) => assertStatus(r, 200).ports.map((p: { name: string }) => p.name).sort());
    assert.deepEqual(await listed('tags=web'), ['pa']);
    assert.deepEqual(await listed('not-tags=web'), ['pb']);
    assert.deepEqual(await listed('tags-any=web,db'), ['pa']);
    assert.deepEqual(await listed('not-tags-any=web'), ['pb']);
    void b;
  });
});
