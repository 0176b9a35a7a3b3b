/**
 * Multiple port bindings (binding-extended): ML2's create_port_binding,
 * get_port_bindings, get_port_binding, activate and delete_port_binding (Zed).
 *
 * A compute port always has one ACTIVE binding (host '' while unbound); nova's live
 * migration adds an INACTIVE one for the destination, bound by the mechanism drivers
 * like any binding but not yet the port's (the port dict keeps showing the active one),
 * then activates it — the destination's binding becomes ACTIVE, the source's INACTIVE
 * with its vif_type cleared to unbound, the port goes DOWN until the destination's
 * agent reports the device up — and finally deletes the source's. Rollback deletes the
 * destination's instead.
 *
 * After activate commits, as ML2 does: the port's status change (ACTIVE → DOWN tells nova
 * network-vif-unplugged), then binding_deactivate to the old host's agent and
 * binding_activate to the new host's (fanout casts, see rpc/agent-notifier.ts). No
 * port_update is sent. Creating or deleting a binding notifies nobody.
 *
 * A binding revises its port (PortBinding.revises_on_change = ('port',)): the port's
 * revision_number goes up once per transaction that writes a binding — once for a
 * create or delete, twice for activate (ML2 commits it in two transactions).
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import type { Dict } from '../api/resource.js';
import { selectNetworkOrThrow } from '../db/networks.js';
import { updatePort } from '../db/ports.js';
import type { NeutronDB, PortBindingRow, PortRow } from '../db/schema.js';
import {
  BindingStatuses,
  type PortBindingFilters,
  deletePortBinding,
  insertPortBinding,
  selectActiveBinding,
  selectPortBinding,
  selectPortBindings,
  updatePortBinding,
} from '../ml2/db/port-bindings.js';
import { NeutronBadRequest } from '../ipam/errors.js';
import { PortBindingAlreadyActive, PortBindingAlreadyExists, PortBindingError, PortBindingNotFound } from '../port-binding-errors.js';
import { type PluginDeps, nowIso } from './deps.js';
import { type BindingActivation, type PortStatusChange, PortStatuses } from './port-events.js';
import { type Ports, statusChangeOf } from './ports.js';

const COMPUTE_PREFIX = 'compute:';

/** What POST /ports/{id}/bindings asks for (the validated body). */
export interface PortBindingRequest {
  host: string;
  vnic_type: string;
  /** null or absent: {}. */
  profile?: Record<string, unknown> | null;
}

/** _make_port_binding_dict: a binding's wire form, keys in neutron's order. */
export function portBindingDict(b: PortBindingRow): Dict {
  return {
    host: b.host,
    vif_type: b.vif_type,
    vnic_type: b.vnic_type,
    status: b.status,
    profile: JSON.parse(b.profile || '{}'),
    vif_details: JSON.parse(b.vif_details || '{}'),
  };
}

export class PortBindings {
  constructor(
    private readonly d: PluginDeps,
    private readonly ports: Ports,
  ) {}

