/**
 * `nimbus repair-vifs` on nova-api's side (DESIGN §7, seed §4.1): which instances and
 * VIFs to check (a host, a server, a port or a guest's fixed IP), their NetworkInfo from
 * nova's info cache, each host's devices over compute.<host>, and the plan of
 * repair-plan.ts; with apply, a fresh plan's commands run on the host through its
 * nova-compute (no restart) and the host is read again, so the answer shows what is left.
 *
 * Stale devices (no VIF owns them) are looked for only when no server, port or IP is
 * named, and removed only when asked: a port neutron still binds to the host is never
 * taken for stale. An instance in a task (building, migrating, deleting...) is left
 * alone and reported as skipped: its nova-compute may be plugging or unplugging it now.
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../../common/log.js';
import type { NovaContext } from '../context.js';
import { selectInstancesByDisplayName } from '../db/instances.js';
import type { NovaDB } from '../db/schema.js';
import { findServiceByHostAndBinary, selectServices } from '../db/services.js';
import { ComputeHostNotFound, FixedIpNotFoundForAddress, InstanceNotFound, InvalidInput, NoUniqueMatch, PortNotFound } from '../errors.js';
import type { NetworkInfo, VIF } from '../network/model.js';
import type { NeutronAPI } from '../network/neutron.js';
import type { Instance, InstanceStore } from '../objects/instance.js';
import type { ComputeRpc } from '../rpc.js';
import type { HostCommandResult } from '../virt/driver.js';
import type { HostCommand } from '../virt/vif.js';
import { type Difference, type RepairCommand, describeDifference } from './differences.js';
import { type RepairPlan, repairPlan } from './repair-plan.js';

export interface RepairSelector {
  host?: string | undefined;
  /** A server's uuid or name. */
  server?: string | undefined;
  port?: string | undefined;
  /** A fixed IP of a VIF. */
  ip?: string | undefined;
}

export interface RepairVifsDeps {
  db: Kysely<NovaDB>;
  instances: InstanceStore;
  network: NeutronAPI;
  compute: ComputeRpc;
  log: Logger;
}

/** A difference as the API shows it: its fields, a sentence, and its commands. */
export type DifferenceView = Difference & { description: string };

export interface VifView {
  instanceUuid: string;
  instanceName: string;
  portId: string;
  differences: DifferenceView[];
}

export interface PlanView {
  vifs: VifView[];
  stale: DifferenceView[];
  /** Instances not checked because a task is under way on them. */
  skipped: { instanceUuid: string; instanceName: string; reason: string }[];
}

/** One host's plan; error when the host could not be read (its nova-compute down...). */
export interface HostPlanView extends PlanView {
  host: string;
  error?: string;
}

export interface HostApplyView {
  host: string;
  before: PlanView | null;
  /** Each command run, in order; the first failure is the last one. */
  results: HostCommandResult[];
  after: PlanView | null;
  error?: string;
}

