/**
 * Starts the cloud for a test: a fresh temp data dir, every API on a free port of
 * 127.0.0.1; plus small HTTP helpers that authenticate as the bootstrapped admin or
 * demo user.
 *
 * Two targets (issue 8: what ships is what is tested):
 * - in-process (default): the TypeScript sources through tsx, silent logs, with the
 *   services' internals reachable (`cloud.compute`, `cloud.hostnets`...);
 * - bundle (NIMBUS_TEST_TARGET=bundle): `dist/nimbus.mjs up` in a child process exactly
 *   as `npm start` runs it, config overrides passed as its command-line flags. Only HTTP
 *   is reachable; reading an in-process member throws. Tests that need them are marked
 *   `{ skip: inProcessOnly('why') }`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, startCloud } from '../../src/cloud.js';
import { dropDatabase, serviceDatabaseUrl } from '../../src/db/database.js';
import type { Clock } from '../../src/common/clock.js';
import { type DeepPartial, type Config, loadConfig } from '../../src/common/config.js';
import { type Logger, silentLogger } from '../../src/common/log.js';
import { bundleMissing, startNimbusProcess } from './nimbus-process.js';

/** True when the tests run against the shipped bundle (NIMBUS_TEST_TARGET=bundle). */
export const BUNDLE_TARGET = process.env.NIMBUS_TEST_TARGET === 'bundle';

/**
 * `{ skip: inProcessOnly('reads cloud.hostnets') }`: skips a test or suite against the
 * bundle, printing why; false (run) in-process.
 */
export function inProcessOnly(why: string): string | false {
  return BUNDLE_TARGET ? `in-process only (${why}); skipped against dist/nimbus.mjs` : false;
}

/**
 * Runs the part of a test that reads in-process internals (host devices, database rows);
 * against the bundle, leaves it out and says so in the test's output, so the HTTP part
 * of the test still runs there.
 */
export async function inProcessCheck(t: TestContext, why: string, check: () => unknown): Promise<void> {
  if (BUNDLE_TARGET) t.diagnostic(`left out against dist/nimbus.mjs: ${why} (in-process only)`);
  else await check();
}

export type User = 'admin' | 'demo';

