/**
 * Distributed benchmark (issue 11): boots N servers at once, as bench/servers.ts does,
 * against the multi-process deployment (test/helpers/deployment.ts) on RabbitMQ and
 * PostgreSQL — first with one nova-api, neutron-server and nova-conductor, then with two
 * of each; nova-scheduler once and three `nimbus host` processes both times — and then
 * against the embedded cloud (`nimbus up`, SQLite) with the same N, for comparison.
 *
 * Per run it prints servers/s to ACTIVE, p50/p99 time to ACTIVE, CPU per process, and:
 * - broker messages per boot: the delta of RabbitMQ's own global counters
 *   (rabbit_global_counters, in core since 3.9, read with `rabbitmqctl eval`; the
 *   per-queue/exchange message_stats need the management plugin). They count the whole
 *   node, so the run warns when another vhost is in use; the idle rate (state reports,
 *   heartbeats of the services) is measured first and shown apart.
 * - SQL per boot: PostgreSQL's pg_stat_database for the deployment's own databases —
 *   transactions committed (each autocommit statement is one, so this is a lower bound of
 *   the statements) and rows inserted/updated/deleted/returned. pg_stat_statements is
 *   not loaded on the stock server; counting in each process's Kysely plugin would need
 *   a way to read it out of every process, and the database's counters see them all.
 *   PostgreSQL 15 flushes a backend's counters when it goes idle, at most once a second
 *   and otherwise within 10 s, so each reading waits 11 s after the load stops.
 * Asserts nothing; not part of npm test.
 *
 * The servers are watched with one GET /servers/detail?changes-since per interval
 * (`list`, the default) or one GET /servers/{id} per server per interval (`each`): at
 * N=1000 `each` sends ~100 GETs per boot to a deployment that takes ~100 s, and the
 * cloud's answers to them (not the boots) become much of what is measured.
 *
 * --worker-cpu=C caps every worker process (nova-api, neutron-server, nova-conductor: the
 * processes there are one or two of) at C cores each with a cgroup v1 CPU quota
 * (bench/cpu-cap.ts; root), so the worker tier, not the machine, is the bottleneck and
 * 1 → 2 workers compares equal per-worker capacity. Without it nothing is capped. The
 * scheduler, hosts, keystone, glance and the embedded cloud are never capped.
 *
 * --warmup=W boots and deletes W servers on each cloud before measuring, so what is
 * measured is the steady state: every process has compiled its hot code (V8's JIT) and
 * filled its caches and pools, a cost each process pays once and two workers pay twice.
 *
 *   npm run build && node --import tsx bench/distributed.ts [N=1000] [poll-ms=1000] [runs=1,2,embedded] [poll=list|each] [--worker-cpu=C] [--warmup=W]
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { type Deployment, deploymentUnavailable, rabbitmqctl, startDeployment } from '../test/helpers/deployment.js';
import { CpuCaps } from './cpu-cap.js';
import { type BootRun, type PollMode, bootServers, call, cpuSecondsOf, deleteServers, fmt, passwordToken, percentile, sleep, startServer } from './lib.js';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const count = Number(args[0] ?? 1000);
const pollMs = Number(args[1] ?? 1000);
const runs = (args[2] ?? '1,2,embedded').split(',');
const poll = (args[3] ?? 'list') as PollMode;
/** Cores each worker process may use (--worker-cpu), or undefined: uncapped. */
const workerCpu = ((f) => (f === undefined ? undefined : Number(f.slice('--worker-cpu='.length))))(flags.find((f) => f.startsWith('--worker-cpu=')));
/** Servers booted and deleted before measuring (--warmup), 0 by default. */
const warmup = Number(flags.find((f) => f.startsWith('--warmup='))?.slice('--warmup='.length) ?? 0);
for (const f of flags) if (!f.startsWith('--worker-cpu=') && !f.startsWith('--warmup=')) throw new Error(`unknown option ${f} (known: --worker-cpu=C, --warmup=W)`);
if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error('--warmup takes a number of servers, e.g. --warmup=100');
if (workerCpu !== undefined && !(workerCpu > 0)) throw new Error('--worker-cpu takes a positive number of cores, e.g. --worker-cpu=0.3');
/** The processes there are `workers` of (test/helpers/deployment.ts), which --worker-cpu caps. */
const WORKERS = ['nova-api', 'neutron-server', 'nova-conductor'];
if (poll !== 'list' && poll !== 'each') throw new Error(`poll must be list or each, not ${String(poll)}`);
const run = promisify(execFile);

