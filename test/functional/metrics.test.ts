/**
 * Issue 12 point 5: nova-api and neutron-server serve Prometheus `/metrics` without a
 * token, each from its own database. A boot shows as an ACTIVE server, a successful
 * boot, build event durations and an ACTIVE compute:nova port; a boot to a host that
 * does not exist shows as a failed boot caused by NoValidHost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

/** One sample line of the exposition text: name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a sample line: ${l}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The value of the sample named `name` whose labels include `labels`; undefined when none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('metrics: /metrics on nova-api and neutron-server', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) =>
    cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const scrape = async (base: string) => {
    // No token: exporters are scraped as they are.
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseSamples(await res.text());
  };

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } });
    netId = net.body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  async function bootAndSettle(server: Record<string, unknown>) {
    const r = await nova('POST', '/servers', { server: { flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], ...server } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    return waitFor(`server ${id} to settle`, async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      return s.status === 'ACTIVE' || s.status === 'ERROR' ? s : undefined;
    });
  }

  it('before any boot: services up, agents alive, no servers, no boots', async () => {
    const n = await scrape(cloud.urls.compute);
    const up = n.filter((s) => s.name === 'nimbus_compute_services_up');
    assert.ok(up.some((s) => s.labels.binary === 'nova-compute'), JSON.stringify(up));
    assert.ok(up.some((s) => s.labels.binary === 'nova-conductor'), JSON.stringify(up));
    assert.ok(up.every((s) => s.value === 1), JSON.stringify(up));
    assert.equal(value(n, 'nimbus_compute_boots_total', { result: 'success' }), 0);
    assert.equal(value(n, 'nimbus_compute_servers', { status: 'ACTIVE' }), undefined);
    for (const q of ['conductor', 'scheduler', 'compute']) assert.equal(value(n, 'nimbus_rpc_queue_messages', { queue: q }), 0, q);

    const q = await scrape(cloud.urls.network);
    const computeHosts = up.filter((s) => s.labels.binary === 'nova-compute').map((s) => s.labels.host!);
    const agents = q.filter((s) => s.name === 'nimbus_network_agents_alive');
    for (const host of computeHosts) assert.equal(agents.find((a) => a.labels.host === host)?.value, 1, `an agent alive on ${host}: ${JSON.stringify(agents)}`);
    assert.equal(value(q, 'nimbus_rpc_queue_messages', { queue: 'q-plugin' }), 0);
  });

  it('a boot: one ACTIVE server, one successful boot, build durations, an ACTIVE bound compute:nova port', async () => {
    const s = await bootAndSettle({ name: 'vm1' });
    assert.equal(s.status, 'ACTIVE');
    const n = await scrape(cloud.urls.compute);
    assert.equal(value(n, 'nimbus_compute_servers', { status: 'ACTIVE' }), 1);
    assert.equal(value(n, 'nimbus_compute_boots_total', { result: 'success' }), 1);
    assert.equal(value(n, 'nimbus_compute_boots_total', { result: 'error' }), 0);
    const built = value(n, 'nimbus_compute_action_event_seconds_count', { event: 'compute__do_build_and_run_instance' });
    assert.ok(built !== undefined && built > 0, `build events counted: ${built}`);

    const q = await scrape(cloud.urls.network);
    assert.equal(value(q, 'nimbus_network_ports', { status: 'ACTIVE', device_owner: 'compute:nova' }), 1);
    assert.equal(value(q, 'nimbus_network_ports_bindings', { vif_type: 'ovs' }), 1);
  });

  it('a boot nowhere: an ERROR server, a failed boot, its cause NoValidHost', async () => {
    const s = await bootAndSettle({ name: 'vm-nowhere', availability_zone: 'nova:compute9' });
    assert.equal(s.status, 'ERROR');
    const n = await scrape(cloud.urls.compute);
    assert.equal(value(n, 'nimbus_compute_servers', { status: 'ERROR' }), 1);
    assert.equal(value(n, 'nimbus_compute_servers', { status: 'ACTIVE' }), 1);
    assert.equal(value(n, 'nimbus_compute_boots_total', { result: 'error' }), 1);
    assert.equal(value(n, 'nimbus_compute_boots_total', { result: 'success' }), 1);
    assert.equal(value(n, 'nimbus_compute_boot_failures', { cause: 'NoValidHost' }), 1, JSON.stringify(n.filter((x) => x.name === 'nimbus_compute_boot_failures')));
  });
});
