import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inProcessOnly } from '../helpers/cloud.js';
import { FakeClock, systemRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { listen } from '../../src/common/http.js';
import { silentLogger } from '../../src/common/log.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import { IdentityService, type IdentityDB } from '../../src/identity/service.js';

const UNAUTHORIZED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

describe('identity over HTTP', { skip: inProcessOnly('keystone built alone with a fake clock, no cloud') }, () => {
  let dir: string;
  let db: Db<IdentityDB>;
  let svc: IdentityService;
  let clock: FakeClock;
  let base: string;
  let adminToken: string;

  const call = async (method: string, path: string, opts: { token?: string; subject?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers['x-auth-token'] = opts.token;
    if (opts.subject) headers['x-subject-token'] = opts.subject;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const passwordAuth = (name: string, password: string, project?: string) => ({
    auth: {
      identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password } } },
      ...(project ? { scope: { project: { name: project, domain: { name: 'Default' } } } } : {}),
    },
  });
  const login = async (name: string, password: string, project?: string) => {
    const r = await call('POST', '/v3/auth/tokens', { body: passwordAuth(name, password, project) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { token: r.headers.get('x-subject-token')!, body: r.body };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-identity-fn-'));
    clock = new FakeClock(Date.UTC(2026, 10, 23, 23, 39, 15, 400));
    db = openDatabase<IdentityDB>(`sqlite://${join(dir, 'identity.sqlite')}`);
    const cfg = loadConfig({ overrides: { DEFAULT: { data_dir: dir }, identity: { port: 5000 } } });
    svc = new IdentityService({
      cfg,
      log: silentLogger(),
      clock,
      random: systemRandom,
      db,
      catalog: [
        { type: 'identity', name: 'keystone', url: 'http://127.0.0.1:5000/v3/' },
        { type: 'network', name: 'neutron', url: 'http://127.0.0.1:9696' },
      ],
    });
    await svc.init();
    const port = await listen(svc.app, '127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
    adminToken = (await login('admin', 'admin', 'admin')).token;
  });
  after(async () => {
    await svc.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers version discovery like keystone', async () => {
    const v3 = await call('GET', '/v3');
    assert.equal(v3.status, 200);
    assert.deepEqual(v3.body, {
      version: {
        id: 'v3.14',
        status: 'stable',
        updated: '2020-04-07T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      },
    });
    const root = await call('GET', '/');
    assert.equal(root.status, 300);
    assert.deepEqual(root.body.versions.values, [v3.body.version]);
  });

  it('writes the openrc files', () => {
    const rc = readFileSync(join(dir, 'openrc-demo'), 'utf8');
    assert.match(rc, /^export OS_AUTH_URL=http:\/\/127\.0\.0\.1:5000\/v3$/m);
    assert.match(rc, /^export OS_USERNAME=demo$/m);
    assert.match(rc, /^export OS_PROJECT_NAME=demo$/m);
    assert.match(rc, /^export OS_REGION_NAME=RegionOne$/m);
    assert.match(readFileSync(join(dir, 'openrc-admin'), 'utf8'), /^export OS_PASSWORD=admin$/m);
  });

  it('issues a scoped token by name with keystone\'s body', async () => {
    const { token, body } = await login('demo', 'demo', 'demo');
    assert.ok(token.length > 20);
    const t = body.token;
    assert.deepEqual(Object.keys(t), ['methods', 'user', 'audit_ids', 'expires_at', 'issued_at', 'project', 'is_domain', 'roles', 'catalog']);
    assert.deepEqual(t.methods, ['password']);
    assert.deepEqual(t.user.domain, { id: 'default', name: 'Default' });
    assert.equal(t.user.name, 'demo');
    assert.equal(t.user.password_expires_at, null);
    assert.equal(t.issued_at, '2026-11-23T23:39:15.000000Z');
    assert.equal(t.expires_at, '2026-11-24T00:39:15.000000Z');
    assert.equal(t.project.name, 'demo');
    assert.deepEqual(t.project.domain, { id: 'default', name: 'Default' });
    assert.equal(t.is_domain, false);
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name), ['reader', 'member']);
    const net = t.catalog.find((s: { type: string }) => s.type === 'network');
    assert.equal(net.name, 'neutron');
    assert.deepEqual(net.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
    for (const e of net.endpoints) {
      assert.deepEqual(Object.keys(e), ['id', 'interface', 'region_id', 'url', 'region']);
      assert.match(e.id, /^[0-9a-f]{32}$/);
      assert.equal(e.region, 'RegionOne');
      assert.equal(e.url, 'http://127.0.0.1:9696');
    }
    // Catalog ids are stable between tokens.
    const again = await login('demo', 'demo', 'demo');
    assert.deepEqual(again.body.token.catalog, t.catalog);
  });

  it('issues an unscoped token without project, roles or catalog, then rescopes it', async () => {
    const { token, body } = await login('demo', 'demo');
    assert.deepEqual(Object.keys(body.token), ['methods', 'user', 'audit_ids', 'expires_at', 'issued_at']);
    const r = await call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: (await login('demo', 'demo', 'demo')).body.token.project.id } } } },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.token.project.name, 'demo');
    assert.equal(r.body.token.audit_ids[1], body.token.audit_ids[0]);
    assert.equal(r.body.token.expires_at, body.token.expires_at);
  });

  it('authenticates by user id', async () => {
    const users = await call('GET', '/v3/users?name=demo', { token: adminToken });
    const r = await call('POST', '/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['password'], password: { user: { id: users.body.users[0].id, password: 'demo' } } } } },
    });
    assert.equal(r.status, 201);
  });

  it('answers 401 with keystone\'s message on a wrong password, unknown user or foreign project', async () => {
    for (const body of [passwordAuth('demo', 'wrong', 'demo'), passwordAuth('ghost', 'demo'), passwordAuth('demo', 'demo', 'admin')]) {
      const r = await call('POST', '/v3/auth/tokens', { body });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, UNAUTHORIZED);
    }
    const noToken = await call('GET', '/v3/projects');
    assert.equal(noToken.status, 401);
    assert.deepEqual(noToken.body, UNAUTHORIZED);
  });

  it('validates, checks and revokes tokens', async () => {
    const demo = await login('demo', 'demo', 'demo');
    const v = await call('GET', '/v3/auth/tokens', { token: adminToken, subject: demo.token });
    assert.equal(v.status, 200);
    assert.equal(v.headers.get('x-subject-token'), demo.token);
    assert.equal(v.body.token.user.name, 'demo');
    assert.equal((await call('HEAD', '/v3/auth/tokens', { token: adminToken, subject: demo.token })).status, 200);
    // A member validates its own token only.
    assert.equal((await call('GET', '/v3/auth/tokens', { token: demo.token, subject: demo.token })).status, 200);
    const other = await call('GET', '/v3/auth/tokens', { token: demo.token, subject: adminToken });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.message, 'You are not authorized to perform the requested action: identity:validate_token.');
    const bad = await call('GET', '/v3/auth/tokens', { token: adminToken, subject: 'not-a-token' });
    assert.deepEqual(bad.body, { error: { code: 404, message: 'Could not find token: not-a-token.', title: 'Not Found' } });

    assert.equal((await call('DELETE', '/v3/auth/tokens', { token: adminToken, subject: demo.token })).status, 204);
    const gone = await call('GET', '/v3/auth/tokens', { token: adminToken, subject: demo.token });
    assert.deepEqual(gone.body, { error: { code: 404, message: 'Failed to validate token', title: 'Not Found' } });
    const used = await call('GET', '/v3/auth/projects', { token: demo.token });
    assert.equal(used.status, 401);
  });

  it('expires tokens by the clock', async () => {
    const demo = await login('demo', 'demo', 'demo');
    assert.equal((await call('GET', '/v3/auth/projects', { token: demo.token })).status, 200);
    await clock.advance(3600 * 1000);
    assert.equal((await call('GET', '/v3/auth/projects', { token: demo.token })).status, 401);
    const v = await call('GET', '/v3/auth/tokens', { token: (await login('admin', 'admin', 'admin')).token, subject: demo.token });
    assert.equal(v.status, 404);
    adminToken = (await login('admin', 'admin', 'admin')).token;
  });

  it('lists the caller\'s projects and catalog', async () => {
    const demo = await login('demo', 'demo', 'demo');
    const p = await call('GET', '/v3/auth/projects', { token: demo.token });
    assert.deepEqual(p.body.projects.map((x: { name: string }) => x.name), ['demo']);
    const c = await call('GET', '/v3/auth/catalog', { token: demo.token });
    assert.equal(c.body.catalog.length, 2);
    const mine = await call('GET', `/v3/users/${demo.body.token.user.id}/projects`, { token: demo.token });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.projects[0].name, 'demo');
  });

  it('does project, user and role CRUD with grants and role assignments', async () => {
    const t = { token: adminToken };
    const p = await call('POST', '/v3/projects', { ...t, body: { project: { name: 'p1', description: 'one', domain_id: 'default' } } });
    assert.equal(p.status, 201);
    const project = p.body.project;
    assert.deepEqual(
      { ...project, id: undefined, links: undefined },
      { id: undefined, links: undefined, name: 'p1', description: 'one', domain_id: 'default', enabled: true, parent_id: 'default', is_domain: false, tags: [], options: {} },
    );
    const dup = await call('POST', '/v3/projects', { ...t, body: { project: { name: 'p1' } } });
    assert.equal(dup.status, 409);
    assert.match(dup.body.error.message, /^Conflict occurred attempting to store project - it is not permitted to have two projects/);
    assert.deepEqual((await call('GET', '/v3/projects?name=p1', t)).body.projects.map((x: { id: string }) => x.id), [project.id]);
    const upd = await call('PATCH', `/v3/projects/${project.id}`, { ...t, body: { project: { description: 'uno' } } });
    assert.equal(upd.body.project.description, 'uno');

    const u = await call('POST', '/v3/users', { ...t, body: { user: { name: 'u1', password: 'pw1', default_project_id: project.id } } });
    assert.equal(u.status, 201);
    const user = u.body.user;
    assert.equal(user.password_expires_at, null);
    assert.equal(user.default_project_id, project.id);
    assert.equal((await call('POST', '/v3/users', { ...t, body: { user: { name: 'u1' } } })).body.error.message,
      'Conflict occurred attempting to store user - Duplicate entry found with name u1 at domain ID default.');

    const r = await call('POST', '/v3/roles', { ...t, body: { role: { name: 'r1' } } });
    assert.equal(r.status, 201);
    const role = r.body.role;
    const grant = `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`;
    assert.equal((await call('HEAD', grant, t)).status, 404);
    assert.equal((await call('PUT', grant, t)).status, 204);
    assert.equal((await call('HEAD', grant, t)).status, 204);
    const roles = await call('GET', `/v3/projects/${project.id}/users/${user.id}/roles`, t);
    assert.deepEqual(roles.body.roles.map((x: { name: string }) => x.name), ['r1']);

    const ra = await call('GET', `/v3/role_assignments?user.id=${user.id}&include_names=True`, t);
    assert.deepEqual(ra.body.role_assignments, [
      {
        scope: { project: { id: project.id, name: 'p1', domain: { id: 'default', name: 'Default' } } },
        user: { id: user.id, name: 'u1', domain: { id: 'default', name: 'Default' } },
        role: { id: role.id, name: 'r1' },
        links: { assignment: `${base}${grant}` },
      },
    ]);
    const plain = await call('GET', `/v3/role_assignments?scope.project.id=${project.id}`, t);
    assert.deepEqual(plain.body.role_assignments[0].user, { id: user.id });

    // The new user can now log in, and its unscoped request lands on its default project.
    const u1 = await login('u1', 'pw1');
    assert.equal(u1.body.token.project.id, project.id);

    assert.equal((await call('DELETE', grant, t)).status, 204);
    const missing = await call('DELETE', grant, t);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.message,
      `Could not find role assignment with role: ${role.id}, user or group: ${user.id}, project, domain, or system: ${project.id}.`);
    assert.equal((await call('DELETE', `/v3/roles/${role.id}`, t)).status, 204);
    assert.equal((await call('DELETE', `/v3/users/${user.id}`, t)).status, 204);
    assert.deepEqual((await call('GET', `/v3/users/${user.id}`, t)).body,
      { error: { code: 404, message: `Could not find user: ${user.id}.`, title: 'Not Found' } });
    assert.equal((await call('DELETE', `/v3/projects/${project.id}`, t)).status, 204);
    assert.equal((await call('GET', `/v3/projects/${project.id}`, t)).body.error.message, `Could not find project: ${project.id}.`);
    // Bootstrap roles are immutable.
    const admin = (await call('GET', '/v3/roles?name=admin', t)).body.roles[0];
    assert.deepEqual(admin.options, { immutable: true });
    assert.equal((await call('DELETE', `/v3/roles/${admin.id}`, t)).status, 400);
  });

  it('forbids a member the admin calls with keystone\'s message', async () => {
    const demo = await login('demo', 'demo', 'demo');
    const cases: [string, string, string][] = [
      ['GET', '/v3/projects', 'list_projects'],
      ['POST', '/v3/projects', 'create_project'],
      ['GET', '/v3/users', 'list_users'],
      ['GET', '/v3/roles', 'list_roles'],
      ['GET', '/v3/role_assignments', 'list_role_assignments'],
      ['GET', '/v3/services', 'list_services'],
    ];
    for (const [method, path, action] of cases) {
      const r = await call(method, path, { token: demo.token, body: method === 'POST' ? { project: { name: 'x' } } : undefined });
      assert.equal(r.status, 403, path);
      assert.deepEqual(r.body, {
        error: { code: 403, message: `You are not authorized to perform the requested action: identity:${action}.`, title: 'Forbidden' },
      });
    }
    // Its own project and user are visible.
    assert.equal((await call('GET', `/v3/projects/${demo.body.token.project.id}`, { token: demo.token })).status, 200);
    assert.equal((await call('GET', `/v3/users/${demo.body.token.user.id}`, { token: demo.token })).status, 200);
  });

  it('lists domains, services, endpoints and regions', async () => {
    const t = { token: adminToken };
    const d = await call('GET', '/v3/domains', t);
    assert.deepEqual(d.body.domains.map((x: { id: string; name: string }) => [x.id, x.name]), [['default', 'Default']]);
    const s = await call('GET', '/v3/services', t);
    assert.deepEqual(s.body.services.map((x: { type: string }) => x.type).sort(), ['identity', 'network']);
    const e = await call('GET', '/v3/endpoints?interface=public', t);
    assert.equal(e.body.endpoints.length, 2);
    assert.ok(e.body.endpoints.every((x: { service_id: string }) => s.body.services.some((y: { id: string }) => y.id === x.service_id)));
    const r = await call('GET', '/v3/regions', t);
    assert.equal(r.body.regions[0].id, 'RegionOne');
    const nf = await call('GET', '/v3/nowhere', t);
    assert.deepEqual(nf.body, { error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' } });
  });
});