/** Unlimited quotas, as bench/servers.ts gives the embedded cloud. */
const QUOTAS = { compute: { quota_instances: '-1', quota_cores: '-1', quota_ram: '-1' }, network: { quota_port: '-1' } };
/** The local PostgreSQL allows 100 connections and is shared; nine pooled processes at oslo.db's 10 each could take them all. */
const SETTINGS = { ...QUOTAS, database: { max_pool_size: '4' } };
/** How long PostgreSQL may take to flush an idle backend's counters (PGSTAT_IDLE_INTERVAL is 10 s). */
const PG_FLUSH_MS = 11_000;

interface Counters {
  messages: number;
  deliveries: number;
  xacts: number;
  rowsWritten: number;
  rowsRead: number;
}

async function counters(d: Deployment): Promise<Counters> {
  const out = await rabbitmqctl('eval', 'maps:get([{protocol,amqp091}], rabbit_global_counters:overview()).');
  const num = (key: string) => Number(new RegExp(`${key} => (\\d+)`).exec(out)?.[1] ?? NaN);
  const out2 = await rabbitmqctl('eval', 'maps:get([{protocol,amqp091},{queue_type,rabbit_classic_queue}], rabbit_global_counters:overview()).');
  const deliveries = Number(/messages_delivered_total => (\d+)/.exec(out2)?.[1] ?? NaN);
  const tag = /\/(nimbus_test_[0-9a-f]+)_\{service\}/.exec(d.db.connection)![1]!;
  const { stdout } = await run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-tA', '-F', ' ', '-c', `SELECT sum(xact_commit + xact_rollback), sum(tup_inserted + tup_updated + tup_deleted), sum(tup_returned) FROM pg_stat_database WHERE datname LIKE '${tag}%'`]);
  const [xacts, rowsWritten, rowsRead] = stdout.trim().split(' ').map(Number);
  return { messages: num('messages_received_total'), deliveries, xacts: xacts!, rowsWritten: rowsWritten!, rowsRead: rowsRead! };
}

const minus = (a: Counters, b: Counters): Counters => ({ messages: a.messages - b.messages, deliveries: a.deliveries - b.deliveries, xacts: a.xacts - b.xacts, rowsWritten: a.rowsWritten - b.rowsWritten, rowsRead: a.rowsRead - b.rowsRead });

/** The PostgreSQL backends serving the deployment's databases (they live as long as the pools). */
async function pgBackends(d: Deployment): Promise<number[]> {
  const tag = /\/(nimbus_test_[0-9a-f]+)_\{service\}/.exec(d.db.connection)![1]!;
  const { stdout } = await run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-tA', '-c', `SELECT pid FROM pg_stat_activity WHERE datname LIKE '${tag}%'`]);
  return stdout.trim().split('\n').filter(Boolean).map(Number);
}

/** The tables whose sequential scans read the most rows, per service database: where rows read per boot come from. */
async function seqScans(d: Deployment): Promise<string[]> {
  const out: Array<[string, number]> = [];
  for (const service of ['nova', 'neutron', 'keystone', 'glance'] as const) {
    const db = /\/([^/]+)$/.exec(d.db.url(service))![1]!;
    const { stdout } = await run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-tA', '-F', ' ', '-c', 'SELECT relname, seq_tup_read FROM pg_stat_user_tables ORDER BY seq_tup_read DESC LIMIT 3']);
    for (const line of stdout.trim().split('\n').filter(Boolean)) {
      const [table, rows] = line.split(' ');
      out.push([`${service}.${table}`, Number(rows)]);
    }
  }
  return out
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([t, n]) => `${t} ${n}`);
}

