/**
 * neutron-server → L2 agents (ML2's AgentNotifierApi): fanout casts telling every agent
 * that a port changed or is gone; the agent with the port on its br-int re-processes it
 * (admin_state_up off → dead VLAN and DOWN) or puts it on the dead VLAN.
 *
 * When, as ML2's update_port decides: after an API update that changed admin_state_up,
 * status, the MAC, port security, allowed address pairs, security groups, extra DHCP
 * options or the binding (and fixed IPs of a port in security groups), and only while the
 * port has a bound segment; port_delete after every delete.
 *
 * binding-extended's activate (RPC 1.5): binding_deactivate(port_id, host, network_id)
 * to the host whose binding became INACTIVE, then binding_activate(port_id, host) to the
 * host whose binding became ACTIVE; each agent acts only on its own host's message.
 */
import type { Kysely } from 'kysely';
import type { Bus } from '../../bus/bus.js';
import { rpcClient } from '../../bus/contract.js';
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';
import type { NeutronDB } from '../db/schema.js';
import type { Ml2, Segment } from '../ml2/index.js';
import type { PortEvents } from '../plugin/port-events.js';
import { boundSegment } from './plugin-endpoint.js';
import { AgentBindingActivateTopicDef, AgentBindingDeactivateTopicDef, AgentPortDeleteTopicDef, AgentPortUpdateTopicDef } from './topics.js';

/** port_update's kwargs. */
export interface PortUpdateArgs {
  port: Dict;
  network_type: string;
  segmentation_id: number | null;
  physical_network: string | null;
}

/** binding_deactivate's kwargs. */
export interface BindingDeactivateArgs {
  port_id: string;
  host: string;
  network_id: string;
}

/** binding_activate's kwargs. */
export interface BindingActivateArgs {
  port_id: string;
  host: string;
}

/** port_delete's kwargs. */
export interface PortDeleteArgs {
  port_id: string;
}

const NOTIFY_KEYS = [
  'admin_state_up',
  'status',
  'mac_address',
  'port_security_enabled',
  'allowed_address_pairs',
  'security_groups',
  'extra_dhcp_opts',
  'binding:host_id',
  'binding:vif_type',
  'binding:vnic_type',
  'binding:profile',
] as const;

const changed = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);

/** Whether ML2 would send port_update for this API update (need_port_update_notify). */
export function needPortUpdateNotify(original: Dict, updated: Dict): boolean {
  if (NOTIFY_KEYS.some((k) => changed(original[k], updated[k]))) return true;
  const sgs = updated.security_groups as unknown[] | undefined;
  return !!sgs?.length && changed(original.fixed_ips, updated.fixed_ips);
}

export class AgentNotifierApi {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  portUpdate(port: Dict, segment: Segment): void {
    const args: PortUpdateArgs = { port, network_type: segment.network_type, segmentation_id: segment.segmentation_id, physical_network: segment.physical_network };
    rpcClient(this.bus, AgentPortUpdateTopicDef, { fanout: true }).cast('port_update', args).catch((e: unknown) => this.log.error({ err: e }, 'port_update cast failed'));
  }

  portDelete(portId: string): void {
    const args: PortDeleteArgs = { port_id: portId };
    rpcClient(this.bus, AgentPortDeleteTopicDef, { fanout: true }).cast('port_delete', args).catch((e: unknown) => this.log.error({ err: e }, 'port_delete cast failed'));
  }

  bindingDeactivate(portId: string, host: string, networkId: string): void {
    const args: BindingDeactivateArgs = { port_id: portId, host, network_id: networkId };
    rpcClient(this.bus, AgentBindingDeactivateTopicDef, { fanout: true }).cast('binding_deactivate', args).catch((e: unknown) => this.log.error({ err: e }, 'binding_deactivate cast failed'));
  }

  bindingActivate(portId: string, host: string): void {
    const args: BindingActivateArgs = { port_id: portId, host };
    rpcClient(this.bus, AgentBindingActivateTopicDef, { fanout: true }).cast('binding_activate', args).catch((e: unknown) => this.log.error({ err: e }, 'binding_activate cast failed'));
  }

  /** Sends port_update / port_delete / binding_(de)activate after the port plugin's commits; returns the unsubscribe. */
  attach(events: PortEvents, deps: { ml2: Ml2; db: Kysely<NeutronDB> }): () => void {
    const offUpdate = events.on('afterUpdate', (port, original) => {
      if (!original || !needPortUpdateNotify(original, port)) return;
      void (async () => {
        const net = port.network_id as string;
        const segments = (await deps.ml2.getSegments(deps.db, [net])).get(net) ?? [];
        const segment = await boundSegment(deps.ml2, deps.db, port, segments);
        if (!segment) {
          this.log.debug({ port: port.id, network: net }, `In _notify_port_updated(), no bound segment for port ${port.id as string} on network ${net}`);
          return;
        }
        this.portUpdate(port, segment);
      })().catch((e: unknown) => this.log.error({ err: e, port: port.id }, 'port_update notification failed'));
    });
    const offDelete = events.on('afterDelete', (port) => this.portDelete(port.id as string));
    const offActivated = events.on('bindingActivated', (a) => {
      this.bindingDeactivate(a.portId, a.deactivatedHost, a.networkId);
      this.bindingActivate(a.portId, a.activatedHost);
    });
    return () => {
      offUpdate();
      offDelete();
      offActivated();
    };
  }
}
