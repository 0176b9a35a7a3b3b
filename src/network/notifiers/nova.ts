/**
 * neutron's nova notifier (neutron/notifiers/nova.py, Zed): tells nova about its ports
 * through `POST {compute endpoint}/os-server-external-events`, the only way neutron
 * reaches nova.
 *
 * Which events (only for compute ports: device_owner "compute:*" and a uuid-like
 * device_id):
 * - status changes ([network] notify_nova_on_port_status_changes, neutron's [DEFAULT]
 *   option): DOWN/BUILD (or a new row) → ACTIVE gives network-vif-plugged "completed",
 *   → ERROR network-vif-plugged "failed"; ACTIVE → DOWN gives network-vif-unplugged
 *   "completed"; nothing else;
 * - data changes ([network] notify_nova_on_port_data_changes), after an API request:
 *   every update_port gives network-changed, delete_port gives network-vif-deleted;
 *   create_port gives nothing; creating, updating or deleting a floating IP associated
 *   with a compute port gives network-changed for that port's server (and for the
 *   previous port's server too when an update moves the floating IP between ports);
 * - notify_port_active_direct: network-vif-plugged "completed" for a compute port that
 *   came up on a host it is not bound to (live migration).
 *
 * Batching (BatchNotifier): the first event is sent on the next tick; events arriving
 * while a batch is sent or during the send_events_interval seconds after it wait and go
 * together in the next POST.
 *
 * Sending: as the `nova` service user of project `service` (keystoneauth password
 * plugin, identity's /v3), to the public `compute` endpoint of its catalog. The endpoint
 * is looked up lazily: when it is missing the session authenticates once more to get a
 * fresh catalog (nova-api registers after neutron-server starts), then gives up for
 * this batch. Answers are logged as neutron logs them ("Nova event matching [...]
 * response: {...}"); errors — no compute endpoint, 404 for unknown servers, a 5xx, a
 * connection failure after retrying for a second — are logged and the events dropped.
 * Nothing here ever fails the port operation that caused the event.
 */
import type { Clock } from '../../common/clock.js';
import { type Config, servicePassword } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { type RestResponse, ServiceSession, restCall } from '../../common/rest-client.js';
import type { Dict } from '../api/resource.js';
import type { FloatingIpAction, FloatingIps } from '../plugin/floating-ips.js';
import type { PortEvents, PortStatusChange } from '../plugin/port-events.js';
import type { FaultBook } from '../../common/faults.js';

export const VIF_PLUGGED = 'network-vif-plugged';
export const VIF_UNPLUGGED = 'network-vif-unplugged';
export const VIF_DELETED = 'network-vif-deleted';
export const NETWORK_CHANGED = 'network-changed';
const COMPUTE_PREFIX = 'compute:';
/** NEUTRON_NOVA_EVENT_STATUS_MAP. */
const EVENT_STATUS: Record<string, string> = { ACTIVE: 'completed', ERROR: 'failed', DOWN: 'completed' };
const NOVA_API_VERSION = '2.1';

/** One server external event as neutron sends it (key order as neutron builds them). */
export interface NovaEvent {
  name: string;
  server_uuid: string;
  tag: string;
  status?: string;
}

/** What the notifier needs of a port. */
export interface NotifiablePort {
  id: string;
  device_id: string;
  device_owner: string;
}

/** Sends one batch to nova; the default one is ServiceSessionNovaClient. */
export interface NovaEventsClient {
  createEvents(events: NovaEvent[]): Promise<RestResponse>;
  /** Authenticates and finds nova ahead of the first batch; never fails. */
  prepare?(): Promise<void>;
}

export interface NovaNotifierDeps {
  cfg: Config;
  log: Logger;
  clock: Clock;
  /** How batches reach nova. */
  client: NovaEventsClient;
  /** A port by id (an admin read), for floating IP events; null when it is gone. */
  getPort?: (id: string) => Promise<NotifiablePort | null>;
  /** Fault injection: vif-plugged-drop, -delay and -duplicate faults apply to network-vif-plugged events. */
  faults?: FaultBook;
  /** Told of each POST to nova as it starts; the function it returns, of nova's status or the failure (`nimbus trace`). */
  onSend?: (events: NovaEvent[]) => (result: { status: number | null; error?: unknown }) => void;
}

