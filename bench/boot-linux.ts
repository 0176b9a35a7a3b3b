/**
 * Boot benchmark on real linux hosts (issue 13): an embedded cloud with [DEFAULT]
 * host_driver = linux (one host, this machine) on a private Open vSwitch
 * (test/helpers/ovs.ts startOvsSandbox: netdev datapath, the machine-wide sandbox lock)
 * boots N servers at once through the REST API, each with one NIC on a shared network
 * (real hybrid plug, the OVS agent tagging the port, network-vif-plugged), polls until
 * ACTIVE, then deletes them all. Prints servers/s to ACTIVE, p50/p99 time to ACTIVE and
 * the plug_vif / unplug_vif time per VIF from each server's trace
 * (GET /nimbus/v1/traces/{server}): the host time (the union of the spans, divided by
 * their number) and each span's own duration, which includes waiting for the others.
 * Checks at the end that no qbr/qvb/qvo/tap, guest namespace or br-int port of the
 * servers is left. A benchmark (prints figures), never a test. Root and
 * openvswitch-switch needed; the figures vary with the machine's load.
 *
 *   node --import tsx bench/boot-linux.ts [count=100] [poll-ms=200]
 */
import { execFileSync } from 'node:child_process';
import { guestNamespace } from '../src/compute/virt/vif.js';
import { startTestCloud } from '../test/helpers/cloud.js';
import { hostLinkNames, linuxHostSkipReason, startOvsSandbox } from '../test/helpers/ovs.js';
import { fmt, percentile, sleep } from './lib.js';

const count = Number(process.argv[2] ?? 100);
const pollMs = Number(process.argv[3] ?? 200);
const skip = linuxHostSkipReason();
if (skip) {
  console.log(`boot-linux: cannot run here: ${skip}`);
  process.exit(0);
}

/** The [start, end] (ms since the epoch) of every trace step named `step` in a GET /nimbus/v1/traces answer. */
function stepSpans(answer: { timelines?: { started_at: string; steps: { step: string; offset_ms: number; duration_ms: number }[] }[] }, step: string): [number, number][] {
  return (answer.timelines ?? []).flatMap((t) => t.steps.filter((s) => s.step === step).map((s): [number, number] => [Date.parse(t.started_at) + s.offset_ms, Date.parse(t.started_at) + s.offset_ms + s.duration_ms]));
}

/** How long at least one of the spans was running (their union): the host's busy time. */
function busy(spans: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

const avg = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);

const ovs = await startOvsSandbox();
let cloud: Awaited<ReturnType<typeof startTestCloud>> | undefined;
const shorts: string[] = [];
const ids: string[] = [];
try {
  cloud = await startTestCloud({
    DEFAULT: { host_driver: 'linux', hosts: ['linux1'] },
    linux_host: { ovsdb_socket: ovs.db },
    agent: { polling_interval: 0, datapath_type: 'netdev' },
    network: { send_events_interval: 0, quota_port: -1 },
    compute: { quota_instances: -1, quota_cores: -1, quota_ram: -1 },
  });
  const c = cloud;
  const nova = (method: string, path: string, body?: unknown) => c.api('admin', method, `${c.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const net = await c.api('admin', 'POST', `${c.urls.network}/v2.0/networks`, { network: { name: 'boot-linux' } });
  const netId = net.body.network.id as string;
  await c.api('admin', 'POST', `${c.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.31.0.0/16', ip_version: 4 } });
  const imageId = (await c.api('admin', 'GET', `${c.urls.image}/v2/images`)).body.images[0].id as string;

  const t0 = performance.now();
  const started = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const r = await nova('POST', '/servers', { server: { name: `bl${i}`, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    if (r.status !== 202) throw new Error(`boot ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(r.body.server.id);
    started.set(r.body.server.id, performance.now());
  }
  const toActive: number[] = [];
  let errors = 0;
  const pending = new Set(ids);
  while (pending.size) {
    await sleep(pollMs);
    const list = (await nova('GET', '/servers/detail?all_tenants=1')).body.servers as { id: string; status: string }[];
    for (const s of list) {
      if (!pending.has(s.id)) continue;
      if (s.status === 'ACTIVE') toActive.push(performance.now() - started.get(s.id)!);
      else if (s.status === 'ERROR') errors++;
      else continue;
      pending.delete(s.id);
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const ports = (await c.api('admin', 'GET', `${c.urls.network}/v2.0/ports?network_id=${netId}&device_owner=compute:nova`)).body.ports as { id: string }[];
  shorts.push(...ports.map((p) => p.id.slice(0, 11)));

  const d0 = performance.now();
  for (const id of ids) await nova('DELETE', `/servers/${id}`);
  const gone = new Set(ids);
  while (gone.size) {
    await sleep(pollMs);
    const left = new Set(((await nova('GET', '/servers?all_tenants=1')).body.servers as { id: string }[]).map((s) => s.id));
    for (const id of [...gone]) if (!left.has(id)) gone.delete(id);
  }
  const delElapsed = (performance.now() - d0) / 1000;

  const plug: [number, number][] = [];
  const unplug: [number, number][] = [];
  for (const id of ids) {
    const t = (await c.api('admin', 'GET', `${c.urls.compute}/nimbus/v1/traces/${id}`)).body;
    plug.push(...stepSpans(t, 'plug_vif'));
    unplug.push(...stepSpans(t, 'unplug_vif'));
  }
  const durations = (spans: [number, number][]) => spans.map(([a, b]) => b - a).sort((x, y) => x - y);
  const figures = (what: string, spans: [number, number][]) =>
    `${what}   ${(busy(spans) / spans.length).toFixed(1)} ms per VIF of host time (the union of the ${spans.length} traced spans / ${spans.length}); each span p50 ${fmt(percentile(durations(spans), 50))}, mean ${avg(durations(spans)).toFixed(1)} ms (concurrent plugs wait for each other)`;
  const sorted = [...toActive].sort((a, b) => a - b);
  console.log(`--- ${count} servers on one real linux host (netdev OVS), poll every ${pollMs} ms; shared machine: figures are noisy`);
  console.log(`ACTIVE       ${toActive.length} of ${count} (${errors} errors) in ${elapsed.toFixed(2)} s = ${(toActive.length / elapsed).toFixed(1)} servers/s`);
  console.log(`to ACTIVE    p50 ${fmt(percentile(sorted, 50))} / p99 ${fmt(percentile(sorted, 99))}`);
  console.log(figures('plug_vif  ', plug));
  console.log(figures('unplug_vif', unplug));
  console.log(`delete       ${ids.length} gone in ${delElapsed.toFixed(2)} s = ${(ids.length / delElapsed).toFixed(1)} servers/s`);
} finally {
  await cloud?.stop();
  // What the servers made must be gone: their devices, guest namespaces and br-int ports.
  const { links, namespaces } = await hostLinkNames();
  const leftLinks = links.filter((l) => shorts.some((s) => l.endsWith(s)));
  const leftNs = namespaces.filter((n) => ids.some((id) => n === guestNamespace(id)));
  let leftPorts: string[] = [];
  try {
    leftPorts = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'list-ports', 'br-int'], { encoding: 'utf8' }).split('\n').filter((p) => shorts.some((s) => p.endsWith(s)));
  } catch {
    /* the sandbox is gone: no ports */
  }
  console.log(`left behind  ${leftLinks.length} links, ${leftNs.length} namespaces, ${leftPorts.length} br-int ports${leftLinks.length + leftNs.length + leftPorts.length ? `: ${[...leftLinks, ...leftNs, ...leftPorts].join(' ')}` : ''}`);
  await ovs.stop();
}
