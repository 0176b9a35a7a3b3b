/**
 * One bridge's flow changes as the OVS agent makes them, batched: an iteration queues
 * adds and deletes, and flush() sends them in order as ONE `ovs-ofctl -O OpenFlow13
 * add-flows BR -` (flow file lines `add …` / `delete …` / `delete_strict …`), one process
 * per bridge per iteration instead of one per flow. Every added flow carries the agent's
 * cookie (ovs_lib's default_cookie, random at each agent start), so cleanupStale() after a
 * restart deletes what the previous run left (OVSAgentBridge.cleanup_flows), while a
 * re-added identical flow simply takes the new cookie and keeps forwarding meanwhile.
 */
import { CommandFailed, type HostNetwork } from '../../../hostnet/host-network.js';
import { type FlowSpec, OFCTL_PROTOCOL, flowLine } from './tables.js';

export class BridgeFlows {
  #lines: string[] = [];

  /**
   * @param cookie this agent run's cookie, as ovs-ofctl prints it (0x…)
   */
  constructor(
    private readonly net: HostNetwork,
    readonly bridge: string,
    readonly cookie: string,
  ) {}

  /** Queues a flow (replacing one with the same table, priority and match). */
  add(f: FlowSpec): void {
    this.#lines.push(`add ${flowLine(this.cookie, f)}`);
  }

  /** Queues a non-strict delete of every flow the match covers (uninstall_flows). */
  del(match: string): void {
    this.#lines.push(`delete ${match}`);
  }

  /** Queues a strict delete (priority and match exactly). */
  delStrict(match: string): void {
    this.#lines.push(`delete_strict ${match}`);
  }

  /** Whether anything is queued. */
  get pending(): boolean {
    return this.#lines.length > 0;
  }

  /** The queued lines (tests). */
  queued(): readonly string[] {
    return this.#lines;
  }

  /**
   * Sends the queue as one ovs-ofctl process (nothing when empty); the queue is emptied
   * whether it succeeds or not. Throws CommandFailed as ovs-ofctl fails (no such bridge,
   * a bad line: then none of the batch is applied, as ovs-ofctl parses the file first).
   */
  async flush(): Promise<void> {
    if (!this.#lines.length) return;
    const input = `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    await this.net.execute(['ovs-ofctl', '-O', OFCTL_PROTOCOL, 'add-flows', this.bridge, '-'], { input });
  }

  /**
   * cleanup_flows: deletes every flow whose cookie is not this run's (one dump-flows, then
   * one add-flows of `delete cookie=C/-1` lines). Returns the stale cookies removed.
   */
  async cleanupStale(): Promise<string[]> {
    await this.flush();
    let dump: string;
    try {
      dump = await this.net.execute(['ovs-ofctl', '-O', OFCTL_PROTOCOL, 'dump-flows', this.bridge]);
    } catch (e) {
      if (e instanceof CommandFailed) return [];
      throw e;
    }
    const stale = new Set<string>();
    for (const m of dump.matchAll(/cookie=(0x[0-9a-f]+)/g)) if (m[1] !== this.cookie) stale.add(m[1]!);
    for (const c of stale) this.#lines.push(`delete cookie=${c}/-1`);
    await this.flush();
    return [...stale];
  }
}
