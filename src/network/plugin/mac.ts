/**
 * MAC addresses for ports: neutron keeps the first three octets of base_mac
 * (fa:16:3e by default) and randomises the rest (any octet of base_mac that is not
 * 00 is kept, as neutron_lib.utils.net.random_mac_generator does).
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
