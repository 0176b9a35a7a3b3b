/**
 * The 'vxlan' type driver (type_vxlan.py over type_tunnel.py): VNIs from vni_ranges in
 * ml2_vxlan_allocations; the MTU is the underlay's minus the IPv4 header (20) and the
 * VXLAN encapsulation (30), so 1450 on a 1500 underlay.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB } from '../../../db/schema.js';
import { allocateFreeVni, allocateVni, releaseVni, syncVxlanAllocations } from '../../db/allocations.js';
import { InvalidInput, NoNetworkAvailable, TunnelIdInUse } from '../../errors.js';
import type { SegmentSpec } from '../../types.js';
import { parseTunnelRanges } from './ranges.js';
import { type TypeDriver, type TypeDriverDeps, isSet, physnetMtu, segmentEntries } from './type-driver.js';

const IPV4_HEADER_LENGTH = 20;
const VXLAN_ENCAP_OVERHEAD = 30;

export class VxlanTypeDriver implements TypeDriver {
  readonly type = 'vxlan';
  readonly ranges: [number, number][];

  constructor(private readonly deps: TypeDriverDeps) {
    this.ranges = parseTunnelRanges(deps.cfg.ml2.vni_ranges, 'vxlan');
  }
  async initialize(db: Kysely<NeutronDB>): Promise<void> {
    await syncVxlanAllocations(db, this.ranges);
    this.deps.log.info({ ranges: this.ranges }, 'vxlan ID ranges');
  }
  isPartialSegment(segment: SegmentSpec): boolean {
    return segment.segmentation_id === null;
  }
  validateProviderSegment(segment: SegmentSpec): void {
    if (segment.physical_network) throw new InvalidInput(`provider:physical_network specified for ${segment.network_type} network`);
    for (const [key, value] of segmentEntries(segment)) {
      if (isSet(value) && key !== 'network_type' && key !== 'segmentation_id') {
        throw new InvalidInput(`${key} prohibited for ${segment.network_type} provider network`);
      }
    }
  }
  async reserveProviderSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<SegmentSpec> {
    if (segment.segmentation_id === null) {
      const vni = await allocateFreeVni(trx, this.deps.random);
      if (vni === null) throw new NoNetworkAvailable();
      return { network_type: 'vxlan', physical_network: null, segmentation_id: vni };
    }
    if (!(await allocateVni(trx, segment.segmentation_id))) throw new TunnelIdInUse(segment.segmentation_id);
    return { network_type: 'vxlan', physical_network: null, segmentation_id: segment.segmentation_id };
  }
  async allocateTenantSegment(trx: Kysely<NeutronDB>): Promise<SegmentSpec | null> {
    const vni = await allocateFreeVni(trx, this.deps.random);
    return vni === null ? null : { network_type: 'vxlan', physical_network: null, segmentation_id: vni };
  }
  async releaseSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<void> {
    const vni = segment.segmentation_id ?? 0;
    const inside = this.ranges.some(([lo, hi]) => lo <= vni && vni <= hi);
    if (!(await releaseVni(trx, vni, inside))) this.deps.log.warn({ type: 'vxlan', id: vni }, 'tunnel not found');
  }
  getMtu(): number | null {
    const mtus = [physnetMtu(this.deps.cfg), this.deps.cfg.ml2.path_mtu].filter((m) => m > 0);
    return mtus.length ? Math.min(...mtus) - IPV4_HEADER_LENGTH - VXLAN_ENCAP_OVERHEAD : 0;
  }
}
