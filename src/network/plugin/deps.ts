/** What every part of the core plugin is built with. */
import type { Kysely } from 'kysely';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { NeutronDB } from '../db/schema.js';
import type { Ml2 } from '../ml2/index.js';

export interface PluginDeps {
  db: Kysely<NeutronDB>;
  cfg: Config;
  clock: Clock;
  random: Random;
  log: Logger;
  ml2: Ml2;
}

/** neutron's timestamp format for standard attributes. */
export { isoSeconds as nowIso } from '../../common/clock.js';

/** Device owners neutron treats as its own (network:dhcp, network:router_interface...). */
export const isNetworkOwned = (deviceOwner: string) => deviceOwner.startsWith('network:');

export const ROUTER_INTERFACE_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'];

/**
 * neutron's AUTO_DELETE_PORT_OWNERS: ports that hold neither a network nor a subnet; they
 * are deleted with the network and lose their addresses with the subnet.
 */
export const AUTO_DELETE_PORT_OWNERS = ['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway'];
