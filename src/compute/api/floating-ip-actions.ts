/**
 * nova's FloatingIPActionController (floating_ips.py): the addFloatingIp and
 * removeFloatingIp server actions of microversions 2.1–2.43, done through neutron as
 * nova's neutron API does (associate_floating_ip, disassociate_floating_ip), with nova's
 * texts for each failure.
 */
import { isIPv4 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { novaContext } from '../context.js';
import { Forbidden } from '../errors.js';
import { fixedIps } from '../network/model.js';
import { type FloatingIpDict, type NeutronClient, hasStatus } from '../network/neutron-client.js';
import type { Instance } from '../objects/instance.js';
import type { ComputeApiDeps } from './app.js';
import { HttpFault, badRequest, notFound } from './faults.js';
import { authorize } from './policy.js';
import { addServerAction } from './server-actions.js';
import { getInstance } from './servers.js';
import type { JsonSchema } from './validation.js';

/** Both actions are gone from 2.44 (api_version("2.1", "2.43")). */
const REMOVED_IN = '2.44';

/** parameter_types.ip_address. */
const IP_ADDRESS: JsonSchema = { type: 'string', oneOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };

const addSchema: JsonSchema = {
  type: 'object',
  properties: {
    addFloatingIp: { type: 'object', properties: { address: IP_ADDRESS, fixed_address: IP_ADDRESS }, required: ['address'], additionalProperties: false },
  },
  required: ['addFloatingIp'],
  additionalProperties: false,
};

const removeSchema: JsonSchema = {
  type: 'object',
  properties: { removeFloatingIp: { type: 'object', properties: { address: IP_ADDRESS }, required: ['address'], additionalProperties: false } },
  required: ['removeFloatingIp'],
  additionalProperties: false,
};

/** Why a neutron lookup failed, in nova's exception texts (caught per call site below). */
class FloatingIpLookupError extends Error {
  constructor(
    readonly kind: 'not-found' | 'multiple',
    message: string,
  ) {
    super(message);
  }
}

/** neutron API _get_floating_ip_by_address. */
async function floatingIpByAddress(c: NeutronClient, address: string): Promise<FloatingIpDict & { id: string }> {
  const fips = (await c.listFloatingIps({ floating_ip_address: address })) as (FloatingIpDict & { id: string })[];
  if (fips.length === 0) throw new FloatingIpLookupError('not-found', `Floating IP not found for address ${address}.`);
  if (fips.length > 1) throw new FloatingIpLookupError('multiple', `Multiple floating IPs are found for address ${address}.`);
  return fips[0]!;
}

/** neutron API _get_port_id_by_fixed_address: the instance's port holding `address`. */
async function portIdByFixedAddress(c: NeutronClient, instance: Instance, address: string): Promise<string> {
  const ports = await c.listPorts({ device_id: instance.uuid, device_owner: `compute:${instance.availabilityZone ?? 'nova'}` });
  const port = ports.find((p) => ((p.fixed_ips as { ip_address: string }[] | undefined) ?? []).some((ip) => ip.ip_address === address));
  // FixedIpNotFoundForAddress, which only nova's catch-all reports.
  if (!port) throw new Error(`Fixed IP not found for address ${address}.`);
  return port.id as string;
}

/** str() of a neutronclient exception as nova embeds it: neutron's message. */
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

addServerAction('addFloatingIp', (d) => ({
  removedIn: REMOVED_IN,
  schema: () => addSchema,
  handle: async (req, _reply, instance, body) => {
    authorize(req.ctx, 'os_compute_api:os-floating-ips:add', { project_id: instance.projectId });
    const { address, fixed_address: requested } = (body as { addFloatingIp: { address: string; fixed_address?: string } }).addFloatingIp;
    const nwInfo = await d.instances.networkInfo(instance.uuid);
    if (!nwInfo.length) throw badRequest('Instance network is not ready yet');
    const fixed = nwInfo.flatMap(fixedIps).map((ip) => ip.address);
    if (!fixed.length) throw badRequest('No fixed IPs associated to instance');
    let fixedAddress = requested;
    if (fixedAddress !== undefined) {
      if (!fixed.includes(fixedAddress)) throw badRequest('Specified fixed address not assigned to instance');
    } else {
      fixedAddress = fixed.find((a) => isIPv4(a));
      if (!fixedAddress) {
        throw badRequest(`Unable to associate floating IP ${address} to any fixed IPs for instance ${instance.uuid}. Instance has no fixed IPv4 addresses to associate.`);
      }
    }
    const c = d.compute.d.network.userClient(novaContext(req.ctx));
    try {
      const portId = await portIdByFixedAddress(c, instance, fixedAddress);
      const fip = await floatingIpByAddress(c, address);
      try {
        await c.request('PUT', `/floatingips/${encodeURIComponent(fip.id)}`, { floatingip: { port_id: portId, fixed_ip_address: fixedAddress } });
      } catch (e) {
        // FloatingIpAssociateFailed(str(e)) on a neutron Conflict.
        if (hasStatus(e, 409)) throw badRequest(errorText(e));
        throw e;
      }
    } catch (e) {
      if (e instanceof HttpFault || e instanceof Forbidden) throw e;
      if (e instanceof FloatingIpLookupError && e.kind === 'not-found') throw notFound('floating IP not found');
      // Everything else (a second match, a missing port, neutron's 404 for an unreachable
      // external network ...): nova's catch-all `except Exception`.
      throw badRequest(`Unable to associate floating IP ${address} to fixed IP ${fixedAddress} for instance ${instance.uuid}. Error: ${errorText(e)}`);
    }
  },
}));

/** get_instance_by_floating_ip_addr: the server the address's port belongs to, if any. */
async function instanceByFloatingAddress(d: ComputeApiDeps, req: FastifyRequest, c: NeutronClient, address: string): Promise<Instance | undefined> {
  let fip: FloatingIpDict;
  try {
    fip = await floatingIpByAddress(c, address);
  } catch (e) {
    if (e instanceof FloatingIpLookupError) throw new HttpFault(e.kind === 'not-found' ? 404 : 409, e.message);
    throw e;
  }
  if (!fip.port_id) return undefined;
  let deviceId: string;
  try {
    deviceId = (await c.showPort(fip.port_id)).device_id as string;
  } catch (e) {
    if (hasStatus(e, 404)) return undefined;
    throw e;
  }
  return deviceId ? getInstance(d, req, deviceId) : undefined;
}

addServerAction('removeFloatingIp', (d) => ({
  removedIn: REMOVED_IN,
  schema: () => removeSchema,
  handle: async (req, _reply, server, body) => {
    const { address } = (body as { removeFloatingIp: { address: string } }).removeFloatingIp;
    const c = d.compute.d.network.userClient(novaContext(req.ctx));
    const instance = await instanceByFloatingAddress(d, req, c, address);
    authorize(req.ctx, 'os_compute_api:os-floating-ips:remove', instance ? { project_id: instance.projectId } : {});
    let fip: FloatingIpDict & { id: string };
    try {
      fip = await floatingIpByAddress(c, address);
    } catch (e) {
      if (e instanceof FloatingIpLookupError) throw notFound('floating IP not found');
      throw e;
    }
    if (!instance || !fip.port_id || instance.uuid !== server.uuid) {
      throw new HttpFault(409, `Floating IP ${address} is not associated with instance ${server.uuid}.`);
    }
    await c.request('PUT', `/floatingips/${encodeURIComponent(fip.id)}`, { floatingip: { port_id: null } });
  },
}));
