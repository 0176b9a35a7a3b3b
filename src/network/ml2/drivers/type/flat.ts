/**
 * The 'flat' type driver (type_flat.py): untagged traffic on a physical network, so at
 * most one flat network per physnet (ml2_flat_allocations' primary key). No project
 * networks: allocateTenantSegment always gives null.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB } from '../../../db/schema.js';
import { allocateFlat, releaseFlat } from '../../db/allocations.js';
import { FlatNetworkInUse, InvalidInput } from '../../errors.js';
import type { SegmentSpec } from '../../types.js';
import { type TypeDriver, type TypeDriverDeps, isSet, physnetMtu, segmentEntries } from './type-driver.js';

export class FlatTypeDriver implements TypeDriver {
  readonly type = 'flat';
  /** null = any physnet ('*'); [] = flat networks disabled. */
  readonly #flatNetworks: string[] | null;

  constructor(private readonly deps: TypeDriverDeps) {
    const entries = deps.cfg.ml2.flat_networks;
    this.#flatNetworks = entries.includes('*') ? null : [...entries];
  }
  async initialize(): Promise<void> {}
  isPartialSegment(): boolean {
    return false;
  }
  validateProviderSegment(segment: SegmentSpec): void {
    const physnet = segment.physical_network;
    if (!physnet) throw new InvalidInput('physical_network required for flat provider network');
    const allowed = this.#flatNetworks;
    if (allowed !== null && allowed.length === 0) throw new InvalidInput('Flat provider networks are disabled');
    if (allowed && !allowed.includes(physnet)) {
      throw new InvalidInput(`physical_network '${physnet}' unknown for flat provider network`);
    }
    for (const [key, value] of segmentEntries(segment)) {
      if (isSet(value) && key !== 'network_type' && key !== 'physical_network') {
        throw new InvalidInput(`${key} prohibited for flat provider network`);
      }
    }
  }
  async reserveProviderSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<SegmentSpec> {
    const physnet = segment.physical_network!;
    if (!(await allocateFlat(trx, physnet))) throw new FlatNetworkInUse(physnet);
    return { network_type: 'flat', physical_network: physnet, segmentation_id: null };
  }
  async allocateTenantSegment(): Promise<null> {
    return null;
  }
  async releaseSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<void> {
    if (!(await releaseFlat(trx, segment.physical_network ?? ''))) {
      this.deps.log.warn({ physical_network: segment.physical_network }, 'No flat network found on physical network');
    }
  }
  getMtu(): number | null {
    const mtu = physnetMtu(this.deps.cfg);
    return mtu > 0 ? mtu : 0;
  }
}
