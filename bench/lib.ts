/**
 * Benchmark plumbing: starts `nimbus up` as a child process on free ports with a temp
 * data dir (so its memory is measured alone), authenticates through keystone, and
 * offers timing helpers. Benchmarks print figures; they assert nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  proc: ChildProcess;
  urls: { identity: string; network: string; image: string; compute: string };
  /** Peak resident set (VmHWM) of the server process so far, in MiB. */
  peakRssMiB(): number;
  /** CPU time (user + system) the server process has used so far, in seconds. */
  cpuSeconds(): number;
  token(user: string, password: string, project: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startServer(extra: string[] = []): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-bench-'));
  const [ip, np, gp, cp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Its log goes to a file, as the distributed deployment's do (test/helpers/deployment.ts):
  // a terminal or a pipe would slow the server down by what it takes to show the lines.
  const logFile = join(dataDir, 'nimbus.log');
  const logFd = openSync(logFile, 'a');
  // The same V8 setting as `npm start` and the nimbus shebang.
  const proc = spawn(process.execPath, ['--max-semi-space-size=8', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : []), ...(process.env.BENCH_IMPORT ? ['--import', process.env.BENCH_IMPORT] : []), 'dist/nimbus.mjs', 'up', '--data-dir', dataDir, '--log-level', 'warn', '--identity-port', String(ip), '--network-port', String(np), '--image-port', String(gp), '--compute-port', String(cp), ...extra], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const urls = { identity: `http://127.0.0.1:${ip}`, network: `http://127.0.0.1:${np}`, image: `http://127.0.0.1:${gp}`, compute: `http://127.0.0.1:${cp}` };
  const t0 = performance.now();
  for (;;) {
    try {
      if ((await fetch(`${urls.compute}/`)).status < 500) break;
    } catch {
      /* not yet */
    }
    if (performance.now() - t0 > 30_000 || proc.exitCode !== null) throw new Error(`server did not start in 30 s:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`server up in ${Math.round(performance.now() - t0)} ms (pid ${proc.pid})`);
  return {
    proc,
    urls,
    peakRssMiB() {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    cpuSeconds: () => cpuSecondsOf(proc.pid!),
    token: (user, password, project) => passwordToken(urls.identity, user, password, project),
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One JSON request over a keep-alive agent (node:http costs the client far less CPU than fetch, leaving the cores to the server). */
export function call(token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { 'x-auth-token': token, accept: 'application/json', ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Keystone password authentication (what `openstack` does first), returning the token. */
export async function passwordToken(identity: string, user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${identity}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return res.headers.get('x-subject-token')!;
}

/** CPU time (user + system) process `pid` has used so far, in seconds (0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface BootRun {
  /** Time to ACTIVE of each server that got there, in ms. */
  toActive: number[];
  /** Time to the 202 of each POST /servers, in ms. */
  toAccepted: number[];
  ids: string[];
  errors: number;
  polls: number;
  /** Wall time from the first POST to the last ACTIVE, in s. */
  elapsed: number;
}

/**
 * Boots `count` servers at once as openstacksdk does — POST /servers, then GET
 * /servers/{id} every `pollMs` until ACTIVE — each with one nic on network `netId`.
 */
/**
 * How a boot run watches its servers: `each` polls GET /servers/{id} per server every
 * pollMs (as Tempest's waiters and openstacksdk's wait_for_server do); `list` polls one
 * GET /servers/detail?changes-since=... for all of them (as a dashboard or Heat's
 * batch checks would). Both see ACTIVE within one interval; `list` costs the cloud one
 * request per interval instead of one per server, so a slow run is not slowed further
 * by its own polling.
 */
export type PollMode = 'each' | 'list';

export async function bootServers(token: string, compute: string, opts: { count: number; image: string; netId: string; pollMs: number; prefix: string; poll?: PollMode }): Promise<BootRun> {
  const t0 = performance.now();
  const run: BootRun = { toActive: [], toAccepted: [], ids: [], errors: 0, polls: 0, elapsed: 0 };
  const started = new Map<string, number>();
  /** `list`: servers the watcher saw ACTIVE or ERROR before their POST /servers answered. */
  const settledEarly = new Map<string, string>();
  let watcher: Promise<void> | undefined;
  let posted = 0;
  await Promise.all(
    Array.from({ length: opts.count }, async (_, i) => {
      const start = performance.now();
      const r = await call(token, 'POST', `${compute}/v2.1/servers`, { server: { name: `${opts.prefix}-${i}`, flavorRef: '100', imageRef: opts.image, networks: [{ uuid: opts.netId }] } });
      posted++;
      if (r.status !== 202) {
        run.errors++;
        return;
      }
      run.toAccepted.push(performance.now() - start);
      const id = r.body.server.id as string;
      run.ids.push(id);
      if (opts.poll === 'list') {
        // A throttled API can answer 202 after the server went ACTIVE and the watcher's window moved past it.
        const status = settledEarly.get(id);
        if (status === 'ACTIVE') run.toActive.push(performance.now() - start);
        else if (status === 'ERROR') run.errors++;
        else started.set(id, start);
        watcher ??= watchList(token, compute, opts.pollMs, started, settledEarly, run, () => posted === opts.count);
        return;
      }
      for (;;) {
        await sleep(opts.pollMs);
        const s = await call(token, 'GET', `${compute}/v2.1/servers/${id}`);
        run.polls++;
        if (s.body.server.status === 'ACTIVE') break;
        if (s.body.server.status === 'ERROR') {
          run.errors++;
          return;
        }
      }
      run.toActive.push(performance.now() - start);
    }),
  );
  await watcher;
  run.elapsed = (performance.now() - t0) / 1000;
  return run;
}

/** `list` polling: every pollMs, the servers changed since the last poll (a margin for second-precision updated_at). */
async function watchList(token: string, compute: string, pollMs: number, pending: Map<string, number>, early: Map<string, string>, run: BootRun, allPosted: () => boolean): Promise<void> {
  let since = new Date(Date.now() - 5_000);
  while (pending.size || !allPosted()) {
    await sleep(pollMs);
    const asked = new Date();
    let url: string | undefined = `${compute}/v2.1/servers/detail?changes-since=${encodeURIComponent(since.toISOString())}&limit=1000`;
    while (url) {
      const res = await call(token, 'GET', url);
      run.polls++;
      for (const s of res.body.servers as { id: string; status: string }[]) {
        const start = pending.get(s.id);
        if (start === undefined) {
          if (s.status === 'ACTIVE' || s.status === 'ERROR') early.set(s.id, s.status);
          continue;
        }
        if (s.status === 'ACTIVE') run.toActive.push(performance.now() - start);
        else if (s.status === 'ERROR') run.errors++;
        else continue;
        pending.delete(s.id);
      }
      url = (res.body.servers_links as { rel: string; href: string }[] | undefined)?.find((l) => l.rel === 'next')?.href;
    }
    since = new Date(asked.getTime() - 2_000);
  }
}

/** Deletes the servers and polls until each is gone; returns the wall time in s. */
export async function deleteServers(token: string, compute: string, ids: string[], pollMs: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      await call(token, 'DELETE', `${compute}/v2.1/servers/${id}`);
      while ((await call(token, 'GET', `${compute}/v2.1/servers/${id}`)).status !== 404) await sleep(pollMs);
    }),
  );
  return (performance.now() - t0) / 1000;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Runs `n` jobs with at most `width` in flight, returning each job's latency (ms) in job order. */
export async function pool(n: number, width: number, job: (i: number) => Promise<void>): Promise<number[]> {
  const lat = new Array<number>(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t = performance.now();
      await job(i);
      lat[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return lat;
}
