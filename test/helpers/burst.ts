/**
 * A burst of server boots against a `nimbus up` child process (test/helpers/nimbus-process.ts)
 * or a multi-process deployment (test/helpers/deployment.ts),
 * and the end conditions a failure in the middle of it must leave: nothing in BUILD, a
 * fault on every ERROR, the ports of every ACTIVE server ACTIVE and bound to its host,
 * nothing nova made left without a server, no IP without a port. Used by the tests that
 * break a server under the cloud (restart-broker-db.test.ts).
 */
import assert from 'node:assert/strict';
import type { NimbusUrls } from './nimbus-process.js';
import { waitFor } from './wait.js';

export interface Api {
  nova(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  neutron(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  glance(method: string, path: string): Promise<{ status: number; body: any }>;
}

/** Where the APIs answer: a `nimbus up` process or a deployment's balancers. */
export interface Endpoints {
  urls: Pick<NimbusUrls, 'identity' | 'compute' | 'network' | 'image'>;
}

/** A token for a bootstrapped user (password = its name). */
export async function token(p: Endpoints, user: 'admin' | 'demo'): Promise<string> {
  const r = await fetch(`${p.urls.identity}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password: user } } },
        scope: { project: { name: user, domain: { name: 'Default' } } },
      },
    }),
  });
  assert.equal(r.status, 201, await r.text());
  return r.headers.get('x-subject-token')!;
}

/** REST calls as `user` (nova at microversion 2.92). */
export async function client(p: Endpoints, user: 'admin' | 'demo'): Promise<Api> {
  const t = await token(p, user);
  const call = async (url: string, method: string, body: unknown, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'x-auth-token': t, accept: 'application/json', ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: r.status, body: parsed };
  };
  return {
    nova: (method, path, body) => call(`${p.urls.compute}/v2.1${path}`, method, body, { 'openstack-api-version': 'compute 2.92' }),
    neutron: (method, path, body) => call(`${p.urls.network}/v2.0${path}`, method, body),
    glance: (method, path) => call(`${p.urls.image}/v2${path}`, method, undefined),
  };
}

export const listServers = async (admin: Api): Promise<any[]> => {
  const r = await admin.nova('GET', '/servers/detail?all_tenants=1');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.servers;
};
export const count = (list: { status: string }[], status: string) => list.filter((s) => s.status === status).length;

/** What a burst left: figures to print, then assert. */
export interface Leftovers {
  servers: any[];
  /** Servers still BUILD when the bounded wait ended. */
  build: any[];
  active: any[];
  errored: any[];
  /** ERROR servers without a fault. */
  errorsWithoutFault: any[];
  /** ACTIVE servers whose ports are not all ACTIVE and bound to the server's host (after the bounded wait). */
  activeUnwired: string[];
  /** Ports nova made (device_owner compute:*) whose server is gone or in ERROR. */
  novaPortsWithoutServer: string[];
  /** used_ips of the network minus the fixed IPs of its ports. */
  ipsWithoutPort: number;
  /** Seconds from `since` until no server was BUILD (undefined: never in the bounded wait). */
  settledAfterSec?: number;
  /** Seconds from `since` until the ACTIVE servers' ports were all ACTIVE and bound. */
  wiredAfterSec?: number;
}

/** Waits (bounded) for the burst to settle, then gathers what it left on `netId`. */
export async function leftovers(admin: Api, netId: string, since: number, settleMs: number): Promise<Leftovers> {
  const settled = await waitFor(
    'no server in BUILD',
    async () => {
      const l = await listServers(admin).catch(() => undefined);
      return l && l.every((s) => s.status !== 'BUILD') ? Date.now() : undefined;
    },
    settleMs,
    250,
  ).catch(() => undefined);
  const portsOf = async (id: string) => (await admin.neutron('GET', `/ports?device_id=${id}`)).body.ports as any[];
  const unwired = async () => {
    const bad: string[] = [];
    for (const s of (await listServers(admin)).filter((x) => x.status === 'ACTIVE')) {
      const ports = await portsOf(s.id);
      if (ports.length === 0 || ports.some((p) => p.status !== 'ACTIVE' || p['binding:host_id'] !== s['OS-EXT-SRV-ATTR:host'])) bad.push(s.id);
    }
    return bad;
  };
  const wired = settled
    ? await waitFor('the ports of ACTIVE servers ACTIVE and bound', async () => ((await unwired()).length === 0 ? Date.now() : undefined), 60_000, 250).catch(() => undefined)
    : undefined;
  const servers = await listServers(admin);
  const live = new Set(servers.filter((s) => s.status !== 'ERROR').map((s) => s.id));
  const ports = (await admin.neutron('GET', '/ports')).body.ports as any[];
  const ipsUsed = (await admin.neutron('GET', `/network-ip-availabilities/${netId}`)).body.network_ip_availability.used_ips as number;
  const fixedIps = ports.filter((p) => p.network_id === netId).reduce((n, p) => n + p.fixed_ips.length, 0);
  const errored = servers.filter((s) => s.status === 'ERROR');
  return {
    servers,
    build: servers.filter((s) => s.status === 'BUILD'),
    active: servers.filter((s) => s.status === 'ACTIVE'),
    errored,
    errorsWithoutFault: errored.filter((s) => !s.fault?.message),
    activeUnwired: await unwired(),
    novaPortsWithoutServer: ports.filter((p) => String(p.device_owner).startsWith('compute:') && !live.has(p.device_id)).map((p) => `${p.id} → ${p.device_id}`),
    ipsWithoutPort: ipsUsed - fixedIps,
    settledAfterSec: settled === undefined ? undefined : (settled - since) / 1000,
    wiredAfterSec: wired === undefined ? undefined : (wired - since) / 1000,
  };
}

/** One line of figures for t.diagnostic. */
export function describeLeftovers(l: Leftovers): string {
  const faults = new Map<string, number>();
  for (const s of l.errored) faults.set(s.fault?.message ?? '(no fault)', (faults.get(s.fault?.message ?? '(no fault)') ?? 0) + 1);
  return (
    `${l.servers.length} servers: ACTIVE ${l.active.length}, ERROR ${l.errored.length}, BUILD ${l.build.length} ` +
    `[${l.build.map((s) => `${s['OS-EXT-STS:task_state'] ?? 'none'}${s['OS-EXT-SRV-ATTR:host'] ? '' : ' (no host)'}`).join(', ')}]; ` +
    `faults: ${[...faults].map(([m, n]) => `${n}× ${m.slice(0, 120)}`).join(' | ') || 'none'}; ` +
    `settled after ${l.settledAfterSec ?? '∞'} s, wired after ${l.wiredAfterSec ?? '∞'} s; ` +
    `ACTIVE unwired ${l.activeUnwired.length}, nova ports without a server ${l.novaPortsWithoutServer.length}, IPs without a port ${l.ipsWithoutPort}`
  );
}

/** The end conditions every broken burst must meet. */
export function assertClean(l: Leftovers): void {
  assert.deepEqual(l.build.map((s) => `${s.id} ${s['OS-EXT-STS:task_state']}`), [], 'servers still in BUILD');
  assert.deepEqual(l.errorsWithoutFault.map((s) => s.id), [], 'ERROR servers without a fault');
  assert.deepEqual(l.activeUnwired, [], 'ACTIVE servers whose ports are not ACTIVE and bound to their host');
  assert.deepEqual(l.novaPortsWithoutServer, [], 'ports nova made that no live server holds');
  assert.equal(l.ipsWithoutPort, 0, 'IP allocations without a port');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts `boots` servers on `netId` as `user`, `gapMs` apart, named `<tag>-<i>`; resolves at
 * once with the promise of every answer's status (0 for a request that failed to connect).
 */
export function postBurst(user: Api, tag: string, netId: string, imageId: string, boots: number, gapMs: number): Promise<number[]> {
  return (async () => {
    const posted: Promise<number>[] = [];
    for (let i = 0; i < boots; i++) {
      posted.push(user.nova('POST', '/servers', { server: { name: `${tag}-${i}`, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } }).then((r) => r.status, () => 0));
      await sleep(gapMs);
    }
    return Promise.all(posted);
  })();
}

/** Resolves once `atLeast` servers are BUILD (or after `maxMs`), with the list seen then. */
export async function whenBuilding(admin: Api, atLeast: number, maxMs = 5_000): Promise<any[]> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const l = await listServers(admin).catch(() => []);
    if (count(l, 'BUILD') >= atLeast || Date.now() > deadline) return l;
    await sleep(50);
  }
}

/** Deletes every server and waits until none is listed. */
export async function deleteAllServers(admin: Api, timeoutMs = 120_000): Promise<void> {
  for (const s of await listServers(admin)) await admin.nova('DELETE', `/servers/${s.id}`);
  await waitFor('every server deleted', async () => ((await listServers(admin)).length === 0 ? true : undefined), timeoutMs, 500);
}
