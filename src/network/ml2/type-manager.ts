/**
 * ML2's TypeManager (managers.py): the loaded type drivers, provider request
 * validation, and creating/releasing a network's segments through them.
 */
import type { Kysely } from 'kysely';
import type { NeutronDB } from '../db/schema.js';
import { deleteSegments, insertSegment, selectSegments } from './db/segments.js';
import { TYPE_DRIVERS } from './drivers/type/registry.js';
import type { TypeDriver, TypeDriverDeps } from './drivers/type/type-driver.js';
import {
  InvalidInput,
  Ml2ConfigError,
  NoNetworkAvailable,
  SegmentsContainDuplicateEntry,
  SegmentsSetInConjunctionWithProviders,
} from './errors.js';
import type {
  MultiSegmentAttrs,
  ProviderNetworkAttrs,
  ProviderRequest,
  ProviderSegmentRequest,
  Segment,
  SegmentSpec,
} from './types.js';

/** neutron's validators.is_attr_set: given and not null. */
const given = (v: unknown): boolean => v !== undefined && v !== null;

export class TypeManager {
  /** Loaded drivers by network_type. */
  readonly drivers = new Map<string, TypeDriver>();
  readonly tenantNetworkTypes: string[];

  /** Loads ml2.type_drivers; throws Ml2ConfigError on an unknown name or tenant type (neutron exits). */
  constructor(private readonly deps: TypeDriverDeps & { newId: () => string }) {
    const names = deps.cfg.ml2.type_drivers;
    const unknown = names.filter((n) => !(n in TYPE_DRIVERS));
    if (unknown.length) {
      throw new Ml2ConfigError(
        `The following type drivers were not found: ${unknown.join(', ')} (known: ${Object.keys(TYPE_DRIVERS).join(', ')})`,
      );
    }
    for (const name of names) {
      if (this.drivers.has(name)) continue;
      this.drivers.set(name, TYPE_DRIVERS[name]!(deps));
    }
    for (const t of deps.cfg.ml2.tenant_network_types) {
      if (!this.drivers.has(t)) {
        throw new Ml2ConfigError(
          `No type driver for tenant network_type: ${t}. Service terminated! (loaded: ${[...this.drivers.keys()].join(', ')})`,
        );
      }
    }
    this.tenantNetworkTypes = [...deps.cfg.ml2.tenant_network_types];
  }

  /** Initialises every driver (allocation table sync). */
  async initialize(db: Kysely<NeutronDB>): Promise<void> {
    for (const d of this.drivers.values()) await d.initialize(db);
  }

  #driver(networkType: string): TypeDriver {
    const d = this.drivers.get(networkType);
    if (!d) throw new InvalidInput(`network_type value '${networkType}' not supported`);
    return d;
  }

  #processSegment(s: ProviderSegmentRequest): SegmentSpec {
    if (!given(s.network_type)) throw new InvalidInput('network_type required');
    const spec: SegmentSpec = {
      network_type: s.network_type!,
      physical_network: given(s.physical_network) ? s.physical_network! : null,
      segmentation_id: given(s.segmentation_id) ? s.segmentation_id! : null,
    };
    this.#driver(spec.network_type).validateProviderSegment(spec);
    return spec;
  }

  /**
   * The validated provider segments of a create request (_process_provider_create), or
   * null when it asks for none (a project network). Throws InvalidInput and friends.
   */
  processProviderCreate(req: ProviderRequest | undefined): SegmentSpec[] | null {
    if (!req) return null;
    if (given(req.network_type) || given(req.physical_network) || given(req.segmentation_id)) {
      if (given(req.segments)) throw new SegmentsSetInConjunctionWithProviders();
      return [this.#processSegment(req)];
    }
    if (!given(req.segments)) return null;
    const segments = req.segments!.map((s) => this.#processSegment(s));
    const full = segments.filter((s) => !this.#driver(s.network_type).isPartialSegment(s));
    const keys = full.map((s) => JSON.stringify([s.network_type, s.physical_network, s.segmentation_id]));
    if (new Set(keys).size !== keys.length) throw new SegmentsContainDuplicateEntry();
    return segments;
  }

  /** Reserves the requested segments, or allocates a project one from tenant_network_types, and stores them in `trx`. */
  async createNetworkSegments(trx: Kysely<NeutronDB>, networkId: string, req: ProviderRequest | undefined): Promise<Segment[]> {
    const specs = this.processProviderCreate(req);
    const out: Segment[] = [];
    if (specs && specs.length) {
      for (const [i, spec] of specs.entries()) {
        const reserved = await this.#driver(spec.network_type).reserveProviderSegment(trx, spec);
        out.push(await insertSegment(trx, this.deps.newId(), networkId, reserved, i));
      }
      return out;
    }
    for (const type of this.tenantNetworkTypes) {
      const spec = await this.drivers.get(type)!.allocateTenantSegment(trx);
      if (spec) return [await insertSegment(trx, this.deps.newId(), networkId, spec, 0)];
    }
    throw new NoNetworkAvailable();
  }

  /** Releases every segment's id through its driver and deletes the segments, in `trx`. */
  async releaseNetworkSegments(trx: Kysely<NeutronDB>, networkId: string): Promise<void> {
    const segments = (await selectSegments(trx, [networkId])).get(networkId) ?? [];
    for (const s of segments) {
      const d = this.drivers.get(s.network_type);
      if (d) await d.releaseSegment(trx, s);
      else this.deps.log.error({ segment: s }, 'Failed to release segment because network type is not supported.');
    }
    await deleteSegments(trx, networkId);
  }

  /** The network's MTU as ML2's _get_network_mtu: the smallest segment MTU, else global_physnet_mtu. */
  networkMtu(segments: readonly Segment[]): number {
    const mtus: number[] = [];
    for (const s of segments) {
      const mtu = this.drivers.get(s.network_type)?.getMtu(s.physical_network);
      if (mtu) mtus.push(mtu);
    }
    return mtus.length ? Math.min(...mtus) : this.deps.cfg.network.global_physnet_mtu;
  }
}

/** provider:* for one segment, or `segments` for several (extend_network_with_provider_segments). */
export function extendNetworkDict(segments: readonly Segment[]): ProviderNetworkAttrs | MultiSegmentAttrs {
  const attrs = (s: Segment | undefined): ProviderNetworkAttrs => ({
    'provider:network_type': s?.network_type ?? null,
    'provider:physical_network': s?.physical_network ?? null,
    'provider:segmentation_id': s?.segmentation_id ?? null,
  });
  if (segments.length > 1) return { segments: segments.map(attrs) };
  return attrs(segments[0]);
}
