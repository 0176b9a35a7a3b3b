/**
 * Acceptance: sharing, tagging and deactivating images with the real `openstack` client
 * (image add project, image set --accept/--tag/--deactivate/--activate, image unset
 * --tag, image member list).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, clientsMissing, listTable, OPENSTACK, os, osJson } from './helpers.js';

describe('acceptance: image sharing (openstack)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  let imageId: string;
  let demoProject: string;
  before(async () => {
    cloud = await startTestCloud();
    const file = join(cloud.dataDir, 'shared.raw');
    writeFileSync(file, Buffer.alloc(2048, 3));
    const created = await osJson(cloud, 'admin', 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--shared', '--file', file, 'shared-image');
    imageId = created.id;
    demoProject = (await osJson(cloud, 'admin', 'project', 'show', 'demo')).id;
  });
  after(async () => {
    await cloud?.stop();
  });

  test('owner adds a project, the member accepts, and sees the image in its list', async () => {
    const added = await osJson(cloud, 'admin', 'image', 'add', 'project', imageId, 'demo');
    assert.equal(added.image_id, imageId);
    assert.equal(added.member_id, demoProject);
    assert.equal(added.status, 'pending');
    const before = listTable(await os(cloud, 'demo', 'image', 'list'));
    assert.ok(!before.some((r) => r.ID === imageId), 'a pending image is not in the default list');

    await os(cloud, 'demo', 'image', 'set', '--accept', imageId);
    const members = listTable(await os(cloud, 'admin', 'image', 'member', 'list', imageId));
    assert.deepEqual(Object.keys(members[0]!), ['Image ID', 'Member ID', 'Status']);
    assert.deepEqual(members.map((m) => [m['Image ID'], m['Member ID'], m.Status]), [[imageId, demoProject, 'accepted']]);
    const after = listTable(await os(cloud, 'demo', 'image', 'list', '--shared'));
    assert.deepEqual(after.map((r) => r.Name), ['shared-image']);
    // The member cannot share further.
    const r = await cli(cloud, 'demo', OPENSTACK, ['image', 'add', 'project', imageId, 'admin']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Not allowed to create members for image/);
  });

  test('tags are set and unset', async () => {
    await os(cloud, 'admin', 'image', 'set', '--tag', 'blue', '--tag', 'green', imageId);
    assert.deepEqual((await osJson(cloud, 'admin', 'image', 'show', imageId)).tags.sort(), ['blue', 'green']);
    await os(cloud, 'admin', 'image', 'unset', '--tag', 'blue', imageId);
    assert.deepEqual((await osJson(cloud, 'admin', 'image', 'show', imageId)).tags, ['green']);
  });

  test('the owner deactivates and activates its image', async () => {
    await os(cloud, 'admin', 'image', 'set', '--deactivate', imageId);
    assert.equal((await osJson(cloud, 'demo', 'image', 'show', imageId)).status, 'deactivated');
    const dl = await cli(cloud, 'demo', OPENSTACK, ['image', 'save', '--file', join(cloud.dataDir, 'out.raw'), imageId]);
    assert.notEqual(dl.code, 0);
    await os(cloud, 'admin', 'image', 'set', '--activate', imageId);
    assert.equal((await osJson(cloud, 'demo', 'image', 'show', imageId)).status, 'active');
  });

  test('the owner removes the project', async () => {
    await os(cloud, 'admin', 'image', 'remove', 'project', imageId, 'demo');
    const r = await cli(cloud, 'demo', OPENSTACK, ['image', 'show', imageId]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No Image found|Could not find resource/);
  });
});
