/**
 * Where nova waits for network-vif-plugged (nova/compute/manager.py InstanceEvents and
 * ComputeVirtAPI.wait_for_instance_event): spawn registers for the events of every VIF
 * not yet active, plugs, then waits; neutron's POST to os-server-external-events reaches
 * this host as external_instance_event and pops the waiter. A deadline that passes
 * raises eventlet's Timeout (here EventWaitTimeout); a "failed" event calls the
 * driver's error callback.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Instance } from '../objects/instance.js';
import type { ExternalEvent } from '../rpc.js';

export class EventWaitTimeout extends Error {
  constructor(readonly pending: string[]) {
    super(`Timeout waiting for ${pending.join(', ')}`);
    this.name = 'Timeout';
  }
}

interface Waiter {
  resolve(ev: ExternalEvent): void;
  reject(e: unknown): void;
}

export const eventKey = (name: string, tag: string | null) => (tag ? `${name}-${tag}` : name);

export class InstanceEvents {
  /** instance uuid → event key → waiter. */
  readonly #events = new Map<string, Map<string, Waiter>>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** prepare_for_instance_event: a promise that settles when the event comes. */
  prepare(instanceUuid: string, name: string, tag: string): Promise<ExternalEvent> {
    let byName = this.#events.get(instanceUuid);
    if (!byName) this.#events.set(instanceUuid, (byName = new Map()));
    const key = eventKey(name, tag);
    return new Promise<ExternalEvent>((resolve, reject) => byName!.set(key, { resolve, reject }));
  }

  /** pop_instance_event: hands the event to its waiter; false when nobody waited. */
  pop(instanceUuid: string, ev: ExternalEvent): boolean {
    const byName = this.#events.get(instanceUuid);
    const key = eventKey(ev.name, ev.tag);
    const w = byName?.get(key);
    if (!w) return false;
    byName!.delete(key);
    if (byName!.size === 0) this.#events.delete(instanceUuid);
    w.resolve(ev);
    return true;
  }

  /** clear_events_for_instance: a delete cancels whatever a build still waits for. */
  clear(instanceUuid: string): void {
    const byName = this.#events.get(instanceUuid);
    if (!byName) return;
    this.#events.delete(instanceUuid);
    for (const [key, w] of byName) w.reject(new Error(`Event ${key} cancelled: the instance is being deleted`));
  }

  /** Keys of the events an instance waits for. */
  pending(instanceUuid: string): string[] {
    return [...(this.#events.get(instanceUuid)?.keys() ?? [])];
  }

  /**
   * wait_for_instance_event: register, run body (the plug), wait up to deadlineS for all
   * events; onFailed is the driver's error callback for an event with status failed.
   */
  async waitFor(
    instance: Instance,
    events: [string, string][],
    deadlineS: number,
    body: () => Promise<void>,
    onFailed: (eventName: string) => void,
  ): Promise<void> {
    if (events.length === 0) return body();
    const started = this.clock.now();
    const waits = events.map(([name, tag]) => this.prepare(instance.uuid, name, tag));
    try {
      await body();
    } catch (e) {
      for (const [name, tag] of events) this.#drop(instance.uuid, eventKey(name, tag));
      waits.forEach((w) => w.catch(() => undefined));
      throw e;
    }
    let timer: { cancel(): void } | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.after(deadlineS * 1000, () => reject(new EventWaitTimeout(this.pending(instance.uuid))));
    });
    try {
      for (const w of waits) {
        const ev = await Promise.race([w, timeout]);
        if (ev.status === 'failed') onFailed(eventKey(ev.name, ev.tag));
      }
      this.log.debug({ instance: instance.uuid }, `Instance event wait completed in ${Math.round((this.clock.now() - started) / 1000)} seconds for ${events.map((e) => e[0]).join(',')}`);
    } catch (e) {
      if (e instanceof EventWaitTimeout) {
        this.log.warn(
          { instance: instance.uuid },
          `Timeout waiting for [${events.map(([n, t]) => `'${n}-${t}'`).join(', ')}] for instance with vm_state ${instance.vmState} and task_state ${instance.taskState}. Event states are: ${events
            .map(([n, t]) => `${n}-${t}: ${this.pending(instance.uuid).includes(eventKey(n, t)) ? 'timed out' : 'received'}`)
            .join(', ')}`,
        );
        for (const [name, tag] of events) this.#drop(instance.uuid, eventKey(name, tag));
      }
      waits.forEach((w) => w.catch(() => undefined));
      throw e;
    } finally {
      (timer as { cancel(): void } | null)?.cancel();
    }
  }

  #drop(instanceUuid: string, key: string): void {
    const byName = this.#events.get(instanceUuid);
    byName?.delete(key);
    if (byName?.size === 0) this.#events.delete(instanceUuid);
  }
}
