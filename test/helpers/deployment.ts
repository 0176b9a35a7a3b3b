/**
 * A multi-process deployment from the shipped bundle (issue 11): the controller services
 * each in its own process (keystone, glance, neutron-server and nova-api twice each
 * behind a round-robin TCP balancer, nova-conductor twice, nova-scheduler) and one `nimbus host`
 * process per hypervisor host, on RabbitMQ (a fresh vhost, deleted afterwards) and a
 * database server (fresh databases, dropped afterwards). Every process reads the same
 * nimbus.conf, as the nodes of a real deployment share their nova.conf/neutron.conf.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { DialectName } from '../../src/db/database.js';
import { type TestDatabases, freshDatabases, unavailable as dbUnavailable } from './databases.js';
import { BUNDLE, REPO_ROOT, START_NODE_FLAGS, bundleMissing } from './nimbus-process.js';

const run = promisify(execFile);
const RABBIT = { host: '127.0.0.1', port: 5672, user: 'guest', password: 'guest' };
export const rabbitmqctl = async (...args: string[]) => (await run('rabbitmqctl', args, { timeout: 120_000 })).stdout;

/** Why a deployment on `dialect` cannot start here (bundle, broker or database missing), or null. */
export async function deploymentUnavailable(dialect: DialectName): Promise<string | null> {
  if (bundleMissing) return bundleMissing;
  try {
    const conn = await amqp.connect({ hostname: RABBIT.host, port: RABBIT.port, username: RABBIT.user, password: RABBIT.password, vhost: '/' });
    await conn.close();
    await rabbitmqctl('status');
  } catch (e) {
    return `RabbitMQ is not usable at ${RABBIT.host}:${RABBIT.port} (${(e as Error).message.split('\n')[0]}); start it with: rabbitmq-server -detached && rabbitmqctl await_startup`;
  }
  return dbUnavailable(dialect);
}

/** One process of the deployment. */
export interface DeployedProcess {
  name: string;
  child: ChildProcess;
  /** Its log lines so far (JSON, one per line). */
  output(): string;
}

export interface Deployment {
  dir: string;
  vhost: string;
  db: TestDatabases;
  procs: DeployedProcess[];
  urls: { identity: string; compute: string; network: string; image: string };
  /** The clients' environment for `user` (openrc). */
  env(user: 'admin' | 'demo'): Record<string, string>;
  /** The processes named `name` (e.g. 'nova-conductor'). */
  named(name: string): DeployedProcess[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** HAProxy's roundrobin in front of several nova-api: each new connection goes to the next backend. */
function roundRobin(port: number, backends: number[]): Promise<Server> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(backends[next++ % backends.length]!, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

function startProcess(name: string, args: string[], conf: string, timeoutMs = 60_000): Promise<DeployedProcess> {
  const child = spawn(process.execPath, [...START_NODE_FLAGS, BUNDLE, name, '--config-file', conf, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const proc: DeployedProcess = { name, child, output: () => out };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} ${args.join(' ')} did not come up in ${timeoutMs} ms:\n${out.slice(-3000)}`)), timeoutMs);
    const onData = () => {
      if (out.includes(`"${name} is up as `)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} ${args.join(' ')} exited with ${code}:\n${out.slice(-3000)}`));
    });
  });
}

/**
 * Starts the deployment: controllers first (keystone before the services that
 * authenticate to it), then the hosts; resolves once every process said it is up.
 */
export interface DeploymentOptions {
  hosts?: string[];
  /** How many nova-api, neutron-server and nova-conductor processes (1 or 2; 2 by default). */
  workers?: 1 | 2;
  /** Whether the conductors log at debug (every message they take); true by default. */
  conductorDebug?: boolean;
  /** Extra nimbus.conf settings, by section (e.g. quotas for a benchmark). */
  settings?: Record<string, Record<string, string>>;
}

