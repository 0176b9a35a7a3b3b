/**
 * ML2 as the core plugin calls it: type drivers behind network create/delete and the
 * provider attributes, mechanism drivers behind port binding. Drivers are chosen by
 * ml2.type_drivers / ml2.mechanism_drivers from explicit registries and checked in init().
 */
import type { Kysely } from 'kysely';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { agentsOnHost } from '../agents/db/agents-db.js';
import { agentToWire } from '../agents/wire.js';
import type { NeutronDB } from '../db/schema.js';
import { decideBinding } from './binding.js';
import { selectSegments } from './db/segments.js';
import type { MechanismDriver } from './drivers/mech/mech-driver.js';
import { MECHANISM_DRIVERS } from './drivers/mech/registry.js';
import { Ml2ConfigError } from './errors.js';
import { TypeManager, extendNetworkDict } from './type-manager.js';
import type {
  AgentView,
  BindingResult,
  BindPortRequest,
  MultiSegmentAttrs,
  ProviderNetworkAttrs,
  ProviderRequest,
  Segment,
} from './types.js';

export interface Ml2Deps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  random: Random;
}

export class Ml2 {
  #types: TypeManager | null = null;
  #mechs: MechanismDriver[] = [];

  constructor(private readonly deps: Ml2Deps) {}

  /**
   * Loads the configured drivers (an unknown name throws Ml2ConfigError listing the known
   * ones; a bad range throws its NetworkVlanRangeError / NetworkTunnelRangeError) and syncs
   * the allocation tables with vni_ranges and network_vlan_ranges.
   */
  async init(db: Kysely<NeutronDB>): Promise<void> {
    const { cfg, log, random } = this.deps;
    const types = new TypeManager({ cfg, log, random, newId: () => random.uuid() });
    const names = cfg.ml2.mechanism_drivers;
    const missing = names.filter((n) => !(n in MECHANISM_DRIVERS));
    if (missing.length) {
      throw new Ml2ConfigError(
        `The following mechanism drivers were not found: ${missing.join(', ')} (known: ${Object.keys(MECHANISM_DRIVERS).join(', ')})`,
      );
    }
    this.#mechs = [...new Set(names)].map((n) => MECHANISM_DRIVERS[n]!());
    await types.initialize(db);
    this.#types = types;
    log.info({ type_drivers: [...types.drivers.keys()], mechanism_drivers: names }, 'ML2 initialised');
  }

  get #tm(): TypeManager {
    if (!this.#types) throw new Error('Ml2.init() has not been called');
    return this.#types;
  }

  /** Loaded type names (network_type values this server accepts). */
  get networkTypes(): string[] {
    return [...this.#tm.drivers.keys()];
  }

  /** Throws InvalidInput (or SegmentsSetInConjunctionWithProviders / SegmentsContainDuplicateEntry) with neutron's message. */
  validateProviderRequest(req: ProviderRequest): void {
    this.#tm.processProviderCreate(req);
  }

  /**
   * Reserves the provider segment(s) or allocates a project segment, and inserts the
   * networksegments rows, all in `trx`. Throws NoNetworkAvailable (503), VlanIdInUse /
   * TunnelIdInUse / FlatNetworkInUse (409) or the validation errors.
   */
  createNetworkSegments(trx: Kysely<NeutronDB>, networkId: string, req: ProviderRequest | undefined): Promise<Segment[]> {
    return this.#tm.createNetworkSegments(trx, networkId, req);
  }

  /** Frees the network's segmentation ids and deletes its segments, in `trx`. */
  releaseNetworkSegments(trx: Kysely<NeutronDB>, networkId: string): Promise<void> {
    return this.#tm.releaseNetworkSegments(trx, networkId);
  }

  /** Each network's segments by segment_index ([] for none). */
  getSegments(db: Kysely<NeutronDB>, networkIds: string[]): Promise<Map<string, Segment[]>> {
    return selectSegments(db, networkIds);
  }

  /** The MTU ML2 gives a network with these segments (vxlan 1450, vlan/flat 1500 on a 1500 underlay). */
  networkMtu(segments: readonly Segment[]): number {
    return this.#tm.networkMtu(segments);
  }

  /** provider:* attributes (single segment or none) or `segments` (several), for the network dict. */
  extendNetworkDict(segments: readonly Segment[]): ProviderNetworkAttrs | MultiSegmentAttrs {
    return extendNetworkDict(segments);
  }

  /**
   * Decides the binding of a port on req.host: reads that host's agents, writes nothing.
   * Success gives vif_type, vif_details (bound_drivers included) and the bound segment;
   * failure gives binding_failed with the cause and an operator-facing message.
   */
  async bindPort(db: Kysely<NeutronDB>, req: BindPortRequest): Promise<BindingResult> {
    const downTime = this.deps.cfg.network.agent_down_time;
    const now = this.deps.clock.now();
    const rows = req.host ? await agentsOnHost(db, req.host) : [];
    const agents: AgentView[] = rows.map((r) => {
      const w = agentToWire(r, now, downTime);
      return {
        id: w.id,
        agent_type: w.agent_type,
        host: w.host,
        alive: w.alive,
        admin_state_up: w.admin_state_up,
        heartbeat_timestamp: r.heartbeat_timestamp,
        configurations: w.configurations,
      };
    });
    const result = decideBinding(this.#mechs, req, agents, downTime, (driver, err) =>
      this.deps.log.error({ err, driver, port: req.portId }, 'Mechanism driver failed in bind_port'),
    );
    if (!result.ok) {
      this.deps.log.error(
        { port: req.portId, host: req.host, vnic_type: req.vnicType, cause: result.cause, segments: req.segments },
        `Failed to bind port ${req.portId} on host ${req.host}: ${result.message}`,
      );
    }
    return result;
  }
}
