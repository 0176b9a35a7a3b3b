/**
 * Server benchmark (issue 3): boots servers through the REST API as openstacksdk does —
 * POST /servers, then poll GET /servers/{id} until ACTIVE — each with one nic on a
 * shared network, a batch of N at a time; then deletes them all and polls until they
 * are gone. Every boot does the whole flow (port create, binding, hybrid plug, the OVS
 * agent's report, ML2 port ACTIVE, network-vif-plugged); nothing is shortened for the
 * benchmark. Prints servers/s to ACTIVE, p50/p99 time to ACTIVE, delete throughput and
 * the server process's peak RSS.
 *
 *   npm run build && node --import tsx bench/servers.ts [batches=100,1000] [poll-ms=1000]
 */
import { bootServers, call, deleteServers, fmt, percentile, startServer } from './lib.js';

const batches = (process.argv[2] ?? '100,1000').split(',').map(Number);
const pollMs = Number(process.argv[3] ?? 1000);

const server = await startServer(['--compute-quota-instances', '-1', '--compute-quota-cores', '-1', '--compute-quota-ram', '-1', '--network-quota-port', '-1']);
try {
  const token = await server.token('admin', 'admin', 'admin');
  const { network: n, compute: c, image: g } = server.urls;
  const net = await call(token, 'POST', `${n}/v2.0/networks`, { network: { name: 'bench' } });
  await call(token, 'POST', `${n}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.30.0.0/16', name: 'bench' } });
  const image = (await call(token, 'GET', `${g}/v2/images`)).body.images[0].id;

  for (const count of batches) {
    const cpu0 = server.cpuSeconds();
    const { toActive, ids, errors, polls, elapsed } = await bootServers(token, c, { count, image, netId: net.body.network.id, pollMs, prefix: `b${count}` });
    const sorted = [...toActive].sort((a, b) => a - b);
    const rss = server.peakRssMiB();
    const cpu = server.cpuSeconds() - cpu0;
    const delElapsed = await deleteServers(token, c, ids, pollMs);
    const ports = await call(token, 'GET', `${n}/v2.0/ports?network_id=${net.body.network.id}&fields=id`);
    console.log(`--- ${count} servers at once (poll every ${pollMs} ms)`);
    console.log(`ACTIVE               ${toActive.length} of ${count} (${errors} errors) in ${elapsed.toFixed(2)} s = ${(toActive.length / elapsed).toFixed(1)} servers/s`);
    console.log(`server CPU           ${cpu.toFixed(2)} s for the boots and their ${polls} polls = ${((cpu / count) * 1000).toFixed(1)} ms per server`);
    console.log(`time to ACTIVE       p50 ${fmt(percentile(sorted, 50))} / p99 ${fmt(percentile(sorted, 99))}`);
    console.log(`delete               ${ids.length} gone in ${delElapsed.toFixed(2)} s = ${(ids.length / delElapsed).toFixed(1)} servers/s; ports left on the network: ${ports.body.ports.length}`);
    console.log(`server peak RSS      ${rss.toFixed(0)} MiB during the boots, ${server.peakRssMiB().toFixed(0)} MiB after the deletes`);
  }
} finally {
  await server.stop();
}
