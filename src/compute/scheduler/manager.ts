/**
 * nova-scheduler: select_destinations filters the hosts, weighs the survivors, claims
 * the best one's resources (placement's allocation, here a row in `allocations`) and
 * hands back alternates for reschedules. Selections run one at a time so two builds
 * never claim the same last slot.
 */
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import type { Clock } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { FaultBook } from '../../common/faults.js';
import type { NovaContext } from '../context.js';
import { allocate } from '../db/allocations.js';
import type { NovaDB } from '../db/schema.js';
import { NoValidHost } from '../errors.js';
import { type RequestSpec, SchedulerTopicDef, type Selection } from '../rpc.js';
import { PLACEMENT_FILTERS, formatCounts, runFilters } from './filters.js';
import { type HostState, loadHostStates } from './host-state.js';
import { weighHosts } from './weighers.js';
import type { TraceRecorder } from '../../common/trace.js';
import { setupInstanceGroup } from './affinity.js';
import { ServerGroupStore } from '../objects/server-groups.js';

export interface SchedulerDeps {
  db: Kysely<NovaDB>;
  cfg: Config;
  clock: Clock;
  log: Logger;
  /** Fault injection: a scheduler-delay fault makes a selection wait its `delay` seconds first. */
  faults?: FaultBook;
  /** Records the decision (hosts, what each filter removed, weights) for `nimbus trace`. */
  trace?: TraceRecorder;
}

export class SchedulerManager {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: SchedulerDeps) {}

  async listen(bus: Bus, server: string): Promise<Listener> {
    return listen(bus, SchedulerTopicDef, server, {
      select_destinations: (a) => this.selectDestinations(a.ctx, a.spec),
      claim: (a) => this.claim(a.spec, a.host),
    });
  }

  /** Serialises selections: each sees the claims of the ones before it. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #hosts(spec: RequestSpec): Promise<HostState[]> {
    const c = this.d.cfg.compute;
    const o = {
      now: this.d.clock.now(),
      serviceDownTimeS: c.service_down_time,
      defaultAz: c.default_availability_zone,
      ratios: { cpu: c.cpu_allocation_ratio, ram: c.ram_allocation_ratio, disk: c.disk_allocation_ratio },
    };
    return loadHostStates(this.d.db, o, needsInstances(spec));
  }

  selectDestinations(ctx: NovaContext, request: RequestSpec): Promise<Selection[][]> {
    const span = this.d.trace?.start({ requestId: ctx.requestId, instanceUuid: request.instanceUuid, parentId: ctx.spanId ?? null }, 'nova-scheduler', 'select_destinations');
    const run = this.#select(request, span?.end ?? (() => {}));
    if (span) void run.catch((e: unknown) => span.end(undefined, e));
    return run;
  }

  #select(request: RequestSpec, end: (detail?: Record<string, unknown>, error?: unknown) => void): Promise<Selection[][]> {
    return this.#serial(async () => {
      // Inside the serial queue: a slow scheduler holds up the selections behind it too.
      const slow = this.d.faults?.take('scheduler-delay');
      if (slow) await this.d.clock.sleep(Number(slow.params.delay) * 1000);
      const spec = await setupInstanceGroup(new ServerGroupStore(this.d.db), request);
      const log = this.d.log.child({ instance: spec.instanceUuid });
      const hosts = candidateHosts(await this.#hosts(spec), spec, log);
      log.debug(`Starting with ${hosts.length} host(s)`);
      // A forced host or node skips the filters (host_manager.get_filtered_hosts); the
      // capacity checks stand for placement's allocation candidates and still apply.
      const forced = !!(spec.forceHosts?.length || spec.forceNodes?.length);
      const result = runFilters(hosts, spec, forced ? PLACEMENT_FILTERS : undefined);
      for (const r of result.removed) log.debug({ filter: r.filter, host: r.host }, r.reason);
      if (result.hosts.length === 0) {
        log.info(`Filtering removed all hosts for the request with instance ID '${spec.instanceUuid}'. Filter results: ${formatCounts(result.counts)}`);
        const err = new NoValidHost('There are not enough hosts available.');
        // Why each host went, for the fault's details and `nimbus` tools.
        err.detail = result.removed.map((r) => `${r.filter}: ${r.reason}`).join('\n');
        end({ hosts: hosts.map((h) => h.host), removed: result.removed.map((r) => ({ host: r.host, filter: r.filter, reason: r.reason })) }, err);
        throw err;
      }
      const ranked = weighHosts(result.hosts, undefined, spec);
      log.debug(`Weighed ${ranked.map((r) => `(${r.host.host}, ${r.host.node}) weight ${r.weight.toFixed(3)}`).join(', ')}`);
      const [best, ...rest] = ranked;
      await this.#allocate(spec, best!.host.host);
      const maxAlternates = Math.max(0, this.d.cfg.compute.max_attempts - 1);
      const selections: Selection[] = [best!, ...rest.slice(0, maxAlternates)].map((r) => ({ host: r.host.host, node: r.host.node }));
      log.info(`Selected host: ${best!.host.host}; alternates: ${selections.slice(1).map((s) => s.host).join(', ') || 'none'}`);
      end({
        hosts: hosts.map((h) => h.host),
        removed: result.removed.map((r) => ({ host: r.host, filter: r.filter, reason: r.reason })),
        weights: ranked.map((r) => ({ host: r.host.host, weight: Number(r.weight.toFixed(3)) })),
        selected: best!.host.host,
        alternates: selections.slice(1).map((s) => s.host),
      });
      return [selections];
    });
  }

  /** Claims an alternate for a reschedule: false when it no longer fits or is down. */
  claim(request: RequestSpec, host: string): Promise<boolean> {
    return this.#serial(async () => {
      const spec = await setupInstanceGroup(new ServerGroupStore(this.d.db), request);
      const hosts = (await this.#hosts(spec)).filter((h) => h.host === host);
      const ok = runFilters(hosts, { ...spec, ignoreHosts: [] }).hosts.length === 1;
      if (ok) await this.#allocate(spec, host);
      return ok;
    });
  }

  async #allocate(spec: RequestSpec, host: string): Promise<void> {
    await allocate(this.d.db, spec.instanceUuid, host, spec.flavor, this.d.clock.now());
  }
}

