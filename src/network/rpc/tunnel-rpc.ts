/**
 * neutron-server's side of the tunnel RPC (type_tunnel.py TunnelRpcCallbackMixin with
 * TunnelAgentRpcApiMixin, stable/zed), for the vxlan type driver: tunnel_sync records the
 * agent's endpoint in ml2_vxlan_endpoints, tells every agent with a tunnel_update fanout,
 * and answers with every endpoint; an endpoint replaced by its host's new address is
 * announced with tunnel_delete first. Errors are InvalidInput with ML2's messages.
 */
import type { Kysely } from 'kysely';
import type { Bus } from '../../bus/bus.js';
import { rpcClient } from '../../bus/contract.js';
import type { Logger } from '../../common/log.js';
import type { NeutronDB } from '../db/schema.js';
import {
  addVxlanEndpoint,
  deleteVxlanEndpoint,
  deleteVxlanEndpointByHostOrIp,
  selectVxlanEndpointByHost,
  selectVxlanEndpointByIp,
  selectVxlanEndpoints,
} from '../db/tunnel-endpoints.js';
import { InvalidInput } from '../errors.js';
import { AgentTunnelDeleteTopicDef, AgentTunnelUpdateTopicDef } from './topics.js';
import type { TunnelSyncArgs, TunnelSyncReply } from './tunnel-wire.js';

export interface TunnelRpcDeps {
  db: Kysely<NeutronDB>;
  bus: Bus;
  log: Logger;
  /** [ml2] type_drivers: tunnel_sync of a type not loaded is refused. */
  typeDrivers: readonly string[];
  /** [ml2] overlay_ip_version (4). */
  overlayIpVersion?: number;
}

const isIpv4 = (ip: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) && ip.split('.').every((p) => Number(p) <= 255);

export class TunnelRpcCallback {
  constructor(private readonly d: TunnelRpcDeps) {}

  /** tunnel_sync: register the endpoint (moving an address or a host as ML2 does), notify, reply with all endpoints. */
  async tunnelSync(args: TunnelSyncArgs): Promise<TunnelSyncReply> {
    const { tunnel_ip: ip, tunnel_type: type, host } = args;
    if (!ip) throw new InvalidInput('Tunnel IP value needed by the ML2 plugin');
    const version = isIpv4(ip) ? 4 : ip.includes(':') ? 6 : 0;
    if (version !== (this.d.overlayIpVersion ?? 4)) {
      throw new InvalidInput(`Tunnel IP version does not match ML2 overlay_ip_version: ${this.d.overlayIpVersion ?? 4}, host: ${host ?? 'None'}, tunnel_ip: ${ip}`);
    }
    if (!type) throw new InvalidInput('Network type value needed by the ML2 plugin');
    if (type !== 'vxlan' || !this.d.typeDrivers.includes(type)) {
      throw new InvalidInput(`Network type value ${type} not supported, host: ${host || 'legacy mode (no host provided by agent)'} with tunnel IP: ${ip}`);
    }
    let stale: string | null = null;
    const { endpoint, tunnels } = await this.d.db.transaction().execute(async (tx) => {
      if (host) {
        const byHost = await selectVxlanEndpointByHost(tx, host);
        const byIp = await selectVxlanEndpointByIp(tx, ip);
        if (byIp && byIp.host === null && !byHost) {
          await deleteVxlanEndpoint(tx, byIp.ip_address);
        } else if (byIp && byIp.host !== host) {
          this.d.log.info({ ip, host: byIp.host, new_host: host }, `Tunnel IP ${ip} was used by host ${byIp.host} and will be assigned to ${host}`);
          await deleteVxlanEndpointByHostOrIp(tx, host, byIp.ip_address);
        } else if (byHost && byHost.ip_address !== ip) {
          stale = byHost.ip_address;
          await deleteVxlanEndpoint(tx, byHost.ip_address);
        }
      }
      const endpoint = await addVxlanEndpoint(tx, ip, host ?? null);
      return { endpoint, tunnels: await selectVxlanEndpoints(tx) };
    });
    if (stale !== null) this.#cast('delete', stale, type);
    this.#cast('update', endpoint.ip_address, type);
    return { tunnels };
  }

  #cast(kind: 'update' | 'delete', ip: string, type: string): void {
    const args = { tunnel_ip: ip, tunnel_type: type };
    const p =
      kind === 'update'
        ? rpcClient(this.d.bus, AgentTunnelUpdateTopicDef, { fanout: true }).cast('tunnel_update', args)
        : rpcClient(this.d.bus, AgentTunnelDeleteTopicDef, { fanout: true }).cast('tunnel_delete', args);
    p.catch((e: unknown) => this.d.log.error({ err: e }, `tunnel_${kind} cast failed`));
  }
}
