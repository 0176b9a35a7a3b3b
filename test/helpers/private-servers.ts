/**
 * Throwaway servers for the tests that break them (issue 11, point 5): a RabbitMQ node,
 * a PostgreSQL cluster and a MariaDB server of a test file's own, on free ports, in a
 * temp dir, so that stopping, restarting or killing them never disturbs the shared servers (127.0.0.1:5672,
 * :5432) other suites use at the same time (`npm test` runs two files at once).
 *
 * - RabbitMQ: a second node of the installed rabbitmq-server on the same epmd, named
 *   `nimbus-<random>@localhost`, run as the current user with HOME in its dir (so the
 *   Erlang cookie is its own and the CLI reaches it with the same HOME), its mnesia,
 *   logs, config and plugins file there, no plugins. Its AMQP and distribution ports
 *   are picked below the kernel's ephemeral range (32768+): a listener port that an
 *   outgoing connection happens to hold fails its start_app with eaddrinuse.
 * - PostgreSQL: initdb + pg_ctl of the newest /usr/lib/postgresql/<v>/bin, trust auth,
 *   listening on 127.0.0.1 and a socket in its dir; run as `postgres` through runuser
 *   when we are root (postgres refuses to run as root).
 *
 * - MariaDB: mariadb-install-db + mariadbd with --datadir, --port, --socket of its own
 *   (as the mysql user when we are root), root without a password.
 *
 * Cleanup always runs: the test's `after` calls `destroy()`, and a process 'exit'
 * handler kills whatever is left (a failed or interrupted test included). A missing
 * binary is `unavailable`: under CI=true the caller FAILS with it, locally it skips.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when `npm test` runs in CI, where a missing server binary is a failure, not a skip. */
export const inCI = process.env.CI === 'true';

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const isRoot = process.getuid?.() === 0;

/** The newest installed PostgreSQL server's bin directory, or undefined. */
function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(base, versions.at(-1)!, 'bin') : undefined;
}

/** Why a private RabbitMQ node cannot be started here, or undefined. */
export function rabbitUnavailable(): string | undefined {
  for (const b of ['rabbitmq-server', 'rabbitmqctl']) {
    if (!existsSync(join(RABBIT_BIN, b))) return `${join(RABBIT_BIN, b)} is missing (apt-get install rabbitmq-server)`;
  }
  return undefined;
}

/** Why a private PostgreSQL cluster cannot be started here, or undefined. */
export function postgresUnavailable(): string | undefined {
  const bin = postgresBin();
  if (!bin) return 'no /usr/lib/postgresql/<version>/bin/initdb (apt-get install postgresql)';
  if (isRoot && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'runuser is missing (util-linux): needed to run postgres as its own user';
  return undefined;
}

/** A free TCP port on 127.0.0.1 below the ephemeral range, with `port + 1` free too. */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
  for (;;) {
    // 20000-29999, minus RabbitMQ's usual distribution port.
    const port = 20000 + (randomBytes(2).readUInt16BE() % 9998);
    if (port === 25672 || port === 25671) continue;
    if ((await free(port)) && (await free(port + 1))) return port;
  }
}

/** Everything started here that the exit handler must still kill: pid or a command. */
const leftovers = new Map<string, () => void>();
process.once('exit', () => {
  for (const kill of leftovers.values()) {
    try {
      kill();
    } catch {
      /* best effort at exit */
    }
  }
});

/** The controls every private server has. */
export interface PrivateServer {
  /** The URL a Nimbus option takes (transport_url, or [database] connection with {service}). */
  url: string;
  /** Stops the service the way an operator does (stop_app; pg_ctl stop -m fast). */
  stop(): Promise<void>;
  /** Starts it again and resolves once it answers. */
  start(): Promise<void>;
  /** stop, `downMs` of nothing, start. */
  restart(downMs?: number): Promise<void>;
  /** SIGKILL the server process (no clean shutdown), then boot it again on the same data. */
  kill(): Promise<void>;
  /** Stops it for good and removes its directory. Idempotent. */
  destroy(): Promise<void>;
  /** Its log, for a failing test's message. */
  log(): string;
}

