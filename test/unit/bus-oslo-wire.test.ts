/**
 * The RabbitMQ transport's pure parts: transport_url as oslo.messaging reads it, and the
 * oslo 2.0 envelope, context packing and remote-exception form (amqpdriver.py, common.py).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toWireFailure } from '../../src/bus/bus.js';
import { deserializeFailure, envelope, packContext, serializeFailure, unpackContext, unwrap } from '../../src/bus/oslo-wire.js';
import { controlExchange, Topics } from '../../src/bus/topics.js';
import { parseTransportUrl, redactTransportUrl } from '../../src/bus/transport-url.js';
import { InstanceNotFound } from '../../src/compute/errors.js';

describe('transport_url', () => {
  it('reads rabbit://user:pass@host:port/vhost, with percent-escapes', () => {
    assert.deepEqual(parseTransportUrl('rabbit://nova:s%40cret@10.0.0.5:5673/nova'), {
      driver: 'rabbit',
      hosts: [{ hostname: '10.0.0.5', port: 5673, username: 'nova', password: 's@cret' }],
      vhost: 'nova',
    });
  });
  it("takes an empty path as the broker's default vhost and 5672 as the default port", () => {
    const u = parseTransportUrl('rabbit://guest:guest@localhost/');
    assert.deepEqual(u, { driver: 'rabbit', hosts: [{ hostname: 'localhost', port: 5672, username: 'guest', password: 'guest' }], vhost: '/' });
  });
  it('reads several comma-separated hosts; one without credentials inherits the first one\'s', () => {
    const u = parseTransportUrl('rabbit://a:pa@h1:5672,b:pb@h2:5673,h3/v');
    assert.equal(u.driver, 'rabbit');
    assert.deepEqual(u.driver === 'rabbit' && u.hosts.map((h) => `${h.username}:${h.password}@${h.hostname}:${h.port}`), ['a:pa@h1:5672', 'b:pb@h2:5673', 'a:pa@h3:5672']);
  });
  it('knows inproc:// and refuses other drivers naming the known ones', () => {
    assert.deepEqual(parseTransportUrl('inproc://'), { driver: 'inproc' });
    assert.throws(() => parseTransportUrl('kafka://h:9092/'), /unknown driver 'kafka' \(known: inproc, rabbit\)/);
    assert.throws(() => parseTransportUrl('not a url'), /not of the form/);
  });
  it('redacts passwords for logs', () => {
    assert.equal(redactTransportUrl('rabbit://nova:secret@h1:5672,x:y@h2/v'), 'rabbit://nova:***@h1:5672,x:***@h2/v');
  });
});

describe('oslo wire form', () => {
  it('wraps a message in the 2.0 envelope whose oslo.message is a JSON string', () => {
    const body = envelope({ method: 'm', args: { a: 1 } });
    const outer = JSON.parse(body.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(outer), ['oslo.version', 'oslo.message']);
    assert.equal(outer['oslo.version'], '2.0');
    assert.equal(typeof outer['oslo.message'], 'string');
    assert.deepEqual(unwrap(body), { method: 'm', args: { a: 1 } });
  });
  it('refuses another envelope major version and takes a bare message as is', () => {
    assert.throws(() => unwrap(Buffer.from(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' }))), /envelope version, 3.0, not supported/);
    assert.deepEqual(unwrap(Buffer.from('{"method":"x"}')), { method: 'x' });
  });
  it('flattens the context into _context_ keys in snake case, and back', () => {
    const packed = packContext({ requestId: 'req-1' });
    assert.deepEqual(packed, { _context_request_id: 'req-1' });
    assert.deepEqual(unpackContext({ method: 'x', ...packed, _msg_id: 'm' }), { requestId: 'req-1' });
  });
  it("serialises a failure as serialize_remote_exception does, nova's code in kwargs", () => {
    const text = serializeFailure(toWireFailure(new InstanceNotFound('i-1')), 'nova.exception');
    const f = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(f).sort(), ['args', 'class', 'kwargs', 'message', 'module', 'tb']);
    assert.deepEqual([f.class, f.module, f.message, f.args, f.kwargs], ['InstanceNotFound', 'nova.exception', 'Instance i-1 could not be found.', ['Instance i-1 could not be found.'], { code: 404 }]);
    assert.deepEqual(deserializeFailure(text), { excType: 'InstanceNotFound', message: 'Instance i-1 could not be found.', status: 404 });
    const plain = JSON.parse(serializeFailure(toWireFailure(new RangeError('r')), 'nova.exception')) as Record<string, unknown>;
    assert.deepEqual([plain.class, plain.module, plain.kwargs], ['RangeError', 'builtins', {}]);
  });
  it("puts nova's topics on the nova control exchange and neutron's (q-*) on neutron", () => {
    assert.deepEqual([Topics.compute, Topics.conductor, Topics.scheduler].map(controlExchange), ['nova', 'nova', 'nova']);
    assert.deepEqual([Topics.plugin, Topics.reports, Topics.agentPortUpdate].map(controlExchange), ['neutron', 'neutron', 'neutron']);
  });
});
