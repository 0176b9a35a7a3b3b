/**
 * The 'local' type driver (type_local.py), and the template for a new type driver: no
 * ids, nothing to reserve or release, no MTU of its own. Connectivity stays on one host.
 */
import { InvalidInput } from '../../errors.js';
import type { SegmentSpec } from '../../types.js';
import { type TypeDriver, isSet, segmentEntries } from './type-driver.js';

export class LocalTypeDriver implements TypeDriver {
  readonly type = 'local';
  async initialize(): Promise<void> {}
  isPartialSegment(): boolean {
    return false;
  }
  validateProviderSegment(segment: SegmentSpec): void {
    for (const [key, value] of segmentEntries(segment)) {
      if (isSet(value) && key !== 'network_type') throw new InvalidInput(`${key} prohibited for local provider network`);
    }
  }
  async reserveProviderSegment(_trx: unknown, segment: SegmentSpec): Promise<SegmentSpec> {
    return { ...segment };
  }
  async allocateTenantSegment(): Promise<SegmentSpec> {
    return { network_type: 'local', physical_network: null, segmentation_id: null };
  }
  async releaseSegment(): Promise<void> {}
  getMtu(): null {
    return null;
  }
}
