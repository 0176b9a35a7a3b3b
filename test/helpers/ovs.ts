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
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../scripts/ovs-sandbox.sh');

const has = (tool: string): boolean => {
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
  const missing = ['ip', 'ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovsdb-client', 'brctl'].filter((t) => !has(t));
  if (missing.length) {
    const why = `missing ${missing.join(', ')} (apt-get install openvswitch-switch bridge-utils)`;
    if (process.env['CI'] === 'true') throw new Error(`CI runs as root and needs Open vSwitch: ${why}`);
    return why;
  }
  return null;
}

export interface OvsSandbox {
  /** ovs-vsctl's --db value (unix:DIR/db.sock). */
  db: string;
  dir: string;
  /** Deletes the bridges, kills both daemons, removes the directory. */
  stop(): Promise<void>;
}

/** Starts a private OVS; throws with the script's stderr when it cannot. */
export async function startOvsSandbox(): Promise<OvsSandbox> {
  const dir = mkdtempSync(join('/tmp', 'nimbus-ovs-'));
  try {
    const { stdout } = await exec('bash', [SCRIPT, 'start', dir]);
    const db = stdout.trim().split('\n').pop()!;
    return { db, dir, stop: () => exec('bash', [SCRIPT, 'stop', dir]).then(() => undefined) };
  } catch (e) {
    await exec('bash', [SCRIPT, 'stop', dir]).catch(() => undefined);
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
