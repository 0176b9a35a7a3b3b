/**
 * glance's metadefs API over HTTP on the embedded cloud: the flows Tempest 33's
 * test_images_metadefs_* drive, the admin-only changes, visibility and protection.
 * Texts are glance 25's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
let md: string;
before(async () => {
  cloud = await startTestCloud();
  md = `${cloud.urls.image}/v2/metadefs`;
});
after(() => cloud.stop());

const bodyText = (body: unknown) => JSON.stringify(body);

test('resource types: the seeded catalog', async () => {
  const r = await cloud.api('demo', 'GET', `${md}/resource_types`);
  assert.equal(r.status, 200);
  const names = r.body.resource_types.map((t: { name: string }) => t.name);
  assert.ok(names.includes('OS::Glance::Image') && names.includes('OS::Nova::Flavor'));
  assert.deepEqual(Object.keys(r.body.resource_types[0]).sort(), ['created_at', 'name', 'updated_at']);
  assert.equal((await cloud.api('admin', 'POST', `${md}/resource_types`, {})).status, 405);
});

test('namespaces: create with associations, list, show, protected delete, update, delete', async () => {
  const created = await cloud.api('admin', 'POST', `${md}/namespaces`, {
    namespace: 'ns-1', visibility: 'public', description: 'Tempest', display_name: 'ns-1', resource_type_associations: [{ name: 'OS::Glance::Image' }], protected: true,
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('location'), '/v2/metadefs/namespaces/ns-1');
  assert.equal(created.body.namespace, 'ns-1');
  assert.equal(created.body.visibility, 'public');
  assert.equal(created.body.protected, true);
  assert.equal(created.body.self, '/v2/metadefs/namespaces/ns-1');
  assert.equal(created.body.schema, '/v2/schemas/metadefs/namespace');
  assert.deepEqual(created.body.resource_type_associations, [{ name: 'OS::Glance::Image' }]);

  const list = await cloud.api('demo', 'GET', `${md}/namespaces`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.namespaces.map((n: { namespace: string }) => n.namespace), ['ns-1']);
  assert.equal(list.body.first, '/v2/metadefs/namespaces');
  assert.equal(list.body.schema, '/v2/schemas/metadefs/namespaces');
  assert.equal(list.body.namespaces[0].resource_type_associations[0].name, 'OS::Glance::Image');

  const shown = await cloud.api('demo', 'GET', `${md}/namespaces/ns-1`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.visibility, 'public');

  const del = await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-1`);
  assert.equal(del.status, 403);
  assert.match(bodyText(del.body), /Metadata definition namespace ns-1 is protected and cannot be deleted\./);

  const up = await cloud.api('admin', 'PUT', `${md}/namespaces/ns-1`, { namespace: 'ns-1', description: 'Tempest', visibility: 'private', display_name: 'ns-1', protected: false });
  assert.equal(up.status, 200);
  assert.equal(up.body.visibility, 'private');
  assert.equal(up.body.protected, false);
  // Private now: a member of another project no longer sees it.
  assert.equal((await cloud.api('demo', 'GET', `${md}/namespaces/ns-1`)).status, 404);
  assert.deepEqual((await cloud.api('demo', 'GET', `${md}/namespaces`)).body.namespaces, []);

  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-1`)).status, 204);
  const gone = await cloud.api('admin', 'GET', `${md}/namespaces/ns-1`);
  assert.equal(gone.status, 404);
  assert.match(bodyText(gone.body), /Metadata definition namespace=ns-1 was not found\./);
});

test('namespaces: admin only, duplicates, body checks', async () => {
  const demo = await cloud.api('demo', 'POST', `${md}/namespaces`, { namespace: 'x' });
  assert.equal(demo.status, 403);
  assert.match(bodyText(demo.body), /You are not authorized to complete add_metadef_namespace action\./);
  assert.equal((await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'dup' })).status, 201);
  const dup = await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'dup' });
  assert.equal(dup.status, 409);
  assert.match(bodyText(dup.body), /The metadata definition namespace=dup already exists\./);
  const missing = await cloud.api('admin', 'POST', `${md}/namespaces`, { visibility: 'public' });
  assert.equal(missing.status, 400);
  assert.match(bodyText(missing.body), /Provided object does not match schema 'namespace': 'namespace' is a required property/);
  const ro = await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'y', self: '/x' });
  assert.equal(ro.status, 403);
  assert.match(bodyText(ro.body), /Attribute 'self' is read-only\./);
  // A private admin namespace is hidden from others: changes are 404, not 403.
  const hidden = await cloud.api('demo', 'PUT', `${md}/namespaces/dup`, { namespace: 'dup' });
  assert.equal(hidden.status, 404);
  assert.match(bodyText(hidden.body), /Namespace dup not found/);
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/dup`)).status, 204);
});

test('objects: create, show, list, rename, delete', async () => {
  await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'ns-obj', visibility: 'public' });
  const o = await cloud.api('admin', 'POST', `${md}/namespaces/ns-obj/objects`, { name: 'obj-1', description: 'd', properties: { p: { type: 'string', title: 'P' } }, required: [] });
  assert.equal(o.status, 201);
  assert.equal(o.body.name, 'obj-1');
  assert.equal(o.body.self, '/v2/metadefs/namespaces/ns-obj/objects/obj-1');
  assert.equal(o.body.schema, '/v2/schemas/metadefs/object');
  assert.deepEqual(o.body.properties, { p: { type: 'string', title: 'P' } });
  assert.equal((await cloud.api('demo', 'GET', `${md}/namespaces/ns-obj/objects/obj-1`)).body.name, 'obj-1');
  const list = await cloud.api('demo', 'GET', `${md}/namespaces/ns-obj/objects`);
  assert.deepEqual(list.body.objects.map((x: { name: string }) => x.name), ['obj-1']);
  assert.equal(list.body.schema, 'v2/schemas/metadefs/objects');
  const dup = await cloud.api('admin', 'POST', `${md}/namespaces/ns-obj/objects`, { name: 'obj-1' });
  assert.equal(dup.status, 409);
  assert.match(bodyText(dup.body), /A metadata definition object with name=obj-1 already exists in namespace=ns-obj\./);
  assert.equal((await cloud.api('demo', 'POST', `${md}/namespaces/ns-obj/objects`, { name: 'o2' })).status, 403);
  const up = await cloud.api('admin', 'PUT', `${md}/namespaces/ns-obj/objects/obj-1`, { name: 'obj-2' });
  assert.equal(up.status, 200);
  assert.equal(up.body.name, 'obj-2');
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-obj/objects/obj-2`)).status, 204);
  const gone = await cloud.api('admin', 'GET', `${md}/namespaces/ns-obj/objects/obj-2`);
  assert.equal(gone.status, 404);
  assert.match(bodyText(gone.body), /The metadata definition object with name=obj-2 was not found in namespace=ns-obj\./);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-obj/objects`)).body.objects, []);
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-obj`)).status, 204);
});

test('properties and resource type associations', async () => {
  await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'ns-prop' });
  const a = await cloud.api('admin', 'POST', `${md}/namespaces/ns-prop/resource_types`, { name: 'OS::Nova::Flavor', prefix: 'hw:' });
  assert.equal(a.status, 201);
  assert.equal(a.body.name, 'OS::Nova::Flavor');
  assert.equal(a.body.prefix, 'hw:');
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop/resource_types`)).body.resource_type_associations.map((x: { name: string }) => x.name), ['OS::Nova::Flavor']);
  const enumv = ['xen', 'kvm'];
  const p = await cloud.api('admin', 'POST', `${md}/namespaces/ns-prop/properties`, { name: 'OS::Nova::Flavor', title: 't1', type: 'string', enum: enumv });
  assert.equal(p.status, 201);
  assert.deepEqual(p.body, { name: 'OS::Nova::Flavor', title: 't1', type: 'string', enum: enumv });
  assert.equal((await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop/properties/OS::Nova::Flavor`)).body.name, 'OS::Nova::Flavor');
  const up = await cloud.api('admin', 'PUT', `${md}/namespaces/ns-prop/properties/OS::Nova::Flavor`, { name: 'OS::Nova::Flavor', title: 't2', type: 'string', enum: enumv });
  assert.equal(up.body.title, 't2');
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop/properties`)).body, { properties: { 'OS::Nova::Flavor': { title: 't2', type: 'string', enum: enumv } } });
  const shown = await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop`);
  assert.deepEqual(Object.keys(shown.body.properties), ['OS::Nova::Flavor']);
  assert.equal(shown.body.resource_type_associations[0].prefix, 'hw:');
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-prop/properties/OS::Nova::Flavor`)).status, 204);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop/properties`)).body, { properties: {} });
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-prop/resource_types/OS::Nova::Flavor`)).status, 204);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-prop/resource_types`)).body.resource_type_associations, []);
  const gone = await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-prop/resource_types/OS::Nova::Flavor`);
  assert.equal(gone.status, 404);
  assert.match(bodyText(gone.body), /The metadata definition resource-type association of resource-type=OS::Nova::Flavor to namespace=ns-prop, was not found\./);
  // An unknown resource type joins the catalog on association, as glance does.
  await cloud.api('admin', 'POST', `${md}/namespaces/ns-prop/resource_types`, { name: 'OS::Custom::Thing' });
  assert.ok((await cloud.api('admin', 'GET', `${md}/resource_types`)).body.resource_types.some((t: { name: string }) => t.name === 'OS::Custom::Thing'));
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-prop`)).status, 204);
});

test('tags: bulk create replaces, single create/update/delete, delete all', async () => {
  await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: 'ns-tag' });
  const bulk = await cloud.api('admin', 'POST', `${md}/namespaces/ns-tag/tags`, { tags: [{ name: 'sample-tag1' }, { name: 'sample-tag2' }, { name: 'sample-tag3' }] });
  assert.equal(bulk.status, 201);
  assert.deepEqual(bulk.body, { tags: [{ name: 'sample-tag1' }, { name: 'sample-tag2' }, { name: 'sample-tag3' }] });
  assert.equal((await cloud.api('admin', 'GET', `${md}/namespaces/ns-tag/tags`)).body.tags.length, 3);
  const one = await cloud.api('admin', 'POST', `${md}/namespaces/ns-tag/tags/tag-a`);
  assert.equal(one.status, 201);
  assert.deepEqual(Object.keys(one.body), ['name', 'created_at', 'updated_at']);
  assert.equal((await cloud.api('admin', 'GET', `${md}/namespaces/ns-tag/tags/tag-a`)).body.name, 'tag-a');
  const up = await cloud.api('admin', 'PUT', `${md}/namespaces/ns-tag/tags/tag-a`, { name: 'tag-b' });
  assert.equal(up.status, 200);
  assert.equal(up.body.name, 'tag-b');
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-tag/tags/tag-b`)).status, 204);
  const gone = await cloud.api('admin', 'GET', `${md}/namespaces/ns-tag/tags/tag-b`);
  assert.equal(gone.status, 404);
  assert.match(bodyText(gone.body), /The metadata definition tag with name=tag-b was not found in namespace=ns-tag\./);
  const replaced = await cloud.api('admin', 'POST', `${md}/namespaces/ns-tag/tags`, { tags: [{ name: 'only' }] });
  assert.equal(replaced.status, 201);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-tag/tags`)).body.tags.map((t: { name: string }) => t.name), ['only']);
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-tag/tags`)).status, 204);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces/ns-tag/tags`)).body, { tags: [] });
  assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/ns-tag`)).status, 204);
});

test('namespace list paging and filters; show with ?resource_type= prefixes names', async () => {
  for (const n of ['pg-a', 'pg-b']) await cloud.api('admin', 'POST', `${md}/namespaces`, { namespace: n, visibility: 'public' });
  const first = await cloud.api('admin', 'GET', `${md}/namespaces?limit=1`);
  assert.equal(first.body.namespaces.length, 1);
  assert.equal(first.body.first, '/v2/metadefs/namespaces?limit=1');
  assert.equal(first.body.next, `/v2/metadefs/namespaces?limit=1&marker=${first.body.namespaces[0].namespace}`);
  const second = await cloud.api('admin', 'GET', `${md}${first.body.next.slice('/v2/metadefs'.length)}`);
  assert.equal(second.body.namespaces.length, 1);
  assert.notEqual(second.body.namespaces[0].namespace, first.body.namespaces[0].namespace);
  const badDir = await cloud.api('admin', 'GET', `${md}/namespaces?sort_dir=up`);
  assert.equal(badDir.status, 400);
  assert.match(bodyText(badDir.body), /Invalid sort direction: up/);
  const badVis = await cloud.api('admin', 'GET', `${md}/namespaces?visibility=shared`);
  assert.equal(badVis.status, 400);
  assert.match(bodyText(badVis.body), /Invalid visibility value: shared/);
  const badLimit = await cloud.api('admin', 'GET', `${md}/namespaces?limit=-1`);
  assert.match(bodyText(badLimit.body), /limit param must be positive/);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces?visibility=private`)).body.namespaces, []);

  await cloud.api('admin', 'POST', `${md}/namespaces/pg-a/resource_types`, { name: 'OS::Nova::Flavor', prefix: 'hw:' });
  await cloud.api('admin', 'POST', `${md}/namespaces/pg-a/properties`, { name: 'cpu_policy', title: 'CPU', type: 'string' });
  await cloud.api('admin', 'POST', `${md}/namespaces/pg-a/objects`, { name: 'o', properties: { x: { type: 'string', title: 'X' } }, required: ['x'] });
  const plain = await cloud.api('admin', 'GET', `${md}/namespaces/pg-a`);
  assert.deepEqual(Object.keys(plain.body.properties), ['cpu_policy']);
  const rt = await cloud.api('admin', 'GET', `${md}/namespaces/pg-a?resource_type=OS::Nova::Flavor`);
  assert.deepEqual(Object.keys(rt.body.properties), ['hw:cpu_policy']);
  assert.deepEqual(Object.keys(rt.body.objects[0].properties), ['hw:x']);
  assert.deepEqual(rt.body.objects[0].required, ['hw:x']);
  assert.deepEqual((await cloud.api('admin', 'GET', `${md}/namespaces?resource_types=OS::Nova::Flavor`)).body.namespaces.map((n: { namespace: string }) => n.namespace), ['pg-a']);
  for (const n of ['pg-a', 'pg-b']) assert.equal((await cloud.api('admin', 'DELETE', `${md}/namespaces/${n}`)).status, 204);
});
