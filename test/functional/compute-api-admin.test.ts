/**
 * The compute API's admin resources (flavors, os-services, os-hypervisors,
 * os-availability-zone, limits, os-quota-sets) on their own: createComputeApp over an
 * in-memory nova database, fastify's inject(), a token validator that knows an admin
 * and a member, and a compute API stub nothing here calls. Expected texts and shapes
 * are nova's (checked against nova 26's own code and api-samples).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { TokenInfo, TokenValidator } from '../../src/common/auth.js';
import { Unauthorized } from '../../src/common/errors.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { migrate, openDatabase } from '../../src/db/database.js';
import { createComputeApp } from '../../src/compute/api/app.js';
import type { ComputeAPI } from '../../src/compute/compute-api.js';
import { novaMigrations } from '../../src/compute/db/migrations.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { bootstrapFlavors } from '../../src/compute/objects/flavors.js';
import { InstanceStore } from '../../src/compute/objects/instance.js';
import { ServiceStore } from '../../src/compute/objects/services.js';

const ADMIN_PROJECT = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';
const DEMO_PROJECT = 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1';
const OTHER_PROJECT = 'e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2';

function token(userId: string, projectId: string, roles: string[]): TokenInfo {
  return {
    userId,
    userName: userId,
    userDomainId: 'default',
    userDomainName: 'Default',
    projectId,
    projectName: projectId,
    projectDomainId: 'default',
    projectDomainName: 'Default',
    roles: roles.map((r) => ({ id: r, name: r })),
    methods: ['password'],
    auditIds: [],
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

const TOKENS: Record<string, TokenInfo> = {
  admin: token('u-admin', ADMIN_PROJECT, ['admin', 'member', 'reader']),
  demo: token('u-demo', DEMO_PROJECT, ['member', 'reader']),
  other: token('u-other', OTHER_PROJECT, ['member', 'reader']),
};
const validator: TokenValidator = {
  validate: async (t) => {
    const info = TOKENS[t];
    if (!info) throw new Unauthorized('The request you have made requires authentication.');
    return info;
  },
};

export interface AdminApiHarness {
  app: FastifyInstance;
  db: Kysely<NovaDB>;
  clock: FakeClock;
  services: ServiceStore;
  call(who: keyof typeof TOKENS | null, method: string, url: string, opts?: { body?: unknown; mv?: string }): Promise<{ status: number; body: any; raw: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function adminApi(): Promise<AdminApiHarness> {
  const cfg = loadConfig();
  const clock = new FakeClock();
  const random = seededRandom(7);
  const dbh = openDatabase<NovaDB>('sqlite://:memory:');
  await migrate(dbh.kysely as never, novaMigrations, 'nova');
  await bootstrapFlavors(dbh.kysely, clock);
  const instances = new InstanceStore(dbh.kysely, () => clock.now());
  const app = createComputeApp({
    cfg,
    log: silentLogger(),
    clock,
    random,
    validator,
    authUri: 'http://keystone.test/v3',
    db: dbh.kysely,
    instances,
    // Nothing here reaches the compute API; the interface routes only read its network client at registration.
    compute: { d: { network: {} } } as unknown as ComputeAPI,
  });
  await app.ready();
  const services = new ServiceStore(dbh.kysely, { clock, random, serviceDownTimeS: cfg.compute.service_down_time });
  return {
    app,
    db: dbh.kysely,
    clock,
    services,
    async call(who, method, url, opts = {}) {
      const headers: Record<string, string> = { host: 'nova.test:8774' };
      if (who) headers['x-auth-token'] = who;
      if (opts.mv) headers['openstack-api-version'] = `compute ${opts.mv}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const r = await app.inject({ method: method as 'GET', url, headers, ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}) });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, raw: r.body, headers: r.headers };
    },
    close: async () => {
      await app.close();
      await dbh.close();
    },
  };
}

let h: AdminApiHarness;
before(async () => {
  h = await adminApi();
});
after(() => h.close());

const forbidden = (rule: string) => ({ forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } });

describe('flavors', () => {
  test('the bootstrap flavors, sorted by flavorid as strings, with links', async () => {
    const r = await h.call('demo', 'GET', '/v2.1/flavors');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.flavors.map((f: { id: string; name: string }) => `${f.id}:${f.name}`),
      ['1:m1.tiny', '100:m1.seed100', '2:m1.small', '3:m1.medium', '4:m1.large', '42:m1.nano', '5:m1.xlarge', '84:m1.micro'],
    );
    assert.deepEqual(r.body.flavors[0].links, [
      { rel: 'self', href: 'http://nova.test:8774/v2.1/flavors/1' },
      { rel: 'bookmark', href: 'http://nova.test:8774/flavors/1' },
    ]);
    assert.equal(r.body.flavors[0].description, undefined);
    const v255 = await h.call('demo', 'GET', '/v2.1/flavors', { mv: '2.55' });
    assert.equal(v255.body.flavors[0].description, null);
  });

  test('show at 2.1, 2.61 and 2.75: swap "" then 0, rxtx_factor a float, extra_specs from 2.61', async () => {
    const v21 = await h.call('demo', 'GET', '/v2.1/flavors/100');
    assert.equal(
      v21.raw,
      '{"flavor": {"id": "100", "name": "m1.seed100", "ram": 64, "disk": 1, "swap": "", "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": false, "vcpus": 1, "os-flavor-access:is_public": true, "rxtx_factor": 1.0, "links": [{"rel": "self", "href": "http://nova.test:8774/v2.1/flavors/100"}, {"rel": "bookmark", "href": "http://nova.test:8774/flavors/100"}]}}',
    );
    assert.equal(v21.headers['content-type'], 'application/json');
    const v261 = await h.call('demo', 'GET', '/v2.1/flavors/1', { mv: '2.61' });
    assert.deepEqual(v261.body.flavor.extra_specs, { 'hw_rng:allowed': 'True' });
    assert.equal(v261.body.flavor.description, null);
    assert.equal(v261.body.flavor.swap, '');
    const v275 = await h.call('demo', 'GET', '/v2.1/flavors/1', { mv: '2.75' });
    assert.equal(v275.body.flavor.swap, 0);
  });

  test('unknown flavor: 404 in nova\'s words (transcript 00, line 261)', async () => {
    const r = await h.call('demo', 'GET', '/v2.1/flavors/m1.anchor');
    assert.deepEqual(r.body, { itemNotFound: { code: 404, message: 'Flavor m1.anchor could not be found.' } });
  });

  test('create as OSC 6.0 sends it (transcript 02), id generated', async () => {
    const r = await h.call('admin', 'POST', '/v2.1/flavors', {
      mv: '2.61',
      body: { flavor: { vcpus: 1, rxtx_factor: 1.0, name: 'm1.anchor', 'os-flavor-access:is_public': true, disk: 1, ram: 64, 'OS-FLV-EXT-DATA:ephemeral': 0, id: null, swap: 0 } },
    });
    assert.equal(r.status, 200);
    const f = r.body.flavor;
    assert.match(f.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(Object.keys(f), ['id', 'name', 'ram', 'disk', 'swap', 'OS-FLV-EXT-DATA:ephemeral', 'OS-FLV-DISABLED:disabled', 'vcpus', 'os-flavor-access:is_public', 'rxtx_factor', 'links', 'description', 'extra_specs']);
    assert.deepEqual({ ...f, id: 'X', links: [] }, { id: 'X', name: 'm1.anchor', ram: 64, disk: 1, swap: '', 'OS-FLV-EXT-DATA:ephemeral': 0, 'OS-FLV-DISABLED:disabled': false, vcpus: 1, 'os-flavor-access:is_public': true, rxtx_factor: 1, links: [], description: null, extra_specs: {} });
    assert.match(r.raw, /"rxtx_factor": 1\.0,/);
    const again = await h.call('admin', 'POST', '/v2.1/flavors', { body: { flavor: { name: 'm1.anchor', ram: 64, vcpus: 1, disk: 1 } } });
    assert.deepEqual(again.body, { conflictingRequest: { code: 409, message: 'Flavor with name m1.anchor already exists.' } });
    const sameId = await h.call('admin', 'POST', '/v2.1/flavors', { body: { flavor: { name: 'other', ram: 64, vcpus: 1, disk: 1, id: 1 } } });
    assert.deepEqual(sameId.body, { conflictingRequest: { code: 409, message: 'Flavor with ID 1 already exists.' } });
  });

  test('create: nova\'s schema messages come before the policy check', async () => {
    const bad = async (flavor: unknown, message: string, who: 'admin' | 'demo' = 'admin') => {
      const r = await h.call(who, 'POST', '/v2.1/flavors', { body: { flavor } });
      assert.deepEqual(r.body, { badRequest: { code: 400, message } });
    };
    await bad({ name: 'x', ram: -1, vcpus: 1, disk: 1 }, 'Invalid input for field/attribute ram. Value: -1. -1 is less than the minimum of 1');
    await bad({ name: 'x', ram: 1, vcpus: 1 }, "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1}. 'disk' is a required property", 'demo');
    await bad({ name: ' x', ram: 1, vcpus: 1, disk: 0 }, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
    await bad({ name: 'x', ram: 'abc', vcpus: 1, disk: 0 }, "Invalid input for field/attribute ram. Value: abc. 'abc' does not match '^[0-9]+$'");
    await bad({ name: 'x', ram: 1, vcpus: 1, disk: 0, foo: 1 }, "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1, 'disk': 0, 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)");
    await bad({ name: 'x', ram: 1, vcpus: 1, disk: 0, rxtx_factor: 0 }, 'Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to the minimum of 0');
    await bad({ name: 'x', ram: 1, vcpus: 1, disk: 0, id: 'a b ' }, "Invalid input for field/attribute id. Value: a b . 'a b ' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'");
    await bad({ name: 'x', ram: 1.5, vcpus: 1, disk: 0 }, "Invalid input for field/attribute ram. Value: 1.5. 1.5 is not of type 'integer', 'string'");
    await bad({ name: 'x', ram: 1, vcpus: 1, disk: 0, 'os-flavor-access:is_public': 'maybe' }, "Invalid input for field/attribute os-flavor-access:is_public. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']");
    const r = await h.call('admin', 'POST', '/v2.1/flavors', {});
    assert.deepEqual(r.body, { badRequest: { code: 400, message: "None is not of type 'object'" } });
    const member = await h.call('demo', 'POST', '/v2.1/flavors', { body: { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0 } } });
    assert.equal(member.status, 403);
    assert.deepEqual(member.body, forbidden('os_compute_api:os-flavor-manage:create'));
  });

  test('description (2.55): create with one, update it, refused before 2.55', async () => {
    const c = await h.call('admin', 'POST', '/v2.1/flavors', { mv: '2.55', body: { flavor: { name: 'described', ram: '128', vcpus: '2', disk: '0', id: 'desc-1', description: 'first' } } });
    assert.equal(c.status, 200);
    assert.equal(c.body.flavor.description, 'first');
    assert.equal(c.body.flavor.ram, 128);
    assert.equal(c.body.flavor.extra_specs, undefined);
    const old = await h.call('admin', 'POST', '/v2.1/flavors', { mv: '2.54', body: { flavor: { name: 'd2', ram: 1, vcpus: 1, disk: 0, description: 'x' } } });
    assert.equal(old.body.badRequest.message, "Invalid input for field/attribute flavor. Value: {'name': 'd2', 'ram': 1, 'vcpus': 1, 'disk': 0, 'description': 'x'}. Additional properties are not allowed ('description' was unexpected)");
    const u = await h.call('admin', 'PUT', '/v2.1/flavors/desc-1', { mv: '2.55', body: { flavor: { description: 'second' } } });
    assert.equal(u.status, 200);
    assert.equal(u.body.flavor.description, 'second');
    const u21 = await h.call('admin', 'PUT', '/v2.1/flavors/desc-1', { body: { flavor: { description: 'x' } } });
    assert.deepEqual(u21.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    const missing = await h.call('admin', 'PUT', '/v2.1/flavors/nope', { mv: '2.55', body: { flavor: { description: 'x' } } });
    assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Flavor nope could not be found.' } });
    const ctrl = await h.call('admin', 'PUT', '/v2.1/flavors/desc-1', { mv: '2.55', body: { flavor: { description: 'bad\u0001' } } });
    assert.equal(ctrl.status, 400);
    assert.match(ctrl.body.badRequest.message, /^Invalid input for field\/attribute description\. Value: bad\u0001\. 'bad\\x01' does not match '\^\[\\\\ -\\\\~\\xa0-¬®-ͷ/);
  });

  test('private flavors: access list, visibility, list filters', async () => {
    const c = await h.call('admin', 'POST', '/v2.1/flavors', { body: { flavor: { name: 'private1', ram: 256, vcpus: 1, disk: 2, id: 'p1', 'os-flavor-access:is_public': false } } });
    assert.equal(c.body.flavor['os-flavor-access:is_public'], false);
    assert.equal((await h.call('demo', 'GET', '/v2.1/flavors/p1')).status, 404);
    const add = await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { addTenantAccess: { tenant: DEMO_PROJECT } } });
    assert.deepEqual(add.body, { flavor_access: [{ flavor_id: 'p1', tenant_id: DEMO_PROJECT }] });
    const dup = await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { addTenantAccess: { tenant: DEMO_PROJECT } } });
    assert.equal(dup.status, 409);
    assert.match(dup.body.conflictingRequest.message, new RegExp(`^Flavor access already exists for flavor \\d+ and project ${DEMO_PROJECT} combination\\.$`));
    assert.equal((await h.call('demo', 'GET', '/v2.1/flavors/p1')).status, 200);
    assert.ok((await h.call('demo', 'GET', '/v2.1/flavors')).body.flavors.some((f: { id: string }) => f.id === 'p1'));
    assert.ok(!(await h.call('other', 'GET', '/v2.1/flavors')).body.flavors.some((f: { id: string }) => f.id === 'p1'));
    // An admin's default listing is public flavors only; is_public=none shows all, false the private ones.
    assert.ok(!(await h.call('admin', 'GET', '/v2.1/flavors')).body.flavors.some((f: { id: string }) => f.id === 'p1'));
    assert.ok((await h.call('admin', 'GET', '/v2.1/flavors?is_public=None')).body.flavors.some((f: { id: string }) => f.id === 'p1'));
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/flavors?is_public=false')).body.flavors.map((f: { id: string }) => f.id), ['p1']);
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/flavors?is_public=maybe')).body, { badRequest: { code: 400, message: 'Invalid is_public filter [maybe]' } });
    // Any project member may read the access list (Zed OR's the deprecated admin_or_owner in).
    const list = await h.call('other', 'GET', '/v2.1/flavors/p1/os-flavor-access');
    assert.equal(list.status, 404);
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors/p1/os-flavor-access')).body, { flavor_access: [{ flavor_id: 'p1', tenant_id: DEMO_PROJECT }] });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors/1/os-flavor-access')).body, { itemNotFound: { code: 404, message: 'Access list not available for public flavors.' } });
    const pub = await h.call('admin', 'POST', '/v2.1/flavors/1/action', { mv: '2.7', body: { addTenantAccess: { tenant: DEMO_PROJECT } } });
    assert.deepEqual(pub.body, { conflictingRequest: { code: 409, message: 'Can not add access to a public flavor.' } });
    const rm = await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { removeTenantAccess: { tenant: DEMO_PROJECT } } });
    assert.deepEqual(rm.body, { flavor_access: [] });
    const rm2 = await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { removeTenantAccess: { tenant: DEMO_PROJECT } } });
    assert.equal(rm2.status, 404);
    assert.match(rm2.body.itemNotFound.message, new RegExp(`^Flavor access not found for \\d+ / ${DEMO_PROJECT} combination\\.$`));
    assert.deepEqual((await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { frobnicate: {} } })).body, { badRequest: { code: 400, message: 'There is no such action: frobnicate' } });
    assert.deepEqual((await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { a: 1, b: 2 } })).body, { badRequest: { code: 400, message: 'Malformed request body' } });
    assert.deepEqual((await h.call('demo', 'POST', '/v2.1/flavors/p1/action', { body: { addTenantAccess: { tenant: 'x' } } })).body, forbidden('os_compute_api:os-flavor-access:add_tenant_access'));
  });

  test('list: minRam/minDisk, sort, limit and marker with a next link', async () => {
    const r = await h.call('demo', 'GET', '/v2.1/flavors?minRam=4096&sort_key=memory_mb&sort_dir=desc');
    assert.deepEqual(r.body.flavors.map((f: { name: string }) => f.name), ['m1.xlarge', 'm1.large', 'm1.medium']);
    const p1 = await h.call('demo', 'GET', '/v2.1/flavors/detail?limit=2&sort_key=name&foo=bar');
    assert.deepEqual(p1.body.flavors.map((f: { name: string }) => f.name), ['described', 'm1.anchor']);
    assert.deepEqual(p1.body.flavors_links, [{ rel: 'next', href: `http://nova.test:8774/v2.1/flavors/detail?limit=2&sort_key=name&marker=${p1.body.flavors[1].id}` }]);
    const p2 = await h.call('demo', 'GET', `/v2.1/flavors/detail?limit=2&sort_key=name&marker=${p1.body.flavors[1].id}`);
    assert.deepEqual(p2.body.flavors.map((f: { name: string }) => f.name), ['m1.large', 'm1.medium']);
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors?marker=nope')).body, { badRequest: { code: 400, message: 'marker [nope] not found' } });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors?minRam=big')).body, { badRequest: { code: 400, message: 'Invalid minRam filter [big]' } });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors?limit=-1')).body, { badRequest: { code: 400, message: "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'" } });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors?sort_key=ram')).body, {
      badRequest: { code: 400, message: "Invalid input for query parameters sort_key. Value: ram. 'ram' is not one of ['created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name', 'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight', 'vcpus']" },
    });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors?foo=bar', { mv: '2.75' })).body, { badRequest: { code: 400, message: "Additional properties are not allowed ('foo' was unexpected)" } });
  });

  test('extra specs: CRUD, nova\'s texts, validation from 2.86', async () => {
    const c = await h.call('admin', 'POST', '/v2.1/flavors/2/os-extra_specs', { body: { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': 1024 } } });
    assert.equal(c.status, 200);
    assert.deepEqual(c.body, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': 1024 } });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors/2/os-extra_specs')).body, { extra_specs: { 'hw_rng:allowed': 'True', 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': '1024' } });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy')).body, { 'hw:cpu_policy': 'dedicated' });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/flavors/2/os-extra_specs/nope')).body, { itemNotFound: { code: 404, message: 'Flavor 2 has no extra specs with key nope.' } });
    const u = await h.call('admin', 'PUT', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy', { body: { 'hw:cpu_policy': 'shared' } });
    assert.deepEqual(u.body, { 'hw:cpu_policy': 'shared' });
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/flavors/2/os-extra_specs/a', { body: { b: 'x' } })).body, { badRequest: { code: 400, message: 'Request body and URI mismatch' } });
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/flavors/2/os-extra_specs/a', { body: { a: 'x', b: 'y' } })).body, { badRequest: { code: 400, message: "{'a': 'x', 'b': 'y'} has too many properties" } });
    assert.equal((await h.call('admin', 'DELETE', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy')).status, 200);
    assert.deepEqual((await h.call('admin', 'DELETE', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy')).body, { itemNotFound: { code: 404, message: 'Flavor 2 has no extra specs with key hw:cpu_policy.' } });
    assert.deepEqual((await h.call('demo', 'DELETE', '/v2.1/flavors/2/os-extra_specs/x')).body, forbidden('os_compute_api:os-flavor-extra-specs:delete'));
    const bad = (specs: Record<string, unknown>) => h.call('admin', 'POST', '/v2.1/flavors/2/os-extra_specs', { mv: '2.86', body: { extra_specs: specs } });
    assert.deepEqual((await bad({ 'hw:cpu_policy': 'foo' })).body.badRequest.message, "Validation failed; 'foo' is not one of: dedicated, shared, mixed.");
    assert.deepEqual((await bad({ 'hw:numa_nodes': '0' })).body.badRequest.message, "Validation failed; '0' is less than the min value of '1'.");
    assert.deepEqual((await bad({ 'hw:numa_nodes': 'x' })).body.badRequest.message, "Validation failed; 'x' is not a valid integer value.");
    assert.deepEqual((await bad({ 'hw_rng:allowed': 'maybe' })).body.badRequest.message, "Validation failed; 'maybe' is not a valid boolean-like value.");
    assert.deepEqual((await bad({ 'hw:frobnicate': 'x' })).body.badRequest.message, "Validation failed; extra spec 'hw:frobnicate' does not appear to be a valid extra spec.");
    assert.deepEqual((await bad({ 'hw:mem_page_size': 'huge' })).body.badRequest.message, "Validation failed; 'huge' is not of format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'.".replace('not of format', 'not of the format'));
    assert.equal((await bad({ 'trait:HW_CPU_X86_AVX2': 'required', 'resources1:VCPU': '2', 'custom:anything': 'x', plain: 'y' })).status, 200);
    assert.deepEqual((await h.call('admin', 'POST', '/v2.1/flavors/2/os-extra_specs', { body: { extra_specs: { 'bad/key': 'x' } } })).body.badRequest.message, "Invalid input for field/attribute extra_specs. Value: {'bad/key': 'x'}. 'bad/key' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
  });

  test('delete: 202, then 404; members may not', async () => {
    await h.call('admin', 'POST', '/v2.1/flavors', { body: { flavor: { name: 'doomed', ram: 1, vcpus: 1, disk: 0, id: 'doomed' } } });
    assert.deepEqual((await h.call('demo', 'DELETE', '/v2.1/flavors/doomed')).body, forbidden('os_compute_api:os-flavor-manage:delete'));
    const r = await h.call('admin', 'DELETE', '/v2.1/flavors/doomed');
    assert.equal(r.status, 202);
    assert.equal(r.raw, '');
    assert.deepEqual((await h.call('admin', 'DELETE', '/v2.1/flavors/doomed')).body, { itemNotFound: { code: 404, message: 'Flavor doomed could not be found.' } });
  });
});
