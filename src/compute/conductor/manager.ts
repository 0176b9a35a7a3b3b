/**
 * nova-conductor's build_instances: ask the scheduler for a host (or, on a reschedule,
 * take the next alternate and claim it), then cast build_and_run_instance to that
 * host's compute. When no host is left the instance goes to ERROR with the fault nova
 * records (NoValidHost, or MaxRetriesExceeded after reschedules), and what the build
 * had allocated is given back. Resize and cold migration: migrate.ts; unshelve: unshelve.ts;
 * evacuate: evacuate.ts.
 */
import type { TraceRecorder } from '../../common/trace.js';
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../../bus/bus.js';
import { RemoteError } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import type { Clock, Random } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import type { NovaContext } from '../context.js';
import type { NovaDB } from '../db/schema.js';
import { MaxRetriesExceeded, NoValidHost } from '../errors.js';
import type { NeutronAPI } from '../network/neutron.js';
import { InstanceActions } from '../objects/actions.js';
import { type InstanceStore } from '../objects/instance.js';
import { TaskState, VmState } from '../objects/states.js';
import { failInterruptedBuild } from '../interrupted-build.js';
import { type BuildRequest, ComputeRpc, ConductorTopicDef, SchedulerRpc, type Selection } from '../rpc.js';
import type { GlanceAPI } from '../image-api.js';
import { liveMigrateInstance } from './live-migrate.js';
import { migrateServer } from './migrate.js';
import { unshelveInstance } from './unshelve.js';
import { evacuateInstance } from './evacuate.js';
import { deleteAllocation } from '../db/allocations.js';
import { faultFromError } from '../objects/faults.js';
import type { ComputeData } from '../objects/compute-data.js';
import { objectEndpoint } from './objects.js';

export interface ConductorDeps {
  db: Kysely<NovaDB>;
  cfg: Config;
  clock: Clock;
  log: Logger;
  bus: Bus;
  instances: InstanceStore;
  actions: InstanceActions;
  /** The objects nova-compute reads and writes through this conductor (object indirection). */
  objects: ComputeData;
  network: NeutronAPI;
  /** Migration record uuids. */
  random: Random;
  /** glance, for the shelved image an unshelve starts from. */
  image?: GlanceAPI;
  /** Records build_instances (and what the computes send, as they hold no database) for `nimbus trace`. */
  trace?: TraceRecorder;
}

export class ConductorManager {
  readonly #scheduler: SchedulerRpc;
  readonly #compute: ComputeRpc;

  constructor(private readonly d: ConductorDeps) {
    this.#scheduler = new SchedulerRpc(d.bus);
    this.#compute = new ComputeRpc(d.bus);
  }

