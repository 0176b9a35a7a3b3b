/**
 * The README runs as written (issue 8, "a newcomer's first ten minutes"): every ```sh
 * block, top to bottom, in one bash session with the real clients, against a fresh data
 * directory, in a temp directory that mirrors the repository (package.json, dist,
 * node_modules symlinked) so `npm start` there starts the bundle with ./data there.
 *
 * Lines that start a server (`npm start ...`) run in the background until "Nimbus is up";
 * a configuration example is checked for its effect (three hypervisors, neutron on
 * :19696) and stopped. The ```ini block is written to nimbus.conf and checked the same
 * way. `npm ci` and `npm test` are not re-run (CI runs them; this test is part of
 * `npm test`): the quick start must be exactly those two lines.
 *
 * Uses the default ports (5000, 8774, 8775, 9292, 9696, and 19696 of the examples), which no
 * other test uses (they all ask for port 0); skipped with the reason when one is taken.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bundleMissing, REPO_ROOT } from '../helpers/nimbus-process.js';
import { novaMissing } from './helpers.js';

interface Block {
  lang: string;
  /** 1-based README line of the first line of the block's body. */
  line: number;
  lines: string[];
}

/** The fenced code blocks of a Markdown text, in order. */
export function codeBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  let open: Block | undefined;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^```\s*([\w-]*)\s*$/.exec(text);
    if (open) {
      if (/^```\s*$/.test(text)) {
        out.push(open);
        open = undefined;
      } else open.lines.push(text);
    } else if (fence) open = { lang: fence[1]!, line: i + 2, lines: [] };
  });
  return out;
}

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const PORTS = [5000, 8774, 8775, 9292, 9696, 19696];
const QUICK_START = ['npm ci && npm start', 'npm test'];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

const taken: number[] = [];
for (const p of PORTS) if (!(await portFree(p))) taken.push(p);
const skip = novaMissing ?? bundleMissing ?? (taken.length ? `the README's default port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} in use on 127.0.0.1; stop what holds ${taken.length > 1 ? 'them' : 'it'} to run this test` : undefined);

/**
 * The test's environment without the caller's OpenStack or Nimbus settings, nor the
 * npm_* variables of the `npm test` this may run under (a newcomer's shell has none).
 */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(OS_|NIMBUS_|npm_|INIT_CWD$)/i.test(k)) env[k] = v;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** One interactive-like bash session: state (sourced openrc, variables) carries from line to line. */
class Shell {
  readonly #child: ChildProcess;
  #buf = '';
  #onData?: () => void;
  static readonly MARK = '__NIMBUS_README_RC__';

  constructor(cwd: string, env: Record<string, string>) {
    this.#child = spawn('/bin/bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (d: Buffer) => {
      this.#buf += d.toString();
      this.#onData?.();
    };
    this.#child.stdout!.on('data', take);
    this.#child.stderr!.on('data', take);
  }

  /** Runs one line as a user would type it; resolves with its exit status and output. */
  run(line: string, timeoutMs = 180_000): Promise<{ code: number; output: string }> {
    this.#buf = '';
    // A brace group runs in this shell (source and assignments stick); stdin is not ours to give.
    this.#child.stdin!.write(`{ ${line}\n} </dev/null 2>&1; printf '\\n${Shell.MARK} %d\\n' $?\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`'${line}' did not finish within ${timeoutMs} ms:\n${this.#buf}`)), timeoutMs);
      this.#onData = () => {
        const m = new RegExp(`\\n${Shell.MARK} (\\d+)\\n`).exec(this.#buf);
        if (!m) return;
        clearTimeout(timer);
        this.#onData = undefined;
        resolve({ code: Number(m[1]), output: this.#buf.slice(0, m.index) });
      };
    });
  }

  close(): void {
    this.#child.stdin!.end();
  }
}

interface Server {
  line: string;
  up: { identity: string; image: string; network: string; compute: string; hosts: string[] };
  output(): string;
  stop(): Promise<void>;
}

/** Starts a server line (`npm start ...`) in the background; resolves at its "Nimbus is up" line. */
function startServer(line: string, cwd: string, env: Record<string, string>): Promise<Server> {
  const child = spawn('/bin/bash', ['-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // The whole group: bash, npm and the node it runs (a graceful SIGTERM for each).
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`'${line}' was not up within 60 s:\n${out}`));
    }, 60_000);
    const take = (d: Buffer) => {
      out += d.toString();
      const upLine = out.split('\n').find((l) => l.includes('Nimbus is up') && l.startsWith('{') && l.endsWith('}'));
      if (!upLine) return;
      clearTimeout(timer);
      child.stdout!.off('data', take);
      child.stderr!.off('data', take);
      child.stdout!.on('data', (x: Buffer) => (out += x.toString()));
      child.stderr!.on('data', (x: Buffer) => (out += x.toString()));
      resolve({ line, up: JSON.parse(upLine) as Server['up'], output: () => out, stop });
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`'${line}' exited before it was up:\n${out}`));
    });
  });
}

