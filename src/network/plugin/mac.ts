/**
 * MAC addresses for ports: the first three octets of base_mac (fa:16:3e by default)
 * are kept and the rest randomised. neutron_lib.utils.net.random_mac_generator also
 * keeps the fourth octet when it is not 00; Nimbus keeps every non-00 octet from the
 * fourth on, a superset that lets a test fix the whole MAC and force collisions.
 */
import type { Random } from '../../common/clock.js';

/** One random MAC from base_mac's template. */
export function randomMac(baseMac: string, random: Random): string {
  const base = baseMac.split(':');
  const rnd = random.bytes(6);
  return base
    .map((octet, i) => (i < 3 || octet !== '00' ? octet.toLowerCase() : rnd[i]!.toString(16).padStart(2, '0')))
    .join(':');
}

/**
 * Generates MACs until `isFree` accepts one, at most `retries` tries; returns null when
 * every try collided (the caller raises neutron's MAC generation failure).
 */
export async function generateUniqueMac(
  baseMac: string,
  random: Random,
  retries: number,
  isFree: (mac: string) => Promise<boolean>,
): Promise<string | null> {
  for (let i = 0; i < Math.max(1, retries); i++) {
    const mac = randomMac(baseMac, random);
    if (await isFree(mac)) return mac;
  }
  return null;
}
