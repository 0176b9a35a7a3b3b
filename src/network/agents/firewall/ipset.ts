/**
 * neutron's IpsetManager (agent/linux/ipset_manager.py): one `hash:net` set per remote
 * security group and ethertype, named NIPv4/NIPv6 + the group id cut to 29 characters, so
 * a remote-group rule is one `-m set --match-set` instead of a rule per member. A new set
 * is created and filled through a swap set (`ipset restore` into NAME-n, `ipset swap`,
 * `ipset destroy`); small changes are `ipset add` / `ipset del` (fewer than
 * IPSET_ADD_BULK_THRESHOLD = 5), bigger ones swap again.
 */
import { CommandFailed, type HostNetwork } from '../../../hostnet/host-network.js';

const NET_PREFIX = 'N';
const SWAP_SUFFIX = '-n';
/** IPSET_NAME_MAX_LENGTH: 31 less the swap suffix. */
const IPSET_NAME_MAX_LENGTH = 31 - SWAP_SUFFIX.length;
const IPSET_ADD_BULK_THRESHOLD = 5;

export type Ethertype = 'IPv4' | 'IPv6';

/** IpsetManager.get_name. */
export function ipsetName(id: string, ethertype: Ethertype): string {
  return (NET_PREFIX + ethertype + id).slice(0, IPSET_NAME_MAX_LENGTH);
}

/** ip_to_cidr: an address as a CIDR (/32 or /128 when it has no prefix). */
export function toCidr(ip: string): string {
  if (ip.includes('/')) return ip;
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

export class IpsetManager {
  /** Set name → its members as this manager made them. */
  readonly sets = new Map<string, string[]>();

  constructor(private readonly net: HostNetwork) {}

  has(name: string): boolean {
    return this.sets.has(name);
  }

  /** set_members: makes the set hold exactly `members` (addresses or CIDRs). */
  async setMembers(id: string, ethertype: Ethertype, members: readonly string[]): Promise<void> {
    const want = [...new Set(members.map(toCidr))];
    const name = ipsetName(id, ethertype);
    const have = this.sets.get(name);
    if (!have) {
      await this.#run(['ipset', 'create', '-exist', name, 'hash:net', 'family', family(ethertype)]);
      this.sets.set(name, []);
      await this.#refresh(name, want, ethertype);
      return;
    }
    const add = want.filter((ip) => !have.includes(ip));
    const del = have.filter((ip) => !want.includes(ip));
    if (!add.length && !del.length) return;
    if (add.length + del.length < IPSET_ADD_BULK_THRESHOLD) {
      for (const ip of add) {
        await this.#run(['ipset', 'add', '-exist', name, ip]);
        have.push(ip);
      }
      for (const ip of del) {
        await this.#run(['ipset', 'del', name, ip], false);
        have.splice(have.indexOf(ip), 1);
      }
    } else await this.#refresh(name, want, ethertype);
  }

  /** destroy: the set of a group nothing refers to any more. */
  async destroy(id: string, ethertype: Ethertype): Promise<void> {
    const name = ipsetName(id, ethertype);
    if (!this.sets.has(name)) return;
    await this.#run(['ipset', 'destroy', name], false);
    this.sets.delete(name);
  }

  async #refresh(name: string, members: string[], ethertype: Ethertype): Promise<void> {
    const tmp = name + SWAP_SUFFIX;
    const input = [`create ${tmp} hash:net family ${family(ethertype)}`, ...members.map((ip) => `add ${tmp} ${ip}`)].join('\n');
    await this.net.execute(['ipset', 'restore', '-exist'], { input });
    await this.#run(['ipset', 'swap', tmp, name]);
    await this.#run(['ipset', 'destroy', tmp], false);
    this.sets.set(name, [...members]);
  }

  /** Runs an ipset command; `check` false: a failure is ignored (check_exit_code=False). */
  async #run(argv: string[], check = true): Promise<void> {
    try {
      await this.net.execute(argv);
    } catch (e) {
      if (check || !(e instanceof CommandFailed)) throw e;
    }
  }
}

const family = (ethertype: Ethertype) => (ethertype === 'IPv6' ? 'inet6' : 'inet');
