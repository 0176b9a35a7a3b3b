/**
 * Port benchmark (issue: neutron at scale): a /16 subnet, then N ports created through
 * the REST API with several requests in flight, then one list of them all. Prints ports
 * per second, p50/p99 latency, the mean latency of the first and last 100 ports (IPAM
 * must not slow down as the subnet fills), list time and the server's peak RSS.
 *
 *   npm run build && node --import tsx bench/ports.ts [count=10000] [in-flight=16]
 */
import { call, fmt, percentile, pool, startServer } from './lib.js';

const count = Number(process.argv[2] ?? 10_000);
const width = Number(process.argv[3] ?? 16);

const server = await startServer(['--network-quota-port', '-1']);
try {
  const token = await server.token('admin', 'admin', 'admin');
  const n = server.urls.network;
  const net = await call(token, 'POST', `${n}/v2.0/networks`, { network: { name: 'bench' } });
  const sub = await call(token, 'POST', `${n}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.20.0.0/16', name: 'bench' } });
  if (sub.status !== 201) throw new Error(`subnet: ${JSON.stringify(sub.body)}`);
  let failures = 0;
  const t0 = performance.now();
  const lat = await pool(count, width, async (i) => {
    const r = await call(token, 'POST', `${n}/v2.0/ports`, { port: { network_id: net.body.network.id, name: `p${i}` } });
    if (r.status !== 201) failures++;
  });
  const elapsed = (performance.now() - t0) / 1000;
  const sorted = [...lat].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rssAfterCreate = server.peakRssMiB();
  const t1 = performance.now();
  const list = await call(token, 'GET', `${n}/v2.0/ports?network_id=${net.body.network.id}`);
  const listMs = performance.now() - t1;
  console.log(`ports created        ${count - failures} of ${count} (${failures} failed), ${width} in flight`);
  console.log(`throughput           ${(count / elapsed).toFixed(0)} ports/s (${elapsed.toFixed(2)} s)`);
  console.log(`latency p50 / p99    ${fmt(percentile(sorted, 50))} / ${fmt(percentile(sorted, 99))}`);
  console.log(`first 100 / last 100 ${fmt(mean(lat.slice(0, 100)))} / ${fmt(mean(lat.slice(-100)))} (mean)`);
  console.log(`list all             ${list.body.ports.length} ports in ${fmt(listMs)}`);
  console.log(`server peak RSS      ${rssAfterCreate.toFixed(0)} MiB while creating, ${server.peakRssMiB().toFixed(0)} MiB after the list`);
} finally {
  await server.stop();
}