// ---------------------------------------------------------------- RabbitMQ

/** A RabbitMQ node of the caller's own, reachable as guest/guest on `url`'s port. */
export async function startPrivateRabbit(): Promise<PrivateServer & { node: string; port: number; ctl(...args: string[]): Promise<string> }> {
  const why = rabbitUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-rabbit-'));
  const port = await freePortPair();
  const node = `nimbus-${randomBytes(4).toString('hex')}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  // An env file of its own: the system's /etc/rabbitmq/rabbitmq-env.conf names the shared node.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_DIST_PORT: String(port + 1),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const ctl = (...args: string[]) => run(join(RABBIT_BIN, 'rabbitmqctl'), ['-n', node, ...args], { env, timeout: 120_000 }).then((r) => r.stdout);
  const pid = () => {
    try {
      return Number(readFileSync(join(dir, 'pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  let child: ChildProcess | undefined;
  const boot = async () => {
    rmSync(join(dir, 'pid'), { force: true });
    const out = openSync(join(dir, 'server.out'), 'a');
    child = spawn(join(RABBIT_BIN, 'rabbitmq-server'), [], { env, cwd: dir, stdio: ['ignore', out, out], detached: true });
    child.unref();
    // `wait <pidfile>` returns once the node runs rabbit (or fails when it died).
    await ctl('wait', '--timeout', '90', join(dir, 'pid'));
    await ctl('await_startup', '--timeout', '90');
  };
  const killNow = () => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  };
  leftovers.set(dir, () => {
    killNow();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await boot();
  } catch (e) {
    killNow();
    throw new Error(`the private RabbitMQ node did not start: ${(e as Error).message}\n${readLog(join(dir, 'server.out'))}`);
  }
  let destroyed = false;
  const server = {
    url: `rabbit://guest:guest@127.0.0.1:${port}/`,
    node,
    port,
    ctl,
    stop: async () => void (await ctl('stop_app')),
    start: async () => {
      await ctl('start_app');
      await ctl('await_startup', '--timeout', '90');
    },
    restart: async (downMs = 3_000) => {
      await server.stop();
      await sleep(downMs);
      await server.start();
    },
    kill: async () => {
      const p = pid();
      killNow();
      if (p) await waitFor('the killed RabbitMQ node gone', async () => (alive(p) ? undefined : true), 30_000, 100);
      await boot();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await ctl('shutdown').catch(() => killNow());
      killNow();
      rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
    log: () => readLog(join(dir, 'log', `${node}.log`)),
  };
  return server;
}

// ---------------------------------------------------------------- PostgreSQL

