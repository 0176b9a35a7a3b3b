/**
 * os-hypervisors (nova/api/openstack/compute/hypervisors.py): the compute nodes, for
 * admins. Integer ids until 2.52, uuids from 2.53; paging from 2.33; from 2.53 the
 * search and servers routes give way to ?hypervisor_hostname_pattern and
 * ?with_servers; 2.28 turns cpu_info into an object; 2.88 drops the capacity fields and
 * the statistics and uptime routes, and puts uptime in the detail view.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { badRequest, notFound } from './faults.js';
import { collectionLinks, limitAndMarker } from './links.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { type JsonSchema, P, boolFromString, isUuidLike, lastParam, queryLists, validateQuery } from './validation.js';
import { sendNova, versionNotFound } from './wire.js';
import { type ComputeNodeRow, type ServiceRow, ServiceStore } from '../objects/services.js';
import { selectInstanceStatesOnHost } from '../db/instances.js';
import { serviceIdKey } from './services.js';
import { novaContext } from '../context.js';

const PAGING = { limit: P.multiParams(P.nonNegativeInteger), marker: P.multiParams({ type: 'string' }) };
const LIST_QUERY_233: JsonSchema = { type: 'object', properties: PAGING, additionalProperties: true };
const LIST_QUERY_253: JsonSchema = {
  type: 'object',
  properties: {
    limit: P.singleParam(P.nonNegativeInteger),
    marker: P.singleParam({ type: 'string' }),
    hypervisor_hostname_pattern: P.singleParam(P.fqdn),
    with_servers: P.singleParam(P.boolean),
  },
  additionalProperties: false,
};
const SHOW_QUERY_253: JsonSchema = { type: 'object', properties: { with_servers: P.singleParam(P.boolean) }, additionalProperties: false };

/** nova's CONF.instance_name_template, "instance-%08x": what the servers lists of a hypervisor show. */
function instanceName(id: number): string {
  return `instance-${id.toString(16).padStart(8, '0')}`;
}

interface HostInstance {
  id: number;
  uuid: string;
  task_state: string | null;
}