async function otherVhosts(vhost: string): Promise<string[]> {
  return (await rabbitmqctl('list_vhosts', '--quiet', '--no-table-headers'))
    .split('\n')
    .map((l) => l.trim())
    .filter((v) => v && v !== '/' && v !== 'name' && v !== vhost);
}

/** --warmup: boots W servers and deletes them, unmeasured. */
async function warm(token: string, compute: string, image: string, netId: string): Promise<void> {
  if (!warmup) return;
  const r = await bootServers(token, compute, { count: warmup, image, netId, pollMs, prefix: 'warmup', poll });
  await deleteServers(token, compute, r.ids, pollMs);
  console.log(`warm-up              ${r.toActive.length} of ${warmup} ACTIVE in ${r.elapsed.toFixed(1)} s, deleted (not measured)`);
}

function report(label: string, r: BootRun) {
  const sorted = [...r.toActive].sort((a, b) => a - b);
  console.log(`--- ${label}: ${count} servers at once (poll ${poll} every ${pollMs} ms${warmup ? `, after a warm-up of ${warmup}` : ''})`);
  console.log(`ACTIVE               ${r.toActive.length} of ${count} (${r.errors} errors) in ${r.elapsed.toFixed(2)} s = ${(r.toActive.length / r.elapsed).toFixed(1)} servers/s`);
  console.log(`time to ACTIVE       p50 ${fmt(percentile(sorted, 50))} / p99 ${fmt(percentile(sorted, 99))}`);
  const accepted = [...r.toAccepted].sort((a, b) => a - b);
  console.log(`time to 202          p50 ${fmt(percentile(accepted, 50))} / p99 ${fmt(percentile(accepted, 99))} (POST /servers)`);
  return r.toActive.length / r.elapsed;
}

