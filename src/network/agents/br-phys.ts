/**
 * The OVS agent's physical bridges on a linux host (ovs_neutron_agent
 * setup_physical_bridges, openflow/native br_phys.py and br_int.py), one per [agent]
 * bridge_mappings entry (physnet1:br-ex):
 *
 * - the bridge exists (`--may-exist add-br`, the integration bridge's datapath type,
 *   fail_mode=secure) with its default table (table 0, priority 0, NORMAL);
 * - patch ports int-<br> on br-int and phy-<br> on the bridge, peered; br-int drops what
 *   comes from int-<br> and the bridge what comes from phy-<br> (priority 2) until a
 *   network on the physnet is provisioned;
 * - provisioning a local VLAN of a flat network on the physnet (provision_local_vlan):
 *   on the bridge, `priority=4,in_port=phy-<br>,dl_vlan=LVID` pops the VLAN and goes
 *   NORMAL; on br-int, `priority=3,in_port=int-<br>,vlan_tci=0x0000/0x1fff` pushes LVID
 *   and goes to table 59 (PACKET_RATE_LIMIT); a vlan network sets/matches its
 *   segmentation id instead. Reclaiming the VLAN removes both flows.
 *
 * OpenFlow 1.3 as the native driver speaks it. Every command goes through the host's
 * HostNetwork (ovs-vsctl, ovs-ofctl).
 */
import type { HostNetwork } from '../../hostnet/host-network.js';
import type { LocalVlanMapping } from './local-vlans.js';

/** constants.PACKET_RATE_LIMIT: where br-int's local-VLAN flows continue (Zed). */
export const PACKET_RATE_LIMIT_TABLE = 59;
const OF = ['-O', 'OpenFlow13'];
/** ofp.OFPVID_PRESENT. */
const VID_PRESENT = 0x1000;

/** The patch port names for a bridge (p_utils.get_interface_name with int-/phy- prefixes; names ≤ 15). */
export function patchPortNames(bridge: string): { int: string; phys: string } {
  return { int: `int-${bridge}`.slice(0, 15), phys: `phy-${bridge}`.slice(0, 15) };
}

/** The ovs-ofctl add-flow arguments of a provisioned local VLAN (br-int's and the physical bridge's). */
export function provisionFlows(lvm: Pick<LocalVlanMapping, 'vlan' | 'networkType' | 'segmentationId'>, ofports: { int: number; phys: number }): { intBr: string; physBr: string } {
  const flat = lvm.networkType === 'flat' || lvm.segmentationId === null;
  const intMatch = flat ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${lvm.segmentationId}`;
  const intActions = flat ? `push_vlan:0x8100,set_field:${lvm.vlan | VID_PRESENT}->vlan_vid` : `set_field:${lvm.vlan | VID_PRESENT}->vlan_vid`;
  const physActions = flat ? 'pop_vlan' : `set_field:${lvm.segmentationId! | VID_PRESENT}->vlan_vid`;
  return {
    intBr: `table=0,priority=3,in_port=${ofports.int},${intMatch},actions=${intActions},goto_table:${PACKET_RATE_LIMIT_TABLE}`,
    physBr: `table=0,priority=4,in_port=${ofports.phys},dl_vlan=${lvm.vlan},actions=${physActions},NORMAL`,
  };
}

/** The match of the flows provisionFlows added (for del-flows --strict is not needed: the match is unique). */
export function reclaimMatches(lvm: Pick<LocalVlanMapping, 'vlan' | 'networkType' | 'segmentationId'>, ofports: { int: number; phys: number }): { intBr: string; physBr: string } {
  const flat = lvm.networkType === 'flat' || lvm.segmentationId === null;
  return {
    intBr: `table=0,in_port=${ofports.int},${flat ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${lvm.segmentationId}`}`,
    physBr: `table=0,in_port=${ofports.phys},dl_vlan=${lvm.vlan}`,
  };
}

interface PhysBridge {
  bridge: string;
  ofports: { int: number; phys: number };
}

/** One linux host's physical bridges: set up once, then provisioned per flat/vlan local VLAN. */
export class PhysicalBridges {
  readonly #byPhysnet = new Map<string, PhysBridge>();

  constructor(
    private readonly net: HostNetwork,
    /** physnet → bridge ([agent] bridge_mappings). */
    private readonly mappings: Readonly<Record<string, string>>,
    private readonly opts: { integrationBridge?: string; datapathType: string },
  ) {}

  get #intBr(): string {
    return this.opts.integrationBridge ?? 'br-int';
  }

  async #ofport(name: string): Promise<number> {
    return Number((await this.net.execute(['ovs-vsctl', 'get', 'Interface', name, 'ofport'])).trim());
  }

  /** setup_physical_bridges: each mapped bridge, its patch ports and drop flows. */
  async setup(): Promise<void> {
    const x = (argv: string[]) => this.net.execute(argv);
    for (const [physnet, bridge] of Object.entries(this.mappings)) {
      const names = patchPortNames(bridge);
      await x(['ovs-vsctl', '--', '--may-exist', 'add-br', bridge, '--', 'set', 'Bridge', bridge, `datapath_type=${this.opts.datapathType}`, 'fail_mode=secure']);
      await x(['ovs-ofctl', ...OF, 'add-flow', bridge, 'table=0,priority=0,actions=NORMAL']);
      await x(['ovs-vsctl', '--', '--may-exist', 'add-port', this.#intBr, names.int, '--', 'set', 'Interface', names.int, 'type=patch', `options:peer=${names.phys}`]);
      await x(['ovs-vsctl', '--', '--may-exist', 'add-port', bridge, names.phys, '--', 'set', 'Interface', names.phys, 'type=patch', `options:peer=${names.int}`]);
      const ofports = { int: await this.#ofport(names.int), phys: await this.#ofport(names.phys) };
      await x(['ovs-ofctl', ...OF, 'add-flow', this.#intBr, `table=0,priority=2,in_port=${ofports.int},actions=drop`]);
      await x(['ovs-ofctl', ...OF, 'add-flow', bridge, `table=0,priority=2,in_port=${ofports.phys},actions=drop`]);
      this.#byPhysnet.set(physnet, { bridge, ofports });
    }
  }

  /** provision_local_vlan for a flat or vlan network on a mapped physnet; other networks are not the physical bridges'. */
  async provision(lvm: LocalVlanMapping): Promise<void> {
    const b = this.#bridgeOf(lvm);
    if (!b) return;
    const f = provisionFlows(lvm, b.ofports);
    await this.net.execute(['ovs-ofctl', ...OF, 'add-flow', b.bridge, f.physBr]);
    await this.net.execute(['ovs-ofctl', ...OF, 'add-flow', this.#intBr, f.intBr]);
  }

  /** reclaim_local_vlan: removes what provision added. */
  async reclaim(lvm: LocalVlanMapping): Promise<void> {
    const b = this.#bridgeOf(lvm);
    if (!b) return;
    const m = reclaimMatches(lvm, b.ofports);
    await this.net.execute(['ovs-ofctl', ...OF, 'del-flows', b.bridge, m.physBr]);
    await this.net.execute(['ovs-ofctl', ...OF, 'del-flows', this.#intBr, m.intBr]);
  }

  #bridgeOf(lvm: LocalVlanMapping): PhysBridge | undefined {
    if (lvm.networkType !== 'flat' && lvm.networkType !== 'vlan') return undefined;
    return lvm.physicalNetwork ? this.#byPhysnet.get(lvm.physicalNetwork) : undefined;
  }
}
