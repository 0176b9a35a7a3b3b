/**
 * Every schema glance serves, byte for byte: the sha256 of each body as python3-glance 25
 * (Zed) renders it (schemas.Controller, json.dumps(ensure_ascii=False) as its serializer
 * writes), so a change to the data or to pyJson shows here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startImageService, type ImageTestService } from '../helpers/image-service.js';

const GLANCE_SHA256: Record<string, string> = {
  image: '439f806325621cf0b2a4d4c344ce7812dd011386be7fe529ee62f4fd3e5d57ee',
  images: '8a1f1ffccbb32800e51e6508ae60243fd80e9d3d0211983d86290cc34d9e0472',
  member: '0b550a9fd384a43c9c05a6e7f8021b811b4dcc16f340c7cae09f754006f4740d',
  members: '47e04d3539bbc406b46a59c302bbaa04cc09fc27959ee06d2f2ca6f441aeab02',
  'metadefs/namespace': '4ef2c14b36a8a482a58d77172c1776f5a58b5601654c21fc37fa8e4c46167e1f',
  'metadefs/namespaces': '260e5716153ba88d7a353acba386303c39c2b4885c5e81186fdf9de3d48ba2bd',
  'metadefs/resource_type': '94291384ebffeae43d4f1a9d4cf489481cd14dc5e144b9df78cd82fc1d2fcca3',
  'metadefs/resource_types': 'c89c0b0830b1e37ff31b2f20c50a16d07428b7a04f7c74542705957a3696843e',
  'metadefs/object': 'c15a7bcb14b3b98e95becdd00fda01f3898c792fe19210cac48ebd6ec20172a2',
  'metadefs/objects': '6a20d6f2258582800ec36e5fb1be9d8e92a3f5cc74d54e2ae8093b7e3e792736',
  'metadefs/property': '83f7c060a600b15c8e48a20c1b75de5d2c20f584daa586866dcd3ad4350448e0',
  'metadefs/properties': '0f5713bf319886cd6904acb63acf8c70107cfb490b617cb32e70ce80804c5b15',
  'metadefs/tag': 'c06626c22d89a12c6c42ab7b9c874aa38b8ca6f2c2f9a879a01495f10e13b33c',
  'metadefs/tags': 'b8980d08ef4a83c6c0d7fd9bc62a22dcd8dbff5a70b100f28e60d0c7c156fd78',
};

/** The `name` each schema carries (tempest's MetadataSchemaTest checks these). */
const NAMES: Record<string, string> = {
  image: 'image',
  images: 'images',
  member: 'member',
  members: 'members',
  'metadefs/namespace': 'namespace',
  'metadefs/namespaces': 'namespaces',
  'metadefs/resource_type': 'resource_type_association',
  'metadefs/resource_types': 'resource_type_associations',
  'metadefs/object': 'object',
  'metadefs/objects': 'objects',
  'metadefs/property': 'property',
  'metadefs/properties': 'properties',
  'metadefs/tag': 'tag',
  'metadefs/tags': 'tags',
};

describe('image schemas', () => {
  let s: ImageTestService;
  before(async () => {
    s = await startImageService();
  });
  after(async () => s?.close());

  it('serves the image, member and metadef schemas exactly as glance renders them', async () => {
    for (const [path, sha] of Object.entries(GLANCE_SHA256)) {
      const r = await s.call('GET', `/v2/schemas/${path}`, { token: 'MEMBER' });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.json.name, NAMES[path], path);
      assert.equal(createHash('sha256').update(r.buf).digest('hex'), sha, path);
    }
  });

  it('serves the metadefs API next to its schemas; the schemas are read-only', async () => {
    assert.equal((await s.call('GET', '/v2/metadefs/namespaces')).status, 200);
    assert.equal((await s.call('POST', '/v2/schemas/metadefs/tag')).status, 405);
  });
});
