/**
 * What the port plugin tells others after a commit (neutron's callback registry for the
 * PORT resource, reduced to what Nimbus listens to): the nova notifier, agents' notifiers.
 * Listeners run synchronously after the transaction committed; one that throws is
 * logged and never fails the port operation or the other listeners.
 */
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';

/** Port statuses (neutron_lib.constants.PORT_STATUS_*). */
export const PortStatuses = {
  active: 'ACTIVE',
  build: 'BUILD',
  down: 'DOWN',
  error: 'ERROR',
} as const;
export type PortStatus = (typeof PortStatuses)[keyof typeof PortStatuses];

/** One port whose status column changed, with what the nova notifier needs of it. */
export interface PortStatusChange {
  id: string;
  device_id: string;
  device_owner: string;
  network_id: string;
  /** The status before ("DOWN" for a port just created). */
  previous: string;
  current: string;
}

/** A port's active binding moved to another host (binding-extended's activate). */
export interface BindingActivation {
  portId: string;
  networkId: string;
  /** The host whose binding became INACTIVE. */
  deactivatedHost: string;
  /** The host whose binding became ACTIVE. */
  activatedHost: string;
}

/** Event name → listener arguments. */
export interface PortEventMap {
  /** After every API create_port committed (bound or not). */
  afterCreate: [port: Dict];
  /** After an API update_port (original: the port before) or a create_port that bound the port (original null). */
  afterUpdate: [port: Dict, original: Dict | null];
  /** After an API delete_port, with the port as it was. */
  afterDelete: [port: Dict];
  /** After any commit that changed a port's status (agents' reports, unbinding). */
  statusChanged: [change: PortStatusChange];
  /** After an activate committed: the agents of both hosts are told. */
  bindingActivated: [activation: BindingActivation];
}

type Listener<K extends keyof PortEventMap> = (...args: PortEventMap[K]) => void;

export class PortEvents {
  readonly #listeners: { [K in keyof PortEventMap]: Listener<K>[] } = { afterCreate: [], afterUpdate: [], afterDelete: [], statusChanged: [], bindingActivated: [] };

  constructor(private readonly log?: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof PortEventMap>(kind: K, listener: Listener<K>): () => void {
    const list = this.#listeners[kind] as Listener<K>[];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends keyof PortEventMap>(kind: K, ...args: PortEventMap[K]): void {
    for (const l of this.#listeners[kind] as Listener<K>[]) {
      try {
        l(...args);
      } catch (e) {
        this.log?.error({ err: e, event: kind }, 'port event listener failed');
      }
    }
  }
}
