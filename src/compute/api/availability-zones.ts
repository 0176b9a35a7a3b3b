/**
 * os-availability-zone (nova/api/openstack/compute/availability_zone.py): the zones,
 * for everyone — a zone is available when an enabled service is in it; the internal
 * zone of the controller services is hidden — and, for admins, /detail with the hosts
 * of each available zone and the state of their enabled services, internal included.
 * Without host aggregates every compute host is in [compute] default_availability_zone.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { authorize } from './policy.js';
import { dbTime, serviceZone } from './services.js';
import { sendNova } from './wire.js';
import { type ServiceRow, ServiceStore } from '../objects/services.js';

const API_SERVICES = new Set(['nova-osapi_compute', 'nova-metadata']);
const INTERNAL = 'internal';

/** availability_zones.get_availability_zones: sorted available zones, then the sorted others. */
function zones(d: ComputeApiDeps, services: ServiceRow[]): { available: string[]; unavailable: string[] } {
  const available = new Set(services.filter((s) => !s.disabled).map((s) => serviceZone(d, s)));
  const unavailable = new Set(services.filter((s) => s.disabled && !available.has(serviceZone(d, s))).map((s) => serviceZone(d, s)));
  return { available: [...available].sort(), unavailable: [...unavailable].sort() };
}

/** Routes GET /os-availability-zone and /os-availability-zone/detail. */
export function registerAvailabilityZones(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });

  app.get('/v2.1/os-availability-zone', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-availability-zone:list', {});
    const { available, unavailable } = zones(d, await store.list());
    const info = [
      ...available.filter((z) => z !== INTERNAL).map((z) => ({ zoneName: z, zoneState: { available: true }, hosts: null })),
      ...unavailable.filter((z) => z !== INTERNAL).map((z) => ({ zoneName: z, zoneState: { available: false }, hosts: null })),
    ];
    return sendNova(reply, 200, { availabilityZoneInfo: info });
  });

  app.get('/v2.1/os-availability-zone/detail', async (req, reply) => {
    authorize(req.ctx, 'os_compute_api:os-availability-zone:detail', {});
    const services = await store.list();
    const { available, unavailable } = zones(d, services);
    // zone -> host -> binary -> state, over enabled, non-API services.
    const byZone = new Map<string, Map<string, Record<string, unknown>>>();
    for (const s of services) {
      if (s.disabled || API_SERVICES.has(s.binary)) continue;
      const hosts = byZone.get(serviceZone(d, s)) ?? new Map<string, Record<string, unknown>>();
      byZone.set(serviceZone(d, s), hosts);
      const binaries = hosts.get(s.host) ?? {};
      hosts.set(s.host, binaries);
      binaries[s.binary] = { available: store.isUp(s), active: true, updated_at: dbTime(s.updated_at) };
    }
    const info = [
      ...available.map((z) => ({ zoneName: z, zoneState: { available: true }, hosts: Object.fromEntries(byZone.get(z) ?? []) })),
      ...unavailable.map((z) => ({ zoneName: z, zoneState: { available: false }, hosts: null })),
    ];
    return sendNova(reply, 200, { availabilityZoneInfo: info });
  });
}
