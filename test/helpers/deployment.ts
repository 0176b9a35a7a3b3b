/**
 * A multi-process deployment from the shipped bundle (issue 11): the controller services
 * each in its own process (keystone, glance, neutron-server and nova-api twice each
 * behind a round-robin TCP balancer, nova-conductor twice, nova-scheduler) and one `nimbus host`
 * process per hypervisor host, on RabbitMQ (a fresh vhost, deleted afterwards) and a
 * database server (fresh databases, dropped afterwards). Every process reads the same
 * nimbus.conf, as the nodes of a real deployment share their nova.conf/neutron.conf.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { type DialectName, type ServiceDatabase, parseDatabaseUrl } from '../../src/db/database.js';
import { token } from './burst.js';
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
  /** Its command-line arguments after the config file (e.g. --host compute1). */
  args: string[];
  child: ChildProcess;
  /** Its log lines so far (JSON, one per line). */
  output(): string;
}

/** The kinds of process that get broker and keystone credentials of their own. */
export type CredentialOwner = 'keystone' | 'glance' | 'nova' | 'neutron' | 'host';

/**
 * Per-service credentials (opts.perServiceCredentials): as an OpenStack deployer gives
 * each service its own RabbitMQ user (nova and neutron sharing one vhost), database
 * user with rights on its own database only, and keystone service user password.
 */
export interface ServiceCredentials {
  /** RabbitMQ user and password of nova's processes, neutron-server and the host processes (nova-compute and OVS agent share one connection). */
  broker: Record<'nova' | 'neutron' | 'host', { user: string; password: string }>;
  /** Each service's database URL, with its own user and password. */
  db: Record<ServiceDatabase, string>;
  /** The keystone service users' passwords. */
  keystone: Record<'nova' | 'neutron' | 'glance', string>;
  /** Every password above (what no log line may hold). */
  secrets(): string[];
}

export interface Deployment {
  dir: string;
  vhost: string;
  db: TestDatabases;
  /** Present with opts.perServiceCredentials. */
  credentials?: ServiceCredentials;
  /** The config files each kind of process read (the shared one first). */
  configFiles: Record<CredentialOwner, string[]>;
  procs: DeployedProcess[];
  urls: { identity: string; compute: string; network: string; image: string };
  /** The clients' environment for `user` (openrc). */
  env(user: 'admin' | 'demo'): Record<string, string>;
  /** The processes named `name` (e.g. 'nova-conductor'), exited ones included. */
  named(name: string): DeployedProcess[];
  /** The `nimbus host` process of `host` started last. */
  host(host: string): DeployedProcess;
  /** Starts one more process (or a stopped one again, with its args) on the deployment's config; resolves once it is up. */
  start(name: string, args: string[]): Promise<DeployedProcess>;
  /** Sends `signal` to a process; resolves once it has exited (SIGTERM, SIGKILL) or at once (SIGSTOP, SIGCONT). */
  signal(p: DeployedProcess, signal: NodeJS.Signals): Promise<void>;
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

/** Which credentials a process of the deployment uses. */
const OWNER: Record<string, CredentialOwner> = { keystone: 'keystone', glance: 'glance', 'neutron-server': 'neutron', host: 'host' };
const ownerOf = (name: string): CredentialOwner => OWNER[name] ?? 'nova';

/** How often a starting process's log is read for its "is up" line. */
const READY_POLL_MS = 50;

/**
 * Starts one process with its stdout and stderr appended to a file of its own in
 * `logDir`, as a service manager would log it. Not a pipe: a service writes its log
 * lines synchronously (pino), so a pipe the test process is too busy to drain blocks
 * the service itself, and reading nine processes' logs costs the test process CPU
 * the services need (bench/distributed.ts runs on the same cores).
 */
let started = 0;
function startProcess(name: string, args: string[], confs: string[], logDir: string, timeoutMs = 60_000): Promise<DeployedProcess> {
  const logFile = join(logDir, `${name}-${++started}.log`);
  const fd = openSync(logFile, 'a');
  const profile = process.env.PROF_FLAGS && (process.env.PROF_ONLY ?? name) === name ? process.env.PROF_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...START_NODE_FLAGS, ...profile, BUNDLE, name, ...confs.flatMap((c) => ['--config-file', c]), ...args], { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // The last text read, kept once the directory is gone (a stopped deployment).
  let last = '';
  const output = () => {
    try {
      last = readFileSync(logFile, 'utf8');
    } catch {
      /* removed with the deployment: what was read last */
    }
    return last;
  };
  const proc: DeployedProcess = { name, args, child, output };
  return new Promise((resolve, reject) => {
    const done = () => {
      clearInterval(poll);
      clearTimeout(timer);
      child.off('exit', exited);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name} ${args.join(' ')} did not come up in ${timeoutMs} ms:\n${output().slice(-3000)}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (output().includes(`"${name} is up as `)) {
        done();
        resolve(proc);
      }
    }, READY_POLL_MS);
    const exited = (code: number | null) => {
      done();
      reject(new Error(`${name} ${args.join(' ')} exited with ${code}:\n${output().slice(-3000)}`));
    };
    child.once('exit', exited);
  });
}

