/**
 * The OVSDB client's pure parts and its JSON-RPC behaviour against a scripted server on a
 * private unix socket (no root, no Open vSwitch): RFC 7047's framing (concatenated JSON
 * values, split anywhere), request ids, the server's echo answered, update notifications
 * routed to their monitor, errors as typed classes, a closed connection reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { OvsdbClient, parseTarget } from '../../src/hostnet/linux/ovsdb/client.js';
import { OvsdbConnectionClosed, OvsdbProtocolError, OvsdbRequestFailed } from '../../src/hostnet/linux/ovsdb/errors.js';
import { JsonStreamParser } from '../../src/hostnet/linux/ovsdb/json-stream.js';

describe('RFC 7047 framing: a stream of concatenated JSON values', () => {
  it('values split across chunks, several in one chunk, and strings holding braces and escaped quotes', () => {
    const p = new JsonStreamParser();
    assert.deepEqual(p.push('{"id":1,"result":{"a":"}{][\\"'), []);
    assert.ok(p.pending > 0);
    assert.deepEqual(p.push('\\\\"},"error":null}  {"id":2,'), [{ id: 1, result: { a: '}{]["\\' }, error: null }]);
    assert.deepEqual(p.push('"x":[1,{"y":"\\u007b"}]}[3]\n{"z":"a\\"}"}'), [{ id: 2, x: [1, { y: '{' }] }, [3], { z: 'a"}' }]);
    assert.equal(p.pending, 0);
  });

  it('any sequence of JSON objects, cut into any chunks, parses back to the same values (property)', () => {
    const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const message = fc.dictionary(fc.string(), value, { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('', ' ', '\n'), (msgs, cuts, sep) => {
        const text = msgs.map((m) => JSON.stringify(m)).join(sep);
        const points = [...new Set(cuts.map((c) => (text.length ? c % text.length : 0)))].sort((a, b) => a - b);
        const p = new JsonStreamParser();
        const got: unknown[] = [];
        let last = 0;
        for (const at of [...points, text.length]) {
          got.push(...p.push(text.slice(last, at)));
          last = at;
        }
        assert.deepEqual(got, msgs.map((m) => JSON.parse(JSON.stringify(m)) as unknown));
        assert.equal(p.pending, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('a top-level scalar or an unbalanced bracket is a protocol error', () => {
    assert.throws(() => new JsonStreamParser().push('"echo"'), OvsdbProtocolError);
    assert.throws(() => new JsonStreamParser().push('{}]'), OvsdbProtocolError);
    assert.throws(() => new JsonStreamParser().push('{"a":tru}'), OvsdbProtocolError);
  });

  it('targets: unix:PATH and tcp:IP:PORT as ovs-vsctl --db takes them', () => {
    assert.deepEqual(parseTarget('unix:/tmp/x/db.sock'), { path: '/tmp/x/db.sock' });
    assert.deepEqual(parseTarget('tcp:127.0.0.1:6640'), { host: '127.0.0.1', port: 6640 });
    assert.deepEqual(parseTarget('tcp:[::1]:6640'), { host: '::1', port: 6640 });
    assert.throws(() => parseTarget('ssl:1.2.3.4:6640'), OvsdbProtocolError);
  });
});

describe('the OVSDB client against a scripted server', () => {
  let dir: string;
  let server: Server;
  let peer: Socket | null = null;
  let received: Record<string, unknown>[] = [];
  let onMessage: (m: Record<string, unknown>, s: Socket) => void = () => undefined;
  const sock = () => join(dir, 'db.sock');
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      const n = received.length;
      const poll = () => (received.length > n ? resolve(received[n]!) : setImmediate(poll));
      poll();
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-ovsdb-r-ovsdb-'));
    server = createServer((s) => {
      peer = s;
      const parser = new JsonStreamParser();
      s.setEncoding('utf8').on('data', (d: string) => {
        for (const m of parser.push(d) as Record<string, unknown>[]) {
          received.push(m);
          onMessage(m, s);
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock(), r));
  });
  after(async () => {
    peer?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('requests get their own results by id (answered out of order, split anyhow); errors are OvsdbRequestFailed', async () => {
    received = [];
    const held: Record<string, unknown>[] = [];
    onMessage = (m, s) => {
      held.push(m);
      if (held.length < 3) return;
      // Answer the third first, all three in one write cut in the middle of a string.
      const [a, b, c] = held;
      const out = JSON.stringify({ id: c!['id'], result: null, error: { error: 'unknown database', details: 'db "Nope" not known' } }) + JSON.stringify({ id: a!['id'], result: ['Open_vSwitch'], error: null }) + JSON.stringify({ id: b!['id'], result: [{ rows: [{ name: 'br-{int}' }] }], error: null });
      s.write(out.slice(0, 50));
      setImmediate(() => s.write(out.slice(50)));
    };
    const client = await OvsdbClient.connect(`unix:${sock()}`);
    try {
      const dbs = client.request('list_dbs', []);
      const rows = client.select('Open_vSwitch', 'Bridge', [], ['name']);
      const bad = client.request('get_schema', ['Nope']);
      assert.deepEqual(await dbs, ['Open_vSwitch']);
      assert.deepEqual(await rows, [{ name: 'br-{int}' }]);
      await assert.rejects(bad, (e: unknown) => e instanceof OvsdbRequestFailed && e.error === 'unknown database' && /get_schema failed: unknown database/.test(e.message));
      assert.deepEqual(received[1], { method: 'transact', params: ['Open_vSwitch', { op: 'select', table: 'Bridge', where: [], columns: ['name'] }], id: received[1]!['id'] });
      assert.equal(new Set(received.map((m) => m['id'])).size, 3);
    } finally {
      client.close();
    }
  });

  it("the server's echo is answered with its params; updates reach their monitor in order, none before the reply is lost", async () => {
    received = [];
    onMessage = (m, s) => {
      if (m['method'] !== 'monitor') return;
      // An update sent before the reply (the server may) and one after, in one write.
      s.write(JSON.stringify({ method: 'echo', params: ['x'], id: 'echo' }) + JSON.stringify({ method: 'update', params: ['m1', { T: { u1: { new: { n: 1 } } } }], id: null }) + JSON.stringify({ id: m['id'], result: { T: { u0: { new: { n: 0 } } } }, error: null }) + JSON.stringify({ method: 'update', params: ['m1', { T: { u1: { old: { n: 1 }, new: { n: 2 } } } }], id: null }) + JSON.stringify({ method: 'update', params: ['other', {}], id: null }));
    };
    const client = await OvsdbClient.connect(`unix:${sock()}`);
    try {
      const updates: unknown[] = [];
      const initial = await client.monitor('Open_vSwitch', 'm1', { T: { columns: ['n'] } }, (u) => updates.push(u));
      assert.deepEqual(initial, { T: { u0: { new: { n: 0 } } } });
      const echo = await next().then(() => (received.length > 1 ? received[1]! : next()));
      assert.deepEqual(echo, { result: ['x'], error: null, id: 'echo' });
      assert.deepEqual(updates, [{ T: { u1: { new: { n: 1 } } } }, { T: { u1: { old: { n: 1 }, new: { n: 2 } } } }]);
      onMessage = (m, s) => s.write(JSON.stringify({ id: m['id'], result: {}, error: null }));
      await client.monitorCancel('m1');
      assert.deepEqual(received.at(-1)!['params'], ['m1']);
    } finally {
      client.close();
    }
  });

  it('a connection the server closes fails the pending requests and tells onClose; later requests fail at once', async () => {
    onMessage = (_m, s) => s.destroy();
    const client = await OvsdbClient.connect(`unix:${sock()}`);
    const closed = new Promise<OvsdbConnectionClosed>((r) => client.onClose(r));
    await assert.rejects(client.request('list_dbs', []), OvsdbConnectionClosed);
    assert.match((await closed).message, /^OVSDB connection to unix:.*db\.sock closed: closed by ovsdb-server$/);
    assert.ok(client.closed);
    await assert.rejects(client.request('list_dbs', []), OvsdbConnectionClosed);
  });

  it('a socket nobody listens on is OvsdbConnectionClosed from connect', async () => {
    await assert.rejects(OvsdbClient.connect(`unix:${join(dir, 'none.sock')}`), (e: unknown) => e instanceof OvsdbConnectionClosed && /ENOENT/.test(e.message));
  });
});
