/**
 * A private Open vSwitch for tests of the linux host driver (scripts/ovs-sandbox.sh:
 * its own ovsdb-server and ovs-vswitchd in a run directory under /tmp, netdev
 * datapath), and the cleanup of what a test made: bridges, daemons, links, namespaces.
 *
 * linuxHostSkipReason() says why such a test cannot run here (not root, OVS not
 * installed) so it can skip with that reason printed; under CI=true a root machine
 * whose OVS cannot be started is a failure, never a skip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { removeNeutronIptables } from './iptables.js';

const exec = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/ovs-sandbox.sh');

/** Whether `tool` is on PATH. */
export const hasTool = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Why the linux host tests cannot run here, or null when they can. */
export function linuxHostSkipReason(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: the linux host driver creates devices and namespaces';
  // iptables-save/-restore and ipset: the OVS agent's iptables_hybrid firewall (the default firewall_driver).
  const missing = ['ip', 'ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'brctl', 'iptables-save', 'iptables-restore', 'ipset'].filter((t) => !hasTool(t));
  if (missing.length) {
    const why = `missing ${missing.join(', ')} (apt-get install openvswitch-switch bridge-utils iptables ipset)`;
    if (process.env['CI'] === 'true') throw new Error(`CI runs as root and needs Open vSwitch: ${why}`);
    return why;
  }
  return null;
}

/** linuxHostSkipReason(), or the DHCP tools (dnsmasq, dhclient) missing: under CI=true that fails. */
export function linuxHostDhcpSkipReason(): string | null {
  const skip = linuxHostSkipReason();
  const missing = ['dnsmasq', 'dhclient'].filter((t) => !hasTool(t));
  if (skip || !missing.length) return skip;
  const why = `missing ${missing.join(', ')} (apt-get install dnsmasq-base isc-dhcp-client)`;
  if (process.env['CI'] === 'true') throw new Error(`CI runs as root and needs the DHCP tools: ${why}`);
  return why;
}

export interface OvsSandbox {
  /** ovs-vsctl's --db value (unix:DIR/db.sock). */
  db: string;
  dir: string;
  /** Deletes the bridges, kills both daemons, removes the directory. */
  stop(): Promise<void>;
}

const LOCK = '/tmp/nimbus-ovs-sandbox.lock';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * One sandbox at a time on the machine: with the netdev datapath each bridge's local
 * port is a tap device of the root namespace, so two sandboxes' br-int would collide.
 * Tests on namespaced hosts (host-netns.ts) hold it too: their guests' namespaces and
 * agents' namespaces have global names, which other tests' leak checks would count.
 * Test files run in parallel (and again against the bundle): they queue here. A lock
 * whose holder died is taken over.
 */
export async function lockSandbox(): Promise<() => void> {
  const end = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = 0;
    try {
      pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      /* its holder is between mkdir and writing its pid */
    }
    if (pid && !alive(pid)) {
      // Its holder died with its sandbox running: stop that one first (its bridges would collide).
      let dir = '';
      try {
        dir = readFileSync(join(LOCK, 'dir'), 'utf8');
      } catch {
        /* it died before starting one */
      }
      if (dir) await exec('bash', [SCRIPT, 'stop', dir]).catch(() => undefined);
      rmSync(LOCK, { recursive: true, force: true });
    }
    else if (Date.now() > end) throw new Error(`another Open vSwitch sandbox (pid ${pid}) held ${LOCK} for 10 minutes`);
    else await sleep(100);
  }
}

/** Starts a private OVS (waiting for any other to stop); throws with the script's stderr when it cannot. */
export async function startOvsSandbox(): Promise<OvsSandbox> {
  const unlock = await lockSandbox();
  const dir = mkdtempSync(join('/tmp', 'nimbus-ovs-'));
  writeFileSync(join(LOCK, 'dir'), dir);
  // The agent's firewall chains and ipsets (root namespace) go with the sandbox: Zed's agent leaves them for its next start.
  const stop = () =>
    exec('bash', [SCRIPT, 'stop', dir])
      .then(() => undefined)
      .finally(() => {
        try {
          removeNeutronIptables();
        } finally {
          unlock();
        }
      });
  try {
    const { stdout } = await exec('bash', [SCRIPT, 'start', dir]);
    const db = stdout.trim().split('\n').pop()!;
    return { db, dir, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw new Error(`could not start Open vSwitch in ${dir}: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
}

/** Deletes links and namespaces by name, ignoring the missing ones (a test's cleanup). */
export async function deleteHostDevices(links: readonly string[], namespaces: readonly string[] = []): Promise<void> {
  for (const l of links) await exec('ip', ['link', 'delete', l]).catch(() => undefined);
  for (const ns of namespaces) await exec('ip', ['netns', 'delete', ns]).catch(() => undefined);
}

/** Names of the links in the root namespace and of the network namespaces (leak checks). */
export async function hostLinkNames(): Promise<{ links: string[]; namespaces: string[] }> {
  const links = (JSON.parse((await exec('ip', ['-json', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname);
  const namespaces = (await exec('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
  return { links, namespaces };
}
