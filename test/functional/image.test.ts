/**
 * The image service over HTTP in one process (test/helpers/image-service.ts): a temp
 * SQLite file and data dir, a fake token validator (admin in project A, member in
 * project B), driven with fetch.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inProcessOnly } from '../helpers/cloud.js';
import { BOOTSTRAP_IMAGE_NAME, bootstrapImageData } from '../../src/image/bootstrap.js';
import { PROJECT_A, PROJECT_B, startImageService, type CallOptions, type ImageTestService } from '../helpers/image-service.js';

describe('image service', { skip: inProcessOnly('glance built alone with a fake clock, no cloud') }, () => {
  let s: ImageTestService;
  let base: string;
  const call = (method: string, path: string, opts?: CallOptions) => s.call(method, path, opts);
  const patch = (id: string, ops: unknown[], tok: 'ADMIN' | 'MEMBER' = 'ADMIN') =>
    call('PATCH', `/v2/images/${id}`, {
      token: tok,
      body: ops,
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });

  before(async () => {
    s = await startImageService();
    await s.service.init(); // idempotent
    base = s.base;
  });

  after(async () => {
    await s?.close();
  });

  it('answers version discovery without a token: 300 on /, 200 on /versions', async () => {
    const root = await call('GET', '/', { token: null });
    assert.equal(root.status, 300);
    assert.equal(root.json.versions[0].id, 'v2.15');
    assert.equal(root.json.versions[0].status, 'CURRENT');
    assert.equal(root.json.versions[0].links[0].href, `${base}/v2/`);
    assert.equal((await call('GET', '/versions', { token: null })).status, 200);
  });

  it('requires a token for the API', async () => {
    const r = await call('GET', '/v2/images', { token: null });
    assert.equal(r.status, 401);
  });

  it('bootstraps one public active cirros image with correct checksums', async () => {
    const r = await call('GET', `/v2/images?name=${BOOTSTRAP_IMAGE_NAME}`, { token: 'MEMBER' });
    assert.equal(r.status, 200);
    assert.equal(r.json.images.length, 1);
    const img = r.json.images[0];
    const data = bootstrapImageData();
    assert.equal(img.status, 'active');
    assert.equal(img.visibility, 'public');
    assert.equal(img.owner, PROJECT_A);
    assert.equal(img.disk_format, 'qcow2');
    assert.equal(img.size, data.length);
    assert.equal(img.virtual_size, 112 * 1024 * 1024);
    assert.equal(img.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(img.os_hash_algo, 'sha512');
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'));
    assert.equal(img.stores, 'fs');
    const dl = await call('GET', `/v2/images/${img.id}/file`, { token: 'MEMBER' });
    assert.equal(dl.status, 200);
    assert.ok(dl.buf.equals(data));
  });

  it('creates, shows, uploads, downloads and deletes an image like the transcript', async () => {
    const created = await call('POST', '/v2/images', {
      body: {
        container_format: 'bare',
        disk_format: 'raw',
        name: 'fake-image',
        visibility: 'public',
        'owner_specified.openstack.md5': '',
        'owner_specified.openstack.sha256': '',
        'owner_specified.openstack.object': 'images/fake-image',
      },
    });
    assert.equal(created.status, 201);
    const img = created.json;
    assert.deepEqual(Object.keys(img), [
      'owner_specified.openstack.md5', 'owner_specified.openstack.sha256', 'owner_specified.openstack.object',
      'name', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size', 'status', 'checksum',
      'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value', 'id',
      'created_at', 'updated_at', 'tags', 'self', 'file', 'schema',
    ]);
    assert.equal(img.status, 'queued');
    assert.equal(img.size, null);
    assert.equal(img.owner, PROJECT_A);
    assert.equal(img.created_at, '2026-11-23T23:38:45Z');
    assert.equal(created.headers.get('location'), `${base}/v2/images/${img.id}`);
    assert.equal(img.self, `/v2/images/${img.id}`);

    // No data yet: 204, as glance answers when the store has nothing.
    assert.equal((await call('GET', `/v2/images/${img.id}/file`)).status, 204);

    const data = Buffer.alloc(1024 * 1024, 0);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    const put = await call('PUT', `/v2/images/${img.id}/file`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 204);
    const shown = (await call('GET', `/v2/images/${img.id}`)).json;
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    assert.equal(shown.virtual_size, data.length);
    assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));

    const dl = await call('GET', `/v2/images/${img.id}/file`);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-md5'), shown.checksum);
    assert.ok(dl.buf.equals(data));

    // A second upload is a status transition glance refuses.
    const again = await call('PUT', `/v2/images/${img.id}/file`, { raw: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /Image status transition from active to saving is not allowed/);

    assert.ok(existsSync(join(s.dataDir, 'images', img.id)));
    assert.equal((await call('DELETE', `/v2/images/${img.id}`)).status, 204);
    assert.ok(!existsSync(join(s.dataDir, 'images', img.id)));
    const gone = await call('GET', `/v2/images/${img.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, {
      message: `No image found with ID ${img.id}<br /><br />\n\n\n`,
      code: '404 Not Found',
      title: 'Not Found',
    });
  });

  it('renders errors as webob does for each Accept', async () => {
    const plain = await call('GET', '/v2/images/nonexistent', { headers: { accept: '' } });
    assert.equal(plain.status, 404);
    assert.equal(plain.buf.toString(), '404 Not Found\n\nNo image found with ID nonexistent\n\n   ');
    const html = await call('GET', '/v2/images/nonexistent', { headers: { accept: '*/*' } });
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.buf.toString(), /<h1>404 Not Found<\/h1>/);
    const unknown = await call('GET', '/v2/nothing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.message, 'The resource could not be found.<br /><br />\n\n\n');
  });

  it('patches with add, replace and remove', async () => {
    const img = (await call('POST', '/v2/images', { body: { name: 'p1', disk_format: 'raw', container_format: 'bare' } })).json;
    assert.equal(img.visibility, 'shared');
    const r = await patch(img.id, [
      { op: 'replace', path: '/name', value: 'p2' },
      { op: 'add', path: '/os_distro', value: 'cirros' },
      { op: 'add', path: '/tags', value: ['a', 'b'] },
      { op: 'replace', path: '/min_ram', value: 64 },
    ]);
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'p2');
    assert.equal(r.json.os_distro, 'cirros');
    assert.deepEqual(r.json.tags, ['a', 'b']);
    assert.equal(r.json.min_ram, 64);
    const rm = await patch(img.id, [{ op: 'remove', path: '/os_distro' }]);
    assert.equal(rm.status, 200);
    assert.equal(rm.json.os_distro, undefined);
    const missing = await patch(img.id, [{ op: 'remove', path: '/os_distro' }]);
    assert.equal(missing.status, 409);
    assert.match(missing.json.message, /^Property os_distro does not exist\./);
    const ro = await patch(img.id, [{ op: 'replace', path: '/status', value: 'active' }]);
    assert.equal(ro.status, 403);
    assert.match(ro.json.message, /^Attribute 'status' is read-only\./);
    const core = await patch(img.id, [{ op: 'remove', path: '/name' }]);
    assert.equal(core.status, 403);
    assert.equal(core.json.message, 'Access was denied to this resource.<br /><br />\nProperty name may not be removed.\n\n');
    const bad = await patch(img.id, [{ op: 'replace', path: '/disk_format', value: 'floppy' }]);
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^Provided object does not match schema 'image': 'floppy' is not one of \[None, 'ami'/);
    const wrongType = await call('PATCH', `/v2/images/${img.id}`, { body: [] });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.headers.get('accept-patch'), 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch');
    const byTag = await call('GET', '/v2/images?tag=a&tag=b');
    assert.deepEqual(byTag.json.images.map((i: { id: string }) => i.id), [img.id]);
  });

  // Tempest's os_glance_reserved tests (test_create/update_image_reserved_property): glance's
  // _reserved_namespaces refuses os_glance* keys on create and in every patch op, 403.
  it('refuses os_glance_* properties on create and on update, changing nothing', async () => {
    const created = await call('POST', '/v2/images', { body: { name: 'x', container_format: 'bare', disk_format: 'raw', os_glance_foo: 'bar' } });
    assert.equal(created.status, 403);
    assert.equal(created.json.message, "Access was denied to this resource.<br /><br />\nAttribute 'os_glance_foo' is reserved.\n\n");
    const img = (await call('POST', '/v2/images', { body: { name: 'reserved-patch', container_format: 'bare', disk_format: 'raw' } })).json;
    for (const op of ['add', 'replace', 'remove'] as const) {
      const res = await patch(img.id, [{ op, path: '/os_glance_foo', ...(op === 'remove' ? {} : { value: 'bar' }) }]);
      assert.equal(res.status, 403, op);
      assert.match(res.json.message, /^Attribute 'os_glance_foo' is reserved\./, op);
    }
    const shown = (await call('GET', `/v2/images/${img.id}`)).json;
    assert.equal(shown.os_glance_foo, undefined);
    assert.equal(shown.updated_at, img.updated_at);
  });

  it('rejects reserved and read-only attributes on create', async () => {
    const reserved = await call('POST', '/v2/images', { body: { name: 'x', location: 'file:///etc/passwd' } });
    assert.equal(reserved.status, 403);
    assert.equal(reserved.json.message, "Access was denied to this resource.<br /><br />\nAttribute 'location' is reserved.\n\n");
    const ns = await call('POST', '/v2/images', { body: { name: 'x', os_glance_foo: 'y' } });
    assert.equal(ns.status, 403);
    const ro = await call('POST', '/v2/images', { body: { name: 'x', self: '/x' } });
    assert.equal(ro.status, 403);
    assert.match(ro.json.message, /^Attribute 'self' is read-only\./);
    const notString = await call('POST', '/v2/images', { body: { name: 'x', foo: 5 } });
    assert.equal(notString.status, 400);
    assert.match(notString.json.message, /: 5 is not of type 'string'/);
    const publicByMember = await call('POST', '/v2/images', { token: 'MEMBER', body: { name: 'x', visibility: 'public' } });
    assert.equal(publicByMember.status, 403);
    assert.match(publicByMember.json.message, /^You are not authorized to complete publicize_image action\./);
  });

  it('keeps private images to their project and lets admins see all', async () => {
    const priv = (await call('POST', '/v2/images', { token: 'MEMBER', body: { name: 'b-private', visibility: 'private' } })).json;
    const comm = (await call('POST', '/v2/images', { token: 'MEMBER', body: { name: 'b-community', visibility: 'community' } })).json;
    const aPriv = (await call('POST', '/v2/images', { body: { name: 'a-private', visibility: 'private' } })).json;
    assert.equal(priv.owner, PROJECT_B);

    const memberList = (await call('GET', '/v2/images', { token: 'MEMBER' })).json.images.map((i: { name: string }) => i.name);
    assert.ok(memberList.includes('b-private'));
    assert.ok(memberList.includes(BOOTSTRAP_IMAGE_NAME));
    assert.ok(!memberList.includes('a-private'));
    const adminList = (await call('GET', '/v2/images')).json.images.map((i: { name: string }) => i.name);
    assert.ok(adminList.includes('b-private'));
    assert.equal((await call('GET', `/v2/images/${aPriv.id}`, { token: 'MEMBER' })).status, 404);
    assert.equal((await call('GET', `/v2/images/${priv.id}`)).status, 200);

    // Community images: visible to everyone by id and with visibility=community.
    assert.equal((await call('GET', `/v2/images/${comm.id}`)).status, 200);
    const commList = (await call('GET', '/v2/images?visibility=community', { token: 'MEMBER' })).json.images;
    assert.deepEqual(commList.map((i: { id: string }) => i.id), [comm.id]);

    // Another project's public image can be seen but not changed.
    const boot = (await call('GET', `/v2/images?name=${BOOTSTRAP_IMAGE_NAME}`, { token: 'MEMBER' })).json.images[0];
    const del = await call('DELETE', `/v2/images/${boot.id}`, { token: 'MEMBER' });
    assert.equal(del.status, 403);
    assert.match(del.json.message, /^You do not own this image/);
    assert.equal((await patch(boot.id, [{ op: 'replace', path: '/name', value: 'x' }], 'MEMBER')).status, 403);
    const up = await call('PUT', `/v2/images/${aPriv.id}/file`, { token: 'MEMBER', raw: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 404);
  });

  it('refuses to delete a protected image', async () => {
    const img = (await call('POST', '/v2/images', { body: { name: 'guarded', protected: true } })).json;
    const r = await call('DELETE', `/v2/images/${img.id}`);
    assert.equal(r.status, 403);
    assert.equal(r.json.message, `Image ${img.id} is protected and cannot be deleted.<br /><br />\n\n\n`);
    assert.equal((await patch(img.id, [{ op: 'replace', path: '/protected', value: false }])).status, 200);
    assert.equal((await call('DELETE', `/v2/images/${img.id}`)).status, 204);
    const again = await call('DELETE', `/v2/images/${img.id}`);
    assert.equal(again.status, 404);
    assert.match(again.json.message, new RegExp(`^Failed to find image ${img.id} to delete`));
  });

  it('pages with limit, marker and sort, and links next', async () => {
    for (const n of ['pg-c', 'pg-a', 'pg-b']) {
      await s.clock.advance(1000);
      await call('POST', '/v2/images', { body: { name: n, tags: ['paging'] } });
    }
    const p1 = await call('GET', '/v2/images?tag=paging&sort=name:asc&limit=2');
    assert.deepEqual(p1.json.images.map((i: { name: string }) => i.name), ['pg-a', 'pg-b']);
    assert.equal(p1.json.first, '/v2/images?tag=paging&sort=name%3Aasc&limit=2');
    const marker = p1.json.images[1].id;
    assert.equal(p1.json.next, `/v2/images?tag=paging&sort=name%3Aasc&limit=2&marker=${marker}`);
    const p2 = await call('GET', p1.json.next);
    assert.deepEqual(p2.json.images.map((i: { name: string }) => i.name), ['pg-c']);
    assert.equal(p2.json.next, undefined);
    const newest = await call('GET', '/v2/images?tag=paging&limit=1');
    assert.equal(newest.json.images[0].name, 'pg-b'); // default: created_at desc
    const classic = await call('GET', '/v2/images?tag=paging&sort_key=name&sort_dir=desc');
    assert.deepEqual(classic.json.images.map((i: { name: string }) => i.name), ['pg-c', 'pg-b', 'pg-a']);
    const badKey = await call('GET', '/v2/images?sort_key=owner');
    assert.equal(badKey.status, 400);
    assert.match(badKey.json.message, /^Invalid sort key: owner\. It must be one of the following: name, status/);
    assert.equal((await call('GET', '/v2/images?marker=nonexistent')).status, 400);
  });

  it('serves the image schemas', async () => {
    const s = await call('GET', '/v2/schemas/image');
    assert.equal(s.status, 200);
    assert.equal(s.json.name, 'image');
    assert.deepEqual(s.json.additionalProperties, { type: 'string' });
    assert.ok(s.json.properties.disk_format.enum.includes('qcow2'));
    const c = await call('GET', '/v2/schemas/images');
    assert.equal(c.json.name, 'images');
    assert.equal(c.json.properties.images.items.name, 'image');
  });

  it('regression: the owner deactivates and reactivates their own image (glance checks ownership, not admin)', async () => {
    const own = (await call('POST', '/v2/images', { token: 'MEMBER', body: { name: 'b-deact', disk_format: 'raw', container_format: 'bare' } })).json;
    const up = await call('PUT', `/v2/images/${own.id}/file`, { token: 'MEMBER', raw: Buffer.from('data'), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 204);
    assert.equal((await call('POST', `/v2/images/${own.id}/actions/deactivate`, { token: 'MEMBER' })).status, 204);
    assert.equal((await call('GET', `/v2/images/${own.id}`, { token: 'MEMBER' })).json.status, 'deactivated');
    const dl = await call('GET', `/v2/images/${own.id}/file`, { token: 'MEMBER' });
    assert.equal(dl.status, 403);
    assert.match(dl.json.message, /^The requested image has been deactivated\. Image data download is forbidden\./);
    // Deactivating twice is a no-op, as glance's domain allows.
    assert.equal((await call('POST', `/v2/images/${own.id}/actions/deactivate`, { token: 'MEMBER' })).status, 204);
    assert.equal((await call('POST', `/v2/images/${own.id}/actions/reactivate`, { token: 'MEMBER' })).status, 204);
    assert.equal((await call('GET', `/v2/images/${own.id}/file`, { token: 'MEMBER' })).status, 200);
    const queued = (await call('POST', '/v2/images', { token: 'MEMBER', body: { name: 'b-queued' } })).json;
    const wrong = await call('POST', `/v2/images/${queued.id}/actions/deactivate`, { token: 'MEMBER' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.json.message, /^Not allowed to deactivate image in status 'queued'/);
  });

  it('regression: ?size=N filters by exact size (tempest test_list_images_param_size)', async () => {
    const img = (await call('POST', '/v2/images', { body: { name: 'sized', disk_format: 'raw', container_format: 'bare' } })).json;
    await call('PUT', `/v2/images/${img.id}/file`, { raw: Buffer.alloc(4242, 1), headers: { 'content-type': 'application/octet-stream' } });
    const r = await call('GET', '/v2/images?size=4242');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.images.map((i: { id: string }) => i.id), [img.id]);
    assert.equal(r.json.first, '/v2/images?size=4242');
    assert.deepEqual((await call('GET', '/v2/images?size=4243')).json.images, []);
    assert.deepEqual((await call('GET', '/v2/images?size=abc')).json.images, []);
    const range = await call('GET', '/v2/images?size_min=4242&size_max=4242');
    assert.deepEqual(range.json.images.map((i: { id: string }) => i.id), [img.id]);
    const bad = await call('GET', '/v2/images?size_min=x');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^Unable to filter on a range with a non-numeric value\./);
  });

  it('regression: created_at / updated_at filter with op:ISO-time (gophercloud TestImagesListByDate; were taken as properties)', async () => {
    const img = (await call('POST', '/v2/images', { body: { name: 'dated', disk_format: 'raw', container_format: 'bare' } })).json;
    const ids = async (q: string) => (await call('GET', `/v2/images?${q}`)).json.images.map((i: { id: string }) => i.id) as string[];
    assert.ok((await ids('created_at=gte:2014-01-01T01:01:01Z')).includes(img.id));
    assert.deepEqual(await ids('created_at=gte:2049-01-01T01:01:01Z'), []);
    assert.ok((await ids(`created_at=${encodeURIComponent(img.created_at)}`)).includes(img.id)); // a bare time is eq
    assert.ok(!(await ids(`created_at=gt:${img.created_at}`)).includes(img.id));
    assert.ok((await ids(`updated_at=lte:${img.updated_at}`)).includes(img.id));
    assert.ok((await ids('updated_at=lt:2049-01-01T00:00:00%2B02:00')).includes(img.id));
    const bad = await call('GET', '/v2/images?created_at=gte:yesterday');
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /^Bad "created_at" query filter format\. Use ISO 8601 DateTime notation\./);
    const op = await call('GET', '/v2/images?updated_at=after:2014-01-01T01:01:01Z');
    assert.equal(op.status, 400);
    assert.match(op.json.message, /^Unable to filter on a unknown operator\./);
  });

  it('regression: GET /v2/images/ (trailing slash) is 404, not the list', async () => {
    const r = await call('GET', '/v2/images/');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'The resource could not be found.<br /><br />\n\n\n');
    assert.equal((await call('GET', '/v2/images/', { token: null })).status, 401);
    assert.equal((await call('GET', '/versions/', { token: null })).status, 200);
  });

  it('deactivates and reactivates (admin or owner only)', async () => {
    const boot = (await call('GET', `/v2/images?name=${BOOTSTRAP_IMAGE_NAME}`)).json.images[0];
    const foreign = await call('POST', `/v2/images/${boot.id}/actions/deactivate`, { token: 'MEMBER' });
    assert.equal(foreign.status, 403);
    assert.match(foreign.json.message, /^You do not own this image/);
    assert.equal((await call('POST', `/v2/images/${boot.id}/actions/deactivate`)).status, 204);
    assert.equal((await call('GET', `/v2/images/${boot.id}/file`, { token: 'MEMBER' })).status, 403);
    assert.equal((await call('POST', `/v2/images/${boot.id}/actions/reactivate`)).status, 204);
    assert.equal((await call('GET', `/v2/images/${boot.id}/file`, { token: 'MEMBER' })).status, 200);
  });
});