export interface TestCloud extends Cloud {
  dataDir: string;
  /** A token for admin (project admin) or demo (project demo), issued over HTTP by keystone. */
  token(user: User): Promise<string>;
  /** The id of the user's project (admin or demo), from its token. */
  projectId(user: User): Promise<string>;
  /** Calls an API with a user's token; resolves to status and parsed JSON body (or text). */
  api(user: User | null, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Environment for the real CLI clients (OS_* of the openrc file). */
  env(user: User): Record<string, string>;
  stop(): Promise<void>;
}

/** The `nimbus up` flags that set `overrides` (--<section>-<key>, DEFAULT's as --<key>; see src/common/config.ts). */
export function overridesToFlags(overrides: DeepPartial<Config>): string[] {
  const args: string[] = [];
  for (const [section, values] of Object.entries(overrides as Record<string, Record<string, unknown>>)) {
    for (const [key, v] of Object.entries(values ?? {})) {
      if (v === undefined) continue;
      const flag = (section === 'DEFAULT' ? key : `${section}_${key}`).replace(/_/g, '-');
      // Lists are comma-separated on the command line, as config.ts reads them.
      args.push(`--${flag}`, Array.isArray(v) ? v.join(',') : String(v));
    }
  }
  return args;
}

const overridesWithPorts = (overrides: DeepPartial<Config>, dataDir: string, logLevel: string): DeepPartial<Config> => ({
  ...overrides,
  DEFAULT: { data_dir: dataDir, log_level: logLevel, ...(overrides.DEFAULT ?? {}) },
  identity: { port: 0, ...(overrides.identity ?? {}) },
  image: { port: 0, ...(overrides.image ?? {}) },
  network: { port: 0, ...(overrides.network ?? {}) },
  compute: { port: 0, ...(overrides.compute ?? {}) },
  metadata: { port: 0, ...(overrides.metadata ?? {}) },
  dashboard: { port: 0, ...(overrides.dashboard ?? {}) },
});

/**
 * Starts a cloud for one test file on the target NIMBUS_TEST_TARGET names; `clock` and
 * `log` are in-process only. The data dir is a fresh temp dir, or overrides.DEFAULT.data_dir
 * when given: a restart on a previous cloud's state (close() that one first: SQLite is
 * opened in exclusive mode). stop() closes and removes the data dir; close() only closes.
 * `log` replaces the silent logger (a test that inspects logged errors passes its own).
 */
export async function startTestCloud(overrides: DeepPartial<Config> = {}, clock?: Clock, log?: Logger): Promise<TestCloud> {
  if (BUNDLE_TARGET) {
    if (clock || log) throw new Error('startTestCloud: an injected clock or logger needs the in-process cloud; mark the test inProcessOnly');
    return startBundleCloud(overrides);
  }
  const dataDir = overrides.DEFAULT?.data_dir ?? mkdtempSync(join(tmpdir(), 'nimbus-test-'));
  const rabbit = rabbitVhost();
  const withBus = rabbit ? { ...overrides, DEFAULT: { transport_url: rabbit.url, ...(overrides.DEFAULT ?? {}) } } : overrides;
  const database = testDatabase(overrides, dataDir);
  const cfg = loadConfig({ overrides: overridesWithPorts(database ? { ...withBus, database: { connection: database } } : withBus, dataDir, 'silent') });
  const cloud = await startCloud({ cfg, log: log ?? silentLogger(), clock });
  const closeCloud = cloud.close.bind(cloud);
  let removed = false;
  const close = async () => {
    await closeCloud();
    if (rabbit && !removed) rabbit.remove();
    removed = true;
  };
  return Object.assign(cloud, httpHelpers(cloud.urls, cfg), {
    dataDir,
    close,
    async stop() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
      if (database) for (const s of ['keystone', 'glance', 'nova', 'neutron'] as const) await dropDatabase(serviceDatabaseUrl(database, s));
    },
  });
}

/**
 * NIMBUS_TEST_RABBIT=<rabbit://user:pass@host:port/>: each in-process test cloud talks
 * over that RabbitMQ, in a vhost of its own (made with rabbitmqctl, deleted by stop()),
 * so a functional suite can be run on the broker; two clouds sharing a vhost would
 * share their `compute` queues. Unset: the in-process bus.
 */
function rabbitVhost(): { url: string; remove(): void } | undefined {
  const base = process.env.NIMBUS_TEST_RABBIT;
  if (!base) return undefined;
  const vhost = `nimbus-cloud-${randomUUID().slice(0, 8)}`;
  const user = decodeURIComponent(/^rabbit:\/\/([^:@/]+)/.exec(base)?.[1] ?? 'guest');
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  return { url: `${base.replace(/\/[^/]*$/, '')}/${vhost}`, remove: () => void execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]) };
}

/**
 * NIMBUS_TEST_DATABASE=postgresql://postgres@127.0.0.1:5432 (or mysql://root@127.0.0.1:3306)
 * runs an in-process suite on that server: each cloud gets fresh databases
 * nimbus_test_<random>_<service>, dropped by stop(). Unset: SQLite files in the data dir.
 */
