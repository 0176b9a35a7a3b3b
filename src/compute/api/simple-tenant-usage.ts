/**
 * os-simple-tenant-usage (nova/api/openstack/compute/simple_tenant_usage.py): hours,
 * vCPU-, MiB- and GiB-hours of the instances that were up in a window, from their
 * launched_at/terminated_at (whole seconds, as nova's database keeps them) and their
 * flavor at boot. Admins list every project (`openstack usage list`); a project reads
 * its own. 2.40 adds limit/marker paging over instances and "next" links; 2.75
 * refuses unknown query parameters.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { badRequest } from './faults.js';
import { collectionLinks, limitAndMarker, MAX_LIMIT } from './links.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { type JsonSchema, P, queryLists, validateQuery } from './validation.js';
import { type PyFloat, pyFloat, sendNova } from './wire.js';
import { type UsageRow, instanceExists, launchedInstances } from '../db/usage.js';

const STRINGS = P.multiParams({ type: 'string' });
const PAGING = { limit: P.multiParams(P.nonNegativeInteger), marker: P.multiParams({ type: 'string' }) };
const INDEX_PROPS = { start: STRINGS, end: STRINGS, detailed: STRINGS };
const SHOW_PROPS = { start: STRINGS, end: STRINGS };

/** schemas/simple_tenant_usage.py by microversion: paging at 2.40, closed at 2.75. */
function querySchema(mv: FastifyRequest['mv'], props: Record<string, JsonSchema>): JsonSchema {
  const paged = atLeast(mv, '2.40') ? { ...props, ...PAGING } : props;
  return { type: 'object', properties: paged, additionalProperties: !atLeast(mv, '2.75') };
}

/** Microseconds since the epoch: nova's datetimes carry microseconds. */
type Micros = number;

/** Parses the three strptime formats nova tries; null when none fits. */
export function parseUsageTime(s: string): Micros | null {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})([T ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, sep, h, mi, se, frac] = m;
  // "%Y-%m-%d %H:%M:%S.%f" is the only form with a blank, and it needs the fraction.
  if (sep === ' ' && frac === undefined) return null;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!);
  const back = new Date(ms);
  if (back.getUTCMonth() !== +mo! - 1 || back.getUTCDate() !== +d! || +h! > 23 || +mi! > 59 || +se! > 59) return null;
  return ms * 1000 + (frac ? Number(frac.padEnd(6, '0')) : 0);
}

/** A stored timestamp as the database keeps it: whole seconds. */
const dbMicros = (iso: string): Micros => Math.floor(Date.parse(iso) / 1000) * 1_000_000;

/** '%Y-%m-%dT%H:%M:%S.%f', how nova's JSON writes a naive datetime. */
export function usageTime(us: Micros): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0')}`;
}

/** _hours_for: the part of [launched, terminated] inside [start, stop], in hours. */
export function hoursFor(launched: Micros, terminated: Micros | null, start: Micros, stop: Micros): number {
  if (terminated !== null && terminated < start) return 0;
  if (launched > stop) return 0;
  const from = Math.max(launched, start);
  const to = terminated !== null ? Math.min(stop, terminated) : stop;
  return (to - from) / 1e6 / 3600.0;
}

