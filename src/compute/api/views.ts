/**
 * The server views (nova/api/openstack/compute/views/servers.py): basic (id, name,
 * links), the detailed view with every key in nova's order and its microversion gates,
 * and the create response. Addresses come from the info cache, as in nova.
 */
import { diskConfigToApi } from '../disk-config.js';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { isoSeconds } from '../../common/clock.js';
import { fixedIps } from '../network/model.js';
import type { NetworkInfo } from '../network/model.js';
import type { Instance, InstanceFault } from '../objects/instance.js';
import { serverStatus, VmState } from '../objects/states.js';
import { atLeast } from './microversion.js';

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);
const FAULT_STATUSES = new Set(['ERROR', 'DELETED']);

/** Does the server view show this instance's fault (nova loads it only then)? */
export const showsFault = (i: Instance): boolean => FAULT_STATUSES.has(statusOf(i));

export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host}`;
}

export function links(req: FastifyRequest, collection: string, id: string) {
  const b = baseUrl(req);
  return [
    { rel: 'self', href: `${b}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${b}/${collection}/${id}` },
  ];
}

/** utils.generate_hostid: sha224(project + host), "" without a host. */
export function hostId(host: string | null, projectId: string): string {
  return host ? createHash('sha224').update(projectId + host).digest('hex') : '';
}

/** nova's utils.isotime: seconds, "Z"; now when unset (as nova's isotime(None)). */
function isotime(iso: string | null, now: number): string {
  return isoSeconds(iso ? Date.parse(iso) : now);
}

/** A DATETIME column as nova's JSON serialiser writes it (MySQL keeps whole seconds). */
function dbTime(iso: string | null): string | null {
  return iso ? `${iso.slice(0, 19)}.000000` : null;
}

export function statusOf(i: Instance): string {
  return i.deleted ? 'DELETED' : serverStatus(i.vmState, i.taskState);
}

export function addresses(i: Instance, nwInfo: NetworkInfo, extended = true): Record<string, unknown[]> {
  if (i.vmState === VmState.BUILDING) return {};
  const out: Record<string, unknown[]> = {};
  for (const vif of nwInfo) {
    const list = (out[vif.network.label] ??= []);
    for (const ip of fixedIps(vif)) {
      list.push(extended ? { version: ip.version, addr: ip.address, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': vif.address } : { version: ip.version, addr: ip.address });
      for (const f of ip.floating_ips) {
        list.push(extended ? { version: f.version, addr: f.address, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': vif.address } : { version: f.version, addr: f.address });
      }
    }
  }
  return out;
}

export function basicView(req: FastifyRequest, i: Instance) {
  return { id: i.uuid, name: i.displayName, links: links(req, 'servers', i.uuid) };
}

export function createView(req: FastifyRequest, i: Instance, securityGroups: { name: string }[], adminPass: string | null) {
  const server: Record<string, unknown> = { id: i.uuid, links: links(req, 'servers', i.uuid), 'OS-DCF:diskConfig': diskConfigToApi(i.autoDiskConfig), security_groups: securityGroups };
  if (adminPass !== null) server.adminPass = adminPass;
  return { server };
}

export interface ShowExtras {
  nwInfo: NetworkInfo;
  fault: InstanceFault | undefined;
  now: number;
  isAdmin: boolean;
  /** Host service is up (for host_status, admins at 2.16+). */
  hostStatus?: string;
  /**
   * The PUT /servers/{id} response before 2.75: nova leaves out the zone, config drive,
   * key, usage, security group, extended attribute/status/volume keys and host_status,
   * and the addresses' type and MAC.
   */
  minimal?: boolean;
  /** The server's group (2.71's server_groups on show); absent: none looked up. */
  serverGroups?: string[];
}

/** The keys a minimal view (see ShowExtras.minimal) leaves out. */
const EXTENDED_KEY = /^(OS-EXT-AZ:|OS-SRV-USG:|OS-EXT-SRV-ATTR:|OS-EXT-STS:|os-extended-volumes:|config_drive$|key_name$|security_groups$|host_status$)/;

export function showView(req: FastifyRequest, i: Instance, x: ShowExtras): Record<string, unknown> {
  const mv = req.mv;
  const b = baseUrl(req);
  const status = statusOf(i);
  const f = i.flavor;
  const s: Record<string, unknown> = {
    id: i.uuid,
    name: i.displayName,
    status,
    tenant_id: i.projectId,
    user_id: i.userId,
    metadata: i.metadata,
    hostId: hostId(i.host, i.projectId),
    image: i.imageRef ? { id: i.imageRef, links: [{ rel: 'bookmark', href: `${b}/images/${i.imageRef}` }] } : '',
    flavor: atLeast(mv, '2.47')
      ? { vcpus: f.vcpus, ram: f.memory_mb, disk: f.root_gb, ephemeral: f.ephemeral_gb, swap: f.swap, original_name: f.name, extra_specs: f.extra_specs }
      : { id: f.flavorid, links: [{ rel: 'bookmark', href: `${b}/flavors/${f.flavorid}` }] },
    created: isotime(i.createdAt, x.now),
    updated: isotime(i.updatedAt, x.now),
    addresses: addresses(i, x.nwInfo, !x.minimal),
    accessIPv4: i.accessIpV4 ?? '',
    accessIPv6: i.accessIpV6 ?? '',
    links: links(req, 'servers', i.uuid),
    'OS-DCF:diskConfig': diskConfigToApi(i.autoDiskConfig),
  };
  if (FAULT_STATUSES.has(status) && x.fault) {
    const fault: Record<string, unknown> = { code: x.fault.code, created: isotime(x.fault.created, x.now), message: x.fault.message };
    if (x.fault.details && (x.isAdmin || x.fault.code !== 500)) fault.details = x.fault.details;
    s.fault = fault;
  }
  if (PROGRESS_STATUSES.has(status)) s.progress = i.progress;
  s['OS-EXT-AZ:availability_zone'] = i.availabilityZone ?? '';
  s.config_drive = i.configDrive;
  s.key_name = i.keyName;
  s['OS-SRV-USG:launched_at'] = dbTime(i.launchedAt);
  s['OS-SRV-USG:terminated_at'] = dbTime(i.terminatedAt);
  if (i.securityGroups.length && !i.deleted) s.security_groups = i.securityGroups.map((name) => ({ name }));
  if (x.isAdmin) {
    s['OS-EXT-SRV-ATTR:host'] = i.host;
    s['OS-EXT-SRV-ATTR:instance_name'] = `instance-${i.id.toString(16).padStart(8, '0')}`;
    s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = i.node;
    if (atLeast(mv, '2.3')) {
      s['OS-EXT-SRV-ATTR:reservation_id'] = i.reservationId;
      s['OS-EXT-SRV-ATTR:launch_index'] = i.launchIndex;
      s['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
      s['OS-EXT-SRV-ATTR:kernel_id'] = '';
      s['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      s['OS-EXT-SRV-ATTR:root_device_name'] = i.rootDeviceName;
      s['OS-EXT-SRV-ATTR:user_data'] = i.userData;
    }
  }
  s['OS-EXT-STS:task_state'] = i.taskState;
  s['OS-EXT-STS:vm_state'] = i.vmState;
  s['OS-EXT-STS:power_state'] = i.powerState;
  s['os-extended-volumes:volumes_attached'] = [];
  if (atLeast(mv, '2.16') && x.isAdmin && x.hostStatus !== undefined) s.host_status = x.hostStatus;
  if (atLeast(mv, '2.9')) s.locked = i.locked;
  if (atLeast(mv, '2.73')) s.locked_reason = i.lockedReason;
  if (atLeast(mv, '2.19')) s.description = i.displayDescription;
  // Sorted, as nova's tag rows come back in primary key order.
  if (atLeast(mv, '2.26')) s.tags = [...i.tags].sort();
  if (atLeast(mv, '2.63')) s.trusted_image_certificates = null;
  if (atLeast(mv, '2.90') && !x.isAdmin) s['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
  if (atLeast(mv, '2.71')) s.server_groups = x.serverGroups ?? [];
  if (x.minimal) for (const k of Object.keys(s)) if (EXTENDED_KEY.test(k)) delete s[k];
  return s;
}
