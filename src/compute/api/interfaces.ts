/**
 * /servers/{id}/os-interface (attach_interfaces.py): list and show read neutron's ports
 * of the server; create calls the server's compute host and waits (an RPC call), so the
 * errors of the attach come back from nova-compute as oslo.messaging RemoteErrors —
 * nova exceptions keep their class and get the controller's status, anything else is
 * the API's "Unexpected API Error" naming RemoteError; delete casts and answers 202.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RemoteError } from '../../bus/bus.js';
import { novaContext } from '../context.js';
import { InstanceInvalidState, PortNotFound } from '../errors.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, unexpectedMessage } from './faults.js';
import { atLeast } from './microversion.js';
import { getInstance } from './servers.js';
import { type JsonSchema, validateBody } from './validation.js';

type Port = { id: string; network_id: string; mac_address: string; status: string; fixed_ips: unknown; device_id: string };

function attachmentView(p: Port, tag: string | null | undefined) {
  const v: Record<string, unknown> = { net_id: p.network_id, port_id: p.id, mac_addr: p.mac_address, port_state: p.status, fixed_ips: p.fixed_ips ?? null };
  if (tag !== undefined) v.tag = tag;
  return v;
}

const ATTACH_400 = new Set(['InterfaceAttachFailedNoNetwork', 'NetworkAmbiguous', 'NoMoreFixedIps', 'PortNotUsable', 'AttachInterfaceNotSupported', 'SecurityGroupCannotBeApplied', 'NetworkInterfaceTaggedAttachNotSupported']);
const ATTACH_409 = new Set(['InstanceIsLocked', 'FixedIpAlreadyInUse', 'PortInUse']);
const ATTACH_404 = new Set(['PortNotFound', 'NetworkNotFound']);

/** attach_interfaces.create's except-clauses, for what came back over RPC. */
export function attachFault(e: unknown, serverId: string): unknown {
  if (e instanceof InstanceInvalidState) return new HttpFault(409, invalidStateText(e.message, 'attach_interface', serverId));
  if (!(e instanceof RemoteError)) return e;
  if (ATTACH_400.has(e.excType)) return new HttpFault(400, e.value);
  if (ATTACH_409.has(e.excType)) return new HttpFault(409, e.value);
  if (ATTACH_404.has(e.excType)) return new HttpFault(404, e.value);
  if (e.excType === 'PortLimitExceeded') return new HttpFault(403, e.value);
  if (e.excType === 'InterfaceAttachFailed') return new HttpFault(500, e.value);
  return new HttpFault(500, unexpectedMessage({ type: 'oslo_messaging.rpc.client.RemoteError' }));
}

/** common.raise_http_conflict_for_instance_invalid_state. */
function invalidStateText(message: string, action: string, serverId: string): string {
  const m = /in (vm_state|task_state|launched_at) (\S+)\. Cannot/.exec(message);
  return m ? `Cannot '${action}' instance ${serverId} while it is in ${m[1]} ${m[2]}` : `Instance ${serverId} is in an invalid state for '${action}'`;
}

const createSchema = (req: FastifyRequest): JsonSchema => ({
  type: 'object',
  properties: {
    interfaceAttachment: {
      type: 'object',
      properties: {
        port_id: { type: 'string' },
        net_id: { type: 'string' },
        fixed_ips: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'object', properties: { ip_address: { type: 'string' } }, required: ['ip_address'], additionalProperties: false } },
        ...(atLeast(req.mv, '2.49') ? { tag: { type: 'string', pattern: '^[^,/]*$', maxLength: 60 } } : {}),
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

export function registerInterfaces(app: FastifyInstance, d: ComputeApiDeps): void {
  const network = d.compute.d.network;

  app.get('/v2.1/servers/:id/os-interface', async (req) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    const ports = (await network.listPorts(novaContext(req.ctx), { device_id: i.uuid })) as Port[];
    const showTag = atLeast(req.mv, '2.70');
    return { interfaceAttachments: ports.map((p) => attachmentView(p, showTag ? null : undefined)) };
  });

  const show = async (req: FastifyRequest, serverId: string, portId: string) => {
    let port: Port;
    try {
      port = (await network.showPort(novaContext(req.ctx), portId)) as Port;
    } catch (e) {
      if (e instanceof PortNotFound) throw new HttpFault(404, e.message);
      throw e;
    }
    if (port.device_id !== serverId) throw new HttpFault(404, `Instance ${serverId} does not have a port with id ${portId}`);
    return { interfaceAttachment: attachmentView(port, atLeast(req.mv, '2.70') ? null : undefined) };
  };

  app.get('/v2.1/servers/:id/os-interface/:port', async (req) => {
    const { id, port } = req.params as { id: string; port: string };
    const i = await getInstance(d, req, id);
    return show(req, i.uuid, port);
  });

  app.post('/v2.1/servers/:id/os-interface', async (req) => {
    const { id } = req.params as { id: string };
    if (req.body !== undefined && req.body !== null) validateBody(createSchema(req), req.body);
    const i = await getInstance(d, req, id);
    const a = ((req.body as { interfaceAttachment?: Record<string, unknown> } | null)?.interfaceAttachment ?? {}) as Record<string, unknown>;
    const networkId = (a.net_id as string | undefined) || null;
    const portId = (a.port_id as string | undefined) || null;
    const requestedIp = ((a.fixed_ips as { ip_address: string }[] | undefined)?.[0]?.ip_address as string | undefined) ?? null;
    if (networkId && portId) throw badRequest('Must not input both network_id and port_id');
    if (requestedIp && !networkId) throw badRequest('Must input network_id when request IP address');
    let vif;
    try {
      vif = await d.compute.attachInterface(novaContext(req.ctx), i, { networkId, portId, requestedIp, tag: (a.tag as string | undefined) ?? null });
    } catch (e) {
      throw attachFault(e, i.uuid);
    }
    return show(req, i.uuid, vif.id);
  });

  app.delete('/v2.1/servers/:id/os-interface/:port', async (req, reply) => {
    const { id, port } = req.params as { id: string; port: string };
    const i = await getInstance(d, req, id);
    try {
      await d.compute.detachInterface(novaContext(req.ctx), i, port);
    } catch (e) {
      if (e instanceof InstanceInvalidState) throw new HttpFault(409, invalidStateText(e.message, 'detach_interface', i.uuid));
      throw e;
    }
    reply.code(202);
    return reply.send();
  });
}
