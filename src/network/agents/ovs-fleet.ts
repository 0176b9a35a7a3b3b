/**
 * Simulated Open vSwitch agents for every hypervisor host (STYLE 9): each host is a row
 * of data, and one timer ticks every [agent] report_interval for all of them, sending
 * each reporting host's report_state to neutron-server (a call on q-reports-plugin with
 * the interval as timeout, as PluginReportStateAPI does) through a small shared pool.
 * Fault injection is data: setReporting(host, false) silences a host so it goes down
 * after agent_down_time; configure(host, ...) changes what it reports. This module
 * never touches a database.
 *
 * Seam for the next step: a HostWorker added with addWorker runs on the same tick for
 * every host (the br-int watcher that sees new interfaces and calls update_device_up),
 * and its `devices(host)` feeds the report's `devices` count.
 */
import type { Bus } from '../../bus/bus.js';
import { faultBook } from '../../common/faults.js';
import { rpcClient } from '../../bus/contract.js';
import { ReportsTopicDef } from '../rpc/topics.js';
import { type Clock, type Random, type TimerHandle, systemRandom } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { type AgentConfig, LOCAL_RESOURCE_VERSIONS, agentConfigurations, defaultAgentConfig } from './ovs-agent-config.js';
import { reportTime } from './report-time.js';
import { AgentBinaries, AgentTypes, type AgentStateReport, type AgentStatus, L2_AGENT_TOPIC, type ReportStateArgs } from './types.js';

/** A read-only view of one simulated host's agent. */
export interface FleetHost {
  readonly host: string;
  readonly config: Readonly<AgentConfig>;
  /** False while fault injection keeps it silent. */
  readonly reporting: boolean;
  /** Server's answer to the last report that got through. */
  readonly lastStatus: AgentStatus | null;
  /** Clock time of the last report that got through. */
  readonly lastReportAt: number | null;
}

/** Per-host work run on every tick (next issue: watch br-int, call update_device_up). */
export interface HostWorker {
  /** Ports on the host's br-int, reported as configurations.devices. */
  devices?(host: string): number;
  tick(host: FleetHost): Promise<void>;
}

interface HostState {
  host: string;
  config: AgentConfig;
  reporting: boolean;
  startFlag: boolean;
  inFlight: boolean;
  lastStatus: AgentStatus | null;
  lastReportAt: number | null;
}

export interface OvsAgentFleetDeps {
  bus: Bus;
  clock: Clock;
  log: Logger;
  cfg: Config;
  random?: Random;
  /** Reports in flight at once (the shared pool). */
  concurrency?: number;
}

export class OvsAgentFleet {
  readonly #hosts = new Map<string, HostState>();
  readonly #workers: HostWorker[] = [];
  readonly #random: Random;
  readonly #concurrency: number;
  #timer: TimerHandle | null = null;
  #running = false;
  #added = 0;

  constructor(private readonly deps: OvsAgentFleetDeps) {
    this.#random = deps.random ?? systemRandom;
    this.#concurrency = deps.concurrency ?? 16;
  }

