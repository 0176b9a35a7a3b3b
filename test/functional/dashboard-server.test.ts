/**
 * The dashboard's server (src/dashboard/server.ts) without a browser: the built files
 * (hashed assets cached, the index not, no path outside them), the pass-through to the
 * APIs (the token and body forwarded, keystone's X-Subject-Token returned, nothing else
 * forwarded), and [dashboard] enabled/port at start-up (a taken port is a warning).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { createDashboardApp, startDashboard } from '../../src/dashboard/server.js';

let root: string;
let upstream: FastifyInstance;
let upstreamUrl: string;
let app: FastifyInstance;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'nimbus-dashboard-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  // Stands for keystone, nova and neutron: echoes what reached it.
  upstream = Fastify();
  upstream.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  upstream.all('/*', async (req, reply) => {
    reply.header('x-subject-token', 'tok-123').header('set-cookie', 'a=b').code(req.method === 'POST' ? 201 : 200);
    return { method: req.method, url: req.url, token: req.headers['x-auth-token'] ?? null, cookie: req.headers.cookie ?? null, body: req.body ?? null };
  });
  await upstream.listen({ host: '127.0.0.1', port: 0 });
  const addr = upstream.server.address() as { port: number };
  upstreamUrl = `http://127.0.0.1:${addr.port}`;
  app = createDashboardApp({ identity: upstreamUrl, compute: `${upstreamUrl}/nova`, network: `${upstreamUrl}/neutron` }, silentLogger(), root);
});
after(async () => {
  await app.close();
  await upstream.close();
  rmSync(root, { recursive: true, force: true });
});

describe('dashboard server: static files', () => {
  test('the index, not cached; a hashed asset, cached', async () => {
    const index = await app.inject({ url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.headers['content-type'] as string, /^text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const js = await app.inject({ url: '/assets/index-abc.js' });
    assert.equal(js.body, 'console.log(1)');
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.match(js.headers['cache-control'] as string, /immutable/);
  });

  test('an unknown path is the single page; a path out of the built files is too', async () => {
    assert.match((await app.inject({ url: '/servers/123' })).body, /id="app"/);
    for (const url of ['/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(r.body, /id="app"/, url);
    }
  });

  test('a malformed escape: 400, not 500', async () => {
    assert.equal((await app.inject({ url: '/assets/%E0%A4%A' })).statusCode, 400);
  });

  test('not built: 503 saying how to build it', async () => {
    const bare = createDashboardApp({ identity: upstreamUrl, compute: upstreamUrl, network: upstreamUrl }, silentLogger(), null);
    const r = await bare.inject({ url: '/' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build/);
    await bare.close();
  });
});

describe('dashboard server: the API pass-through', () => {
  test('POST to keystone: body and status through, X-Subject-Token back, cookies not', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/identity/v3/auth/tokens', headers: { 'content-type': 'application/json', cookie: 'secret=1' }, payload: '{"auth":{}}' });
    assert.equal(r.statusCode, 201);
    assert.equal(r.headers['x-subject-token'], 'tok-123');
    assert.equal(r.headers['set-cookie'], undefined);
    assert.deepEqual(r.json(), { method: 'POST', url: '/v3/auth/tokens', token: null, cookie: null, body: '{"auth":{}}' });
  });

  test('GET with a token, query string kept, to the service named', async () => {
    const r = await app.inject({ url: '/api/network/v2.0/ports?device_id=x', headers: { 'x-auth-token': 'abc' } });
    assert.deepEqual(r.json(), { method: 'GET', url: '/neutron/v2.0/ports?device_id=x', token: 'abc', cookie: null, body: null });
    assert.equal((await app.inject({ url: '/api/compute/nimbus/v1/faults' })).json().url, '/nova/nimbus/v1/faults');
  });

  test('an unknown service: 404; an API that does not answer: 502', async () => {
    assert.equal((await app.inject({ url: '/api/glance/v2/images' })).statusCode, 404);
    const dead = createDashboardApp({ identity: 'http://127.0.0.1:1', compute: upstreamUrl, network: upstreamUrl }, silentLogger(), root);
    const r = await dead.inject({ url: '/api/identity/v3' });
    assert.equal(r.statusCode, 502);
    assert.match(r.json().error, /identity is unreachable/);
    await dead.close();
  });
});

describe('dashboard server: [dashboard] options', () => {
  const ups = () => ({ identity: upstreamUrl, compute: upstreamUrl, network: upstreamUrl });

  test('enabled = false: not served', async () => {
    assert.equal(await startDashboard(loadConfig({ overrides: { dashboard: { enabled: false, port: 0 } } }), ups(), silentLogger()), undefined);
  });

  test('a free port: served at its URL', async () => {
    const d = await startDashboard(loadConfig({ overrides: { DEFAULT: { bind_host: '127.0.0.1' }, dashboard: { port: 0 } } }), ups(), silentLogger());
    assert.ok(d);
    assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${d.url}/api/identity/v3`)).status, 200);
    await d.app.close();
  });

  test('a taken port: a warning naming the option, and the cloud goes on', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (holder.address() as { port: number }).port;
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const d = await startDashboard(loadConfig({ overrides: { DEFAULT: { bind_host: '127.0.0.1' }, dashboard: { port } } }), ups(), log);
    holder.close();
    assert.equal(d, undefined);
    assert.equal(lines.length, 1);
    assert.match(JSON.parse(lines[0]!).msg, new RegExp(`dashboard not served: port ${port} .*--dashboard-port, NIMBUS_DASHBOARD_PORT or \\[dashboard\\] port`));
  });
});