  listen(server: string): Promise<Listener> {
    return listen(this.d.bus, ConductorTopicDef, server, {
      ...objectEndpoint(this.d.objects),
      build_instances: (req) => this.buildInstances(req),
      record_trace_events: (a) => this.d.trace?.accept(a.events),
      migrate_server: (req) => this.#traced(req, 'migrate_server', (r) => migrateServer(this.d, { scheduler: this.#scheduler, compute: this.#compute }, r)),
      // From API 2.34 a cast (its errors are only logged and in the instance action), before it a call.
      live_migrate_instance: (req) => {
        const run = this.#traced(req, 'live_migrate_instance', (r) => liveMigrateInstance(this.d, { scheduler: this.#scheduler, compute: this.#compute }, r, req.sync ? 'conductor_migrate_server' : 'conductor_live_migrate_instance'));
        return req.sync ? run : run.catch((err) => this.d.log.warn({ instance: req.instanceUuid, err: (err as Error).message }, `Failed to compute_task_migrate_server: ${(err as Error).message}`));
      },
      unshelve_instance: (req) => unshelveInstance(this.d, { scheduler: this.#scheduler, compute: this.#compute }, req),
      // Only evacuations come here: a rebuild in place goes from the API to its host.
      rebuild_instance: (req) => evacuateInstance(this.d, { scheduler: this.#scheduler, compute: this.#compute }, req),
    });
  }

  /** Runs a compute task as a trace step; the scheduler's and computes' steps nest under it. */
  #traced<R extends { ctx: NovaContext; instanceUuid: string }, T>(req: R, step: string, fn: (req: R) => Promise<T>): Promise<T> {
    const t = this.d.trace;
    if (!t) return fn(req);
    return t.span({ requestId: req.ctx.requestId, instanceUuid: req.instanceUuid, parentId: req.ctx.spanId ?? null }, 'nova-conductor', step, (inner) => fn({ ...req, ctx: { ...req.ctx, spanId: inner.parentId! } }));
  }

  async buildInstances(req: BuildRequest): Promise<void> {
    const span = this.d.trace?.start({ requestId: req.ctx.requestId, instanceUuid: req.instanceUuid, parentId: req.ctx.spanId ?? null }, 'nova-conductor', 'build_instances', { attempt: req.attempt });
    if (span) req = { ...req, ctx: { ...req.ctx, spanId: span.id } };
    try {
      await this.#buildInstances(req, span?.end);
    } catch (e) {
      span?.end(undefined, e);
      throw e;
    }
  }

  async #buildInstances(req: BuildRequest, end?: (detail?: Record<string, unknown>, error?: unknown) => void): Promise<void> {
    const log = this.d.log.child({ instance: req.instanceUuid, req: req.ctx.requestId });
    let selection: Selection | null = null;
    let alternates = req.alternates;
    try {
      if (req.attempt > 1) {
        // A reschedule: the alternates the scheduler gave, claimed one by one.
        while (!selection && alternates.length > 0) {
          const [next, ...rest] = alternates;
          alternates = rest;
          const ok = await this.#scheduler.claim(req.ctx, next!.host, req.requestSpec);
          if (ok) selection = next!;
        }
        if (!selection) {
          throw new MaxRetriesExceeded(`Exhausted all hosts available for retrying build failures for instance ${req.instanceUuid}.`);
        }
      } else {
        const [hosts] = await this.d.actions.wrap(req.instanceUuid, req.ctx.requestId, 'conductor_schedule_and_build_instances', null, () =>
          this.#scheduler.selectDestinations(req.ctx, req.requestSpec),
        );
        [selection, ...alternates] = hosts!;
      }
      // schedule_and_build_instances: the instance takes the zone of the host it goes to
      // (get_host_availability_zone; no aggregates here, so the default zone).
      await this.d.instances.save(req.instanceUuid, { availabilityZone: this.d.cfg.compute.default_availability_zone });
    } catch (e) {
      const err = asNoValidHost(e);
      end?.(undefined, err);
      await this.#failBuild(req, err, log);
      return;
    }
    log.info(`Build of instance goes to host ${selection!.host} (attempt ${req.attempt})`);
    end?.({ host: selection!.host, alternates: alternates.map((a) => a.host) });
    await this.#compute.buildAndRunInstance(selection!.host, selection!.node, { ...req, alternates });
  }

  /**
   * At the start of the cloud, after every nova-compute's init_host: what the previous
   * run left with no host to settle it. A build still waiting for a host (scheduling, or
   * between a reschedule and the next host) ends in ERROR with a fault and its network
   * given back, as any build that found no host; a delete the API was doing locally is
   * finished. Zed leaves such instances in BUILD until an operator resets them; this
   * process runs nova's only conductor and scheduler, so nothing else can still be
   * working on them, and a user expects a failed build, not one that never ends.
   */
  async settleUnplacedInstances(ctx: NovaContext): Promise<void> {
    for (const i of await this.d.instances.listUnsettledWithoutHost()) {
      const log = this.d.log.child({ instance: i.uuid });
      try {
        if (i.taskState === TaskState.DELETING) {
          log.info('Deleting instance without a host from the database');
          const nwInfo = await this.d.instances.networkInfo(i.uuid);
          await this.d.network.deallocateForInstance(ctx, i, nwInfo).catch((err) => log.warn({ err }, 'Failed to deallocate network for instance.'));
          await this.d.instances.destroy(i.uuid);
          await deleteAllocation(this.d.db, i.uuid);
          continue;
        }
        log.warn('Build was interrupted before a host took it; setting instance to ERROR state');
        await failInterruptedBuild({ ...this.d, allocations: this.d.objects.allocations, host: null }, ctx, i, 'The build was interrupted by a restart of nova-conductor before a host took it.');
      } catch (err) {
        log.error({ err }, 'Failed to settle an instance left without a host');
      }
    }
  }

  /** nova's _set_vm_state_and_notify / _cleanup_when_reschedule_fails. */
  async #failBuild(req: BuildRequest, e: Error & { detail?: string }, log: Logger): Promise<void> {
    log.warn({ err: e.message }, `Failed to compute_task_build_instances: ${e.message}`);
    const instance = await this.d.instances.find(req.instanceUuid);
    if (!instance) return;
    try {
      await this.d.instances.save(req.instanceUuid, { vmState: VmState.ERROR, taskState: null, host: null, node: null });
      await this.d.instances.addFault(req.instanceUuid, faultFromError(e, null, req.tried));
      if (req.attempt > 1) {
        const nwInfo = await this.d.instances.networkInfo(req.instanceUuid);
        await this.d.network.deallocateForInstance(req.ctx, instance, nwInfo);
        await this.d.instances.saveNetworkInfo(req.instanceUuid, []);
      }
    } catch (err) {
      log.error({ err }, 'Failed to clean up after a failed build');
    } finally {
      await deleteAllocation(this.d.db, req.instanceUuid);
    }
  }
}

function asNoValidHost(e: unknown): Error & { detail?: string } {
  if (e instanceof RemoteError && e.excType === NoValidHost.wireType) {
    // Keep the scheduler's reason ("There are not enough hosts available.", "No such host - ...").
    const err = new NoValidHost(e.value.replace(/^No valid host was found\. /, ''));
    err.detail = e.detail ?? '';
    return err;
  }
  return e as Error;
}
