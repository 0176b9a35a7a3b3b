/**
 * The OVS agent's br-tun for one host without l2population (ovs_neutron_agent
 * setup_tunnel_br, setup_tunnel_br_flows, _setup_tunnel_port, _setup_tunnel_flood_flow,
 * provision/reclaim_local_vlan, cleanup_tunnel_port): br-tun and the patch-int/patch-tun
 * pair made with one ovs-vsctl, its default tables, one tunnel port per remote endpoint
 * (named by get_tunnel_name, options as ovs_lib.add_tunnel_port sets them), and per
 * tunnel network the VNI → local VLAN flow and the flood flow through every tunnel.
 * Flow changes are queued on `br` and sent with the iteration's other flows.
 */
import { CommandFailed, type HostNetwork } from '../../../hostnet/host-network.js';
import { BridgeFlows } from './bridge-flows.js';
import { TUN_TABLE, inPortMatch, tunDefaultFlows, tunFloodFlow, tunPortFlow, tunProvisionFlow, tunReclaimMatch, tunVlanMatches, tunnelPortName } from './tables.js';

export interface TunnelBridgeOptions {
  integrationBridge: string;
  tunnelBridge: string;
  datapathType: string;
  /** [ovs] local_ip. */
  localIp: string;
  cookie: string;
  /** [ovs] int_peer_patch_port / tun_peer_patch_port. */
  intPeerPatchPort?: string;
  tunPeerPatchPort?: string;
}

/** A tunnel network's local VLAN as br-tun needs it. */
export interface TunnelVlan {
  vlan: number;
  networkType: string;
  segmentationId: number;
}

export class TunnelBridge {
  readonly br: BridgeFlows;
  /** tun_br_ofports: tunnel type → remote IP → ofport. */
  readonly ofports = new Map<string, Map<string, number>>();
  readonly #vlans = new Map<number, TunnelVlan>();
  #ready = false;

  constructor(
    private readonly net: HostNetwork,
    private readonly o: TunnelBridgeOptions,
  ) {
    this.br = new BridgeFlows(net, o.tunnelBridge, o.cookie);
  }

  get ready(): boolean {
    return this.#ready;
  }

  /**
   * setup_tunnel_br + setup_tunnel_br_flows: br-tun (secure), the patch pair, the default
   * tables. br-tun takes br-int's datapath type (both are [ovs] datapath_type in Zed; a
   * linux host makes br-int with [linux_host] datapath_type), the configured one if unreadable.
   */
  async setup(): Promise<void> {
    const { integrationBridge: int, tunnelBridge: tun } = this.o;
    let dp = this.o.datapathType;
    try {
      dp = (await this.net.execute(['ovs-vsctl', 'get', 'Bridge', int, 'datapath_type'])).trim().replace(/^"(.*)"$/, '$1') || dp;
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e;
    }
    const pTun = this.o.intPeerPatchPort ?? 'patch-tun';
    const pInt = this.o.tunPeerPatchPort ?? 'patch-int';
    await this.net.execute([
      'ovs-vsctl', '--', '--may-exist', 'add-br', tun, '--', 'set', 'Bridge', tun, `datapath_type=${dp}`, 'fail_mode=secure',
      '--', '--may-exist', 'add-port', int, pTun, '--', 'set', 'Interface', pTun, 'type=patch', `options:peer=${pInt}`,
      '--', '--may-exist', 'add-port', tun, pInt, '--', 'set', 'Interface', pInt, 'type=patch', `options:peer=${pTun}`,
    ]);
    const patchInt = await this.#ofport(pInt);
    for (const f of tunDefaultFlows(patchInt, this.o.cookie)) this.br.add(f);
    this.#ready = true;
  }

  /** _setup_tunnel_port + _setup_tunnel_flood_flow: the tunnel to a remote endpoint (none to ourselves). Returns its ofport, 0 when none. */
  async addTunnel(type: string, remoteIp: string): Promise<number> {
    if (remoteIp === this.o.localIp) return 0;
    const name = tunnelPortName(type, remoteIp);
    if (!name || !(type in TUN_TABLE)) return 0;
    const known = this.ofports.get(type)?.get(remoteIp);
    if (known) return known;
    await this.net.execute([
      'ovs-vsctl', '--', '--may-exist', 'add-port', this.o.tunnelBridge, name, '--', 'set', 'Interface', name, `type=${type}`,
      'options:df_default=true', `options:remote_ip=${remoteIp}`, `options:local_ip=${this.o.localIp}`,
      'options:in_key=flow', 'options:out_key=flow', 'options:egress_pkt_mark=0',
    ]);
    const ofport = await this.#ofport(name);
    if (ofport <= 0) return 0;
    (this.ofports.get(type) ?? this.ofports.set(type, new Map()).get(type)!).set(remoteIp, ofport);
    this.br.add(tunPortFlow(type, ofport));
    this.#floodAll(type);
    return ofport;
  }

  /** tunnel_delete → cleanup_tunnel_port: the tunnel port and its flows go, flooding is rewritten. */
  async removeTunnel(type: string, remoteIp: string): Promise<void> {
    const ofport = this.ofports.get(type)?.get(remoteIp);
    const name = tunnelPortName(type, remoteIp);
    if (ofport === undefined || !name) return;
    this.ofports.get(type)!.delete(remoteIp);
    await this.net.execute(['ovs-vsctl', '--if-exists', 'del-port', this.o.tunnelBridge, name]);
    this.br.del(inPortMatch(ofport));
    this.#floodAll(type);
  }

  /** provision_local_vlan for a tunnel network: VNI → VLAN, and its flooding through every tunnel. */
  provision(v: TunnelVlan): void {
    this.#vlans.set(v.vlan, v);
    this.br.add(tunProvisionFlow(v.networkType, v.vlan, v.segmentationId));
    this.#flood(v);
  }

  /** reclaim_local_vlan: the network's flows go (VNI table, flooding, learnt unicast). */
  reclaim(v: TunnelVlan): void {
    this.#vlans.delete(v.vlan);
    this.br.del(tunReclaimMatch(v.networkType, v.segmentationId));
    for (const m of tunVlanMatches(v.vlan)) this.br.del(m);
  }

  /** Whether a network of this type has any tunnel yet (_bind_devices' tunnels_missing). */
  hasTunnels(type: string): boolean {
    return (this.ofports.get(type)?.size ?? 0) > 0;
  }

  #flood(v: TunnelVlan): void {
    const ports = [...(this.ofports.get(v.networkType)?.values() ?? [])];
    if (ports.length) this.br.add(tunFloodFlow(v.vlan, v.segmentationId, ports));
    else this.br.del(tunVlanMatches(v.vlan)[0]!);
  }

  #floodAll(type: string): void {
    for (const v of this.#vlans.values()) if (v.networkType === type) this.#flood(v);
  }

  async #ofport(name: string): Promise<number> {
    try {
      const out = (await this.net.execute(['ovs-vsctl', 'get', 'Interface', name, 'ofport'])).trim();
      const n = Number(out);
      return Number.isInteger(n) ? n : -1;
    } catch (e) {
      if (e instanceof CommandFailed) return -1;
      throw e;
    }
  }
}
