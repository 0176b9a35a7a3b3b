/**
 * The L3 agent's client of neutron-server's q-l3-plugin endpoint (neutron/agent/l3/agent.py
 * L3PluginApi): the one place choosing call vs cast and the topic. All are calls.
 */
import type { Bus } from '../../bus/bus.js';
import { type RpcClient, rpcClient } from '../../bus/contract.js';
import type { SyncRouter } from '../rpc/l3-wire.js';
import { type L3PluginTopic, L3PluginTopicDef } from '../rpc/topics.js';

export class L3PluginApi {
  readonly #rpc: RpcClient<L3PluginTopic>;
  constructor(
    bus: Bus,
    private readonly host: string,
  ) {
    this.#rpc = rpcClient(bus, L3PluginTopicDef);
  }

  getRouterIds(): Promise<string[]> {
    return this.#rpc.call('get_router_ids', { host: this.host });
  }

  getRouters(routerIds: string[] | null): Promise<SyncRouter[]> {
    return this.#rpc.call('sync_routers', { host: this.host, router_ids: routerIds });
  }

  getExternalNetworkId(): Promise<string | null> {
    return this.#rpc.call('get_external_network_id', { host: this.host });
  }

  async updateFloatingIpStatuses(routerId: string, statuses: Record<string, string>): Promise<void> {
    await this.#rpc.call('update_floatingip_statuses', { router_id: routerId, fip_statuses: statuses });
  }
}