  /** Adds a host (its agent reports at once when the fleet runs); overrides replace [agent] defaults. */
  async addHost(host: string, overrides: Partial<AgentConfig> = {}): Promise<void> {
    if (this.#hosts.has(host)) throw new Error(`host ${host} already has an OVS agent`);
    const state: HostState = {
      host,
      config: { ...defaultAgentConfig(this.deps.cfg, this.#added++, host), ...overrides },
      reporting: true,
      startFlag: true,
      inFlight: false,
      lastStatus: null,
      lastReportAt: null,
    };
    this.#hosts.set(host, state);
    if (this.#running) await this.#report(state);
  }

  /** Forgets a host: its agent row stays and goes down after agent_down_time, as a vanished node's would. */
  removeHost(host: string): void {
    this.#hosts.delete(host);
  }

  /** Adds per-host work done on every tick. */
  addWorker(worker: HostWorker): void {
    this.#workers.push(worker);
  }

  /** Reports every host now, then every report_interval seconds until stop(). */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    // Fault injection (agent-down): a host under the fault stops reporting; lifted, it reports at once.
    const faults = faultBook(this.deps.bus, { clock: this.deps.clock, log: this.deps.log, name: this.#random.uuid() });
    this.#unfault = faults.onState('agent-down', (host, down) => (this.#hosts.has(host) ? this.setReporting(host, !down) : undefined));
    await faults.start();
    this.#schedule();
    await this.#round();
  }
  #unfault: (() => void) | null = null;

  /** Stops the timer; reports in flight finish. */
  stop(): void {
    this.#unfault?.();
    this.#unfault = null;
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Fault injection: a silent host's agent goes down after agent_down_time; resuming reports at once. */
  async setReporting(host: string, on: boolean): Promise<void> {
    const s = this.#get(host);
    const resumed = on && !s.reporting;
    s.reporting = on;
    if (resumed && this.#running) await this.#report(s);
  }

  /**
   * Changes a host's agent configuration, as an operator editing openvswitch_agent.ini and
   * restarting the agent: the next report (sent now when running) carries start_flag.
   */
  async configure(host: string, changes: Partial<AgentConfig>): Promise<void> {
    const s = this.#get(host);
    s.config = { ...s.config, ...changes };
    s.startFlag = true;
    if (this.#running && s.reporting) await this.#report(s);
  }

  /** Sends one host's report now (tests, tools), whether or not the timer runs. */
  async reportNow(host: string): Promise<AgentStatus | null> {
    const s = this.#get(host);
    await this.#report(s);
    return s.lastStatus;
  }

  /** Every host, in the order added. */
  hosts(): FleetHost[] {
    return [...this.#hosts.values()].map((s) => this.#view(s));
  }

  /** One host's view, or undefined. */
  host(host: string): FleetHost | undefined {
    const s = this.#hosts.get(host);
    return s && this.#view(s);
  }

  #view(s: HostState): FleetHost {
    return { host: s.host, config: { ...s.config }, reporting: s.reporting, lastStatus: s.lastStatus, lastReportAt: s.lastReportAt };
  }

  #get(host: string): HostState {
    const s = this.#hosts.get(host);
    if (!s) throw new Error(`no simulated OVS agent on host ${host}`);
    return s;
  }

  #intervalMs(): number {
    return this.deps.cfg.agent.report_interval * 1000;
  }

  #schedule(): void {
    if (!this.#running || this.#intervalMs() <= 0) return;
    this.#timer = this.deps.clock.after(this.#intervalMs(), () => {
      this.#schedule();
      void this.#round();
    });
  }

  /** One tick: every host's report and workers through a pool of #concurrency. */
  async #round(): Promise<void> {
    const queue = [...this.#hosts.values()];
    const next = async (): Promise<void> => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        await this.#report(s);
        for (const w of this.#workers) {
          await w.tick(this.#view(s)).catch((e: unknown) => this.deps.log.error({ err: e, host: s!.host }, 'host worker failed'));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, queue.length) }, next));
  }

  #buildReport(s: HostState): AgentStateReport {
    const devices = this.#workers.reduce((n, w) => n + (w.devices?.(s.host) ?? 0), 0);
    const report: AgentStateReport = {
      binary: AgentBinaries.ovs,
      host: s.host,
      topic: L2_AGENT_TOPIC,
      configurations: agentConfigurations(s.config, devices),
      agent_type: AgentTypes.ovs,
      uuid: this.#random.uuid(),
    };
    if (s.config.availability_zone) report.availability_zone = s.config.availability_zone;
    if (s.startFlag) {
      report.resource_versions = { ...LOCAL_RESOURCE_VERSIONS };
      report.start_flag = true;
    }
    return report;
  }

  async #report(s: HostState): Promise<void> {
    if (!s.reporting || s.inFlight) return;
    s.inFlight = true;
    const args: ReportStateArgs = { agent_state: { agent_state: this.#buildReport(s) }, time: reportTime(this.deps.clock.now()) };
    try {
      const status = await rpcClient(this.deps.bus, ReportsTopicDef).call('report_state', args, {
        timeoutMs: this.#intervalMs() || undefined,
      });
      if (status === 'revived') this.deps.log.info({ host: s.host }, 'Agent has just been revived. Doing a full sync.');
      s.lastStatus = status;
      s.lastReportAt = this.deps.clock.now();
      s.startFlag = false;
    } catch (e) {
      this.deps.log.warn({ err: e, host: s.host }, 'Failed reporting state!');
    } finally {
      s.inFlight = false;
    }
  }
}
