/**
 * Issue 12 ("each diagnosis cause produced by fault injection and recognised"): faults
 * injected through /nimbus/v1/faults break the cloud as a real outage would, and
 * `nimbus diagnose` names what broke — an OVS agent that stopped reporting (host, and a
 * port bound there: binding_failed because the agent is dead), nova-compute down on
 * every host (No valid host, each host removed by ComputeFilter now), and a
 * network-vif-plugged that never came (the build timed out waiting for it).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

let cloud: TestCloud;
let netId: string;
let imageId: string;
const nova = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
const ops = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/nimbus/v1${path}`, body);
const causes = (body: { findings: { cause: string }[] }) => body.findings.map((f) => f.cause);

async function fault(spec: Record<string, unknown>): Promise<string> {
  const r = await ops('POST', '/faults', { fault: spec });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.fault.id as string;
}

async function boot(name: string): Promise<any> {
  const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return waitFor(`server ${name} to settle`, async () => {
    const s = (await nova('GET', `/servers/${r.body.server.id}`)).body.server;
    return s && s.status !== 'BUILD' ? s : undefined;
  });
}

describe('diagnosis of injected faults', { skip: inProcessOnly('short agent and service timeouts of a cloud in this process') }, () => {
  before(async () => {
    cloud = await startTestCloud({
      agent: { polling_interval: 0, report_interval: 0.2 },
      network: { send_events_interval: 0, agent_down_time: 1 },
      compute: { vif_plugging_timeout: 1, service_down_time: 1, report_interval: 0.1 },
    });
    netId = (await neutron('POST', '/networks', { network: { name: 'dfnet' } })).body.network.id;
    await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '10.91.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  afterEach(async () => {
    assert.equal((await ops('DELETE', '/faults')).status, 204);
  });
  after(() => cloud?.stop());

  it('agent-down: the host says its L2 agent is dead; a port bound there is binding_failed because of it', async () => {
    const host = cloud.cfg.DEFAULT.hosts[0]!;
    await fault({ kind: 'agent-down', host });
    const d = await waitFor('the host diagnosis to see the agent dead', async () => {
      const r = (await ops('GET', `/diagnose/hosts/${host}`)).body;
      return causes(r).includes('l2-agent-dead') ? r : undefined;
    });
    assert.equal(d.status, 'problem');
    const port = (await neutron('POST', '/ports', { port: { network_id: netId, 'binding:host_id': host } })).body.port;
    assert.equal(port['binding:vif_type'], 'binding_failed');
    const p = (await ops('GET', `/diagnose/ports/${port.id}`)).body;
    assert.equal(p.status, 'problem');
    assert.ok(causes(p).includes('agent-dead'), JSON.stringify(p.findings));
    await neutron('DELETE', `/ports/${port.id}`);
  });

  it('compute-down on every host: No valid host, each host removed by ComputeFilter now', async () => {
    for (const host of cloud.cfg.DEFAULT.hosts) await fault({ kind: 'compute-down', host });
    await waitFor('every compute service down', async () => {
      const services = (await nova('GET', '/os-services?binary=nova-compute')).body.services as { state: string }[];
      return services.every((s) => s.state === 'down') ? true : undefined;
    });
    const s = await boot('nohost');
    assert.equal(s.status, 'ERROR');
    const d = (await ops('GET', `/diagnose/servers/${s.id}`)).body;
    assert.ok(causes(d).includes('no-valid-host'), JSON.stringify(d.findings));
    const filtered = d.findings.filter((f: { cause: string }) => f.cause === 'host-filtered');
    assert.deepEqual(filtered.map((f: { subject: string }) => f.subject).sort(), [...cloud.cfg.DEFAULT.hosts].sort());
    for (const f of filtered) assert.match(f.detail, /^now: ComputeFilter removes compute\d/);
    const h = (await ops('GET', `/diagnose/hosts/${cloud.cfg.DEFAULT.hosts[0]}`)).body;
    assert.ok(causes(h).includes('compute-service-down'), JSON.stringify(h.findings));
    await nova('DELETE', `/servers/${s.id}`);
  });

  it('vif-plugged-drop: the build timed out waiting for network-vif-plugged, and the server says so', async () => {
    await waitFor('every compute service up again', async () => {
      const services = (await nova('GET', '/os-services?binary=nova-compute')).body.services as { state: string }[];
      return services.every((s) => s.state === 'up') ? true : undefined;
    });
    await fault({ kind: 'vif-plugged-drop', count: 1 });
    const s = await boot('novif');
    assert.equal(s.status, 'ERROR');
    const d = (await ops('GET', `/diagnose/servers/${s.id}`)).body;
    assert.equal(d.status, 'problem');
    assert.ok(causes(d).includes('vif-plug-timeout'), JSON.stringify(d.findings));
    await nova('DELETE', `/servers/${s.id}`);
  });
});