/** uuidutils.is_uuid_like: what Python's uuid.UUID() accepts (32 hex digits; dashes, braces, urn:uuid: and case aside). */
export function isUuidLike(v: string): boolean {
  return /^[0-9a-f]{32}$/.test(v.toLowerCase().replace('urn:', '').replace('uuid:', '').replace(/^\{+|\}+$/g, '').replace(/-/g, ''));
}

/** Notifier._is_compute_port. */
export function isComputePort(port: Partial<NotifiablePort>): boolean {
  return !!port.device_id && isUuidLike(port.device_id) && typeof port.device_owner === 'string' && port.device_owner.startsWith(COMPUTE_PREFIX);
}

export class NovaNotifier {
  #pending: NovaEvent[] = [];
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(private readonly d: NovaNotifierDeps) {}

  /** Subscribes to the port plugin's events; returns the unsubscribe function. */
  attach(events: PortEvents): () => void {
    const offs = [
      events.on('statusChanged', (c) => this.recordPortStatusChanged(c)),
      events.on('afterUpdate', (port, original) => {
        if (original) this.sendNetworkChange('update_port', original, port);
      }),
      events.on('afterDelete', (port) => this.sendNetworkChange('delete_port', port, port)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Subscribes to the floating IP plugin's operations; returns the unsubscribe function. */
  attachFloatingIps(fips: FloatingIps): () => void {
    const l = (action: FloatingIpAction, original: Dict, returned: Dict) => {
      this.#fipChain = this.#fipChain
        .then(() => this.sendFloatingIpChange(action, original, returned))
        .catch((e: unknown) => this.d.log.error({ err: e, action }, 'floating IP notification failed'));
    };
    fips.listeners.push(l);
    return () => {
      const i = fips.listeners.indexOf(l);
      if (i >= 0) fips.listeners.splice(i, 1);
    };
  }
  #fipChain: Promise<void> = Promise.resolve();

  /** send_network_change for floating IPs: network-changed for the server of the (previous) associated compute port. */
  async sendFloatingIpChange(action: FloatingIpAction, original: Dict, returned: Dict): Promise<void> {
    if (!this.d.cfg.network.notify_nova_on_port_data_changes || !this.d.getPort) return;
    const portIds: string[] = [];
    if (action === 'update_floatingip' && returned.port_id && original.port_id) portIds.push(original.port_id as string);
    const portId = (returned.port_id ?? original.port_id) as string | null | undefined;
    if (portId) portIds.push(portId);
    for (const id of portIds) {
      const port = await this.d.getPort(id);
      if (!port) {
        this.d.log.debug({ port: id }, `Port ${id} was deleted, no need to send any notification`);
        continue;
      }
      if (isComputePort(port)) this.queueEvent({ name: NETWORK_CHANGED, server_uuid: port.device_id, tag: port.id });
    }
  }

  /** record_port_status_changed + send_port_status: the status transitions nova waits for. */
  recordPortStatusChanged(c: PortStatusChange): void {
    if (!this.d.cfg.network.notify_nova_on_port_status_changes) return;
    if (!this.#canNotify(c)) return;
    let name: string;
    if (c.previous === 'ACTIVE' && c.current === 'DOWN') name = VIF_UNPLUGGED;
    else if (['DOWN', 'BUILD', ''].includes(c.previous) && (c.current === 'ACTIVE' || c.current === 'ERROR')) name = VIF_PLUGGED;
    else {
      this.d.log.debug({ port: c.id }, `Ignoring state change previous_port_status: ${c.previous} current_port_status: ${c.current} port_id ${c.id}`);
      return;
    }
    this.queueEvent({ server_uuid: c.device_id, name, status: EVENT_STATUS[c.current]!, tag: c.id });
  }

  /** send_network_change for ports: network-changed on update_port, network-vif-deleted on delete_port. */
  sendNetworkChange(action: 'update_port' | 'delete_port', _original: Dict, returned: Dict): void {
    if (!this.d.cfg.network.notify_nova_on_port_data_changes) return;
    const port = returned as unknown as NotifiablePort;
    if (!isComputePort(port)) return;
    if (action === 'delete_port') this.queueEvent({ server_uuid: port.device_id, name: VIF_DELETED, tag: port.id });
    else this.queueEvent({ name: NETWORK_CHANGED, server_uuid: port.device_id, tag: port.id });
  }

  /** notify_port_active_direct: a compute port wired on a host other than its binding's. */
  notifyPortActiveDirect(port: NotifiablePort): void {
    if (!this.d.cfg.network.notify_nova_on_port_status_changes) return;
    if (!this.#canNotify(port)) return;
    this.queueEvent({ server_uuid: port.device_id, name: VIF_PLUGGED, status: 'completed', tag: port.id });
  }

  #canNotify(port: Partial<NotifiablePort>): boolean {
    if (!port.id) {
      this.d.log.warn('Port ID not set! Nova will not be notified of port status change.');
      return false;
    }
    if (!port.device_id) {
      this.d.log.debug({ port: port.id }, `device_id is not set on port ${port.id} yet.`);
      return false;
    }
    return isComputePort(port);
  }

  /**
   * Signs in to keystone and finds nova's endpoint now, once nova is in the catalog:
   * the first batch would otherwise wait for that behind whatever load caused it.
   */
  prepare(): Promise<void> {
    return this.d.client.prepare?.() ?? Promise.resolve();
  }

  /** BatchNotifier.queue_event: the first event goes on the next tick, later ones with the next batch. */
  queueEvent(event: NovaEvent | null | undefined): void {
    if (!event || this.#closed) return;
    const faults = this.d.faults;
    if (faults && event.name === VIF_PLUGGED) {
      const drop = faults.take('vif-plugged-drop');
      if (drop) {
        this.d.log.warn({ event, fault: drop.id }, `Injected fault ${drop.id}: dropping ${pyRepr(event)}`);
        return;
      }
      const delay = faults.take('vif-plugged-delay');
      if (delay) {
        this.d.log.warn({ event, fault: delay.id }, `Injected fault ${delay.id}: delaying ${pyRepr(event)} by ${delay.params.delay} s`);
        this.d.clock.after(Number(delay.params.delay) * 1000, () => this.#enqueue(event));
        return;
      }
      const twice = faults.take('vif-plugged-duplicate');
      if (twice) {
        this.d.log.warn({ event, fault: twice.id }, `Injected fault ${twice.id}: sending ${pyRepr(event)} twice`);
        this.#enqueue(event);
      }
    }
    this.#enqueue(event);
  }

  #enqueue(event: NovaEvent): void {
    if (this.#closed) return;
    this.#pending.push(event);
    this.#running ??= Promise.resolve()
      .then(() => this.#sendLoop())
      .finally(() => (this.#running = null));
  }

  async #sendLoop(): Promise<void> {
    const intervalMs = this.d.cfg.network.send_events_interval * 1000;
    while (this.#pending.length && !this.#closed) {
      const batch = this.#pending;
      this.#pending = [];
      await this.#sendEvents(batch);
      // Sleeping while holding the batch lets later events queue up for one POST.
      if (intervalMs > 0) await this.d.clock.sleep(intervalMs);
      else await Promise.resolve();
    }
  }

  /** Resolves when nothing is queued or being sent (tests, shutdown with a real clock). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Drops whatever is still queued; a POST in flight finishes on its own. */
  close(): void {
    this.#closed = true;
    this.#pending = [];
  }

  /** Events queued and not yet sent. */
  get pending(): readonly NovaEvent[] {
    return this.#pending;
  }

  /** send_events: one POST, nova's answer logged per event, every failure logged and swallowed. */
  async #sendEvents(events: NovaEvent[]): Promise<void> {
    const { log } = this.d;
    const shown = pyRepr(events);
    log.debug(`Sending events: ${shown}`);
    let res: RestResponse;
    const sent = this.d.onSend?.(events);
    try {
      res = await this.#withConnectRetry(() => this.d.client.createEvents(events));
      sent?.({ status: res.status });
    } catch (e) {
      sent?.({ status: null, error: e });
      log.error({ err: e, events }, `Failed to notify nova on events: ${shown}`);
      return;
    }
    if (res.status === 404) {
      log.debug({ events }, `Nova returned NotFound for event: ${shown}`);
      return;
    }
    if (res.status < 200 || res.status >= 300) {
      log.error({ status: res.status, body: res.body, events }, `Failed to notify nova on events: ${shown}`);
      return;
    }
    const answered = (res.body as { events?: unknown } | null)?.events;
    if (!Array.isArray(answered)) {
      log.error({ body: res.body }, `Error response returned from nova: ${pyRepr(res.body)}`);
      return;
    }
    const prefix = res.requestId ? `Nova event matching ${pyRepr([res.requestId])}` : 'Nova event';
    let responseError = false;
    for (const ev of answered as Record<string, unknown>[]) {
      if (!ev || typeof ev !== 'object' || !('code' in ev)) {
        responseError = true;
        continue;
      }
      if (ev.code !== 200) log.warn({ event: ev }, `${prefix}: ${pyRepr(ev)} returned with failed status`);
      else log.info({ event: ev }, `${prefix} response: ${pyRepr(ev)}`);
    }
    if (responseError) log.error({ body: res.body }, `Error response returned from nova: ${pyRepr(answered)}`);
  }

  /** tenacity's retry of RetriableConnectionFailure: exponential waits from 10 ms up to 1 s, for one second. */
  async #withConnectRetry<T>(fn: () => Promise<T>): Promise<T> {
    const start = this.d.clock.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isConnectionFailure(e) || this.d.clock.now() - start >= 1000) throw e;
        this.d.log.debug({ err: e, attempt }, 'Retrying nova notification after a connection failure');
        await this.d.clock.sleep(Math.min(1000, 10 * 2 ** attempt));
      }
    }
  }
}

/** A transport-level failure (refused, reset, DNS), which keystoneauth calls RetriableConnectionFailure. */
function isConnectionFailure(e: unknown): boolean {
  const code = (e as { code?: string; cause?: { code?: string } })?.code ?? (e as { cause?: { code?: string } })?.cause?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/.test(code);
}

/** The nova service user's view of nova: its token, the compute endpoint, the events POST. */
export class ServiceSessionNovaClient implements NovaEventsClient {
  readonly #session: ServiceSession;

  constructor(
    /** Keystone's v3 URL (…/v3). */
    authUrl: string,
    cfg: Config,
  ) {
    this.#session = new ServiceSession({
      authUrl,
      username: 'nova',
      password: servicePassword(cfg, 'nova'),
      projectName: 'service',
      region: cfg.DEFAULT.region,
    });
  }

  async createEvents(events: NovaEvent[]): Promise<RestResponse> {
    const endpoint = await this.#computeEndpoint();
    const send = async () =>
      restCall('POST', `${endpoint}/os-server-external-events`, {
        token: await this.#session.token(),
        headers: { 'x-openstack-nova-api-version': NOVA_API_VERSION },
        body: { events },
      });
    let res = await send();
    if (res.status === 401) {
      this.#session.invalidate();
      res = await send();
    }
    return res;
  }

  /** The compute endpoint, authenticating again once when the cached catalog has none yet. */
  async prepare(): Promise<void> {
    await this.#computeEndpoint().catch(() => undefined);
  }

  async #computeEndpoint(): Promise<string> {
    try {
      return await this.#session.endpoint('compute');
    } catch {
      this.#session.invalidate();
      return this.#session.endpoint('compute');
    }
  }
}

/** Python's repr() of JSON-like data, for log lines worded as neutron's. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}
