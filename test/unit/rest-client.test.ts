import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { restCall, serveLocally } from '../../src/common/rest-client.js';

// Port 9 (discard) has no listener here: a request that reaches it over TCP fails.
const ORIGIN = 'http://127.0.0.1:9';

function echoApp() {
  const app = Fastify();
  app.all('/*', async (req, reply) => {
    reply.header('x-openstack-request-id', 'req-echo');
    return { method: req.method, url: req.url, token: req.headers['x-auth-token'] ?? null, service: req.headers['x-service-token'] ?? null, body: req.body ?? null };
  });
  return app;
}

test('a registered origin is answered by its app in process: same method, path, query, headers and JSON body', async () => {
  const app = echoApp();
  const undo = serveLocally(ORIGIN, app);
  try {
    const r = await restCall('PUT', `${ORIGIN}/v2.0/ports/p1?fields=id`, { token: 'tok', serviceToken: 'svc', body: { port: { name: 'x' } } });
    assert.equal(r.status, 200);
    assert.equal(r.requestId, 'req-echo');
    assert.deepEqual(r.body, { method: 'PUT', url: '/v2.0/ports/p1?fields=id', token: 'tok', service: 'svc', body: { port: { name: 'x' } } });
  } finally {
    undo();
    await app.close();
  }
});

test('only that exact origin is served locally, and not after the undo', async () => {
  const app = echoApp();
  const undo = serveLocally(ORIGIN, app);
  try {
    // ":90" starts with ":9" but is another port: it goes to the network (nothing listens).
    await assert.rejects(restCall('GET', 'http://127.0.0.1:90/'));
    assert.equal((await restCall('GET', ORIGIN)).body.url, '/');
  } finally {
    undo();
    await app.close();
  }
  await assert.rejects(restCall('GET', `${ORIGIN}/`));
});

test('a non-JSON answer comes back as text and an empty one as null', async () => {
  const app = Fastify();
  app.get('/text', async (_req, reply) => reply.type('text/plain').send('plain words'));
  app.delete('/gone', async (_req, reply) => reply.code(204).send());
  const undo = serveLocally(ORIGIN, app);
  try {
    assert.equal((await restCall('GET', `${ORIGIN}/text`)).body, 'plain words');
    const gone = await restCall('DELETE', `${ORIGIN}/gone`);
    assert.deepEqual([gone.status, gone.body], [204, null]);
  } finally {
    undo();
    await app.close();
  }
});
