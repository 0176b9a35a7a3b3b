/**
 * ml2_vxlan_endpoints (neutron's VxlanEndpoints model): one row per VXLAN tunnel endpoint,
 * unique per host, and the statements type_tunnel's EndpointTunnelTypeDriver runs on it.
 * Portable SQL only.
 */
import type { Kysely, Migration } from 'kysely';
import type { TunnelEndpoint } from '../rpc/tunnel-wire.js';
import type { NeutronDB } from './schema.js';

/** p_const.VXLAN_UDP_PORT: an endpoint's port when the agent names none. */
export const VXLAN_UDP_PORT = 4789;

export interface TunnelEndpointTables {
  ml2_vxlan_endpoints: { ip_address: string; udp_port: number; host: string | null };
}

/** '011': after the snapshots table. */
export const tunnelEndpointMigrations: Record<string, Migration> = {
  '011_ml2_vxlan_endpoints': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ml2_vxlan_endpoints')
        .addColumn('ip_address', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('udp_port', 'integer', (c) => c.notNull())
        .addColumn('host', 'varchar(255)')
        .addUniqueConstraint('unique_ml2_vxlan_endpoints0host', ['host'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('ml2_vxlan_endpoints').execute();
    },
  },
};

type Db = Kysely<NeutronDB>;

/** get_endpoints: every endpoint, by address. */
export function selectVxlanEndpoints(db: Db): Promise<TunnelEndpoint[]> {
  return db.selectFrom('ml2_vxlan_endpoints').select(['ip_address', 'udp_port', 'host']).orderBy('ip_address').execute();
}

/** get_endpoint_by_host. */
export function selectVxlanEndpointByHost(db: Db, host: string): Promise<TunnelEndpoint | undefined> {
  return db.selectFrom('ml2_vxlan_endpoints').select(['ip_address', 'udp_port', 'host']).where('host', '=', host).executeTakeFirst();
}

/** get_endpoint_by_ip. */
export function selectVxlanEndpointByIp(db: Db, ip: string): Promise<TunnelEndpoint | undefined> {
  return db.selectFrom('ml2_vxlan_endpoints').select(['ip_address', 'udp_port', 'host']).where('ip_address', '=', ip).executeTakeFirst();
}

/** delete_endpoint. */
export async function deleteVxlanEndpoint(db: Db, ip: string): Promise<void> {
  await db.deleteFrom('ml2_vxlan_endpoints').where('ip_address', '=', ip).execute();
}

/** delete_endpoint_by_host_or_ip. */
export async function deleteVxlanEndpointByHostOrIp(db: Db, host: string, ip: string): Promise<void> {
  await db.deleteFrom('ml2_vxlan_endpoints').where((eb) => eb.or([eb('host', '=', host), eb('ip_address', '=', ip)])).execute();
}

/** _add_endpoint: the row for the address, inserted when missing (an existing row is kept as it is). */
export async function addVxlanEndpoint(db: Db, ip: string, host: string | null, udpPort = VXLAN_UDP_PORT): Promise<TunnelEndpoint> {
  const found = await selectVxlanEndpointByIp(db, ip);
  if (found) return found;
  const row = { ip_address: ip, udp_port: udpPort, host };
  await db.insertInto('ml2_vxlan_endpoints').values(row).execute();
  return row;
}
