/**
 * The compute API's admin resources (flavors, os-services, os-hypervisors,
 * os-availability-zone, limits, os-quota-sets) on their own: createComputeApp over an
 * in-memory nova database, fastify's inject(), a token validator that knows an admin
 * and a member, and a compute API stub nothing here calls. Expected texts and shapes
 * are nova's (checked against nova 26's own code and api-samples).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inProcessOnly } from '../helpers/cloud.js';
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
    // The compute API is a stub: the interface routes only read its network client at
    // registration, and a host's uptime (an RPC to its driver) is a fixed line per host.
    compute: { d: { network: {} }, getHostUptime: async (_ctx: unknown, host: string) => ` 10:02:03 up 2 min,  0 user,  load average: 0.00, 0.00, 0.00 (${host})\n` } as unknown as ComputeAPI,
    projectExists: async (id) => [ADMIN_PROJECT, DEMO_PROJECT, OTHER_PROJECT].includes(id),
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

// Builds nova-api on its own database with a fake clock, not a whole cloud.
const SKIP = inProcessOnly('a nova-api harness with a fake clock, no cloud');

let h: AdminApiHarness;
before(async () => {
  if (!SKIP) h = await adminApi();
});
after(() => h?.close());

const forbidden = (rule: string) => ({ forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` } });

describe('flavors', { skip: SKIP }, () => {
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
    assert.deepEqual((await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { addTenantAccess: { tenant: 'demo' } } })).body, { badRequest: { code: 400, message: 'Project ID demo is not a valid project.' } });
    // Removing an unknown project is allowed to proceed (nova tolerates it), and finds no access.
    assert.equal((await h.call('admin', 'POST', '/v2.1/flavors/p1/action', { body: { removeTenantAccess: { tenant: 'demo' } } })).status, 404);
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

describe('services, hypervisors, availability zones', { skip: SKIP }, () => {
  const ids: Record<string, { id: number; uuid: string }> = {};
  before(async () => {
    for (const [host, binary, topic] of [
      ['controller', 'nova-conductor', 'conductor'],
      ['controller', 'nova-scheduler', 'scheduler'],
      ['compute1', 'nova-compute', 'compute'],
      ['compute2', 'nova-compute', 'compute'],
    ] as const) {
      const s = await h.services.register(host, binary, topic);
      await h.services.heartbeat(s.id);
      ids[`${host}/${binary}`] = { id: s.id, uuid: s.uuid };
    }
    for (const host of ['compute1', 'compute2']) {
      await h.services.upsertComputeNode(host, { hypervisor_type: 'QEMU', hypervisor_version: 7002000, host_ip: '192.0.2.10', vcpus: 16, memory_mb: 65536, local_gb: 1024, cpu_info: '{"arch": "x86_64", "model": "Nehalem"}' });
    }
    await h.services.updateUsage('compute1', { vcpus_used: 1, memory_mb_used: 576, local_gb_used: 1, running_vms: 1 });
    const instances = new InstanceStore(h.db, () => h.clock.now());
    const flavor = { id: 8, flavorid: '100', name: 'm1.seed100', memory_mb: 64, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, vcpu_weight: null, is_public: true, description: null, extra_specs: {} };
    const i = await instances.create({
      uuid: '11111111-2222-4333-8444-555555555555', projectId: DEMO_PROJECT, userId: 'u-demo', displayName: 'vm1', displayDescription: null, hostname: 'vm1', availabilityZone: 'nova', imageRef: 'img',
      flavor, keyName: null, userData: null, metadata: {}, systemMetadata: {}, requestedNetworks: [], securityGroups: ['default'], tags: [], configDrive: '', accessIpV4: null, accessIpV6: null, reservationId: 'r-1', launchIndex: 0,
    });
    await instances.save(i.uuid, { host: 'compute1', node: 'compute1', vmState: 'active', taskState: null });
  });

  test('os-services: admin only, nova\'s view per microversion', async () => {
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/os-services')).body, forbidden('os_compute_api:os-services:list'));
    const v21 = await h.call('admin', 'GET', '/v2.1/os-services');
    assert.equal(v21.status, 200);
    assert.deepEqual(v21.body.services[2], { binary: 'nova-compute', host: 'compute1', id: ids['compute1/nova-compute']!.id, zone: 'nova', status: 'enabled', state: 'up', updated_at: '2026-01-01T00:00:00.000000', disabled_reason: null });
    assert.deepEqual(v21.body.services.map((s: { zone: string }) => s.zone), ['internal', 'internal', 'nova', 'nova']);
    const v253 = await h.call('admin', 'GET', '/v2.1/os-services?binary=nova-compute&host=compute2', { mv: '2.53' });
    assert.deepEqual(v253.body.services, [{ binary: 'nova-compute', host: 'compute2', id: ids['compute2/nova-compute']!.uuid, zone: 'nova', status: 'enabled', state: 'up', updated_at: '2026-01-01T00:00:00.000000', disabled_reason: null, forced_down: false }]);
  });

  test('os-services: the old enable/disable/force-down actions', async () => {
    const dis = await h.call('admin', 'PUT', '/v2.1/os-services/disable-log-reason', { body: { host: 'compute2', binary: 'nova-compute', disabled_reason: 'maintenance' } });
    assert.deepEqual(dis.body, { service: { host: 'compute2', binary: 'nova-compute', status: 'disabled', disabled_reason: 'maintenance' } });
    const en = await h.call('admin', 'PUT', '/v2.1/os-services/enable', { body: { host: 'compute2', binary: 'nova-compute' } });
    assert.deepEqual(en.body, { service: { host: 'compute2', binary: 'nova-compute', status: 'enabled' } });
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/os-services/disable', { body: { host: 'controller', binary: 'nova-scheduler' } })).body, {
      badRequest: { code: 400, message: 'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.' },
    });
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/os-services/disable', { body: { host: 'nohost', binary: 'nova-compute' } })).body, { itemNotFound: { code: 404, message: "Host 'nohost' is not mapped to any cell" } });
    // forced_down is not in the 2.1 schema; from 2.11 force-down exists.
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/os-services/force-down', { body: { host: 'compute2', binary: 'nova-compute', forced_down: true } })).body, {
      badRequest: { code: 400, message: "Additional properties are not allowed ('forced_down' was unexpected)" },
    });
    assert.deepEqual((await h.call('admin', 'PUT', '/v2.1/os-services/force-down', { body: { host: 'compute2', binary: 'nova-compute' } })).body, { itemNotFound: { code: 404, message: 'Unknown action' } });
    const down = await h.call('admin', 'PUT', '/v2.1/os-services/force-down', { mv: '2.11', body: { host: 'compute2', binary: 'nova-compute', forced_down: true } });
    assert.deepEqual(down.body, { service: { host: 'compute2', binary: 'nova-compute', forced_down: true } });
    const listed = await h.call('admin', 'GET', '/v2.1/os-services?host=compute2', { mv: '2.11' });
    assert.equal(listed.body.services[0].state, 'down');
    assert.equal(listed.body.services[0].forced_down, true);
    await h.call('admin', 'PUT', '/v2.1/os-services/force-down', { mv: '2.11', body: { host: 'compute2', binary: 'nova-compute', forced_down: 'no' } });
    assert.equal((await h.call('admin', 'GET', '/v2.1/os-services?host=compute2')).body.services[0].state, 'up');
  });

  test('os-services 2.53: update by uuid, errors in nova\'s order', async () => {
    const uuid = ids['compute2/nova-compute']!.uuid;
    const r = await h.call('admin', 'PUT', `/v2.1/os-services/${uuid}`, { mv: '2.53', body: { status: 'disabled', disabled_reason: 'maintenance' } });
    assert.deepEqual(r.body, { service: { binary: 'nova-compute', host: 'compute2', id: uuid, zone: 'nova', status: 'disabled', state: 'up', updated_at: '2026-01-01T00:00:00.000000', disabled_reason: 'maintenance', forced_down: false } });
    const bad = async (id: string, body: unknown, status: number, message: string, who: 'admin' | 'demo' = 'admin') => {
      const x = await h.call(who, 'PUT', `/v2.1/os-services/${id}`, { mv: '2.53', body });
      assert.equal(x.status, status);
      assert.equal(Object.values(x.body as Record<string, { message: string }>)[0]!.message, message);
    };
    await bad(uuid, { status: 'enabled', disabled_reason: 'x' }, 400, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
    await bad(uuid, {}, 400, "No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    await bad(uuid, { status: 'off' }, 400, "Invalid input for field/attribute status. Value: off. 'off' is not one of ['enabled', 'disabled']", 'demo');
    await bad('disable', { status: 'enabled' }, 400, 'Invalid uuid disable', 'demo');
    await bad(uuid, { status: 'enabled' }, 403, "Policy doesn't allow os_compute_api:os-services:update to be performed.", 'demo');
    await bad('9b0a2f0e-0c7e-4f5e-9d57-3c1f1f6b2a11', { status: 'enabled' }, 404, 'Service 9b0a2f0e-0c7e-4f5e-9d57-3c1f1f6b2a11 could not be found.');
    await bad(ids['controller/nova-conductor']!.uuid, { status: 'enabled' }, 400, 'Updating a nova-conductor service is not supported. Only nova-compute services can be updated.');
    const en = await h.call('admin', 'PUT', `/v2.1/os-services/${uuid}`, { mv: '2.53', body: { status: 'enabled' } });
    assert.equal(en.body.service.status, 'enabled');
    assert.equal(en.body.service.disabled_reason, null);
  });

  test('os-hypervisors: list, detail and show at 2.1, 2.28, 2.53 and 2.88', async () => {
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/os-hypervisors')).body, forbidden('os_compute_api:os-hypervisors:list'));
    const list = await h.call('admin', 'GET', '/v2.1/os-hypervisors');
    assert.deepEqual(list.body.hypervisors.map((x: Record<string, unknown>) => Object.keys(x)), [['id', 'hypervisor_hostname', 'state', 'status'], ['id', 'hypervisor_hostname', 'state', 'status']]);
    assert.equal(typeof list.body.hypervisors[0].id, 'number');
    const d21 = (await h.call('admin', 'GET', '/v2.1/os-hypervisors/detail')).body.hypervisors[0];
    assert.deepEqual(d21, {
      id: d21.id, hypervisor_hostname: 'compute1', state: 'up', status: 'enabled', hypervisor_type: 'QEMU', hypervisor_version: 7002000, host_ip: '192.0.2.10',
      service: { id: ids['compute1/nova-compute']!.id, host: 'compute1', disabled_reason: null },
      vcpus: 16, memory_mb: 65536, local_gb: 1024, vcpus_used: 1, memory_mb_used: 576, local_gb_used: 1, free_ram_mb: 64960, free_disk_gb: 1023, current_workload: 0, running_vms: 1, disk_available_least: 1023,
      cpu_info: '{"arch": "x86_64", "model": "Nehalem"}',
    });
    const d228 = (await h.call('admin', 'GET', `/v2.1/os-hypervisors/${d21.id}`, { mv: '2.28' })).body.hypervisor;
    assert.deepEqual(d228.cpu_info, { arch: 'x86_64', model: 'Nehalem' });
    const d253 = (await h.call('admin', 'GET', '/v2.1/os-hypervisors/detail?with_servers=true', { mv: '2.53' })).body.hypervisors;
    assert.match(d253[0].id, /^[0-9a-f-]{36}$/);
    assert.equal(d253[0].service.id, ids['compute1/nova-compute']!.uuid);
    assert.deepEqual(d253[0].servers, [{ name: 'instance-00000001', uuid: '11111111-2222-4333-8444-555555555555' }]);
    assert.equal(d253[1].servers, undefined, 'no empty servers list before 2.75');
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors?with_servers=1', { mv: '2.75' })).body.hypervisors[1].servers, []);
    const d288 = (await h.call('admin', 'GET', `/v2.1/os-hypervisors/${d253[0].id}`, { mv: '2.88' })).body.hypervisor;
    assert.deepEqual(Object.keys(d288), ['id', 'hypervisor_hostname', 'state', 'status', 'hypervisor_type', 'hypervisor_version', 'host_ip', 'service', 'uptime']);
    // 2.88 puts the host's uptime (its driver's answer) in the detail view.
    assert.equal(d288.uptime, ` 10:02:03 up 2 min,  0 user,  load average: 0.00, 0.00, 0.00 (${d288.hypervisor_hostname})\n`);
    assert.deepEqual((await h.call('admin', 'GET', `/v2.1/os-hypervisors/${d253[0].id}/uptime`, { mv: '2.88' })).body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/statistics', { mv: '2.88' })).body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/abc', { mv: '2.53' })).body, { badRequest: { code: 400, message: 'Invalid uuid abc' } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/abc')).body, { itemNotFound: { code: 404, message: "Hypervisor with ID 'abc' could not be found." } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/999')).body, { itemNotFound: { code: 404, message: "Hypervisor with ID '999' could not be found." } });
  });

  test('os-hypervisors: paging from 2.33, hostname pattern, search/servers before 2.53, statistics, uptime', async () => {
    const p1 = await h.call('admin', 'GET', '/v2.1/os-hypervisors?limit=1', { mv: '2.33' });
    assert.equal(p1.body.hypervisors.length, 1);
    assert.deepEqual(p1.body.hypervisors_links, [{ rel: 'next', href: `http://nova.test:8774/v2.1/os-hypervisors?limit=1&marker=${p1.body.hypervisors[0].id}` }]);
    const p2 = await h.call('admin', 'GET', `/v2.1/os-hypervisors?limit=1&marker=${p1.body.hypervisors[0].id}`, { mv: '2.33' });
    assert.equal(p2.body.hypervisors[0].hypervisor_hostname, 'compute2');
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors?marker=77', { mv: '2.33' })).body, { badRequest: { code: 400, message: 'marker [77] not found' } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors?limit=1&limit=2', { mv: '2.53' })).body, { badRequest: { code: 400, message: "Invalid input for query parameters limit. Value: ['1', '2']. ['1', '2'] is too long" } });
    const pat = await h.call('admin', 'GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=ute2', { mv: '2.53' });
    assert.deepEqual(pat.body.hypervisors.map((x: { hypervisor_hostname: string }) => x.hypervisor_hostname), ['compute2']);
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=zzz', { mv: '2.53' })).body, { itemNotFound: { code: 404, message: "No hypervisor matching 'zzz' could be found." } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=c&limit=1', { mv: '2.53' })).body, {
      badRequest: { code: 400, message: 'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.' },
    });
    const search = await h.call('admin', 'GET', '/v2.1/os-hypervisors/compute/search');
    assert.equal(search.body.hypervisors.length, 2);
    const servers = await h.call('admin', 'GET', '/v2.1/os-hypervisors/compute/servers');
    assert.deepEqual(servers.body.hypervisors[0].servers, [{ name: 'instance-00000001', uuid: '11111111-2222-4333-8444-555555555555' }]);
    assert.equal(servers.body.hypervisors[1].servers, undefined);
    assert.equal((await h.call('admin', 'GET', '/v2.1/os-hypervisors/compute/search', { mv: '2.53' })).status, 404);
    const stats = await h.call('admin', 'GET', '/v2.1/os-hypervisors/statistics');
    assert.deepEqual(stats.body, {
      hypervisor_statistics: { count: 2, vcpus: 32, memory_mb: 131072, local_gb: 2048, vcpus_used: 1, memory_mb_used: 576, local_gb_used: 1, free_ram_mb: 130496, free_disk_gb: 2047, current_workload: 0, running_vms: 1, disk_available_least: 2047 },
    });
    const id = p1.body.hypervisors[0].id;
    // Regression (Tempest test_get_hypervisor_uptime): this answered 501 while the driver had no uptime.
    const up = await h.call('admin', 'GET', `/v2.1/os-hypervisors/${id}/uptime`);
    assert.equal(up.status, 200);
    assert.deepEqual(up.body, { hypervisor: { id, hypervisor_hostname: 'compute1', state: 'up', status: 'enabled', uptime: ' 10:02:03 up 2 min,  0 user,  load average: 0.00, 0.00, 0.00 (compute1)\n' } });
    const up253 = await h.call('admin', 'GET', `/v2.1/os-hypervisors/${pat.body.hypervisors[0].id}/uptime`, { mv: '2.53' });
    assert.equal(up253.body.hypervisor.hypervisor_hostname, 'compute2');
    assert.deepEqual((await h.call('demo', 'GET', `/v2.1/os-hypervisors/${id}/uptime`)).body, forbidden('os_compute_api:os-hypervisors:uptime'));
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/999/uptime')).body, { itemNotFound: { code: 404, message: "Hypervisor with ID '999' could not be found." } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors/abc/uptime', { mv: '2.53' })).body, { badRequest: { code: 400, message: 'Invalid uuid abc' } });
  });

  test('os-availability-zone: the nova zone for all, internal in the admin detail', async () => {
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/os-availability-zone')).body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/os-availability-zone/detail')).body, forbidden('os_compute_api:os-availability-zone:detail'));
    const d = await h.call('admin', 'GET', '/v2.1/os-availability-zone/detail');
    const entry = { available: true, active: true, updated_at: '2026-01-01T00:00:00.000000' };
    assert.deepEqual(d.body, {
      availabilityZoneInfo: [
        { zoneName: 'internal', zoneState: { available: true }, hosts: { controller: { 'nova-conductor': entry, 'nova-scheduler': entry } } },
        { zoneName: 'nova', zoneState: { available: true }, hosts: { compute1: { 'nova-compute': entry }, compute2: { 'nova-compute': entry } } },
      ],
    });
  });

  test('limits: usage counted from the project\'s instances, keys per microversion', async () => {
    const v21 = await h.call('demo', 'GET', '/v2.1/limits');
    assert.equal(
      v21.raw,
      '{"limits": {"rate": [], "absolute": {"maxTotalInstances": 10, "maxTotalCores": 20, "maxTotalRAMSize": 51200, "maxServerMeta": 128, "maxImageMeta": 128, "maxPersonality": 5, "maxPersonalitySize": 10240, "maxTotalKeypairs": 100, "maxServerGroups": 10, "maxServerGroupMembers": 10, "maxTotalFloatingIps": -1, "maxSecurityGroups": -1, "maxSecurityGroupRules": -1, "totalRAMUsed": 64, "totalCoresUsed": 1, "totalInstancesUsed": 1, "totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0, "totalServerGroupsUsed": 0}}}',
    );
    assert.deepEqual(Object.keys((await h.call('demo', 'GET', '/v2.1/limits', { mv: '2.36' })).body.limits.absolute), ['maxTotalInstances', 'maxTotalCores', 'maxTotalRAMSize', 'maxServerMeta', 'maxImageMeta', 'maxPersonality', 'maxPersonalitySize', 'maxTotalKeypairs', 'maxServerGroups', 'maxServerGroupMembers', 'totalRAMUsed', 'totalCoresUsed', 'totalInstancesUsed', 'totalServerGroupsUsed']);
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/limits', { mv: '2.57' })).body.limits.absolute, {
      maxTotalInstances: 10, maxTotalCores: 20, maxTotalRAMSize: 51200, maxServerMeta: 128, maxTotalKeypairs: 100, maxServerGroups: 10, maxServerGroupMembers: 10, totalRAMUsed: 64, totalCoresUsed: 1, totalInstancesUsed: 1, totalServerGroupsUsed: 0,
    });
    assert.equal((await h.call('admin', 'GET', '/v2.1/limits')).body.limits.absolute.totalInstancesUsed, 0);
    assert.equal((await h.call('admin', 'GET', `/v2.1/limits?tenant_id=${DEMO_PROJECT}`)).body.limits.absolute.totalInstancesUsed, 1);
    assert.deepEqual((await h.call('demo', 'GET', `/v2.1/limits?tenant_id=${DEMO_PROJECT}`)).body, forbidden('os_compute_api:limits:other_project'));
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/limits?foo=1', { mv: '2.75' })).body, { badRequest: { code: 400, message: "Additional properties are not allowed ('foo' was unexpected)" } });
  });

  test('os-quota-sets: show, detail, defaults, update and delete', async () => {
    const show = await h.call('demo', 'GET', `/v2.1/os-quota-sets/${DEMO_PROJECT}`);
    assert.equal(
      show.raw,
      `{"quota_set": {"id": "${DEMO_PROJECT}", "cores": 20, "fixed_ips": -1, "floating_ips": -1, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255, "injected_files": 5, "instances": 10, "key_pairs": 100, "metadata_items": 128, "ram": 51200, "security_group_rules": -1, "security_groups": -1, "server_group_members": 10, "server_groups": 10}}`,
    );
    assert.deepEqual(Object.keys((await h.call('demo', 'GET', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { mv: '2.57' })).body.quota_set), ['id', 'cores', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups']);
    assert.deepEqual((await h.call('demo', 'GET', `/v2.1/os-quota-sets/${OTHER_PROJECT}`)).body, forbidden('os_compute_api:os-quota-sets:show'));
    const detail = await h.call('demo', 'GET', `/v2.1/os-quota-sets/${DEMO_PROJECT}/detail`, { mv: '2.36' });
    assert.deepEqual(detail.body.quota_set.cores, { limit: 20, in_use: 1, reserved: 0 });
    assert.deepEqual(detail.body.quota_set.ram, { limit: 51200, in_use: 64, reserved: 0 });
    assert.deepEqual(detail.body.quota_set.instances, { limit: 10, in_use: 1, reserved: 0 });
    assert.equal(detail.body.quota_set.floating_ips, undefined);
    assert.equal((await h.call('other', 'GET', `/v2.1/os-quota-sets/${DEMO_PROJECT}/defaults`)).body.quota_set.instances, 10);

    assert.deepEqual((await h.call('demo', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { body: { quota_set: { instances: 5 } } })).body, forbidden('os_compute_api:os-quota-sets:update'));
    const up = await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { mv: '2.57', body: { quota_set: { instances: '5', cores: 7 } } });
    assert.deepEqual(up.body, { quota_set: { cores: 7, instances: 5, key_pairs: 100, metadata_items: 128, ram: 51200, server_group_members: 10, server_groups: 10 } });
    assert.equal((await h.call('demo', 'GET', '/v2.1/limits')).body.limits.absolute.maxTotalInstances, 5);
    const low = await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { body: { quota_set: { ram: 10 } } });
    assert.deepEqual(low.body, { badRequest: { code: 400, message: 'Quota limit 10 for ram must be greater than or equal to already used and reserved 64.' } });
    assert.equal((await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { body: { quota_set: { ram: 10, force: true } } })).body.quota_set.ram, 10);
    assert.deepEqual((await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { body: { quota_set: { networks: 1 } } })).body, { badRequest: { code: 400, message: 'The networks quota has been removed' } });
    assert.deepEqual((await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { mv: '2.57', body: { quota_set: { injected_files: 1 } } })).body, {
      badRequest: { code: 400, message: "Invalid input for field/attribute quota_set. Value: {'injected_files': 1}. Additional properties are not allowed ('injected_files' was unexpected)" },
    });
    assert.deepEqual((await h.call('admin', 'PUT', `/v2.1/os-quota-sets/${DEMO_PROJECT}`, { body: { quota_set: { instances: -2 } } })).body, { badRequest: { code: 400, message: 'Invalid input for field/attribute instances. Value: -2. -2 is less than the minimum of -1' } });
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-quota-sets/nope')).body, { badRequest: { code: 400, message: 'Project ID nope is not a valid project.' } });
    const del = await h.call('admin', 'DELETE', `/v2.1/os-quota-sets/${DEMO_PROJECT}`);
    assert.equal(del.status, 202);
    assert.equal((await h.call('demo', 'GET', `/v2.1/os-quota-sets/${DEMO_PROJECT}`)).body.quota_set.ram, 51200);
  });

  test('os-services DELETE: ids per microversion, 409 with instances, compute node goes too', async () => {
    assert.deepEqual((await h.call('admin', 'DELETE', '/v2.1/os-services/abc')).body, { badRequest: { code: 400, message: 'Invalid input received: id must be an integer' } });
    assert.deepEqual((await h.call('admin', 'DELETE', '/v2.1/os-services/abc', { mv: '2.53' })).body, { badRequest: { code: 400, message: 'Invalid uuid abc' } });
    assert.deepEqual((await h.call('admin', 'DELETE', '/v2.1/os-services/999')).body, { itemNotFound: { code: 404, message: 'Service 999 not found.' } });
    assert.deepEqual((await h.call('admin', 'DELETE', `/v2.1/os-services/${ids['compute1/nova-compute']!.id}`)).body, {
      conflictingRequest: { code: 409, message: 'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.' },
    });
    const r = await h.call('admin', 'DELETE', `/v2.1/os-services/${ids['compute2/nova-compute']!.uuid}`, { mv: '2.53' });
    assert.equal(r.status, 204);
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-hypervisors')).body.hypervisors.map((x: { hypervisor_hostname: string }) => x.hypervisor_hostname), ['compute1']);
  });

  test('os-aggregates: always empty, admin only (openstack hypervisor show reads it)', async () => {
    assert.deepEqual((await h.call('admin', 'GET', '/v2.1/os-aggregates')).body, { aggregates: [] });
    assert.deepEqual((await h.call('demo', 'GET', '/v2.1/os-aggregates')).body, forbidden('os_compute_api:os-aggregates:index'));
  });

  test('a silent service goes down after service_down_time', async () => {
    await h.clock.advance(61_000);
    const r = await h.call('admin', 'GET', '/v2.1/os-services?binary=nova-scheduler');
    assert.equal(r.body.services[0].state, 'down');
    // A down host has no uptime to give: 400 on the uptime route, null in the 2.88 view.
    const hyp = (await h.call('admin', 'GET', '/v2.1/os-hypervisors')).body.hypervisors[0];
    assert.deepEqual((await h.call('admin', 'GET', `/v2.1/os-hypervisors/${hyp.id}/uptime`)).body, { badRequest: { code: 400, message: `Compute service of ${hyp.hypervisor_hostname} is unavailable at this time.` } });
    const v288 = (await h.call('admin', 'GET', '/v2.1/os-hypervisors/detail', { mv: '2.88' })).body.hypervisors[0];
    assert.equal(v288.state, 'down');
    assert.equal(v288.uptime, null);
    await h.services.heartbeat(ids['controller/nova-scheduler']!.id);
    assert.equal((await h.call('admin', 'GET', '/v2.1/os-services?binary=nova-scheduler')).body.services[0].state, 'up');
  });
});

describe('version discovery', { skip: SKIP }, () => {
  test('GET /v2.1 byte for byte as Zed answered it (transcript 02), no token needed', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v2.1', headers: { host: '127.0.0.1:8774' } });
    assert.equal(r.statusCode, 200);
    assert.equal(
      r.body,
      '{"version": {"id": "v2.1", "status": "CURRENT", "version": "2.93", "min_version": "2.1", "updated": "2013-07-23T11:33:21Z", "links": [{"rel": "self", "href": "http://127.0.0.1:8774/v2.1/"}, {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}], "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]}}',
    );
    assert.equal(r.headers['content-length'], '383');
    assert.equal(r.headers['openstack-api-version'], 'compute 2.1');
  });

  test('GET / lists both versions with 200; GET /v2 describes the legacy one', async () => {
    const root = await h.app.inject({ method: 'GET', url: '/', headers: { host: 'nova.test' } });
    assert.equal(root.statusCode, 200);
    assert.deepEqual(JSON.parse(root.body), {
      versions: [
        { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: 'http://nova.test/v2/' }] },
        { id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1', updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: 'http://nova.test/v2.1/' }] },
      ],
    });
    const v2 = await h.app.inject({ method: 'GET', url: '/v2', headers: { host: 'nova.test' } });
    assert.deepEqual(JSON.parse(v2.body).version.links, [
      { rel: 'self', href: 'http://nova.test/v2/' },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ]);
    assert.equal(JSON.parse(v2.body).version['media-types'][0].type, 'application/vnd.openstack.compute+json;version=2');
  });
});