/**
 * The hosts a request may go to before filtering: nova's resources_from_request_spec
 * (a forced or requested host/node that does not exist is NoValidHost "No such host")
 * and get_filtered_hosts' requested destination, ignore_hosts and force_hosts/force_nodes
 * (hosts case-insensitively, nodes exactly).
 */
export function candidateHosts(hosts: HostState[], spec: RequestSpec, log: Logger): HostState[] {
  const dest = spec.requestedDestination ?? null;
  const targetHost = dest?.host ?? spec.forceHosts?.[0] ?? null;
  const targetNode = dest?.node ?? spec.forceNodes?.[0] ?? null;
  if (targetHost !== null || targetNode !== null) {
    // nova looks them up in SQL, case-insensitively under MySQL's default collation.
    const same = (a: string, b: string | null) => b === null || a.toLowerCase() === b.toLowerCase();
    const exists = hosts.some((h) => same(h.host, targetHost) && same(h.node, targetNode));
    // Python's %s of None, trailing blank included, as nova's text.
    if (!exists) throw new NoValidHost(`No such host - host: ${targetHost ?? 'None'} node: ${targetNode ?? 'None'} `);
  }
  let out = hosts;
  if (dest) out = out.filter((h) => (dest.host === null || h.host === dest.host) && (dest.node === null || h.node === dest.node));
  const forceHosts = (spec.forceHosts ?? []).map((h) => h.toLowerCase());
  const forceNodes = spec.forceNodes ?? [];
  if (forceHosts.length || forceNodes.length) {
    out = out.filter((h) => !spec.ignoreHosts.includes(h.host));
    if (forceHosts.length) out = out.filter((h) => forceHosts.includes(h.host.toLowerCase()));
    if (forceNodes.length) out = out.filter((h) => forceNodes.includes(h.node));
    log.info(out.length ? `Host filter forcing available hosts to ${out.map((h) => h.host).join(', ')}` : `No hosts matched due to not matching 'force_hosts' value of '${(spec.forceHosts ?? spec.forceNodes ?? []).join(', ')}'`);
  }
  return out;
}

/** Whether the request's filters or weighers look at each host's instances (affinity.ts). */
function needsInstances(spec: RequestSpec): boolean {
  const hints = spec.schedulerHints ?? {};
  return !!spec.instanceGroup || hints.same_host !== undefined || hints.different_host !== undefined;
}
