/**
 * Regressions (issue 8, "a newcomer's first ten minutes"): a start that cannot write its
 * data directory or listen on its port says which path or port, why, and which option
 * changes it; and a failed start leaves no half-initialised data directory behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCloud } from '../../src/cloud.js';
import { type Config, type DeepPartial, loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { StartupError, prepareDataDir, removeCreated } from '../../src/common/preflight.js';
import { HostDriverConfigError, HostDriverUnavailable } from '../../src/hostnet/index.js';
import { BUNDLE, START_NODE_FLAGS, bundleMissing } from '../helpers/nimbus-process.js';

const root = mkdtempSync(join(tmpdir(), 'nimbus-startup-'));
after(() => rmSync(root, { recursive: true, force: true }));

function config(dataDir: string, overrides: DeepPartial<Config> = {}): Config {
  return loadConfig({
    overrides: {
      ...overrides,
      DEFAULT: { data_dir: dataDir, log_level: 'silent' },
      identity: { port: 0, ...(overrides.identity ?? {}) },
      image: { port: 0, ...(overrides.image ?? {}) },
      network: { port: 0, ...(overrides.network ?? {}) },
      compute: { port: 0, ...(overrides.compute ?? {}) },
    },
  });
}

describe('a data directory that cannot be written', () => {
  it('is named with its cause and the option that moves it (works as root: a path under a regular file)', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const dataDir = join(file, 'data');
    await assert.rejects(startCloud({ cfg: config(dataDir), log: silentLogger() }), (e: Error) => {
      assert.ok(e instanceof StartupError, `${e.name}: ${e.message}`);
      assert.equal(
        e.message,
        `cannot write to the data directory ${dataDir} (a component of the path is not a directory); choose another with --data-dir, NIMBUS_DATA_DIR or [DEFAULT] data_dir`,
      );
      return true;
    });
  });

  const asNobody = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') ? undefined : 'needs root and setpriv to run nimbus as an unprivileged user';
  it('read-only to the user running nimbus: says so instead of "disk I/O error"', { skip: bundleMissing ?? asNobody }, () => {
    const dataDir = mkdtempSync(join(root, 'ro-'));
    // A data directory a previous start filled, then made read-only (root-owned, 0555).
    writeFileSync(join(dataDir, 'identity.sqlite'), '');
    chmodSync(dataDir, 0o555);
    chmodSync(root, 0o755);
    const r = spawnSync(
      '/usr/bin/setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...START_NODE_FLAGS, BUNDLE, 'up', '--data-dir', dataDir,
        '--identity-port', '0', '--image-port', '0', '--network-port', '0', '--compute-port', '0', '--metadata-port', '0'],
      { encoding: 'utf8', timeout: 30_000, cwd: tmpdir() },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim(), `nimbus: cannot write to the data directory ${dataDir} (permission denied); choose another with --data-dir, NIMBUS_DATA_DIR or [DEFAULT] data_dir`);
  });
});

describe('a port already in use', () => {
  let squatter: Server;
  let port: number;
  before(async () => {
    squatter = createServer();
    await new Promise<void>((res) => squatter.listen(0, '127.0.0.1', res));
    port = (squatter.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((res) => squatter.close(() => res())));

  it('names the port, the service and the three ways to move it', async () => {
    const dataDir = join(root, 'fresh-keystone');
    await assert.rejects(startCloud({ cfg: config(dataDir, { identity: { port } }), log: silentLogger() }), (e: Error) => {
      assert.equal(e.message, `port ${port} (keystone) is already in use on 127.0.0.1; choose another with --identity-port, NIMBUS_IDENTITY_PORT or [identity] port`);
      return true;
    });
  });

  it('on the last API to start (nova) leaves no fresh data directory behind', async () => {
    const dataDir = join(root, 'fresh-parent', 'data');
    await assert.rejects(startCloud({ cfg: config(dataDir, { compute: { port } }), log: silentLogger() }), /port \d+ \(nova\) is already in use on 127\.0\.0\.1; choose another with --compute-port, NIMBUS_COMPUTE_PORT or \[compute\] port/);
    assert.equal(existsSync(dataDir), false, `${dataDir} was left behind: ${existsSync(dataDir) ? readdirSync(dataDir).join(', ') : ''}`);
    assert.equal(existsSync(join(root, 'fresh-parent')), false);
  });

  it('leaves a pre-existing data directory as it was', async () => {
    const dataDir = mkdtempSync(join(root, 'users-'));
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    await assert.rejects(startCloud({ cfg: config(dataDir, { network: { port } }), log: silentLogger() }), /\(neutron\) is already in use/);
    assert.deepEqual(readdirSync(dataDir), ['notes.txt']);
  });

  it('two APIs given the same port are told apart before anything starts', async () => {
    const dataDir = join(root, 'dup');
    await assert.rejects(
      startCloud({ cfg: config(dataDir, { image: { port: 45_001 }, network: { port: 45_001 } }), log: silentLogger() }),
      /port 45001 is configured for both glance and neutron; choose another with --network-port/,
    );
    assert.equal(existsSync(dataDir), false);
  });

  it('from the command line: one line on stderr and exit status 1', { skip: bundleMissing }, () => {
    const dataDir = join(root, 'cli-fresh');
    const r = spawnSync(process.execPath, [...START_NODE_FLAGS, BUNDLE, 'up', '--data-dir', dataDir, '--image-port', String(port),
      '--identity-port', '0', '--network-port', '0', '--compute-port', '0', '--metadata-port', '0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim(), `nimbus: port ${port} (glance) is already in use on 127.0.0.1; choose another with --image-port, NIMBUS_IMAGE_PORT or [image] port`);
    assert.equal(existsSync(dataDir), false);
  });
});

describe('removeCreated', () => {
  it('removes only what a failed start added to an existing data directory', () => {
    const dir = mkdtempSync(join(root, 'existing-'));
    writeFileSync(join(dir, 'identity.sqlite'), 'old');
    const state = prepareDataDir(dir);
    writeFileSync(join(dir, 'network.sqlite'), 'new');
    mkdirSync(join(dir, 'images'));
    removeCreated(state);
    assert.deepEqual(readdirSync(dir), ['identity.sqlite']);
  });
});

describe('a host driver that cannot run', () => {
  const cfgWith = (dataDir: string, DEFAULT: DeepPartial<Config>['DEFAULT']) =>
    loadConfig({ overrides: { DEFAULT: { data_dir: dataDir, log_level: 'silent', ...DEFAULT }, linux_host: { ovsdb_socket: 'unix:/tmp/nimbus-no-such-ovsdb.sock' }, identity: { port: 0 }, image: { port: 0 }, network: { port: 0 }, compute: { port: 0 } } });

  it('an unknown [DEFAULT] host_driver is named with the known ones, before anything is written', async () => {
    const dataDir = join(root, 'host-driver-unknown');
    await assert.rejects(startCloud({ cfg: cfgWith(dataDir, { host_driver: 'xen' }), log: silentLogger() }), (e: Error) => {
      assert.ok(e instanceof HostDriverConfigError, `${e.name}: ${e.message}`);
      assert.equal(e.message, '[DEFAULT] host_driver = xen is not a host driver (known: simulated, linux)');
      return true;
    });
    assert.deepEqual(existsSync(dataDir) ? readdirSync(dataDir) : [], []);
  });

  it('linux without what it needs (here: root, or ovsdb-server at the socket) says what is missing, before anything is written', async () => {
    const dataDir = join(root, 'host-driver-linux');
    await assert.rejects(startCloud({ cfg: cfgWith(dataDir, { host_driver: 'linux', hosts: ['h1'] }), log: silentLogger() }), (e: Error) => {
      assert.ok(e instanceof HostDriverUnavailable, `${e.name}: ${e.message}`);
      assert.match(e.message, /^host_driver = linux cannot run: (it must run as root|`ovs-vsctl` was not found|ovsdb-server does not answer at unix:\/tmp\/nimbus-no-such-ovsdb.sock)/);
      return true;
    });
    assert.deepEqual(existsSync(dataDir) ? readdirSync(dataDir) : [], []);
  });
});
