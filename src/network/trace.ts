/**
 * neutron-server's part of `nimbus trace`: the REST calls nova makes on ports (with
 * nova's request id from x-openstack-request-id and its span from the W3C traceparent
 * header), the binding, the OVS agent fetching a device's details and reporting it up,
 * the port's status changes and the events posted to nova — each keyed by the port's
 * device_id (the instance uuid) and written to nimbus_trace_events in neutron's database.
 *
 * Agents and the notifier act on a port, not on a request: their steps take the request
 * id nova last used on that device, remembered here (bounded maps; neutron-server is one
 * process for both its REST API and its agents' RPC, embedded or distributed).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TraceEvent, TraceRecorder, TraceScope } from '../common/trace.js';
import { InvalidInput, PolicyNotAuthorized } from './errors.js';
import type { Dict } from './api/resource.js';
import type { NovaEvent } from './notifiers/nova.js';
import type { PortEvents } from './plugin/port-events.js';

const GLOBAL_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const SERVICE = 'neutron-server';
/** Ports and devices remembered; the oldest are forgotten first (Map keeps insertion order). */
const REMEMBERED = 50_000;

function remember<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > REMEMBERED) m.delete(m.keys().next().value!);
}

export class NeutronTrace {
  /** device_id → the request id nova last used on it. */
  readonly #deviceRequest = new Map<string, string>();
  /** port id → its device_id. */
  readonly #portDevice = new Map<string, string>();

  constructor(readonly recorder: TraceRecorder) {}