interface ServerUsage {
  hours: PyFloat;
  flavor: string;
  instance_id: string;
  name: string;
  tenant_id: string;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

interface Summary {
  tenant_id: string;
  server_usages?: ServerUsage[];
  total_local_gb_usage: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_hours: number;
  start: string;
  stop: string;
}

/** _tenant_usages_for_period over rows already windowed and paged. */
export function tenantUsages(rows: UsageRow[], start: Micros, stop: Micros, now: Micros, detailed: boolean): { usages: Record<string, unknown>[]; servers: ServerUsage[] } {
  const byProject = new Map<string, Summary>();
  const servers: ServerUsage[] = [];
  for (const r of rows) {
    const launched = dbMicros(r.launchedAt);
    const terminated = r.terminatedAt ? dbMicros(r.terminatedAt) : null;
    const hours = hoursFor(launched, terminated, start, stop);
    const f = r.flavor;
    const info: ServerUsage = {
      hours: pyFloat(hours),
      flavor: f.name,
      instance_id: r.uuid,
      name: r.name,
      tenant_id: r.projectId,
      memory_mb: f.memory_mb,
      local_gb: f.root_gb + f.ephemeral_gb,
      vcpus: f.vcpus,
      started_at: usageTime(launched),
      ended_at: terminated !== null ? usageTime(terminated) : null,
      state: terminated !== null ? 'terminated' : r.vmState,
      uptime: Math.trunc(((terminated ?? now) - launched) / 1e6),
    };
    let s = byProject.get(r.projectId);
    if (!s) {
      s = { tenant_id: r.projectId, ...(detailed ? { server_usages: [] } : {}), total_local_gb_usage: 0, total_vcpus_usage: 0, total_memory_mb_usage: 0, total_hours: 0, start: usageTime(start), stop: usageTime(stop) };
      byProject.set(r.projectId, s);
    }
    s.total_local_gb_usage += info.local_gb * hours;
    s.total_vcpus_usage += info.vcpus * hours;
    s.total_memory_mb_usage += info.memory_mb * hours;
    s.total_hours += hours;
    servers.push(info);
    s.server_usages?.push(info);
  }
  // The sums started as int 0 and became floats with the first instance's hours.
  const usages = [...byProject.values()].map((s) => ({
    ...s,
    total_local_gb_usage: pyFloat(s.total_local_gb_usage),
    total_vcpus_usage: pyFloat(s.total_vcpus_usage),
    total_memory_mb_usage: pyFloat(s.total_memory_mb_usage),
    total_hours: pyFloat(s.total_hours),
  }));
  return { usages, servers };
}

/** Routes GET /os-simple-tenant-usage and /os-simple-tenant-usage/{tenant_id}. */
export function registerSimpleTenantUsage(app: FastifyInstance, d: ComputeApiDeps): void {
  /** _get_datetime_range: start and end (now when absent), start before end, detailed=1. */
  function range(req: FastifyRequest): { start: Micros; stop: Micros; detailed: boolean } {
    // nova reads these with urlparse.parse_qs: the first non-blank value counts.
    const raw = new URLSearchParams(req.url.split('?')[1] ?? '');
    const first = (k: string) => raw.getAll(k).find((v) => v !== '');
    const now = d.clock.now() * 1000;
    // nova reads utcnow() once for each absent bound, start first: an absent end is later.
    const parse = (s: string | undefined, later: number) => {
      if (s === undefined) return now + later;
      const t = parseUsageTime(s);
      if (t === null) throw badRequest('Invalid datetime string: Datetime is in invalid format');
      return t;
    };
    const start = parse(first('start'), 0);
    const stop = parse(first('end'), 1);
    if (!(start < stop)) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
    return { start, stop: Math.min(stop, now + 1), detailed: first('detailed') === '1' };
  }

  /** _get_instances_all_cells over one cell: the window, then the page after the marker. */
  async function windowed(projectId: string | undefined, start: Micros, stop: Micros, limit: number, marker: string | undefined): Promise<UsageRow[]> {
    let rows = (await launchedInstances(d.db, projectId)).filter((r) => (r.terminatedAt === null || dbMicros(r.terminatedAt) > start) && dbMicros(r.launchedAt) < stop);
    if (marker !== undefined) {
      const m = await instanceExists(d.db, marker);
      if (!m) throw badRequest(`Marker ${marker} could not be found.`);
      const key = `${m.projectId}\u0000${marker}`;
      rows = rows.filter((r) => `${r.projectId}\u0000${r.uuid}` > key);
    }
    const page = rows.slice(0, limit);
    // nova answers an empty page after a marker as if the marker were unknown.
    if (marker !== undefined && page.length === 0) throw badRequest(`Marker ${marker} could not be found.`);
    return page;
  }

  app.get('/v2.1/os-simple-tenant-usage', async (req, reply) => {
    const q = validateQuery(querySchema(req.mv, INDEX_PROPS), queryLists(req.query));
    authorize(req.ctx, 'os_compute_api:os-simple-tenant-usage:list', {});
    const { start, stop, detailed } = range(req);
    const links = atLeast(req.mv, '2.40');
    const { limit, marker } = links ? limitAndMarker(q) : { limit: MAX_LIMIT, marker: undefined };
    const rows = await windowed(undefined, start, stop, limit, marker);
    const { usages, servers } = tenantUsages(rows, start, stop, d.clock.now() * 1000, detailed);
    const body: Record<string, unknown> = { tenant_usages: usages };
    if (links) {
      const next = collectionLinks(req, q, servers.length, servers.at(-1)?.instance_id, 'os-simple-tenant-usage');
      if (next.length) body.tenant_usages_links = next;
    }
    return sendNova(reply, 200, body);
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-simple-tenant-usage/:id', async (req, reply) => {
    const q = validateQuery(querySchema(req.mv, SHOW_PROPS), queryLists(req.query));
    const projectId = req.params.id;
    authorize(req.ctx, 'os_compute_api:os-simple-tenant-usage:show', { project_id: projectId });
    const { start, stop } = range(req);
    const links = atLeast(req.mv, '2.40');
    const { limit, marker } = links ? limitAndMarker(q) : { limit: MAX_LIMIT, marker: undefined };
    const rows = await windowed(projectId, start, stop, limit, marker);
    const { usages, servers } = tenantUsages(rows, start, stop, d.clock.now() * 1000, true);
    const body: Record<string, unknown> = { tenant_usage: usages[0] ?? {} };
    if (links) {
      const next = collectionLinks(req, q, servers.length, servers.at(-1)?.instance_id, `os-simple-tenant-usage/${projectId}`);
      if (next.length) body.tenant_usage_links = next;
    }
    return sendNova(reply, 200, body);
  });
}
