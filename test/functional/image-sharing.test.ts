/**
 * Image tags and members over HTTP, with glance Zed's rules and texts: only shared images
 * have members, the owner offers and withdraws, the member accepts or rejects, and the
 * image list shows a shared image to a member by membership status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROJECT_A, PROJECT_B, PROJECT_C, startImageService, type ImageTestService } from '../helpers/image-service.js';

const ids = (r: { json: { images: { id: string }[] } }) => r.json.images.map((i) => i.id);

describe('image tags', () => {
  let s: ImageTestService;
  before(async () => {
    s = await startImageService({ imageMemberQuota: 128, imageTagQuota: 3 });
  });
  after(async () => s?.close());

  it('adds and removes single tags (204), 404 for an absent tag', async () => {
    const img = await s.create({ name: 'tagged', tags: ['a'] }, 'MEMBER');
    const put = await s.call('PUT', `/v2/images/${img.id}/tags/b%20c`, { token: 'MEMBER' });
    assert.equal(put.status, 204);
    assert.equal(put.buf.length, 0);
    // Adding a tag that is present is a no-op.
    assert.equal((await s.call('PUT', `/v2/images/${img.id}/tags/a`, { token: 'MEMBER' })).status, 204);
    assert.deepEqual((await s.call('GET', `/v2/images/${img.id}`, { token: 'MEMBER' })).json.tags, ['a', 'b c']);
    assert.deepEqual(ids(await s.call('GET', '/v2/images?tag=b%20c', { token: 'MEMBER' })), [img.id]);
    assert.equal((await s.call('DELETE', `/v2/images/${img.id}/tags/a`, { token: 'MEMBER' })).status, 204);
    const again = await s.call('DELETE', `/v2/images/${img.id}/tags/a`, { token: 'MEMBER' });
    assert.equal(again.status, 404);
    assert.equal(again.json.message, 'The resource could not be found.<br /><br />\n\n\n');
    assert.deepEqual((await s.call('GET', `/v2/images/${img.id}`, { token: 'MEMBER' })).json.tags, ['b c']);
  });

  it('refuses tags on images the caller cannot see or does not own, and overlong tags', async () => {
    const img = await s.create({ name: 'a-private', visibility: 'private' });
    const hidden = await s.call('PUT', `/v2/images/${img.id}/tags/x`, { token: 'MEMBER' });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.json.message, `Image ${img.id} not found.<br /><br />\n\n\n`);
    const pub = await s.create({ name: 'a-public', visibility: 'public', tags: ['t'] });
    const put = await s.call('PUT', `/v2/images/${pub.id}/tags/x`, { token: 'MEMBER' });
    assert.equal(put.status, 403);
    assert.equal(put.json.message, `Not allowed to update tags for image ${pub.id}.<br /><br />\n\n\n`);
    const del = await s.call('DELETE', `/v2/images/${pub.id}/tags/t`, { token: 'MEMBER' });
    assert.equal(del.status, 403);
    assert.equal(del.json.message, `Not allowed to delete tags for image ${pub.id}.<br /><br />\n\n\n`);
    const long = await s.call('PUT', `/v2/images/${pub.id}/tags/${'x'.repeat(256)}`);
    assert.equal(long.status, 400);
    assert.match(long.json.message, /^Provided object does not match schema 'image': 'x{256}' is too long/);
  });

  it('enforces image_tag_quota on PUT, create and PATCH (413)', async () => {
    const img = await s.create({ name: 'quota', tags: ['1', '2', '3'] });
    const put = await s.call('PUT', `/v2/images/${img.id}/tags/4`);
    assert.equal(put.status, 413);
    assert.equal(
      put.json.message,
      `Image tag limit exceeded for image ${img.id}: The limit has been exceeded on the number of allowed image tags. Attempted: 4, Maximum: 3:<br /><br />\n\n\n`,
    );
    const create = await s.call('POST', '/v2/images', { body: { name: 'q2', tags: ['1', '2', '3', '4'] } });
    assert.equal(create.status, 413);
    assert.match(create.json.message, /^The limit has been exceeded on the number of allowed image tags\. Attempted: 4, Maximum: 3/);
    const patch = await s.call('PATCH', `/v2/images/${img.id}`, {
      body: [{ op: 'replace', path: '/tags', value: ['a', 'b', 'c', 'd'] }],
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });
    assert.equal(patch.status, 413);
    assert.deepEqual((await s.call('GET', `/v2/images/${img.id}`)).json.tags, ['1', '2', '3']);
  });
});

describe('image members', () => {
  let s: ImageTestService;
  before(async () => {
    s = await startImageService({ imageMemberQuota: 2, imageTagQuota: 128 });
  });
  after(async () => s?.close());

  it('shares an image: owner adds, member sees it pending, accepts, and lists it', async () => {
    const img = await s.create({ name: 'shared-1', visibility: 'shared' });
    // Not a member yet: the image is invisible to B.
    assert.equal((await s.call('GET', `/v2/images/${img.id}`, { token: 'MEMBER' })).status, 404);

    const add = await s.call('POST', `/v2/images/${img.id}/members`, { body: { member: PROJECT_B } });
    assert.equal(add.status, 200);
    assert.deepEqual(add.json, {
      member_id: PROJECT_B,
      image_id: img.id,
      status: 'pending',
      created_at: '2026-11-23T23:38:45Z',
      updated_at: '2026-11-23T23:38:45Z',
      schema: '/v2/schemas/member',
    });
    assert.deepEqual(Object.keys(add.json), ['member_id', 'image_id', 'status', 'created_at', 'updated_at', 'schema']);

    // Pending: visible by id and with member_status=pending, not in the default list.
    assert.equal((await s.call('GET', `/v2/images/${img.id}`, { token: 'MEMBER' })).status, 200);
    assert.ok(!ids(await s.call('GET', '/v2/images', { token: 'MEMBER' })).includes(img.id));
    // member_status picks shared images only; public ones (the bootstrap image) are listed whatever it is.
    assert.deepEqual(ids(await s.call('GET', '/v2/images?member_status=pending&visibility=shared', { token: 'MEMBER' })), [img.id]);

    await s.clock.advance(5000);
    const accept = await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_B}`, { token: 'MEMBER', body: { status: 'accepted' } });
    assert.equal(accept.status, 200);
    assert.equal(accept.json.status, 'accepted');
    assert.equal(accept.json.updated_at, '2026-11-23T23:38:50Z');
    assert.equal(accept.json.created_at, '2026-11-23T23:38:45Z');
    assert.ok(ids(await s.call('GET', '/v2/images', { token: 'MEMBER' })).includes(img.id));
    assert.deepEqual(ids(await s.call('GET', '/v2/images?visibility=shared', { token: 'MEMBER' })), [img.id]);
    assert.deepEqual(ids(await s.call('GET', '/v2/images?member_status=pending', { token: 'MEMBER' })).filter((i) => i === img.id), []);

    // Rejected: out of the default list, still visible by id.
    await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_B}`, { token: 'MEMBER', body: { status: 'rejected' } });
    assert.ok(!ids(await s.call('GET', '/v2/images', { token: 'MEMBER' })).includes(img.id));
    assert.ok(ids(await s.call('GET', '/v2/images?member_status=all', { token: 'MEMBER' })).includes(img.id));
    assert.equal((await s.call('GET', `/v2/images/${img.id}`, { token: 'MEMBER' })).status, 200);
    // A member can see but not change the image.
    const del = await s.call('DELETE', `/v2/images/${img.id}`, { token: 'MEMBER' });
    assert.equal(del.status, 403);
    assert.match(del.json.message, /^You do not own this image/);
    // C is no member: nothing.
    assert.equal((await s.call('GET', `/v2/images/${img.id}`, { token: 'OTHER' })).status, 404);
    assert.ok(!ids(await s.call('GET', '/v2/images?member_status=all&visibility=all', { token: 'OTHER' })).includes(img.id));
  });

  it('lists members: all for the owner, only its own row for a member; show and delete', async () => {
    const img = await s.create({ name: 'shared-2', visibility: 'shared' });
    await s.call('POST', `/v2/images/${img.id}/members`, { body: { member: PROJECT_B } });
    await s.call('POST', `/v2/images/${img.id}/members`, { body: { member: PROJECT_C } });
    const owner = await s.call('GET', `/v2/images/${img.id}/members`);
    assert.equal(owner.status, 200);
    assert.equal(owner.json.schema, '/v2/schemas/members');
    assert.deepEqual(owner.json.members.map((m: { member_id: string }) => m.member_id), [PROJECT_B, PROJECT_C]);
    const member = await s.call('GET', `/v2/images/${img.id}/members`, { token: 'MEMBER' });
    assert.deepEqual(member.json.members.map((m: { member_id: string }) => m.member_id), [PROJECT_B]);

    assert.equal((await s.call('GET', `/v2/images/${img.id}/members/${PROJECT_C}`)).json.status, 'pending');
    const foreign = await s.call('GET', `/v2/images/${img.id}/members/${PROJECT_C}`, { token: 'MEMBER' });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.message, `${PROJECT_C} not found in the member list of the image ${img.id}.<br /><br />\n\n\n`);

    // Only the owner removes; a member may not, even its own membership.
    const byMember = await s.call('DELETE', `/v2/images/${img.id}/members/${PROJECT_B}`, { token: 'MEMBER' });
    assert.equal(byMember.status, 403);
    assert.equal(byMember.json.message, `Not allowed to delete members for image ${img.id}.<br /><br />\n\n\n`);
    assert.equal((await s.call('DELETE', `/v2/images/${img.id}/members/${PROJECT_C}`)).status, 204);
    const gone = await s.call('DELETE', `/v2/images/${img.id}/members/${PROJECT_C}`);
    assert.equal(gone.status, 404);
    assert.equal((await s.call('GET', `/v2/images/${img.id}`, { token: 'OTHER' })).status, 404);
  });

  it('applies glance\'s refusals: not shared, not owner, owner accepting, duplicates, bad bodies, quota', async () => {
    const priv = await s.create({ name: 'private', visibility: 'private' });
    const addPriv = await s.call('POST', `/v2/images/${priv.id}/members`, { body: { member: PROJECT_B } });
    assert.equal(addPriv.status, 403);
    assert.equal(addPriv.json.message, `Not allowed to create members for image ${priv.id}.<br /><br />\n\n\n`);
    const listPriv = await s.call('GET', `/v2/images/${priv.id}/members`);
    assert.equal(listPriv.status, 403);
    assert.equal(listPriv.json.message, `Not allowed to list members for image ${priv.id}: Only shared images have members.<br /><br />\n\n\n`);
    const showPriv = await s.call('GET', `/v2/images/${priv.id}/members/${PROJECT_B}`);
    assert.equal(showPriv.status, 404);
    assert.equal(showPriv.json.message, 'Only shared images have members.<br /><br />\n\n\n');
    const hidden = await s.call('GET', `/v2/images/${priv.id}/members`, { token: 'MEMBER' });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.json.message, `Image ${priv.id} not found.<br /><br />\n\n\n`);

    const img = await s.create({ name: 'shared-3', visibility: 'shared' }, 'MEMBER');
    await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER', body: { member: PROJECT_C } });
    // C is a member, not the owner: it may not add members.
    const byMember = await s.call('POST', `/v2/images/${img.id}/members`, { token: 'OTHER', body: { member: PROJECT_A } });
    assert.equal(byMember.status, 403);
    assert.equal(byMember.json.message, `Not allowed to create members for image ${img.id}.<br /><br />\n\n\n`);
    const ownerAccepts = await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_C}`, { token: 'MEMBER', body: { status: 'accepted' } });
    assert.equal(ownerAccepts.status, 403);
    assert.equal(ownerAccepts.json.message, `Not allowed to update members for image ${img.id}.<br /><br />\n\n\n`);
    const dup = await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER', body: { member: PROJECT_C } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.message, `Member ${PROJECT_C} is duplicated for image ${img.id}<br /><br />\n\n\n`);
    const badStatus = await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_C}`, { token: 'OTHER', body: { status: 'maybe' } });
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.json.message, 'Incorrect request: Status must be "pending", "accepted" or "rejected".<br /><br />\n\n\n');
    // An admin may set any member's status.
    assert.equal((await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_C}`, { body: { status: 'accepted' } })).status, 200);

    const bodies: [unknown, string][] = [
      [{}, 'Member to be added not specified'],
      [{ member: '' }, "Member can't be empty"],
      [['x'], 'Expected a member in the form: {"member": "image_id"}'],
    ];
    for (const [body, message] of bodies) {
      const r = await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER', body });
      assert.equal(r.status, 400, message);
      assert.equal(r.json.message, `${message}<br /><br />\n\n\n`);
    }
    const noStatus = await s.call('PUT', `/v2/images/${img.id}/members/${PROJECT_C}`, { token: 'OTHER', body: {} });
    assert.equal(noStatus.status, 400);
    assert.equal(noStatus.json.message, 'Status not specified<br /><br />\n\n\n');
    const noBody = await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER' });
    assert.equal(noBody.status, 400);
    assert.equal(noBody.json.message, 'Body expected in request.<br /><br />\n\n\n');

    // Quota 2: the second member fits, the third is 413.
    assert.equal((await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER', body: { member: 'p2' } })).status, 200);
    const over = await s.call('POST', `/v2/images/${img.id}/members`, { token: 'MEMBER', body: { member: 'p3' } });
    assert.equal(over.status, 413);
    assert.equal(
      over.json.message,
      `Image member limit exceeded for image ${img.id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: 3, Maximum: 2:<br /><br />\n\n\n`,
    );
  });

  it('lists community images to others only with visibility=community, admins included', async () => {
    const comm = await s.create({ name: 'b-community', visibility: 'community' }, 'MEMBER');
    assert.ok(ids(await s.call('GET', '/v2/images', { token: 'MEMBER' })).includes(comm.id));
    assert.ok(!ids(await s.call('GET', '/v2/images', { token: 'OTHER' })).includes(comm.id));
    assert.ok(!ids(await s.call('GET', '/v2/images')).includes(comm.id));
    assert.ok(ids(await s.call('GET', '/v2/images?visibility=community', { token: 'OTHER' })).includes(comm.id));
    assert.ok(ids(await s.call('GET', '/v2/images?visibility=all', { token: 'OTHER' })).includes(comm.id));
    assert.equal((await s.call('GET', `/v2/images/${comm.id}`, { token: 'OTHER' })).status, 200);
  });

  it('drops memberships with the image', async () => {
    const img = await s.create({ name: 'shared-4', visibility: 'shared' });
    await s.call('POST', `/v2/images/${img.id}/members`, { body: { member: PROJECT_B } });
    assert.equal((await s.call('DELETE', `/v2/images/${img.id}`)).status, 204);
    const r = await s.call('GET', `/v2/images/${img.id}/members`);
    assert.equal(r.status, 404);
  });

  it('serves the member schemas as glance renders them', async () => {
    const m = await s.call('GET', '/v2/schemas/member');
    assert.equal(m.status, 200);
    assert.equal(
      m.buf.toString(),
      '{"name": "member", "properties": {"member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"}, ' +
        '"image_id": {"type": "string", "description": "An identifier for the image", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"}, ' +
        '"created_at": {"type": "string", "description": "Date and time of image member creation"}, ' +
        '"updated_at": {"type": "string", "description": "Date and time of last modification of image member"}, ' +
        '"status": {"type": "string", "description": "The status of this image member", "enum": ["pending", "accepted", "rejected"]}, ' +
        '"schema": {"readOnly": true, "type": "string"}}}',
    );
    const ms = await s.call('GET', '/v2/schemas/members');
    assert.deepEqual(Object.keys(ms.json), ['name', 'properties', 'links']);
    assert.deepEqual(Object.keys(ms.json.properties), ['members', 'schema']);
    assert.deepEqual(ms.json.properties.members.items, m.json);
    assert.deepEqual(ms.json.links, [{ rel: 'describedby', href: '{schema}' }]);
  });
});
