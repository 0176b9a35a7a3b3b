/**
 * Live-migration benchmark (issue 10): boots N servers on one host, then live-migrates
 * them one by one to the other host through the REST API as `openstack server migrate
 * --live-migration` does (os-migrateLive, host chosen by the scheduler), polling each
 * until it is ACTIVE on its new host. Every migration does the whole flow: INACTIVE
 * bindings on the destination, pre_live_migration's plug, network-vif-plugged from the
 * destination, the binding activated, the source binding deleted, the source unplugged.
 *
 * While a migration runs, a second loop samples the server's host and its port's
 * binding:host_id; "wrong host" is the time the port's active binding named a host the
 * server was not running on, counted from the samples after nova reports the move done
 * (during the move both answers are legitimate). Prints p50/p99 per migration, that time,
 * and the ports left bound elsewhere at the end (the target for both is 0).
 *
 * The pace is Zed's defaults, not Nimbus's work: the source waits for the destination's
 * network-vif-plugged, which comes after the destination agent's next pass ([agent]
 * polling_interval, 2 s) and neutron's next notifier batch (send_events_interval, 2 s);
 * the CPU figure shows what the migrations cost.
 *
 *   npm run build && node --import tsx bench/live-migrate.ts [servers=100] [poll-ms=20]
 */
import { call, fmt, percentile, startServer } from './lib.js';

const count = Number(process.argv[2] ?? 100);
const pollMs = Number(process.argv[3] ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startServer(['--compute-quota-instances', '-1', '--compute-quota-cores', '-1', '--compute-quota-ram', '-1', '--network-quota-port', '-1']);
try {
  const token = await server.token('admin', 'admin', 'admin');
  const { network: n, compute: c, image: g } = server.urls;
  const mv = { 'openstack-api-version': 'compute 2.30' };
  const net = await call(token, 'POST', `${n}/v2.0/networks`, { network: { name: 'bench' } });
  await call(token, 'POST', `${n}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.31.0.0/16', name: 'bench' } });
  const image = (await call(token, 'GET', `${g}/v2/images`)).body.images[0].id;
  const hosts = (await call(token, 'GET', `${c}/v2.1/os-services?binary=nova-compute`)).body.services.map((s: { host: string }) => s.host) as string[];
  const [source] = hosts;

  const show = async (id: string) => (await call(token, 'GET', `${c}/v2.1/servers/${id}`, undefined, mv)).body.server;
  const portOf = async (id: string) => (await call(token, 'GET', `${n}/v2.0/ports?device_id=${id}`)).body.ports[0];
  const until = async (id: string, ok: (s: Record<string, unknown>) => boolean) => {
    for (;;) {
      const s = await show(id);
      if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR: ${JSON.stringify(s.fault)}`);
      if (ok(s)) return s;
      await sleep(pollMs);
    }
  };

  // Boot everything on the first host (an admin's zone:host), one after the other.
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await call(token, 'POST', `${c}/v2.1/servers`, { server: { name: `lm-${i}`, flavorRef: '100', imageRef: image, availability_zone: `nova:${source}`, networks: [{ uuid: net.body.network.id }] } });
    ids.push(r.body.server.id);
  }
  for (const id of ids) await until(id, (s) => s.status === 'ACTIVE');

  const cpu0 = server.cpuSeconds();
  const durations: number[] = [];
  let wrongMs = 0;
  let errors = 0;
  const t0 = performance.now();
  for (const id of ids) {
    const start = performance.now();
    const r = await call(token, 'POST', `${c}/v2.1/servers/${id}/action`, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, mv);
    if (r.status !== 202) {
      errors++;
      continue;
    }
    try {
      const done = await until(id, (s) => s.status === 'ACTIVE' && s['OS-EXT-SRV-ATTR:host'] !== source && s['OS-EXT-STS:task_state'] === null);
      durations.push(performance.now() - start);
      // After nova says the move is done, the port must already be bound where the server runs.
      const port = await portOf(id);
      if (port['binding:host_id'] !== done['OS-EXT-SRV-ATTR:host']) {
        const seen = performance.now();
        while ((await portOf(id))['binding:host_id'] !== done['OS-EXT-SRV-ATTR:host']) await sleep(pollMs);
        wrongMs += performance.now() - seen;
      }
    } catch {
      errors++;
    }
  }
  const elapsed = (performance.now() - t0) / 1000;

  let misplaced = 0;
  let bindingsLeft = 0;
  for (const id of ids) {
    const s = await show(id);
    const port = await portOf(id);
    if (port['binding:host_id'] !== s['OS-EXT-SRV-ATTR:host']) misplaced++;
    const bindings = (await call(token, 'GET', `${n}/v2.0/ports/${port.id}/bindings`)).body.bindings as unknown[];
    if (bindings.length !== 1) bindingsLeft++;
  }
  const sorted = [...durations].sort((a, b) => a - b);
  console.log(`live-migrate ${count} servers one by one: ${durations.length} done, ${errors} errors in ${elapsed.toFixed(1)} s (${(durations.length / elapsed).toFixed(1)} migrations/s, ${(server.cpuSeconds() - cpu0).toFixed(1)} s CPU)`);
  console.log(`  per migration: p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? 0)} (poll every ${pollMs} ms)`);
  console.log(`  port bound to the wrong host after the move: ${fmt(wrongMs)} in all; at the end ${misplaced} ports on the wrong host, ${bindingsLeft} ports with other than one binding`);
  console.log(`  server process peak RSS ${server.peakRssMiB().toFixed(0)} MiB`);
} finally {
  await server.stop();
}
