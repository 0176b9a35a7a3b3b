/**
 * Acceptance: `openstack image create|list` against the glance slice (01-image-create.txt).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { clientsMissing, fieldTable, listTable, os, osJson, PROJECT_ID, UUID, ZED } from './helpers.js';

describe('acceptance: images (openstack)', { skip: clientsMissing }, () => {
  let cloud: TestCloud;
  let file: string;
  before(async () => {
    cloud = await startTestCloud();
    file = join(cloud.dataDir, 'fake-image.raw');
    writeFileSync(file, Buffer.alloc(1024, 7));
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack image create --file prints the table of 01', async () => {
    const f = fieldTable(await os(cloud, 'admin', 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--public', '--file', file, 'fake-image'));
    assert.deepEqual(Object.keys(f), ZED.imageCreate);
    assert.equal(f.container_format, 'bare');
    assert.equal(f.disk_format, 'raw');
    assert.match(f.id!, UUID);
    assert.equal(f.file, `/v2/images/${f.id}/file`);
    assert.equal(f.min_disk, '0');
    assert.equal(f.name, 'fake-image');
    assert.match(f.owner!, PROJECT_ID);
    assert.equal(f.properties, ZED.imageCreateProperties);
    assert.equal(f.protected, 'False');
    assert.equal(f.schema, '/v2/schemas/image');
    assert.equal(f.status, 'queued'); // printed before the upload, as in 01
    assert.equal(f.tags, '');
    assert.equal(f.visibility, 'public');
    const shown = await osJson(cloud, 'demo', 'image', 'show', 'fake-image');
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, 1024);
  });

  test('openstack image list', async () => {
    const rows = listTable(await os(cloud, 'demo', 'image', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Name', 'Status']);
    const fake = rows.find((r) => r.Name === 'fake-image');
    assert.ok(fake, JSON.stringify(rows));
    assert.equal(fake.Status, 'active');
    assert.match(fake.ID!, UUID);
  });
});