  /** The port (PortNotFound when the caller cannot see it), checked to be a compute port (BadRequest). */
  async #computePort(ctx: RequestContext, db: Kysely<NeutronDB>, portId: string): Promise<PortRow> {
    const row = await this.ports.getRow(ctx, portId, db);
    if (!row.device_owner.startsWith(COMPUTE_PREFIX)) throw new NeutronBadRequest('port', `Invalid port ${portId}. Operation only valid on compute ports`);
    return row;
  }

  /** Bumps the port's revision_number (and updated_at) as a binding write does. */
  async #revise(trx: Kysely<NeutronDB>, port: PortRow, by: number): Promise<void> {
    await updatePort(trx, port.id, { revision_number: port.revision_number + by, updated_at: nowIso(this.d.clock.now()) });
  }

  /**
   * create_port_binding: binds the port on req.host through the mechanism drivers and
   * stores the result as an INACTIVE binding (ACTIVE only for a port with none, which
   * Nimbus never has). Throws PortBindingAlreadyExists (409) when the host has one,
   * PortBindingError (500) when nobody can bind it there — then nothing is stored.
   */
  async create(ctx: RequestContext, portId: string, req: PortBindingRequest): Promise<Dict> {
    return this.d.db.transaction().execute(async (trx) => {
      const port = await this.#computePort(ctx, trx, portId);
      if (await selectPortBinding(trx, portId, req.host)) throw new PortBindingAlreadyExists(portId, req.host);
      const active = await selectActiveBinding(trx, portId);
      const binding: PortBindingRow = {
        port_id: portId,
        host: req.host,
        vnic_type: req.vnic_type,
        profile: JSON.stringify(req.profile ?? {}),
        vif_type: 'unbound',
        vif_details: '{}',
        status: active ? BindingStatuses.inactive : BindingStatuses.active,
      };
      const net = await selectNetworkOrThrow(trx, port.network_id);
      // ML2 binds only for a host: a binding for host '' stays unbound, and is stored.
      if (binding.host) await this.ports.bind(trx, binding, net);
      if (binding.vif_type === 'binding_failed') throw new PortBindingError(portId, req.host);
      await insertPortBinding(trx, binding);
      await this.#revise(trx, port, 1);
      return portBindingDict(binding);
    });
  }

  /** get_port_bindings: every binding of the port, narrowed by the list filters. */
  async list(ctx: RequestContext, portId: string, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const db = this.d.db;
    await this.#computePort(ctx, db, portId);
    const f: PortBindingFilters = {};
    for (const k of ['host', 'vif_type', 'vnic_type', 'status'] as const) {
      const v = filters.get(k);
      if (v) f[k] = v.map(String);
    }
    return (await selectPortBindings(db, portId, f)).map(portBindingDict);
  }

  /** get_port_binding: PortBindingNotFound (404) when the port has none for the host. */
  async get(ctx: RequestContext, portId: string, host: string): Promise<Dict> {
    const db = this.d.db;
    await this.#computePort(ctx, db, portId);
    const b = await selectPortBinding(db, portId, host);
    if (!b) throw new PortBindingNotFound(portId, host);
    return portBindingDict(b);
  }

  /**
   * update_port_binding (PUT .../bindings/{host}): new vnic_type / profile (or host) for
   * one binding. An INACTIVE binding keeps what ML2 bound (ML2 rebinds only unbound or
   * failed bindings, and those are never stored inactive). The ACTIVE binding is the
   * port's own: it is rebound as a binding:* update of the port is, and binding_failed
   * is committed, then answered PortBindingError as ML2 does.
   */
  async update(ctx: RequestContext, portId: string, host: string, req: Partial<PortBindingRequest>): Promise<Dict> {
    const found = await this.d.db.transaction().execute(async (trx) => {
      const port = await this.#computePort(ctx, trx, portId);
      const b = await selectPortBinding(trx, portId, host);
      if (!b) throw new PortBindingNotFound(portId, host);
      if (b.status === BindingStatuses.active) return b;
      const next: PortBindingRow = {
        ...b,
        host: req.host || host,
        vnic_type: req.vnic_type ?? b.vnic_type,
        profile: req.profile !== undefined ? JSON.stringify(req.profile ?? {}) : b.profile,
      };
      if (next.host !== host && (await selectPortBinding(trx, portId, next.host))) throw new PortBindingAlreadyExists(portId, next.host);
      await updatePortBinding(trx, portId, host, next);
      await this.#revise(trx, port, 1);
      return next;
    });
    if (found.status !== BindingStatuses.active) return portBindingDict(found);
    const body: Dict = {};
    if (req.host) body['binding:host_id'] = req.host;
    if (req.vnic_type !== undefined) body['binding:vnic_type'] = req.vnic_type;
    if (req.profile !== undefined) body['binding:profile'] = req.profile ?? {};
    const port = await this.ports.update(ctx, portId, body);
    if (port['binding:vif_type'] === 'binding_failed') throw new PortBindingError(portId, host);
    const active = await selectActiveBinding(this.d.db, portId);
    return portBindingDict(active!);
  }

  /**
   * activate: the host's INACTIVE binding becomes the port's ACTIVE one. Throws
   * PortBindingAlreadyActive (409) for the active host, PortBindingNotFound (404) when
   * the host has no INACTIVE binding. Returns the activated binding.
   */
  async activate(ctx: RequestContext, portId: string, host: string): Promise<Dict> {
    let statusChange: PortStatusChange | null = null;
    let activation: BindingActivation | null = null;
    const out = await this.d.db.transaction().execute(async (trx) => {
      const port = await this.#computePort(ctx, trx, portId);
      const active = await selectActiveBinding(trx, portId);
      if (active && active.host === host) throw new PortBindingAlreadyActive(portId, host);
      const target = await selectPortBinding(trx, portId, host);
      if (!target || target.status !== BindingStatuses.inactive) throw new PortBindingNotFound(portId, host);
      if (active) {
        // _clear_port_binding: the old host's binding keeps host, vnic_type and profile only.
        await updatePortBinding(trx, portId, active.host, { status: BindingStatuses.inactive, vif_type: 'unbound', vif_details: '{}' });
      }
      await updatePortBinding(trx, portId, host, { status: BindingStatuses.active });
      const after: PortRow = { ...port, status: PortStatuses.down, revision_number: port.revision_number + 2, updated_at: nowIso(this.d.clock.now()) };
      await updatePort(trx, portId, { status: after.status, revision_number: after.revision_number, updated_at: after.updated_at });
      if (port.status !== after.status) statusChange = statusChangeOf(after, port.status);
      activation = { portId, networkId: port.network_id, deactivatedHost: active?.host ?? '', activatedHost: host };
      return portBindingDict({ ...target, status: BindingStatuses.active });
    });
    if (statusChange) this.ports.events.emit('statusChanged', statusChange);
    if (activation) this.ports.events.emit('bindingActivated', activation);
    return out;
  }

  /**
   * delete_port_binding. Zed deletes whatever binding the host has — the ACTIVE one
   * included (nova never asks for that) — and tells no agent; an unknown host is
   * PortBindingNotFound (the API fetches the binding first).
   */
  async delete(ctx: RequestContext, portId: string, host: string): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      const port = await this.#computePort(ctx, trx, portId);
      if (!(await deletePortBinding(trx, portId, host))) throw new PortBindingNotFound(portId, host);
      await this.#revise(trx, port, 1);
    });
  }
}