const secret = () => `pw-${randomBytes(8).toString('hex')}`;

/**
 * Creates each service's database and a database user allowed into it alone
 * (PostgreSQL: the database's owner, CONNECT revoked from PUBLIC; MariaDB: ALL on that
 * database only), and a RabbitMQ user per process kind with rights on `vhost`.
 * Returns the credentials and their cleanup (users dropped; the databases are `db`'s).
 */
async function createServiceCredentials(db: TestDatabases, vhost: string): Promise<{ credentials: ServiceCredentials; drop(): Promise<void> }> {
  const dbUsers: string[] = [];
  const brokerUsers: string[] = [];
  const admin = new URL(parseDatabaseUrl(db.url('nova')).serverUrl!);
  const tag = vhost.replace(/[^a-z0-9]/gi, '_');
  const urls = {} as Record<ServiceDatabase, string>;
  const onAdmin = async (statements: string[]) => {
    if (db.dialect === 'postgres') {
      const c = new pg.Client({ connectionString: `postgresql://${admin.username}@${admin.host}/postgres` });
      await c.connect();
      try {
        for (const q of statements) await c.query(q);
      } finally {
        await c.end();
      }
    } else {
      const c = await mysql.createConnection({ host: admin.hostname, port: Number(admin.port || 3306), user: decodeURIComponent(admin.username) });
      try {
        for (const q of statements) await c.query(q);
      } finally {
        await c.end();
      }
    }
  };
  for (const service of ['keystone', 'glance', 'nova', 'neutron'] as const) {
    const user = `${tag}_${service}`;
    const password = secret();
    const database = parseDatabaseUrl(db.url(service)).database;
    if (db.dialect === 'postgres') {
      await onAdmin([
        `CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`,
        `CREATE DATABASE "${database}" OWNER "${user}" ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0`,
        `REVOKE CONNECT ON DATABASE "${database}" FROM PUBLIC`,
      ]);
    } else if (db.dialect === 'mysql') {
      await onAdmin([
        `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
        ...['%', 'localhost'].flatMap((h) => [`CREATE USER '${user}'@'${h}' IDENTIFIED BY '${password}'`, `GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'${h}'`]),
      ]);
    } else throw new Error('per-service credentials need a database server');
    dbUsers.push(user);
    const u = new URL(admin);
    u.username = user;
    u.password = password;
    u.pathname = `/${database}`;
    urls[service] = `${db.dialect === 'postgres' ? 'postgresql+psycopg2' : 'mysql+pymysql'}://${u.toString().replace(/^[a-z]+:\/\//, '')}`;
  }
  const broker = {} as ServiceCredentials['broker'];
  for (const who of ['nova', 'neutron', 'host'] as const) {
    const user = `${vhost}-${who}`;
    const password = secret();
    await rabbitmqctl('add_user', user, password);
    await rabbitmqctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
    brokerUsers.push(user);
    broker[who] = { user, password };
  }
  const keystone = { nova: secret(), neutron: secret(), glance: secret() };
  const credentials: ServiceCredentials = {
    broker,
    db: urls,
    keystone,
    secrets: () => [...Object.values(broker).map((b) => b.password), ...Object.values(urls).map((u) => new URL(u.replace(/^[^:]+:/, 'x:')).password), ...Object.values(keystone)],
  };
  const drop = async () => {
    for (const u of brokerUsers) await rabbitmqctl('delete_user', u).catch(() => undefined);
    await onAdmin(db.dialect === 'postgres' ? dbUsers.map((u) => `DROP ROLE IF EXISTS "${u}"`) : dbUsers.flatMap((u) => [`DROP USER IF EXISTS '${u}'@'%'`, `DROP USER IF EXISTS '${u}'@'localhost'`])).catch(() => undefined);
  };
  return { credentials, drop };
}

/**
 * Each kind of process's own config file (read after the shared one): its broker user,
 * its database URL (none for the hosts: nova-compute holds no database credentials),
 * its keystone user's password ([keystone_authtoken] password) and the other service's
 * ([nova] / [neutron] password); keystone's holds the passwords it bootstraps the users with.
 */
function ownConfigs(c: ServiceCredentials, vhost: string): Record<CredentialOwner, string[]> {
  const transport = (who: 'nova' | 'neutron' | 'host') => `transport_url = rabbit://${c.broker[who].user}:${c.broker[who].password}@${RABBIT.host}:${RABBIT.port}/${vhost}`;
  return {
    keystone: ['[database]', `keystone_connection = ${c.db.keystone}`, '[identity]', `service_password = ${c.keystone.glance}`, '[nova]', `password = ${c.keystone.nova}`, '[neutron]', `password = ${c.keystone.neutron}`],
    glance: ['[database]', `glance_connection = ${c.db.glance}`, '[keystone_authtoken]', `password = ${c.keystone.glance}`],
    neutron: ['[DEFAULT]', transport('neutron'), '[database]', `neutron_connection = ${c.db.neutron}`, '[keystone_authtoken]', `password = ${c.keystone.neutron}`, '[nova]', `password = ${c.keystone.nova}`],
    nova: ['[DEFAULT]', transport('nova'), '[database]', `nova_connection = ${c.db.nova}`, '[keystone_authtoken]', `password = ${c.keystone.nova}`, '[neutron]', `password = ${c.keystone.neutron}`],
    host: ['[DEFAULT]', transport('host'), '[keystone_authtoken]', `password = ${c.keystone.nova}`, '[neutron]', `password = ${c.keystone.neutron}`],
  };
}

export interface DeploymentOptions {
  /** The `nimbus host` processes (default compute1..3). */
  hosts?: string[];
  /** Options set over the shared nimbus.conf's, by section (e.g. a short agent_down_time). */
  config?: Record<string, Record<string, string>>;
  /** Each kind of process with its own broker user, database user and keystone passwords (credentials.test.ts). */
  perServiceCredentials?: boolean;
  /** How many nova-api, neutron-server and nova-conductor processes (1 or 2; 2 by default). */
  workers?: 1 | 2;
  /** Whether the conductors log at debug (every message they take); true by default. */
  conductorDebug?: boolean;
  /**
   * Per host, options set over the others in a config file of that host's process alone
   * (read last), by section: a real host's [linux_host] netns and ovsdb_socket, its [ovs] local_ip.
   */
  hostConfig?: Record<string, Record<string, Record<string, string>>>;
}

/**
 * Starts the deployment: controllers first (keystone before the services that
 * authenticate to it), then the hosts; resolves once every process said it is up.
 */
export async function startDeployment(dialect: DialectName, opts: DeploymentOptions = {}): Promise<Deployment> {
  const hosts = opts.hosts ?? ['compute1', 'compute2', 'compute3'];
  const workers = opts.workers ?? 2;
  const conductorLog = (opts.conductorDebug ?? true) ? ['--log-level', 'debug'] : [];
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-deploy-'));
  const vhost = `nimbus-deploy-${Math.random().toString(16).slice(2, 10)}`;
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, RABBIT.user, '.*', '.*', '.*');
  const db = freshDatabases(dialect);
  const own = opts.perServiceCredentials ? await createServiceCredentials(db, vhost) : undefined;
  const [identity, image, network, compute, api1, api2, meta1, meta2, net1, net2] = await Promise.all(Array.from({ length: 10 }, freePort));
  const conf = join(dir, 'nimbus.conf');
  const sections: Record<string, Record<string, string>> = {
    DEFAULT: {
      data_dir: dir,
      ...(own ? {} : { transport_url: `rabbit://${RABBIT.user}:${RABBIT.password}@${RABBIT.host}:${RABBIT.port}/${vhost}` }),
      log_level: 'info',
      rpc_response_timeout: '30',
    },
    oslo_messaging_rabbit: { rabbit_retry_interval: '0.2', rabbit_retry_backoff: '0.3', rabbit_interval_max: '2' },
    database: own ? {} : { connection: db.connection },
    identity: { port: String(identity) },
    image: { port: String(image) },
    network: { port: String(net1), public_endpoint: `http://127.0.0.1:${network}`, send_events_interval: '0' },
    agent: { polling_interval: '0.2', report_interval: '2' },
    compute: { port: String(api1), public_endpoint: `http://127.0.0.1:${compute}`, report_interval: '2' },
    metadata: { port: String(meta1) },
    // Each nova-api's dashboard on a free port (two nova-api would contend for one).
    dashboard: { port: '0' },
  };
  for (const [section, options] of Object.entries(opts.config ?? {})) sections[section] = { ...sections[section], ...options };
  const ini = (s: Record<string, Record<string, string>>) =>
    Object.entries(s)
      .map(([section, options]) => [`[${section}]`, ...Object.entries(options).map(([k, v]) => `${k} = ${v}`)].join('\n'))
      .join('\n') + '\n';
  writeFileSync(conf, ini(sections));
  const configFiles = { keystone: [conf], glance: [conf], nova: [conf], neutron: [conf], host: [conf] } as Record<CredentialOwner, string[]>;
  if (own) {
    for (const [who, lines] of Object.entries(ownConfigs(own.credentials, vhost)) as [CredentialOwner, string[]][]) {
      const file = join(dir, `${who}.conf`);
      writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      configFiles[who].push(file);
    }
  }
  // A host's own file, after the files of every host process.
  const hostConfs = new Map<string, string>();
  for (const [h, s] of Object.entries(opts.hostConfig ?? {})) {
    const file = join(dir, `host-${h}.conf`);
    writeFileSync(file, ini(s));
    hostConfs.set(h, file);
  }
  const hostConf = (name: string, args: string[]) => {
    const i = args.indexOf('--host');
    const h = name === 'host' && i >= 0 ? args[i + 1] : undefined;
    const file = h === undefined ? undefined : hostConfs.get(h);
    return file ? [file] : [];
  };
  const start = (name: string, args: string[]) => startProcess(name, args, [...configFiles[ownerOf(name)], ...hostConf(name, args)], dir);
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
            // A stopped (SIGSTOP) process must run again to hear SIGTERM.
            p.child.kill('SIGCONT');
            p.child.kill('SIGTERM');
          }),
      ),
    );
    process.off('exit', orphans);
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    await db.drop().catch(() => undefined);
    await own?.drop();
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
    procs.push(await start('keystone', []));
    // The services that create their database first, one at a time (migrations), then their twins.
    for (const [name, args] of [
      ['glance', []],
      ['neutron-server', ['--host', 'controller1']],
      // At debug, a conductor logs every message it takes (the round robin between the two).
      ['nova-conductor', ['--host', 'controller1', ...conductorLog]],
    ] as const) {
      procs.push(await start(name, [...args]));
    }
    procs.push(
      ...(await Promise.all([
        ...(workers === 2 ? [start('neutron-server', ['--host', 'controller2', '--network-port', String(net2)]), start('nova-conductor', ['--host', 'controller2', ...conductorLog])] : []),
        start('nova-scheduler', ['--host', 'controller1']),
        start('nova-api', ['--host', 'controller1']),
        ...(workers === 2 ? [start('nova-api', ['--host', 'controller2', '--compute-port', String(api2), '--metadata-port', String(meta2)])] : []),
      ])),
    );
    // With one worker the balancer still stands in front, so both runs take the same path.
    balancers.push(await roundRobin(compute, [api1, api2].slice(0, workers)), await roundRobin(network, [net1, net2].slice(0, workers)));
    procs.push(...(await Promise.all(hosts.map((h) => start('host', ['--host', h])))));
  } catch (e) {
    await stop();
    throw e;
  }
  const startMore = async (name: string, args: string[]) => {
    const p = await start(name, args);
    procs.push(p);
    return p;
  };
  const signal = (p: DeployedProcess, sig: NodeJS.Signals) =>
    new Promise<void>((r) => {
      if (sig === 'SIGSTOP' || sig === 'SIGCONT' || p.child.exitCode !== null || p.child.signalCode !== null) {
        p.child.kill(sig);
        return r();
      }
      p.child.once('exit', () => r());
      p.child.kill(sig);
    });
  const host = (h: string) => {
    const p = procs.filter((x) => x.name === 'host' && x.args.includes(h)).at(-1);
    if (!p) throw new Error(`no host process for ${h}`);
    return p;
  };
  return { dir, vhost, db, credentials: own?.credentials, configFiles, procs, urls, env, named: (name) => procs.filter((p) => p.name === name), host, start: startMore, signal, stop };
}

/** An answer of the deployment's APIs: status, decoded JSON body, and the request id. */
export interface ApiAnswer {
  status: number;
  body: any;
  requestId: string;
}

/**
 * A JSON client of the deployment's APIs as `user` (burst.ts's token), with full URLs and
 * the request id, and nova's latest microversion on every request.
 */
export async function deploymentApi(d: Deployment, user: 'admin' | 'demo'): Promise<(method: string, url: string, body?: unknown) => Promise<ApiAnswer>> {
  const t = await token(d, user);
  return async (method, url, body) => {
    const r = await fetch(url, { method, headers: { 'x-auth-token': t, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.92' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null, requestId: r.headers.get('x-openstack-request-id') ?? '' };
  };
}
