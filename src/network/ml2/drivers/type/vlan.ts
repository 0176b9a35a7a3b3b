/**
 * The 'vlan' type driver (type_vlan.py): 802.1Q tags on physical networks, ids from
 * network_vlan_ranges kept in ml2_vlan_allocations. A provider VLAN outside the ranges
 * gets a row while in use, deleted again on release.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB } from '../../../db/schema.js';
import { allocateFreeVlan, allocateVlan, releaseVlan, syncVlanAllocations } from '../../db/allocations.js';
import { InvalidInput, NoNetworkAvailable, VlanIdInUse } from '../../errors.js';
import type { SegmentSpec } from '../../types.js';
import { MAX_VLAN_TAG, MIN_VLAN_TAG, isValidVlanTag, parseVlanRanges } from './ranges.js';
import { type TypeDriver, type TypeDriverDeps, isSet, physnetMtu, segmentEntries } from './type-driver.js';

export class VlanTypeDriver implements TypeDriver {
  readonly type = 'vlan';
  /** physnet → ranges, in configuration order (throws at construction on a bad entry). */
  readonly ranges: Map<string, [number, number][]>;

  constructor(private readonly deps: TypeDriverDeps) {
    this.ranges = parseVlanRanges(deps.cfg.ml2.network_vlan_ranges);
  }
  async initialize(db: Kysely<NeutronDB>): Promise<void> {
    await syncVlanAllocations(db, this.ranges);
    this.deps.log.info({ ranges: Object.fromEntries(this.ranges) }, 'VlanTypeDriver initialization complete');
  }
  isPartialSegment(segment: SegmentSpec): boolean {
    return segment.segmentation_id === null;
  }
  validateProviderSegment(segment: SegmentSpec): void {
    const { physical_network: physnet, segmentation_id: id } = segment;
    if (physnet) {
      if (!this.ranges.has(physnet)) throw new InvalidInput(`physical_network '${physnet}' unknown for VLAN provider network`);
      if (id !== null && !isValidVlanTag(id)) {
        throw new InvalidInput(`segmentation_id out of range (${MIN_VLAN_TAG} through ${MAX_VLAN_TAG})`);
      }
    } else if (id !== null) {
      throw new InvalidInput('segmentation_id requires physical_network for VLAN provider network');
    }
    for (const [key, value] of segmentEntries(segment)) {
      if (isSet(value) && !['network_type', 'physical_network', 'segmentation_id'].includes(key)) {
        throw new InvalidInput(`${key} prohibited for VLAN provider network`);
      }
    }
  }
  async reserveProviderSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<SegmentSpec> {
    const physnet = segment.physical_network || null;
    if (physnet === null || segment.segmentation_id === null) {
      const alloc = await allocateFreeVlan(trx, this.deps.random, physnet);
      if (!alloc) throw new NoNetworkAvailable();
      return { network_type: 'vlan', physical_network: alloc.physical_network, segmentation_id: alloc.vlan_id };
    }
    if (!(await allocateVlan(trx, physnet, segment.segmentation_id))) throw new VlanIdInUse(segment.segmentation_id, physnet);
    return { network_type: 'vlan', physical_network: physnet, segmentation_id: segment.segmentation_id };
  }
  async allocateTenantSegment(trx: Kysely<NeutronDB>): Promise<SegmentSpec | null> {
    for (const physnet of this.ranges.keys()) {
      const alloc = await allocateFreeVlan(trx, this.deps.random, physnet);
      if (alloc) return { network_type: 'vlan', physical_network: alloc.physical_network, segmentation_id: alloc.vlan_id };
    }
    return null;
  }
  async releaseSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<void> {
    const physnet = segment.physical_network ?? '';
    const id = segment.segmentation_id ?? 0;
    const inside = (this.ranges.get(physnet) ?? []).some(([lo, hi]) => lo <= id && id <= hi);
    if (!(await releaseVlan(trx, physnet, id, inside))) {
      this.deps.log.warn({ vlan_id: id, physical_network: physnet }, 'No vlan_id found on physical network');
    }
  }
  getMtu(): number | null {
    const mtu = physnetMtu(this.deps.cfg);
    return mtu > 0 ? mtu : 0;
  }
}
