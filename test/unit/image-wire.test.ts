/** Pure pieces of the image API's wire handling: webob Accept negotiation, jsonschema messages, paging links, virtual size. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiate } from '../../src/image/http/faults.js';
import { pageLinks, parseListQuery, quotePlus } from '../../src/image/http/request.js';
import { pyRepr, validateImage } from '../../src/image/http/schema-validator.js';
import { virtualSize } from '../../src/image/store/format-inspector.js';

describe('image wire helpers', () => {
  it('negotiates like webob: html wins ties, no Accept means text/plain', () => {
    assert.equal(negotiate('application/json'), 'application/json');
    assert.equal(negotiate('*/*'), 'text/html');
    assert.equal(negotiate('application/json, text/html;q=0.9'), 'application/json');
    assert.equal(negotiate('text/plain'), undefined);
    assert.equal(negotiate(undefined), undefined);
  });

  it('words schema errors as python-jsonschema does', () => {
    assert.equal(pyRepr([null, 'a', true, 5]), "[None, 'a', True, 5]");
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.throws(() => validateImage({ min_ram: 'x' }), /: 'x' is not of type 'integer'$/);
    assert.throws(() => validateImage({ name: null, size: 'big' }), /'big' is not of type 'null', 'integer'/);
    assert.throws(() => validateImage({ id: 'nope' }), /'nope' does not match '\^\(\[0-9a-fA-F\]\)\{8\}/);
    assert.doesNotThrow(() => validateImage({ name: null, tags: ['a'], custom: 'v' }));
  });

  it('builds first/next links as glance urlencodes them', () => {
    assert.equal(quotePlus('a b:c~'), 'a+b%3Ac~');
    const search = new URLSearchParams('limit=1&marker=m0&name=x');
    assert.deepEqual(pageLinks(search, 'm1'), { first: '/v2/images?limit=1&name=x', next: '/v2/images?limit=1&name=x&marker=m1' });
  });

  it('parses filters, leaving unknown keys as property filters', () => {
    const q = parseListQuery(new URLSearchParams('name=n&tag=a&tag=b&os_distro=cirros&visibility=public&limit=5000'));
    assert.equal(q.limit, 1000);
    assert.deepEqual(q.filters.columns, { name: 'n' });
    assert.deepEqual(q.filters.tags, ['a', 'b']);
    assert.deepEqual(q.filters.properties, { os_distro: 'cirros' });
    assert.equal(q.filters.visibility, 'public');
    assert.throws(() => parseListQuery(new URLSearchParams('sort=name&sort_key=id')), /Old and new sorting syntax cannot be combined/);
  });

  it('reads virtual_size from raw and qcow2 data', () => {
    const q = Buffer.alloc(64);
    q.writeUInt32BE(0x514649fb, 0);
    q.writeBigUInt64BE(1024n, 24);
    assert.equal(virtualSize('qcow2', 64, q), 1024);
    assert.equal(virtualSize('raw', 64, q), 64);
    assert.equal(virtualSize('vmdk', 64, q), null);
  });
});
