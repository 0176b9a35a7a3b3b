/**
 * The service catalog, built from the entries the embedding process declares: each
 * service gets public, internal and admin endpoints with the same URL in one region,
 * as devstack and the reference registered them. Ids are derived from the entry so
 * they are stable across restarts; services and endpoints sort by id like keystone's
 * SQL catalog does.
 */
import { createHash } from 'node:crypto';

/** One service the catalog advertises. */
export interface CatalogEntry {
  type: string;
  name: string;
  url: string;
}

export const INTERFACES = ['public', 'internal', 'admin'] as const;
export type Interface = (typeof INTERFACES)[number];

/** One catalog endpoint in keystone's /v3/endpoints terms. */
export interface Endpoint {
  id: string;
  interface: Interface;
  region: string;
  serviceId: string;
  url: string;
}

/** One catalog service with its endpoints. */
export interface Service {
  id: string;
  type: string;
  name: string;
  endpoints: Endpoint[];
}

const stableId = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);

/** The catalog of `entries` in `region`. */
export function buildCatalog(entries: readonly CatalogEntry[], region: string): Service[] {
  return entries
    .map((e) => {
      const serviceId = stableId('service', e.type, e.name);
      const endpoints = INTERFACES.map((iface) => ({
        id: stableId('endpoint', region, e.type, e.name, iface, e.url),
        interface: iface,
        region,
        serviceId,
        url: e.url,
      })).sort((a, b) => a.id.localeCompare(b.id));
      return { id: serviceId, type: e.type, name: e.name, endpoints };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The token body's `catalog` (keystone's get_v3_catalog). */
export function renderTokenCatalog(services: Service[]): unknown[] {
  return services.map((s) => ({
    endpoints: s.endpoints.map((e) => ({
      id: e.id,
      interface: e.interface,
      region_id: e.region,
      url: e.url,
      region: e.region,
    })),
    id: s.id,
    type: s.type,
    name: s.name,
  }));
}