async function distributed(workers: 1 | 2): Promise<number> {
  const d = await startDeployment('postgres', { workers, conductorDebug: false, config: SETTINGS });
  let caps: CpuCaps | undefined;
  // An interrupted benchmark takes its deployment (processes, vhost, databases) and cgroups with it.
  const interrupted = () => void d.stop().finally(() => (caps?.releaseSync(), process.exit(130)));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    if (workerCpu !== undefined) {
      caps = new CpuCaps(workerCpu, 'nimbus-bench');
      for (const p of d.procs.filter((x) => WORKERS.includes(x.name))) caps.cap(`${p.name}-${/--host (\S+)/.exec(p.child.spawnargs.join(' '))?.[1] ?? p.child.pid}`, p.child.pid!);
    }
    const token = await passwordToken(d.urls.identity, 'admin', 'admin', 'admin');
    const { network: n, compute: c, image: g } = d.urls;
    const net = await call(token, 'POST', `${n}/v2.0/networks`, { network: { name: 'bench' } });
    await call(token, 'POST', `${n}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.30.0.0/16', name: 'bench' } });
    const image = (await call(token, 'GET', `${g}/v2/images`)).body.images[0].id;
    await warm(token, c, image, net.body.network.id);

    // The idle rate: what the deployment sends and writes with nothing to do.
    await sleep(PG_FLUSH_MS);
    const idle0 = await counters(d);
    const idleCpu0 = new Map(d.procs.map((p) => [p, cpuSecondsOf(p.child.pid!)]));
    const idleT0 = performance.now();
    await sleep(PG_FLUSH_MS);
    const idle = minus(await counters(d), idle0);
    const idleS = (performance.now() - idleT0) / 1000;
    // Each process's CPU with nothing to do (agent polling, state reports, heartbeats), per second:
    // a run that takes longer (a busy machine) accrues more of it, so it is also shown taken out.
    const idleCpuRate = new Map([...idleCpu0].map(([p, c0]) => [p, (cpuSecondsOf(p.child.pid!) - c0) / idleS]));

    const others = await otherVhosts(d.vhost);
    const pids = new Map(d.procs.map((p) => [p, cpuSecondsOf(p.child.pid!)]));
    const beam = Number((await run('pgrep', ['-o', 'beam.smp'])).stdout.trim());
    const backends = await pgBackends(d);
    const beam0 = cpuSecondsOf(beam);
    const pg0 = new Map(backends.map((p) => [p, cpuSecondsOf(p)]));
    const client0 = process.cpuUsage();
    const before = await counters(d);
    const t0 = performance.now();
    const r = await bootServers(token, c, { count, image, netId: net.body.network.id, pollMs, prefix: `d${workers}`, poll });
    const loadS = (performance.now() - t0) / 1000;
    const cpu = [...pids].map(([p, c0]) => ({ name: `${p.name}${p.name === 'host' || workers === 2 ? ` ${/--host (\S+)/.exec(p.child.spawnargs.join(' '))?.[1] ?? ''}` : ''}`.trim(), s: cpuSecondsOf(p.child.pid!) - c0, idle: (idleCpuRate.get(p) ?? 0) * loadS }));
    const client = process.cpuUsage(client0);
    const pgCpu = (await pgBackends(d)).reduce((sum, p) => sum + cpuSecondsOf(p) - (pg0.get(p) ?? 0), 0);
    const beamCpu = cpuSecondsOf(beam) - beam0;
    await sleep(PG_FLUSH_MS);
    const gross = minus(await counters(d), before);
    // The idle activity that went on meanwhile (the load and the flush wait), taken out.
    const span = (performance.now() - t0) / 1000;
    const perBoot = (k: keyof Counters) => (gross[k] - (idle[k] / idleS) * span) / count;

    const capped = caps ? `, each worker process capped at ${caps.cpus} cores (cgroup cpu.cfs_quota_us)` : '';
    const rate = report(`distributed, ${workers} nova-api + ${workers} neutron-server + ${workers} nova-conductor, 1 nova-scheduler, 3 hosts (RabbitMQ + PostgreSQL)${capped}`, r);
    console.log(`broker messages      ${perBoot('messages').toFixed(1)} published and ${perBoot('deliveries').toFixed(1)} delivered per boot (idle rate ${(idle.messages / idleS).toFixed(1)}/s taken out; ${gross.messages} published in all)${others.length ? `; other vhosts on the node: ${others.join(', ')} — their traffic is counted too` : ''}`);
    console.log(`SQL                  ${perBoot('xacts').toFixed(1)} transactions, ${perBoot('rowsWritten').toFixed(1)} rows written, ${perBoot('rowsRead').toFixed(0)} rows read per boot (idle rate ${(idle.xacts / idleS).toFixed(1)} transactions/s taken out)`);
    const total = cpu.reduce((s, p) => s + p.s, 0);
    console.log(`CPU over ${loadS.toFixed(1)} s        ${cpu.map((p) => `${p.name} ${p.s.toFixed(1)}`).join(', ')}; Nimbus ${total.toFixed(1)} s = ${((total / count) * 1000).toFixed(1)} ms per boot`);
    const perBootCpu = cpu.map((p) => ({ name: p.name, ms: ((p.s - p.idle) / count) * 1000 }));
    console.log(`CPU per boot         ${perBootCpu.map((p) => `${p.name} ${p.ms.toFixed(1)}`).join(', ')}; Nimbus ${perBootCpu.reduce((s, p) => s + p.ms, 0).toFixed(1)} ms (each process's idle rate over the run taken out: ${cpu.reduce((s, p) => s + p.idle, 0).toFixed(1)} s)`);
    console.log(`                     RabbitMQ ${beamCpu.toFixed(1)} s, PostgreSQL backends ${pgCpu.toFixed(1)} s, this client ${((client.user + client.system) / 1e6).toFixed(1)} s; ${(total + beamCpu + pgCpu + (client.user + client.system) / 1e6).toFixed(1)} CPU-s in ${loadS.toFixed(1)} s on ${availableParallelism()} cores`);
    if (caps) console.log(`CPU cap              ${caps.cpus} cores per worker; throttled ${caps.throttling().map((t) => `${t.name} ${t.throttledS.toFixed(1)} s in ${t.throttledPeriods}/${t.periods} periods`).join(', ')} (since the deployment started)`);
    console.log(`sequential scans     ${(await seqScans(d)).join(', ')} (rows read by seq scans since the start, most first)`);
    // Without autovacuum the tables are never analyzed: plans rest on an empty table's costs.
    const { stdout: av } = await run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-tA', '-c', 'SHOW autovacuum']);
    console.log(`PostgreSQL           autovacuum ${av.trim()}${av.trim() === 'off' ? ' (no table statistics during the run)' : ''}`);
    const delS = await deleteServers(token, c, r.ids, pollMs);
    console.log(`delete               ${r.ids.length} gone in ${delS.toFixed(2)} s = ${(r.ids.length / delS).toFixed(1)} servers/s`);
    return rate;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await d.stop();
    caps?.releaseSync();
  }
}

async function embedded(): Promise<number> {
  // The deployment's intervals and log level (test/helpers/deployment.ts: INFO, nova's and
  // neutron's default), not Zed's defaults, so both clouds wait and log alike.
  const intervals = ['--agent-polling-interval', '0.2', '--network-send-events-interval', '0', '--agent-report-interval', '2', '--compute-report-interval', '2', '--log-level', 'info'];
  const server = await startServer(['--compute-quota-instances', '-1', '--compute-quota-cores', '-1', '--compute-quota-ram', '-1', '--network-quota-port', '-1', ...intervals]);
  try {
    const token = await server.token('admin', 'admin', 'admin');
    const { network: n, compute: c, image: g } = server.urls;
    const net = await call(token, 'POST', `${n}/v2.0/networks`, { network: { name: 'bench' } });
    await call(token, 'POST', `${n}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.30.0.0/16', name: 'bench' } });
    const image = (await call(token, 'GET', `${g}/v2/images`)).body.images[0].id;
    await warm(token, c, image, net.body.network.id);
    const cpu0 = server.cpuSeconds();
    const r = await bootServers(token, c, { count, image, netId: net.body.network.id, pollMs, prefix: 'e', poll });
    const rate = report('embedded (`nimbus up`, one process, SQLite, the same intervals)', r);
    console.log(`CPU                  ${(server.cpuSeconds() - cpu0).toFixed(1)} s = ${(((server.cpuSeconds() - cpu0) / count) * 1000).toFixed(1)} ms per boot`);
    return rate;
  } finally {
    await server.stop();
  }
}

const why = await deploymentUnavailable('postgres');
if (why) throw new Error(why);
const rates: Record<string, number> = {};
for (const r of runs) rates[r] = r === 'embedded' ? await embedded() : await distributed(Number(r) as 1 | 2);
console.log('--- summary');
if (rates['1'] && rates['2']) console.log(`scaling 1 → 2 workers  ${rates['1'].toFixed(1)} → ${rates['2'].toFixed(1)} servers/s = ×${(rates['2'] / rates['1']).toFixed(2)} (linear would be ×2)${workerCpu !== undefined ? `, each worker process capped at ${workerCpu} cores` : ''}`);
if (rates['1'] && rates['embedded']) console.log(`distributed/embedded   ${rates['1'].toFixed(1)} / ${rates['embedded'].toFixed(1)} servers/s = ${((rates['1'] / rates['embedded']) * 100).toFixed(0)}% with one worker (target ≥ 33%)`);
