/**
 * Runs the shipped bundle as `npm start` runs it (`node --max-semi-space-size=8
 * dist/nimbus.mjs up`) in a child process, for the tests that must see what ships:
 * the bundle's own class names, its exit codes, a kill -9 and a restart.
 *
 * Every API listens on a free port unless the caller's args say otherwise; the
 * resolved URLs come from the JSON "Nimbus is up" log line (logs are JSON when stderr
 * is not a terminal).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json and dist/ are). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundle `npm start` runs. */
export const BUNDLE = join(REPO_ROOT, 'dist', 'nimbus.mjs');
/** The node flags of package.json's "start" script. */
export const START_NODE_FLAGS = ['--max-semi-space-size=8'];

export interface NimbusUrls {
  identity: string;
  image: string;
  network: string;
  compute: string;
  metadata: string;
}

export interface NimbusProcess {
  child: ChildProcess;
  dataDir: string;
  urls: NimbusUrls;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** Data directory; a fresh temp dir when omitted. Reuse one to restart on the same state. */
  dataDir?: string;
  /** Extra `nimbus up` flags (after the defaults, so they win). */
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for the "Nimbus is up" line. */
  timeoutMs?: number;
}

/** Why the bundle cannot be run here, or undefined when dist/nimbus.mjs exists. */
export const bundleMissing: string | undefined = existsSync(BUNDLE) ? undefined : `${BUNDLE} is missing; run npm run build`;

/** Starts `nimbus up` from the bundle and resolves once every API answers. */
export function startNimbusProcess(opts: StartOptions = {}): Promise<NimbusProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'nimbus-proc-'));
  const args = [
    ...START_NODE_FLAGS,
    BUNDLE,
    'up',
    '--data-dir', dataDir,
    '--identity-port', '0',
    '--image-port', '0',
    '--network-port', '0',
    '--compute-port', '0',
    '--metadata-port', '0',
    '--dashboard-port', '0',
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise<NimbusProcess>((resolveUp, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`nimbus did not come up within ${opts.timeoutMs ?? 30_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const s = chunk.toString();
      out += s;
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.includes('Nimbus is up')) continue;
        try {
          const rec = JSON.parse(line) as Partial<NimbusUrls>;
          if (rec.identity && rec.image && rec.network && rec.compute) {
            clearTimeout(timer);
            resolveUp({
              child,
              dataDir,
              urls: { identity: rec.identity, image: rec.image, network: rec.network, compute: rec.compute, metadata: rec.metadata ?? '' },
              output: () => out,
              stop,
            });
          }
        } catch {
          /* not the JSON line */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nimbus exited (${code}) before it was up:\n${out}`));
    });
  });
}