function testDatabase(overrides: DeepPartial<Config>, dataDir: string): string | undefined {
  const server = process.env.NIMBUS_TEST_DATABASE;
  if (!server || overrides.database?.connection) return undefined;
  // A bare word would be taken as a SQLite path (a directory of database files in the repo).
  if (!/^(postgresql|mysql)(\+\w+)?:\/\//.test(server)) throw new Error(`NIMBUS_TEST_DATABASE must be a server URL (postgresql://… or mysql://…), not ${JSON.stringify(server)}`);
  // A restart on a previous cloud's data dir gets that cloud's databases too.
  if (overrides.DEFAULT?.data_dir) return testDatabases.get(overrides.DEFAULT.data_dir);
  const connection = `${server.replace(/\/+$/, '')}/nimbus_test_${randomBytes(4).toString('hex')}_{service}`;
  testDatabases.set(dataDir, connection);
  return connection;
}
const testDatabases = new Map<string, string>();

/** What only the in-process cloud has: reading one of these against the bundle throws. */
const IN_PROCESS_MEMBERS = ['bus', 'identity', 'image', 'network', 'agents', 'compute', 'hostnets', 'l2agents', 'catalog', 'close'] as const;

async function startBundleCloud(overrides: DeepPartial<Config>): Promise<TestCloud> {
  if (bundleMissing) throw new Error(bundleMissing);
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-test-'));
  // log_level info: the helper reads the URLs from the "Nimbus is up" line.
  const all = overridesWithPorts(overrides, dataDir, 'info');
  const cfg = loadConfig({ overrides: all });
  const { DEFAULT: { data_dir: _dir, ...defaults } = {}, ...rest } = all;
  const proc = await startNimbusProcess({ dataDir, args: overridesToFlags({ ...rest, DEFAULT: defaults }) });
  const cloud = {
    cfg,
    urls: proc.urls,
    dataDir,
    ...httpHelpers(proc.urls, cfg),
    async stop() {
      const code = await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`nimbus exited with ${code} on SIGTERM:\n${proc.output().slice(-4000)}`);
    },
  };
  for (const m of IN_PROCESS_MEMBERS) {
    Object.defineProperty(cloud, m, {
      get() {
        throw new Error(`cloud.${m} is in-process only: mark this test { skip: inProcessOnly(...) } or speak HTTP`);
      },
    });
  }
  return cloud as unknown as TestCloud;
}

function httpHelpers(urls: Cloud['urls'], cfg: Config): Pick<TestCloud, 'token' | 'projectId' | 'api' | 'env'> {
  const issued = new Map<User, Promise<{ token: string; projectId: string }>>();
  const password = (user: User) => (user === 'admin' ? cfg.identity.admin_password : cfg.identity.demo_password);
  // keystone's password authentication, scoped to the user's own project (what openrc does).
  const issue = (user: User) => {
    let p = issued.get(user);
    if (!p) {
      p = (async () => {
        const res = await fetch(`${urls.identity}/v3/auth/tokens?nocatalog`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            auth: {
              identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password: password(user) } } },
              scope: { project: { name: user, domain: { name: 'Default' } } },
            },
          }),
        });
        const body = (await res.json()) as { token?: { project?: { id?: string } } };
        const token = res.headers.get('x-subject-token');
        if (res.status !== 201 || !token || !body.token?.project?.id) throw new Error(`token for ${user}: ${res.status} ${JSON.stringify(body)}`);
        return { token, projectId: body.token.project.id };
      })();
      p.catch(() => issued.delete(user));
      issued.set(user, p);
    }
    return p;
  };
  const token = async (user: User) => (await issue(user)).token;
  return {
    token,
    projectId: async (user: User) => (await issue(user)).projectId,
    async api(user: User | null, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
      const h: Record<string, string> = { accept: 'application/json', ...headers };
      if (user) h['x-auth-token'] = await token(user);
      let payload: string | undefined;
      if (body !== undefined) {
        h['content-type'] ??= 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(url, { method, headers: h, body: payload });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    env(user: User) {
      return {
        OS_AUTH_URL: `${urls.identity}/v3`,
        OS_USERNAME: user,
        OS_PASSWORD: password(user),
        OS_PROJECT_NAME: user,
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_IDENTITY_API_VERSION: '3',
        OS_REGION_NAME: cfg.DEFAULT.region,
        OS_INTERFACE: 'public',
      };
    },
  };
}
