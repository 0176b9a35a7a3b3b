/**
 * What a guest OS does inside a linux host's guest (a network namespace, see
 * src/compute/virt/vif.ts guestNamespace): take its address as cloud-init would from the
 * config drive, and ping. For the real-traffic tests.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { waitFor } from './wait.js';

const exec = promisify(execFile);

/** Gives the guest's eth0 its fixed IP (ADDRESS/PREFIX) and, when given, a default route. */
export async function configureGuestAddress(instanceUuid: string, cidr: string, gateway?: string): Promise<void> {
  const ns = guestNamespace(instanceUuid);
  await exec('ip', ['-n', ns, 'addr', 'replace', cidr, 'dev', 'eth0']);
  await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  if (gateway) await exec('ip', ['-n', ns, 'route', 'replace', 'default', 'via', gateway]);
}

/** Whether one ICMP echo from the namespace gets an answer within `waitSeconds`. */
export async function pings(namespace: string, ip: string, waitSeconds = 1): Promise<boolean> {
  try {
    await exec('ip', ['netns', 'exec', namespace, 'ping', '-c', '1', '-W', String(waitSeconds), ip]);
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to `ms`) until a ping from server `from`'s guest to `ip` is answered (want) or dropped (!want). */
export function pingBecomes(from: string, ip: string, want: boolean, ms: number): Promise<true> {
  return waitFor(`ping ${ip} ${want ? 'answered' : 'dropped'}`, async () => ((await pings(guestNamespace(from), ip)) === want ? true : undefined), ms, 50);
}