interface Target {
  host: string;
  instances: { uuid: string; name: string; networkInfo: NetworkInfo; busy: string | null }[];
  /** The whole host is checked: stale devices are looked for. */
  whole: boolean;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export class RepairVifs {
  constructor(private readonly d: RepairVifsDeps) {}

  /** The plan for every host selected (hosts in parallel: one down nova-compute costs one RPC timeout). */
  async plan(ctx: NovaContext, sel: RepairSelector): Promise<HostPlanView[]> {
    return Promise.all(
      (await this.#targets(sel)).map(async (t): Promise<HostPlanView> => {
        try {
          return { host: t.host, ...(await this.#plan(ctx, t)) };
        } catch (e) {
          return { host: t.host, vifs: [], stale: [], skipped: [], error: (e as Error).message };
        }
      }),
    );
  }

  /**
   * Plans each host afresh (never a plan read earlier), runs its commands there (stale
   * removals only with removeStale), and plans it again. Hosts are independent, so in parallel.
   */
  async apply(ctx: NovaContext, sel: RepairSelector, removeStale: boolean): Promise<HostApplyView[]> {
    return Promise.all((await this.#targets(sel)).map((t) => this.#applyOn(ctx, t, removeStale)));
  }

  async #applyOn(ctx: NovaContext, t: Target, removeStale: boolean): Promise<HostApplyView> {
    let before: PlanView | null = null;
    let results: HostCommandResult[] = [];
    try {
      before = await this.#plan(ctx, t);
      const commands = [...before.vifs.flatMap((v) => v.differences), ...(removeStale ? before.stale : [])].flatMap((d) => d.commands).map(hostCommand);
      if (commands.length) {
        this.d.log.info({ host: t.host, commands: commands.length }, 'repair-vifs: running the repair commands on the host');
        results = await this.d.compute.hostRunCommands(t.host, ctx, commands);
      }
      return { host: t.host, before, results, after: await this.#plan(ctx, t) };
    } catch (e) {
      return { host: t.host, before, results, after: null, error: (e as Error).message };
    }
  }

  async #plan(ctx: NovaContext, t: Target): Promise<PlanView> {
    const devices = await this.d.compute.hostDevices(t.host, ctx);
    const busy = t.instances.filter((i) => i.busy);
    const known = [...(t.whole ? await this.#portsBoundTo(ctx, t.host) : []), ...busy.flatMap((i) => i.networkInfo.map((v) => v.id))];
    const plan = repairPlan(
      devices,
      t.instances.filter((i) => !i.busy),
      { knownPortIds: known, skipStale: !t.whole },
    );
    return { ...view(plan, new Map(t.instances.map((i) => [i.uuid, i.name]))), skipped: busy.map((i) => ({ instanceUuid: i.uuid, instanceName: i.name, reason: i.busy! })) };
  }

  /** Ports neutron binds to the host (a migration's, an instance nova is still building): never stale. */
  async #portsBoundTo(ctx: NovaContext, host: string): Promise<string[]> {
    const ports = await this.d.network.listPorts(ctx, { 'binding:host_id': host, fields: ['id'] });
    return ports.map((p) => String(p.id));
  }

  /** The hosts to check and, on each, the instances and VIFs the selector names. */
  async #targets(sel: RepairSelector): Promise<Target[]> {
    const named = [sel.server, sel.port, sel.ip].filter((v) => v !== undefined);
    if (named.length > 1) throw new InvalidInput('give at most one of server, port and ip');
    let hosts: string[];
    if (sel.host !== undefined) {
      if (!(await findServiceByHostAndBinary(this.d.db, sel.host, 'nova-compute'))) throw new ComputeHostNotFound(sel.host);
      hosts = [sel.host];
    } else {
      hosts = [...new Set((await selectServices(this.d.db, { binary: 'nova-compute' })).map((s) => s.host).filter((h): h is string => !!h))].sort();
    }

    if (sel.server !== undefined) {
      const inst = await this.#server(sel.server);
      if (!inst.host || !hosts.includes(inst.host)) return [];
      return [{ host: inst.host, instances: [{ uuid: inst.uuid, name: inst.displayName, networkInfo: await this.d.instances.networkInfo(inst.uuid), busy: busy(inst) }], whole: false }];
    }

    const match: ((v: VIF) => boolean) | null =
      sel.port !== undefined ? (v) => v.id === sel.port : sel.ip !== undefined ? (v) => v.network.subnets.some((s) => s.ips.some((ip) => ip.address === sel.ip)) : null;
    const targets: Target[] = [];
    for (const host of hosts) {
      const instances = await this.d.instances.listByHost(host);
      const infos = await this.d.instances.networkInfos(instances.map((i) => i.uuid));
      const onHost = instances.map((i) => ({ uuid: i.uuid, name: i.displayName, networkInfo: (infos.get(i.uuid) ?? []).filter((v) => !match || match(v)), busy: busy(i) }));
      if (!match) targets.push({ host, instances: onHost, whole: true });
      else if (onHost.some((i) => i.networkInfo.length)) targets.push({ host, instances: onHost.filter((i) => i.networkInfo.length), whole: false });
    }
    if (match && !targets.length) throw sel.port !== undefined ? new PortNotFound(sel.port) : new FixedIpNotFoundForAddress(sel.ip!);
    return targets;
  }

  /** A live server by uuid or by its name (which must then be unique). */
  async #server(idOrName: string): Promise<Instance> {
    if (UUID.test(idOrName)) {
      const i = await this.d.instances.find(idOrName);
      if (i) return i;
    }
    const rows = await selectInstancesByDisplayName(this.d.db, idOrName);
    if (rows.length === 0) throw new InstanceNotFound(idOrName);
    if (rows.length > 1) throw new NoUniqueMatch(`Multiple servers are named ${idOrName}: give its uuid.`);
    return this.d.instances.get(rows[0]!.uuid);
  }
}

/** Why nova-compute may be changing the instance's VIFs right now, or null. */
function busy(i: Instance): string | null {
  if (i.taskState) return `task_state ${i.taskState}`;
  if (i.vmState === 'building') return 'vm_state building';
  return null;
}

/** What the host's nova-compute runs: the command without its printed line. */
function hostCommand(c: RepairCommand): HostCommand {
  return { argv: c.argv, ...(c.input !== undefined ? { input: c.input } : {}), ...(c.okExitCodes ? { okExitCodes: c.okExitCodes } : {}) };
}

function view(plan: RepairPlan, names: Map<string, string>): PlanView {
  const d = (x: Difference): DifferenceView => ({ ...x, description: describeDifference(x) });
  return {
    vifs: plan.vifs.map((v) => ({ instanceUuid: v.instanceUuid, instanceName: names.get(v.instanceUuid) ?? '', portId: v.portId, differences: v.differences.map(d) })),
    stale: plan.stale.map(d),
    skipped: [],
  };
}

export function isEmptyView(p: PlanView | null): boolean {
  return !!p && p.vifs.length === 0 && p.stale.length === 0;
}
