/**
 * What `nimbus up` checks before it writes anything, and how a failed start explains
 * itself: a data directory it cannot write, a port another process holds. Each error
 * names the path or port, the cause in words, and the option that changes it, so a
 * newcomer does not have to decode "disk I/O error" or EADDRINUSE.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { type Config, listenHost, optionNames } from './config.js';

/** A start-up failure whose message is meant for the user as is (the CLI prints it after "nimbus: "). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'a file of that name is in the way',
  EIO: 'input/output error',
};

/** SQLite's result codes for the same causes (better-sqlite3 puts them in `code`). */
const SQLITE_WORDS: [RegExp, string][] = [
  [/^SQLITE_FULL/, 'no space left on device'],
  [/^SQLITE_READONLY/, 'read-only: the file or its directory cannot be written'],
  [/^SQLITE_PERM/, 'permission denied'],
  [/^SQLITE_CANTOPEN/, 'the database file cannot be opened or created'],
  [/^SQLITE_IOERR/, 'disk I/O error: the file or its directory cannot be written'],
];

/** True when `e` is a file-system failure (an errno or SQLite's I/O codes), not a logic error. */
export function isFsError(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return !!code && (code in ERRNO_WORDS || SQLITE_WORDS.some(([re]) => re.test(code)));
}

/** The cause of a file-system error in words ("read-only file system"), or its message when the code is unknown. */
export function describeFsError(e: unknown): string {
  const code = (e as { code?: string })?.code;
  const words = code && (ERRNO_WORDS[code] ?? SQLITE_WORDS.find(([re]) => re.test(code))?.[1]);
  return words || (e instanceof Error ? e.message : String(e));
}

/** Where the data directory option can be changed, for the end of an error message. */
function dataDirHint(): string {
  const o = optionNames('DEFAULT', 'data_dir');
  return `choose another with ${o.flag}, ${o.env} or ${o.ini}`;
}

/** The error for a data directory that cannot be created or written. */
export function dataDirError(dir: string, cause: unknown): StartupError {
  return new StartupError(`cannot write to the data directory ${dir} (${describeFsError(cause)}); ${dataDirHint()}`);
}

/**
 * The error a failed start reports: an I/O failure while writing the data directory (a
 * disk filling up during migrations, say; also when wrapped as `cause`) becomes the
 * data directory error; anything else is reported as it is.
 */
export function explainStartFailure(e: unknown, dataDir: string): unknown {
  if (e instanceof StartupError) return e;
  const cause = (e as { cause?: unknown })?.cause;
  if (isFsError(e)) return dataDirError(dataDir, e);
  if (isFsError(cause)) return dataDirError(dataDir, cause);
  return e;
}

/** What a start found in the data directory, so a failed start can remove only what it created. */
export interface DataDirState {
  dir: string;
  /** The topmost directory this start created (the data dir or an ancestor), if it created any. */
  created?: string;
  /** Entries the data directory held before this start. */
  before: Set<string>;
}

/**
 * Creates the data directory if needed and proves it writable (root ignores permission
 * bits, so only a real write tells). Throws StartupError naming the directory and cause.
 * Also refuses existing database files this process may not write (SQLite would only
 * say "disk I/O error" or "attempt to write a readonly database" later).
 */
export function prepareDataDir(dir: string): DataDirState {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw dataDirError(dir, e);
  }
  const before = new Set(readdirSync(dir));
  const probe = join(dir, `.nimbus-write-check-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (e) {
    throw dataDirError(dir, e);
  }
  for (const name of before) {
    if (!/\.sqlite(-wal|-journal)?$|^identity-token\.key$|^openrc-/.test(name)) continue;
    try {
      accessSync(join(dir, name), constants.W_OK);
    } catch (e) {
      throw new StartupError(`cannot write to ${join(dir, name)} in the data directory (${describeFsError(e)}); ${dataDirHint()}`);
    }
  }
  return { dir, ...(created ? { created } : {}), before };
}

/**
 * Undoes what a failed start wrote: the directories it created, or else the entries that
 * were not in the data directory before. Never removes anything that was there before.
 */
export function removeCreated(state: DataDirState): void {
  if (state.created) {
    rmSync(state.created, { recursive: true, force: true });
    return;
  }
  if (!existsSync(state.dir)) return;
  for (const name of readdirSync(state.dir)) {
    if (!state.before.has(name)) rmSync(join(state.dir, name), { recursive: true, force: true });
  }
}

/** The four listening APIs, by config section, with the name a user knows them by. */
export const API_SECTIONS = { identity: 'keystone', image: 'glance', network: 'neutron', compute: 'nova' } as const;
export type ApiSection = keyof typeof API_SECTIONS;

/** The error for a port that cannot be listened on, naming the option that moves it. */
export function listenError(cfg: Config, section: ApiSection, e: unknown): Error {
  const code = (e as { code?: string })?.code;
  const host = listenHost(cfg, section);
  const port = cfg[section].port;
  const o = optionNames(section, 'port');
  const move = `choose another with ${o.flag}, ${o.env} or ${o.ini}`;
  const what = `port ${port} (${API_SECTIONS[section]})`;
  if (code === 'EADDRINUSE') return new StartupError(`${what} is already in use on ${host}; ${move}`);
  if (code === 'EACCES' || code === 'EPERM') return new StartupError(`${what} on ${host}: permission denied (ports below 1024 need root); ${move}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const h = optionNames(section, 'host');
    return new StartupError(`cannot listen on ${host} for ${API_SECTIONS[section]}: no such local address; set ${h.flag} or --bind-host`);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Resolves once nothing else holds host:port; rejects with the listen error otherwise. */
function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Checks, before anything is written, that every fixed API port (0 = any free port) can
 * be listened on and that no two APIs were given the same one. Throws StartupError.
 */
export async function checkPorts(cfg: Config): Promise<void> {
  const seen = new Map<string, ApiSection>();
  for (const section of Object.keys(API_SECTIONS) as ApiSection[]) {
    const port = cfg[section].port;
    if (port === 0) continue;
    const key = `${listenHost(cfg, section)}:${port}`;
    const other = seen.get(key);
    if (other) {
      const o = optionNames(section, 'port');
      throw new StartupError(`port ${port} is configured for both ${API_SECTIONS[other]} and ${API_SECTIONS[section]}; choose another with ${o.flag}, ${o.env} or ${o.ini}`);
    }
    seen.set(key, section);
  }
  for (const section of seen.values()) {
    try {
      await probePort(listenHost(cfg, section), cfg[section].port);
    } catch (e) {
      throw listenError(cfg, section, e);
    }
  }
}

/**
 * Checks, without creating anything, that a log file could be appended to: the file if it
 * exists, else its nearest existing directory. Throws StartupError naming the file.
 */
export function checkLogFile(path: string): void {
  const o = optionNames('DEFAULT', 'log_file');
  const fail = (cause: unknown) => new StartupError(`cannot write to the log file ${path} (${describeFsError(cause)}); choose another with ${o.flag}, ${o.env} or ${o.ini}`);
  let p = path;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      throw fail(e);
    }
    if (p === path && isDir) throw fail(Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    if (p !== path && !isDir) throw fail(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }));
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      throw fail(e);
    }
    return;
  }
}