  /** The scope of a step on a device: nova's last request on it, else one named after the device. */
  #scope(deviceId: string | null | undefined): TraceScope {
    const d = deviceId || null;
    return { requestId: (d && this.#deviceRequest.get(d)) || `req-${d ?? 'neutron'}`, instanceUuid: d };
  }

  #learn(port: Dict | null | undefined, requestId?: string): void {
    const id = port?.id;
    const device = port?.device_id;
    if (typeof id !== 'string' || typeof device !== 'string' || !device) return;
    remember(this.#portDevice, id, device);
    if (requestId) remember(this.#deviceRequest, device, requestId);
  }

  /**
   * GET /v2.0/nimbus/trace-events?device_id=ID[&request_id=R...]: the steps recorded here
   * for an instance (and for nova's requests on it), admin only. nova-api's operator API
   * reads them with nova's neutron admin client and merges them with its own: neutron's
   * database stays neutron's, in one process or several.
   */
  registerReadApi(app: FastifyInstance, read: (deviceId: string, requestIds: string[]) => Promise<TraceEvent[]>): void {
    app.get('/v2.0/nimbus/trace-events', async (req) => {
      if (!req.ctx.isAdmin) throw new PolicyNotAuthorized('get_nimbus_trace_events');
      const q = req.query as { device_id?: string; request_id?: string | string[] };
      if (!q.device_id) throw new InvalidInput('device_id is required');
      await this.recorder.flush();
      const ids = q.request_id === undefined ? [] : Array.isArray(q.request_id) ? q.request_id : [q.request_id];
      return { trace_events: await read(q.device_id, ids) };
    });
  }

  /** Records nova's REST calls on ports (the requests that carry a global request id). */
  registerHttp(app: FastifyInstance): void {
    if (!this.recorder.enabled) return;
    const started = new WeakMap<FastifyRequest, { at: number; requestId: string; parentId: string | null; device: string | null }>();
    app.addHook('onRequest', async (req) => {
      const caller = req.headers['x-openstack-request-id'];
      // The operator API's own reads (/nimbus/v1/diagnosis/ports/...) are not the cloud's work.
      if (typeof caller !== 'string' || !GLOBAL_REQUEST_ID.test(caller) || !req.url.includes('/ports') || req.url.startsWith('/nimbus/')) return;
      const tp = TRACEPARENT.exec(String(req.headers.traceparent ?? ''));
      // A request on a known port: what it causes (a deletion, a status change) is this request's.
      const portId = /\/ports\/([0-9a-f-]{36})/.exec(req.url)?.[1];
      const device = portId ? this.#portDevice.get(portId) : undefined;
      if (device) remember(this.#deviceRequest, device, caller);
      started.set(req, { at: this.recorder.now(), requestId: caller, parentId: tp ? tp[2]! : null, device: device ?? null });
    });
    app.addHook('onSend', async (req, _reply, payload) => {
      const s = started.get(req);
      if (!s || typeof payload !== 'string' || !payload.startsWith('{"port"')) return payload;
      try {
        const port = (JSON.parse(payload) as { port?: Dict }).port;
        this.#learn(port, s.requestId);
        s.device = typeof port?.device_id === 'string' && port.device_id ? port.device_id : null;
      } catch {
        /* not a port body */
      }
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      const s = started.get(req);
      if (!s) return;
      const portId = /\/ports\/([0-9a-f-]{36})/.exec(req.url)?.[1];
      const device = s.device ?? (portId ? this.#portDevice.get(portId) ?? null : null);
      const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
      this.recorder.endSpan(
        { requestId: s.requestId, instanceUuid: device, parentId: s.parentId },
        SERVICE,
        route,
        s.at,
        { status: reply.statusCode, ...(portId ? { port: portId } : {}) },
        reply.statusCode >= 400,
      );
    });
  }

  /** Binding results, status changes and deletions, from the core plugin's port events. */
  attach(events: PortEvents): void {
    if (!this.recorder.enabled) return;
    events.on('afterUpdate', (port, original) => {
      this.#learn(port);
      const vifType = port['binding:vif_type'];
      if (vifType === original?.['binding:vif_type'] && port['binding:host_id'] === original?.['binding:host_id']) return;
      if (vifType === 'unbound' && !original) return;
      const details = (port['binding:vif_details'] ?? {}) as Dict;
      this.recorder.point(this.#scope(port.device_id as string), SERVICE, 'port_binding', {
        port: port.id,
        host: port['binding:host_id'],
        vif_type: vifType,
        vnic_type: port['binding:vnic_type'],
        ...(details.ovs_hybrid_plug !== undefined ? { ovs_hybrid_plug: details.ovs_hybrid_plug } : {}),
      }, undefined, vifType === 'binding_failed');
    });
    events.on('statusChanged', (c) => {
      this.recorder.point(this.#scope(c.device_id || this.#portDevice.get(c.id)), SERVICE, 'port_status', { port: c.id, previous: c.previous, status: c.current });
    });
    events.on('afterDelete', (port) => {
      this.recorder.point(this.#scope(port.device_id as string), SERVICE, 'port_deleted', { port: port.id });
    });
  }

  /** The OVS agent saw its devices: it asked their details (get_devices_details_list...). */
  agentAskedDetails(host: string | undefined, devices: readonly string[]): void {
    if (!this.recorder.enabled) return;
    for (const d of devices) {
      const device = this.#portDevice.get(d);
      if (device) this.recorder.point(this.#scope(device), SERVICE, 'agent_device_details', { port: d, host: host ?? null });
    }
  }

  /** The agent reported its devices wired (update_device_list / update_device_up) or gone. */
  agentReported(host: string | undefined, up: readonly string[], down: readonly string[]): void {
    if (!this.recorder.enabled) return;
    for (const [list, step] of [[up, 'agent_device_up'], [down, 'agent_device_down']] as const) {
      for (const d of list) {
        const device = this.#portDevice.get(d);
        if (device) this.recorder.point(this.#scope(device), SERVICE, step, { port: d, host: host ?? null });
      }
    }
  }

  /** One POST of os-server-external-events to nova starting; the returned function ends it: a step per event, with nova's answer. */
  sendingEvents(events: readonly NovaEvent[]): (result: { status: number | null; error?: unknown }) => void {
    if (!this.recorder.enabled) return () => {};
    const startedAt = this.recorder.now();
    return (result) => this.#eventsSent(events, startedAt, result);
  }

  #eventsSent(events: readonly NovaEvent[], startedAt: number, result: { status: number | null; error?: unknown }): void {
    for (const ev of events) {
      this.recorder.endSpan(
        this.#scope(ev.server_uuid),
        SERVICE,
        'nova_event_posted',
        startedAt,
        { name: ev.name, tag: ev.tag, event_status: ev.status ?? 'completed', status: result.status, ...(result.error ? { error: String((result.error as Error).message ?? result.error) } : {}) },
        result.status === null || result.status >= 300,
      );
    }
  }
}