export async function startDeployment(dialect: DialectName, opts: DeploymentOptions = {}): Promise<Deployment> {
  const hosts = opts.hosts ?? ['compute1', 'compute2', 'compute3'];
  const workers = opts.workers ?? 2;
  const conductorLog = (opts.conductorDebug ?? true) ? ['--log-level', 'debug'] : [];
  const extra = (section: string) => Object.entries(opts.settings?.[section] ?? {}).map(([k, v]) => `${k} = ${v}`);
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-deploy-'));
  const vhost = `nimbus-deploy-${Math.random().toString(16).slice(2, 10)}`;
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, RABBIT.user, '.*', '.*', '.*');
  const db = freshDatabases(dialect);
  const [identity, image, network, compute, api1, api2, meta1, meta2, net1, net2] = await Promise.all(Array.from({ length: 10 }, freePort));
  const conf = join(dir, 'nimbus.conf');
  writeFileSync(
    conf,
    [
      '[DEFAULT]',
      `data_dir = ${dir}`,
      `transport_url = rabbit://${RABBIT.user}:${RABBIT.password}@${RABBIT.host}:${RABBIT.port}/${vhost}`,
      'log_level = info',
      'rpc_response_timeout = 30',
      ...extra('DEFAULT'),
      '[oslo_messaging_rabbit]',
      'rabbit_retry_interval = 0.2',
      'rabbit_retry_backoff = 0.3',
      'rabbit_interval_max = 2',
      ...extra('oslo_messaging_rabbit'),
      '[database]',
      `connection = ${db.connection}`,
      ...extra('database'),
      '[identity]',
      `port = ${identity}`,
      ...extra('identity'),
      '[image]',
      `port = ${image}`,
      ...extra('image'),
      '[network]',
      `port = ${net1}`,
      `public_endpoint = http://127.0.0.1:${network}`,
      'send_events_interval = 0',
      ...extra('network'),
      '[agent]',
      'polling_interval = 0.2',
      'report_interval = 2',
      ...extra('agent'),
      '[compute]',
      `port = ${api1}`,
      `public_endpoint = http://127.0.0.1:${compute}`,
      'report_interval = 2',
      ...extra('compute'),
      '[metadata]',
      `port = ${meta1}`,
      ...extra('metadata'),
      '',
    ].join('\n'),
  );
  const procs: DeployedProcess[] = [];
  // A test process that ends without stop() (a crash, a timeout) takes the deployment with it.
  const orphans = () => procs.forEach((p) => p.child.kill('SIGKILL'));
  process.once('exit', orphans);
  const balancers: Server[] = [];
  const stop = async () => {
    for (const b of balancers) b.close();
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return r();
            const kill = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
            p.child.once('exit', () => {
              clearTimeout(kill);
              r();
            });
            p.child.kill('SIGTERM');
          }),
      ),
    );
    process.off('exit', orphans);
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const urls = { identity: `http://127.0.0.1:${identity}`, compute: `http://127.0.0.1:${compute}`, network: `http://127.0.0.1:${network}`, image: `http://127.0.0.1:${image}` };
  const env = (user: 'admin' | 'demo') => ({
    OS_AUTH_URL: `${urls.identity}/v3`,
    OS_USERNAME: user,
    OS_PASSWORD: user,
    OS_PROJECT_NAME: user,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  });
  try {
    procs.push(await startProcess('keystone', [], conf));
    // The services that create their database first, one at a time (migrations), then their twins.
    for (const [name, args] of [
      ['glance', []],
      ['neutron-server', ['--host', 'controller1']],
      // At debug, a conductor logs every message it takes (the round robin between the two).
      ['nova-conductor', ['--host', 'controller1', ...conductorLog]],
    ] as const) {
      procs.push(await startProcess(name, [...args], conf));
    }
    procs.push(
      ...(await Promise.all([
        ...(workers === 2 ? [startProcess('neutron-server', ['--host', 'controller2', '--network-port', String(net2)], conf), startProcess('nova-conductor', ['--host', 'controller2', ...conductorLog], conf)] : []),
        startProcess('nova-scheduler', ['--host', 'controller1'], conf),
        startProcess('nova-api', ['--host', 'controller1'], conf),
        ...(workers === 2 ? [startProcess('nova-api', ['--host', 'controller2', '--compute-port', String(api2), '--metadata-port', String(meta2)], conf)] : []),
      ])),
    );
    // With one worker the balancer still stands in front, so both runs take the same path.
    balancers.push(await roundRobin(compute, [api1, api2].slice(0, workers)), await roundRobin(network, [net1, net2].slice(0, workers)));
    procs.push(...(await Promise.all(hosts.map((h) => startProcess('host', ['--host', h], conf)))));
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, vhost, db, procs, urls, env, named: (name) => procs.filter((p) => p.name === name), stop };
}
