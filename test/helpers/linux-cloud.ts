/**
 * An embedded test cloud on this machine's real devices: one linux host ([DEFAULT]
 * host_driver = linux, hosts linux1) over a private Open vSwitch (startOvsSandbox, which
 * holds the machine-wide sandbox lock), with the request wrappers and the
 * network/boot steps the real-host tests share.
 */
import assert from 'node:assert/strict';
import type { Config, DeepPartial } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { type TestCloud, startTestCloud } from './cloud.js';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { pingBecomes, pings } from './guests.js';
import { assertStatus } from './neutron.js';
import { type OvsSandbox, startOvsSandbox } from './ovs.js';
import { waitFor } from './wait.js';

type Api = (method: string, path: string, body?: unknown) => ReturnType<TestCloud['api']>;

export interface LinuxCloudOptions {
  /** Merged section by section over the linux host's defaults. */
  overrides?: DeepPartial<Config>;
  /** Which user the neutron() wrapper acts as (binding:* attributes are admin-only). */
  neutronUser?: 'admin' | 'demo';
  /** The logger's level when DEBUG_LINUX_HOST is set. */
  debugLevel?: 'warn' | 'debug';
  /** Run once the sandbox (and its lock) is held, before the cloud starts. */
  afterOvs?: (ovs: OvsSandbox) => void | Promise<void>;
}

export interface BootedServer {
  id: string;
  /** The server's (first) neutron port. */
  port: any;
  /** That port's first fixed IP. */
  ip: string;
}

export interface LinuxCloud {
  cloud: TestCloud;
  ovs: OvsSandbox;
  /** Compute API (demo, microversion 2.92). */
  nova: Api;
  /** Networking API as options.neutronUser (admin unless told). */
  neutron: Api;
  /** The first image's id. */
  imageId(): Promise<string>;
  /** A network (as demo) with an IPv4 subnet; its id. */
  network(name: string, cidr: string): Promise<string>;
  /** Waits for ACTIVE; throws with the fault when the server goes to ERROR. */
  waitActive(id: string, what?: string, ms?: number): Promise<any>;
  /** Boots on a network (uuid) or a port, waits for ACTIVE, finds its port and fixed IP. */
  boot(name: string, nic: { netId: string } | { portId: string }, opts?: { what?: string; ms?: number }): Promise<BootedServer>;
  /** Deletes the servers (204 each) and waits until each is gone (404). */
  deleteServers(ids: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startLinuxCloud(options: LinuxCloudOptions = {}): Promise<LinuxCloud> {
  const o = options.overrides ?? {};
  const ovs = await startOvsSandbox();
  let cloud: TestCloud;
  try {
    await options.afterOvs?.(ovs);
    cloud = await startTestCloud(
      {
        ...o,
        DEFAULT: { host_driver: 'linux', hosts: ['linux1'], ...o.DEFAULT },
        linux_host: { ovsdb_socket: ovs.db, ...o.linux_host },
        agent: { polling_interval: 0, datapath_type: 'netdev', ...o.agent },
        network: { send_events_interval: 0, ...o.network },
      } as DeepPartial<Config>,
      undefined,
      process.env['DEBUG_LINUX_HOST'] ? createLogger(options.debugLevel ?? 'warn') : undefined,
    );
  } catch (e) {
    await ovs.stop();
    throw e;
  }
  const c = cloud;
  const nova: Api = (method, path, body) => c.api('demo', method, `${c.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron: Api = (method, path, body) => c.api(options.neutronUser ?? 'admin', method, `${c.urls.network}/v2.0${path}`, body);
  const waitActive = (id: string, what = `server ${id} ACTIVE`, ms?: number) =>
    waitFor(what, async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      if (s?.status === 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : undefined;
    }, ms);
  const imageId = async () => (await c.api('demo', 'GET', `${c.urls.image}/v2/images`)).body.images[0].id as string;
  return {
    cloud: c,
    ovs,
    nova,
    neutron,
    imageId,
    async network(name, cidr) {
      const netId = assertStatus(await c.api('demo', 'POST', `${c.urls.network}/v2.0/networks`, { network: { name } }), 201).network.id as string;
      assertStatus(await c.api('demo', 'POST', `${c.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr, ip_version: 4 } }), 201);
      return netId;
    },
    waitActive,
    async boot(name, nic, opts = {}) {
      const imageRef = await imageId();
      const networks = 'portId' in nic ? [{ port: nic.portId }] : [{ uuid: nic.netId }];
      const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef, networks } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const id = r.body.server.id as string;
      await waitActive(id, opts.what, opts.ms);
      const port = (await c.api('admin', 'GET', `${c.urls.network}/v2.0/ports?device_id=${id}`)).body.ports[0];
      return { id, port, ip: port.fixed_ips[0].ip_address as string };
    },
    async deleteServers(ids) {
      for (const id of ids) assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
      for (const id of ids) await waitFor('server gone', async () => ((await nova('GET', `/servers/${id}`)).status === 404 ? true : undefined));
    },
    async stop() {
      await c.stop();
      await ovs.stop();
    },
  };
}

/**
 * Two servers' guests on one network, in security group `sgId` with no ICMP rule: a ping
 * is dropped; an ICMP ingress rule lets it through both ways within one agent loop,
 * deleting it drops it again, adding it back lets it through.
 */
export async function assertIcmpRuleGovernsPing(neutron: Api, sgId: string, a: { id: string; ip: string }, b: { id: string; ip: string }): Promise<void> {
  assert.equal(await pings(guestNamespace(a.id), b.ip), false);
  const icmp = assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }), 201).security_group_rule;
  // polling_interval 0: the notification's iteration runs at once; 5 s is far more than one loop.
  await pingBecomes(a.id, b.ip, true, 5000);
  assert.equal(await pings(guestNamespace(b.id), a.ip), true);

  assertStatus(await neutron('DELETE', `/security-group-rules/${icmp.id}`), 204);
  await pingBecomes(a.id, b.ip, false, 5000);
  assert.equal(await pings(guestNamespace(b.id), a.ip), false);

  assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }), 201);
  await pingBecomes(a.id, b.ip, true, 5000);
}