/** Routes /os-hypervisors, /detail, /statistics, /{id}, /{id}/uptime, /{pattern}/search and /{pattern}/servers. */
export function registerHypervisors(app: FastifyInstance, d: ComputeApiDeps): void {
  const store = new ServiceStore(d.db, { clock: d.clock, random: d.random, serviceDownTimeS: d.cfg.compute.service_down_time });

  const instancesOn = (host: string): Promise<HostInstance[]> => selectInstanceStatesOnHost(d.db, host);

  /**
   * HostAPI.get_host_uptime: HostNotFound / ComputeServiceUnavailable (400 on the uptime
   * route), else what the host's driver answers over RPC (libvirt's: the `uptime` line).
   */
  async function uptime(req: FastifyRequest, host: string): Promise<string> {
    const svc = (await store.list({ host, binary: 'nova-compute' }))[0];
    if (!svc) throw badRequest(`Host ${host} could not be found.`);
    if (!store.isUp(svc)) throw badRequest(`Compute service of ${host} is unavailable at this time.`);
    return d.compute.getHostUptime(novaContext(req.ctx), host);
  }

  async function view(req: FastifyRequest, n: ComputeNodeRow, svc: ServiceRow, detail: boolean, servers?: HostInstance[], withServers = false) {
    const uuids = atLeast(req.mv, '2.53');
    const v: Record<string, unknown> = {
      id: uuids ? n.uuid : n.id,
      hypervisor_hostname: n.hypervisor_hostname,
      state: store.isUp(svc) ? 'up' : 'down',
      status: svc.disabled ? 'disabled' : 'enabled',
    };
    if (detail) {
      v.hypervisor_type = n.hypervisor_type;
      v.hypervisor_version = n.hypervisor_version;
      v.host_ip = n.host_ip;
      v.service = { id: uuids ? svc.uuid : svc.id, host: n.host, disabled_reason: svc.disabled_reason };
      if (!atLeast(req.mv, '2.88')) {
        const onHost = servers ?? (await instancesOn(n.host));
        Object.assign(v, {
          vcpus: n.vcpus,
          memory_mb: n.memory_mb,
          local_gb: n.local_gb,
          vcpus_used: n.vcpus_used,
          memory_mb_used: n.memory_mb_used,
          local_gb_used: n.local_gb_used,
          free_ram_mb: n.memory_mb - n.memory_mb_used,
          free_disk_gb: n.local_gb - n.local_gb_used,
          // The resource tracker's stats: instances with a task in progress.
          current_workload: onHost.filter((i) => i.task_state !== null).length,
          running_vms: n.running_vms,
          disk_available_least: n.local_gb - n.local_gb_used,
        });
        v.cpu_info = atLeast(req.mv, '2.28') ? (n.cpu_info ? JSON.parse(n.cpu_info) : {}) : n.cpu_info;
      } else {
        try {
          v.uptime = await uptime(req, n.host);
        } catch {
          // Not every driver can tell, and a down host cannot: nova shows null.
          v.uptime = null;
        }
      }
    }
    if (servers && servers.length) v.servers = servers.map((i) => ({ name: instanceName(i.id), uuid: i.uuid }));
    else if (withServers && atLeast(req.mv, '2.75')) v.servers = [];
    return v;
  }

  /** The node's nova-compute service, or null when it is gone (nova skips such nodes in lists). */
  async function serviceOf(n: ComputeNodeRow): Promise<ServiceRow | null> {
    return (await store.list({ host: n.host, binary: 'nova-compute' }))[0] ?? null;
  }

  async function list(req: FastifyRequest, detail: boolean) {
    let query: Record<string, string[]> = queryLists(req.query);
    let paging = false;
    if (atLeast(req.mv, '2.53')) {
      query = validateQuery(LIST_QUERY_253, query);
      paging = true;
    } else if (atLeast(req.mv, '2.33')) {
      query = validateQuery(LIST_QUERY_233, query);
      paging = true;
    }
    authorize(req.ctx, detail ? 'os_compute_api:os-hypervisors:list-detail' : 'os_compute_api:os-hypervisors:list', {});
    const { limit, marker } = paging ? limitAndMarker(query) : { limit: undefined, marker: undefined };
    let pattern: string | undefined;
    let withServers = false;
    if (atLeast(req.mv, '2.53')) {
      pattern = lastParam(query, 'hypervisor_hostname_pattern');
      withServers = boolFromString(lastParam(query, 'with_servers') ?? false, true);
    }
    let links = paging;
    let nodes: ComputeNodeRow[];
    if (pattern !== undefined) {
      if (query.limit !== undefined || marker) throw badRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
      links = false;
      nodes = await store.searchComputeNodes(pattern);
      if (nodes.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    } else {
      let markerNode: ComputeNodeRow | null = null;
      if (marker) {
        markerNode = isUuidLike(marker) ? await store.findComputeNode(marker) : /^\d+$/.test(marker) ? await store.findComputeNode(Number(marker)) : null;
        if (!markerNode) throw badRequest(`marker [${marker}] not found`);
      }
      nodes = await store.listComputeNodes({ limit, marker: markerNode ?? undefined });
    }
    const out: Record<string, unknown>[] = [];
    for (const n of nodes) {
      const svc = await serviceOf(n);
      if (!svc) continue;
      const servers = withServers ? await instancesOn(n.host) : undefined;
      out.push(await view(req, n, svc, detail, servers, withServers));
    }
    const body: Record<string, unknown> = { hypervisors: out };
    if (links) {
      const next = collectionLinks(req, query, out.length, out.at(-1)?.id as string | number | undefined, detail ? 'os-hypervisors/detail' : 'os-hypervisors');
      if (next.length) body.hypervisors_links = next;
    }
    return body;
  }

  app.get('/v2.1/os-hypervisors', async (req, reply) => sendNova(reply, 200, await list(req, false)));
  app.get('/v2.1/os-hypervisors/detail', async (req, reply) => sendNova(reply, 200, await list(req, true)));

  app.get('/v2.1/os-hypervisors/statistics', async (req, reply) => {
    if (atLeast(req.mv, '2.88')) throw versionNotFound();
    authorize(req.ctx, 'os_compute_api:os-hypervisors:statistics', {});
    // nova's compute_node_statistics: nodes of enabled nova-compute services only.
    const stats = { count: 0, vcpus: 0, memory_mb: 0, local_gb: 0, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, free_ram_mb: 0, free_disk_gb: 0, current_workload: 0, running_vms: 0, disk_available_least: 0 };
    for (const n of await store.listComputeNodes()) {
      const svc = await serviceOf(n);
      if (!svc || svc.disabled) continue;
      const workload = (await instancesOn(n.host)).filter((i) => i.task_state !== null).length;
      stats.count += 1;
      stats.vcpus += n.vcpus;
      stats.memory_mb += n.memory_mb;
      stats.local_gb += n.local_gb;
      stats.vcpus_used += n.vcpus_used;
      stats.memory_mb_used += n.memory_mb_used;
      stats.local_gb_used += n.local_gb_used;
      stats.free_ram_mb += n.memory_mb - n.memory_mb_used;
      stats.free_disk_gb += n.local_gb - n.local_gb_used;
      stats.current_workload += workload;
      stats.running_vms += n.running_vms;
      stats.disk_available_least += n.local_gb - n.local_gb_used;
    }
    return sendNova(reply, 200, { hypervisor_statistics: stats });
  });

  /** _validate_id then compute_node_get and its service, with nova's 400/404 texts. */
  async function nodeAndService(req: FastifyRequest, id: string): Promise<{ node: ComputeNodeRow; svc: ServiceRow }> {
    const missing = () => notFound(`Hypervisor with ID '${id}' could not be found.`);
    const key = serviceIdKey(req, id, missing);
    const node = await store.findComputeNode(key);
    if (!node) throw missing();
    const svc = await serviceOf(node);
    if (!svc) throw missing();
    return { node, svc };
  }

  app.get<{ Params: { id: string } }>('/v2.1/os-hypervisors/:id', async (req, reply) => {
    let withServers = false;
    if (atLeast(req.mv, '2.53')) {
      const query = validateQuery(SHOW_QUERY_253, queryLists(req.query));
      withServers = boolFromString(lastParam(query, 'with_servers') ?? false, true);
    }
    authorize(req.ctx, 'os_compute_api:os-hypervisors:show', {});
    const { node, svc } = await nodeAndService(req, req.params.id);
    const servers = withServers ? await instancesOn(node.host) : undefined;
    return sendNova(reply, 200, { hypervisor: await view(req, node, svc, true, servers, withServers) });
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-hypervisors/:id/uptime', async (req, reply) => {
    if (atLeast(req.mv, '2.88')) throw versionNotFound();
    authorize(req.ctx, 'os_compute_api:os-hypervisors:uptime', {});
    const { node, svc } = await nodeAndService(req, req.params.id);
    const up = await uptime(req, node.host);
    return sendNova(reply, 200, { hypervisor: { ...(await view(req, node, svc, false)), uptime: up } });
  });

  /** The pre-2.53 search and servers routes: hypervisors whose hostname contains the pattern. */
  async function search(req: FastifyRequest, pattern: string, withServers: boolean) {
    const nodes = await store.searchComputeNodes(pattern);
    if (nodes.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    const out: Record<string, unknown>[] = [];
    for (const n of nodes) {
      const svc = await serviceOf(n);
      if (!svc) continue;
      out.push(await view(req, n, svc, false, withServers ? await instancesOn(n.host) : undefined));
    }
    return { hypervisors: out };
  }

  app.get<{ Params: { id: string } }>('/v2.1/os-hypervisors/:id/search', async (req, reply) => {
    if (atLeast(req.mv, '2.53')) throw versionNotFound();
    authorize(req.ctx, 'os_compute_api:os-hypervisors:search', {});
    return sendNova(reply, 200, await search(req, req.params.id, false));
  });

  app.get<{ Params: { id: string } }>('/v2.1/os-hypervisors/:id/servers', async (req, reply) => {
    if (atLeast(req.mv, '2.53')) throw versionNotFound();
    authorize(req.ctx, 'os_compute_api:os-hypervisors:servers', {});
    return sendNova(reply, 200, await search(req, req.params.id, true));
  });
}
