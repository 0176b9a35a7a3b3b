/** glance's discovery API (/v2/info/*), and its router's refusals: body_reject and 405 with Allow. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startImageService, type ImageTestService } from '../helpers/image-service.js';

describe('image discovery and routing', () => {
  let s: ImageTestService;
  before(async () => {
    s = await startImageService();
  });
  after(async () => s?.close());

  it('serves /v2/info/import with no import method and /v2/info/stores with the one fs store', async () => {
    const imp = await s.call('GET', '/v2/info/import', { token: 'MEMBER' });
    assert.equal(imp.status, 200);
    assert.equal(imp.buf.toString(), '{"import-methods": {"description": "Import methods available.", "type": "array", "value": []}}');
    const stores = await s.call('GET', '/v2/info/stores', { token: 'MEMBER' });
    assert.equal(stores.status, 200);
    assert.equal(stores.buf.toString(), '{"stores": [{"id": "fs", "default": "true"}]}');
    assert.equal((await s.call('GET', '/v2/info/stores', { token: null })).status, 401);
  });

  it('shows store details to admins only', async () => {
    const detail = await s.call('GET', '/v2/info/stores/detail');
    assert.equal(detail.status, 200);
    const fs = detail.json.stores[0];
    assert.deepEqual(Object.keys(fs), ['id', 'default', 'type', 'properties']);
    assert.equal(fs.type, 'file');
    assert.equal(fs.properties.chunk_size, 65536);
    assert.equal(fs.properties.thin_provisioning, false);
    assert.ok(fs.properties.data_dir.endsWith(join('', 'images')));
    const member = await s.call('GET', '/v2/info/stores/detail', { token: 'MEMBER' });
    assert.equal(member.status, 403);
    assert.equal(member.json.message, 'You are not authorized to complete stores_info_detail action.<br /><br />\n\n\n');
  });

  it('refuses a body where glance sets body_reject', async () => {
    // fetch cannot send a body with GET, so only the POST, PUT and DELETE routes are checked here.
    const img = await s.create({ name: 'x', visibility: 'shared' });
    const paths: [string, string][] = [
      ['POST', `/v2/images/${img.id}/actions/deactivate`],
      ['PUT', `/v2/images/${img.id}/tags/t`],
      ['DELETE', `/v2/images/${img.id}/tags/t`],
      ['DELETE', `/v2/images/${img.id}/members/p`],
    ];
    for (const [method, path] of paths) {
      const r = await s.call(method, path, { raw: Buffer.from('{}'), headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(r.json.message, 'A body is not expected with this request.<br /><br />\n\n\n');
    }
    assert.equal((await s.call('PUT', `/v2/images/${img.id}/tags/t`)).status, 204);
  });

  it('answers 405 with Allow for a served URL and a method glance rejects, after authentication', async () => {
    const img = await s.create({ name: 'y' });
    const cases: [string, string, string][] = [
      ['PUT', '/v2/images', 'GET, POST'],
      ['PUT', `/v2/images/${img.id}`, 'GET, PATCH, DELETE'],
      ['GET', `/v2/images/${img.id}/actions/deactivate`, 'POST'],
      ['GET', `/v2/images/${img.id}/tags/t`, 'PUT, DELETE'],
      ['DELETE', `/v2/images/${img.id}/members`, 'GET, POST'],
      ['POST', '/v2/schemas/member', 'GET'],
      ['POST', '/v2/info/stores', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await s.call(method, path);
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get('allow'), allow);
      assert.deepEqual(r.json, {
        message: `The method ${method} is not allowed for this resource. <br /><br />\n`,
        code: '405 Method Not Allowed',
        title: 'Method Not Allowed',
      });
    }
    assert.equal((await s.call('PUT', '/v2/images', { token: null })).status, 401);
    assert.equal((await s.call('GET', '/v2/images/x/stage')).status, 404);
  });
});