/** A PostgreSQL cluster of the caller's own; `url` is a [database] connection with {service}. */
export async function startPrivatePostgres(): Promise<PrivateServer & { port: number; dataDir: string }> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = postgresBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // postgres refuses to run as root: the cluster belongs to the postgres user then.
  const asPostgres = (cmd: string, args: string[]) => (isRoot ? (['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const) : ([cmd, args] as const));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const pg = (args: string[], timeout = 120_000) => {
    const [cmd, full] = asPostgres(join(bin, 'pg_ctl'), args);
    return run(cmd, [...full], { timeout }).then((r) => r.stdout);
  };
  const port = await freePortPair();
  {
    const [cmd, full] = asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    await run(cmd, [...full], { timeout: 120_000 });
  }
  // fsync off: a throwaway cluster; its crash safety is not what the tests measure.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => pg(['-D', data, '-l', logFile, '-w', '-t', '90', '-o', opts, 'start']);
  const stopNow = (mode: 'fast' | 'immediate') => pg(['-D', data, '-w', '-t', '90', '-m', mode, 'stop']);
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  leftovers.set(dir, () => {
    const p = postmasterPid();
    if (p) {
      try {
        process.kill(p, 'SIGQUIT'); // immediate shutdown: the children go with it
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await start();
  } catch (e) {
    throw new Error(`the private PostgreSQL did not start: ${(e as Error).message}\n${readLog(logFile)}`);
  }
  let destroyed = false;
  const server = {
    url: `postgresql://postgres@127.0.0.1:${port}/{service}`,
    port,
    dataDir: data,
    stop: async () => void (await stopNow('fast')),
    start: async () => void (await start()),
    restart: async (downMs = 3_000) => {
      await server.stop();
      await sleep(downMs);
      await server.start();
    },
    kill: async () => {
      const p = postmasterPid();
      if (p) process.kill(p, 'SIGKILL');
      // The backends notice their postmaster is gone and exit; the next start recovers.
      if (p) await waitFor('the killed postmaster gone', async () => (alive(p) ? undefined : true), 30_000, 100);
      await waitFor('the orphaned backends gone', async () => ((await portFree(port)) ? true : undefined), 30_000, 200).catch(() => undefined);
      rmSync(join(data, 'postmaster.pid'), { force: true });
      await start();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await stopNow('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
    log: () => readLog(logFile),
  };
  return server;
}

// ---------------------------------------------------------------- MariaDB

/** Why a private MariaDB server cannot be started here, or undefined. */
export function mariadbUnavailable(): string | undefined {
  for (const b of ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', '/usr/bin/mysqladmin']) {
    if (!existsSync(b)) return `${b} is missing (apt-get install mariadb-server)`;
  }
  return undefined;
}

/** A MariaDB server of the caller's own (root, no password); `url` is a [database] connection with {service}. */
export async function startPrivateMariadb(): Promise<PrivateServer & { port: number }> {
  const why = mariadbUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-mariadb-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'mysqld.sock');
  const pidFile = join(dir, 'mysqld.pid');
  // mariadbd refuses root unless told: the server runs as mysql, as Debian's does.
  const user = isRoot ? ['--user=mysql'] : [];
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
    chownSync(dir, uid, gid);
  }
  await run('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 120_000 });
  const port = await freePortPair();
  const pid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const ping = () => run('/usr/bin/mysqladmin', ['--no-defaults', `--socket=${sock}`, '-uroot', 'ping'], { timeout: 10_000 }).then(() => true, () => undefined);
  const start = async () => {
    rmSync(pidFile, { force: true });
    const out = openSync(join(dir, 'mysqld.err'), 'a');
    const child = spawn(
      '/usr/sbin/mariadbd',
      ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${sock}`, `--pid-file=${pidFile}`, ...user, '--innodb-flush-log-at-trx-commit=0', '--max-connections=300'],
      { cwd: dir, stdio: ['ignore', out, out], detached: true },
    );
    child.unref();
    await waitFor('the private MariaDB answering', ping, 90_000, 200);
  };
  const killNow = (signal: NodeJS.Signals) => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, signal);
      } catch {
        /* gone */
      }
    }
    return p;
  };
  leftovers.set(dir, () => {
    killNow('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await start();
  } catch (e) {
    killNow('SIGKILL');
    throw new Error(`the private MariaDB did not start: ${(e as Error).message}\n${readLog(join(dir, 'mysqld.err'))}`);
  }
  let destroyed = false;
  const gone = async (p: number | undefined) => {
    if (p) await waitFor('the MariaDB server gone', async () => (alive(p) ? undefined : true), 60_000, 100);
  };
  const server = {
    url: `mysql+pymysql://root@127.0.0.1:${port}/{service}`,
    port,
    stop: async () => {
      const p = pid();
      await run('/usr/bin/mysqladmin', ['--no-defaults', `--socket=${sock}`, '-uroot', 'shutdown'], { timeout: 90_000 });
      await gone(p);
    },
    start,
    restart: async (downMs = 3_000) => {
      await server.stop();
      await sleep(downMs);
      await server.start();
    },
    kill: async () => {
      await gone(killNow('SIGKILL'));
      await start();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await gone(killNow('SIGKILL')).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
    log: () => readLog(join(dir, 'mysqld.err')),
  };
  return server;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return `(no ${file})`;
  }
}
