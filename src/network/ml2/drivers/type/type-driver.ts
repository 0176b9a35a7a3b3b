/**
 * The type driver contract (neutron_lib's ML2TypeDriver): one driver per network type
 * owns that type's segmentation ids. Drivers that write take the caller's transaction;
 * validation is pure and throws InvalidInput with neutron's wording.
 */
import type { Kysely } from 'kysely';
import type { Random } from '../../../../common/clock.js';
import type { Config } from '../../../../common/config.js';
import type { Logger } from '../../../../common/log.js';
import type { NeutronDB } from '../../../db/schema.js';
import type { SegmentSpec } from '../../types.js';

/** What every type driver is constructed with. */
export interface TypeDriverDeps {
  cfg: Config;
  log: Logger;
  random: Random;
}

export interface TypeDriver {
  /** The network_type this driver serves. */
  readonly type: string;
  /** Parses its configuration (throws on a bad range) and syncs its allocation table. */
  initialize(db: Kysely<NeutronDB>): Promise<void>;
  /** True when the provider request leaves the id to the driver (vlan/vxlan without segmentation_id). */
  isPartialSegment(segment: SegmentSpec): boolean;
  /** Throws InvalidInput when the provider segment is not acceptable for this type. */
  validateProviderSegment(segment: SegmentSpec): void;
  /** Reserves a validated provider segment in `trx`; throws the type's InUse error or NoNetworkAvailable. */
  reserveProviderSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<SegmentSpec>;
  /** Allocates a project network segment in `trx`, or null when this type has none left (or none at all). */
  allocateTenantSegment(trx: Kysely<NeutronDB>): Promise<SegmentSpec | null>;
  /** Gives the segment's id back in `trx` (deleting ids outside the configured ranges). */
  releaseSegment(trx: Kysely<NeutronDB>, segment: SegmentSpec): Promise<void>;
  /** The MTU this segment allows, or null when the type has no MTU of its own (local). */
  getMtu(physicalNetwork: string | null): number | null;
}

/** The segment dict's keys in neutron's order, for the "%s prohibited" checks. */
export function segmentEntries(s: SegmentSpec): [string, unknown][] {
  return [
    ['network_type', s.network_type],
    ['physical_network', s.physical_network],
    ['segmentation_id', s.segmentation_id],
  ];
}

/** Python truthiness of a segment value, as neutron's `if value and key not in [...]`. */
export const isSet = (v: unknown): boolean => v !== null && v !== undefined && v !== '' && v !== 0;

/** The deployment physnet MTU (p_utils.get_deployment_physnet_mtu). */
export const physnetMtu = (cfg: Config): number => cfg.network.global_physnet_mtu;
