/**
 * /servers/{id}/ips and /servers/{id}/ips/{network_label} (ips.py): the addresses of
 * the network info cache by network label, fixed then floating, each {version, addr}
 * (views/addresses.py without the extended type and MAC).
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './app.js';
import { fixedIps } from '../network/model.js';
import type { NetworkInfo } from '../network/model.js';
import { HttpFault } from './faults.js';
import { authorize } from './policy.js';
import { getInstance } from './servers.js';

/** common.get_networks_for_instance: label → [{version, addr}], unlike the server view also while building. */
export function networksForInstance(nwInfo: NetworkInfo): Record<string, { version: number; addr: string }[]> {
  const out: Record<string, { version: number; addr: string }[]> = {};
  for (const vif of nwInfo) {
    const list = (out[vif.network.label] ??= []);
    for (const ip of fixedIps(vif)) {
      list.push({ version: ip.version, addr: ip.address });
      for (const f of ip.floating_ips) list.push({ version: f.version, addr: f.address });
    }
  }
  return out;
}

export function registerIps(app: FastifyInstance, d: ComputeApiDeps): void {
  app.get('/v2.1/servers/:id/ips', async (req) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:ips:index', { project_id: i.projectId });
    return { addresses: networksForInstance(await d.instances.networkInfo(i.uuid)) };
  });

  app.get('/v2.1/servers/:id/ips/:label', async (req) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:ips:show', { project_id: i.projectId });
    const label = (req.params as { label: string }).label;
    const networks = networksForInstance(await d.instances.networkInfo(i.uuid));
    if (!Object.hasOwn(networks, label)) throw new HttpFault(404, 'Instance is not a member of specified network');
    return { [label]: networks[label] };
  });
}