test('README.md runs as written, top to bottom, with the real clients', { skip, timeout: 900_000 }, async () => {
  const blocks = codeBlocks(README).filter((b) => b.lang === 'sh' || b.lang === 'ini');
  assert.deepEqual(blocks[0]?.lines, QUICK_START, 'the quick start is `npm ci && npm start` then `npm test`');

  const dir = mkdtempSync(join(tmpdir(), 'nimbus-readme-'));
  for (const name of ['package.json', 'package-lock.json', 'dist', 'node_modules']) symlinkSync(join(REPO_ROOT, name), join(dir, name));
  const env = cleanEnv();
  const shell = new Shell(dir, env);
  let server: Server | undefined;
  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  after(async () => {
    await stopServer();
    shell.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A configuration example took effect: three hypervisors, neutron on :19696. */
  const checkConfigExample = (s: Server, where: string) => {
    assert.deepEqual(s.up.hosts, ['compute1', 'compute2', 'compute3'], `${where}: hosts`);
    assert.equal(s.up.network, 'http://127.0.0.1:19696', `${where}: neutron's URL`);
    const r = spawnSync('/bin/bash', ['-c', 'source data/openrc-admin && openstack hypervisor list -f value -c "Hypervisor Hostname" && openstack network list -f value -c Name'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${where}: the clients failed:\n${r.stdout}${r.stderr}`);
    const names = r.stdout.trim().split('\n');
    for (const h of ['compute1', 'compute2', 'compute3']) assert.ok(names.includes(h), `${where}: ${h} is not a hypervisor:\n${r.stdout}`);
    assert.ok(names.includes('net1'), `${where}: neutron on :19696 (through the catalog) does not list net1:\n${r.stdout}`);
  };

  /** What a line's README comment promises, where a test can hold it to it. */
  const promises: [RegExp, (output: string) => void][] = [
    [/^openstack port show p0 -c binding_vif_type -c binding_host_id/, (o) => assert.match(o, /binding_host_id\s*\|\s*compute1\s*\|[\s\S]*binding_vif_type\s*\|\s*ovs\s*\|/)],
    [/^openstack network agent list/, (o) => assert.equal(o.match(/Open vSwitch agent/g)?.length, 2, o)],
    [/^openstack port show p1 -c device_id -c status/, (o) => assert.match(o, /device_id\s*\|\s*\|[\s\S]*status\s*\|\s*DOWN\s*\|/)],
    [/^node dist\/nimbus.mjs repair-vifs\s*(#|$)/, (o) => assert.match(o, /[Nn]othing to repair/)],
    [/^node dist\/nimbus.mjs trace /, (o) => assert.ok(Number(o.trim()) >= 2, o)],
    [/^openstack server show vm3 -c status -f value/, (o) => assert.equal(o.trim(), 'ACTIVE')],
  ];

  for (const block of blocks) {
    if (block.lang === 'ini') {
      // An INI example is a nimbus.conf in the current directory, named on its first line.
      assert.equal(block.lines[0], '# nimbus.conf', `README line ${block.line}: an ini block names its file`);
      await stopServer();
      writeFileSync(join(dir, 'nimbus.conf'), `${block.lines.join('\n')}\n`);
      const s = await startServer('npm start', dir, env);
      try {
        checkConfigExample(s, `nimbus.conf of README line ${block.line}`);
      } finally {
        await s.stop();
        unlinkSync(join(dir, 'nimbus.conf'));
      }
      continue;
    }
    for (const [i, raw] of block.lines.entries()) {
      const line = raw.trim();
      const where = `README line ${block.line + i}: ${line}`;
      if (line === '' || line.startsWith('#')) continue;
      if (line === 'npm test') continue; // CI runs it; this test is part of it.
      if (line === 'npm ci && npm start') {
        // CI has run `npm ci`; the server stays up for the blocks that follow.
        server = await startServer('npm start', dir, env);
        continue;
      }
      if (/(^|\s)npm start(\s|$)/.test(line)) {
        await stopServer();
        const s = await startServer(line, dir, env);
        try {
          checkConfigExample(s, where);
        } finally {
          await s.stop();
        }
        continue;
      }
      const r = await shell.run(line);
      assert.equal(r.code, 0, `${where}\nexited ${r.code}:\n${r.output}`);
      for (const [re, check] of promises) if (re.test(line)) check(r.output);
    }
  }
});
