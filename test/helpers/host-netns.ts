/**
 * Several hypervisor hosts on this machine for the linux host tests
 * (scripts/host-netns.sh): an underlay namespace with a Linux bridge, and per host a
 * network namespace with its own ovsdb-server/ovs-vswitchd (run directory under /tmp,
 * netdev datapath) and an underlay address on its br-ul. Each host's bridges live in its
 * own namespace; the machine-wide sandbox lock (ovs.ts) is still held from start to
 * stop, because guests' and agents' namespaces have global names that the other real-host
 * tests' leak checks would see. Names carry the test process's pid (TAG-PID-HOST,
 * TAG-PID-ul; run directory /tmp/nimbus-host-TAG-PID-HOST), and what a dead process of
 * the same tag left is removed before starting.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { lockSandbox } from './ovs.js';

const exec = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/host-netns.sh');

export interface HostNamespace {
  host: string;
  /** The host's network namespace ([linux_host] netns / host_netns). */
  netns: string;
  /** Its ovsdb-server, as ovs-vsctl --db takes it (unix:DIR/db.sock). */
  db: string;
  dir: string;
  /** Its underlay (tunnel endpoint) address, without the prefix. */
  localIp: string;
}

export interface HostNamespaces {
  underlay: string;
  hosts: HostNamespace[];
  /** The [linux_host] settings that make an embedded cloud's hosts these ones. */
  linuxHostConfig(): { host_netns: string[]; host_ovsdb_sockets: string[]; host_local_ips: string[] };
  /** Stops every host's Open vSwitch, deletes every namespace and directory (missing ones are fine). */
  stop(): Promise<void>;
}

const script = (...args: string[]) => exec('bash', [SCRIPT, ...args]);

/** A host's run directory: named after its namespace, so a dead test's leftovers can be found. */
const rundir = (netns: string) => `/tmp/nimbus-host-${netns}`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes what a test process of this tag that died left behind (its OVS daemons, namespaces, directories). */
async function removeLeftovers(tag: string): Promise<void> {
  const names = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  const re = new RegExp(`^${tag.replace(/[^\w-]/g, '')}-(\\d+)-(.+)$`);
  for (const ns of names) {
    const m = re.exec(ns);
    if (!m || alive(Number(m[1])) || m[2] === 'ul') continue;
    await script('stop', ns, rundir(ns)).catch(() => undefined);
  }
  for (const ns of names) {
    const m = re.exec(ns);
    if (m && m[2] === 'ul' && !alive(Number(m[1]))) await script('underlay-stop', ns).catch(() => undefined);
  }
}

/**
 * Starts the underlay `TAG-PID-ul` (172.31.77.0/24) and one host namespace `TAG-PID-HOST`
 * per host, host i at 172.31.77.(i+1). On failure everything made so far is removed
 * and the error carries the script's stderr.
 */
export async function startHostNamespaces(tag: string, hosts: readonly string[]): Promise<HostNamespaces> {
  const unlock = await lockSandbox();
  await removeLeftovers(tag);
  const prefix = `${tag}-${process.pid}`;
  const underlay = `${prefix}-ul`;
  const made: HostNamespace[] = [];
  const stop = async () => {
    try {
      for (const h of made) await script('stop', h.netns, h.dir).catch(() => undefined);
      await script('underlay-stop', underlay).catch(() => undefined);
    } finally {
      unlock();
    }
  };
  try {
    await script('underlay-start', underlay);
    for (const [i, host] of hosts.entries()) {
      const netns = `${prefix}-${host}`;
      const dir = rundir(netns);
      rmSync(dir, { recursive: true, force: true });
      const localIp = `172.31.77.${i + 1}`;
      made.push({ host, netns, db: `unix:${dir}/db.sock`, dir, localIp });
      await script('start', netns, dir, underlay, `${localIp}/24`);
    }
  } catch (e) {
    await stop();
    throw new Error(`could not start the host namespaces: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  return {
    underlay,
    hosts: made,
    linuxHostConfig: () => ({
      host_netns: made.map((h) => `${h.host}:${h.netns}`),
      host_ovsdb_sockets: made.map((h) => `${h.host}:${h.db}`),
      host_local_ips: made.map((h) => `${h.host}:${h.localIp}`),
    }),
    stop,
  };
}

/** The names of the links of a namespace (leak checks). */
export async function namespaceLinkNames(netns: string): Promise<string[]> {
  return (JSON.parse((await exec('ip', ['-n', netns, '-json', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname);
}
