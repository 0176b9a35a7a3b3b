/**
 * The `nimbus` command as a newcomer meets it (issue 8, "first ten minutes"): help,
 * version, usage errors with exit status 2, readable logs on a terminal and JSON
 * otherwise, --log-file, and one grep that follows a boot. Runs the shipped bundle.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLE, REPO_ROOT, START_NODE_FLAGS, bundleMissing, startNimbusProcess } from '../helpers/nimbus-process.js';

const root = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function nimbus(...args: string[]) {
  const r = spawnSync(process.execPath, [...START_NODE_FLAGS, BUNDLE, ...args], { encoding: 'utf8', timeout: 30_000, cwd: root });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('nimbus help and version', { skip: bundleMissing }, () => {
  it('--version prints package.json\'s version', () => {
    assert.deepEqual(nimbus('--version'), { status: 0, stdout: `${version}\n`, stderr: '' });
  });

  for (const args of [['--help'], ['-h'], ['help']]) {
    it(`${args.join(' ')} prints the usage, the commands and every option on stdout`, () => {
      const r = nimbus(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^usage: nimbus <command> \[options\]\n/);
      assert.match(r.stdout, /\n {2}up {5}start keystone/);
      assert.match(r.stdout, /\n {2}help {3}/);
      assert.match(r.stdout, /--version/);
      assert.match(r.stdout, /--identity-port {2}NIMBUS_IDENTITY_PORT {2}\(default: 5000\)/);
      assert.match(r.stdout, /--log-file {2}NIMBUS_LOG_FILE/);
    });
  }

  for (const args of [['help', 'up'], ['up', '--help']]) {
    it(`${args.join(' ')} prints the options of up`, () => {
      const r = nimbus(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: nimbus up /);
      assert.match(r.stdout, /--network-port {2}NIMBUS_NETWORK_PORT {2}\(default: 9696\)/);
    });
  }

  it('help nova-compute: the usage of a one-service command, with --host and repeatable --config-file', () => {
    const r = nimbus('help', 'nova-compute');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: nimbus nova-compute --host HOST \[--config-file PATH \.\.\.\] /);
    assert.match(r.stdout, /--transport-url {2}NIMBUS_TRANSPORT_URL/);
    assert.doesNotMatch(nimbus('help', 'nova-api').stdout, /--host HOST/);
  });

  it('a one-service command that cannot reach keystone says so and exits 1', () => {
    const r = nimbus('glance', '--data-dir', join(root, 'glance-alone'), '--identity-port', '1', '--image-port', '0');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^nimbus: cannot reach keystone at http:\/\/127\.0\.0\.1:1\/v3 /);
  });

  it('no command: usage on stderr and exit status 2', () => {
    const r = nimbus();
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^usage: nimbus <command> \[options\]\n/);
    assert.match(r.stderr, /nimbus: no command given; to start the cloud: nimbus up\n/);
  });

  const usageErrors: [string[], string][] = [
    [['start'], "nimbus: unknown command 'start' (known: up, keystone, glance, nova-api, nova-conductor, nova-scheduler, nova-compute, neutron-server, neutron-openvswitch-agent, neutron-dhcp-agent, host, help)"],
    [['help', 'start'], "nimbus: unknown command 'start' (known: up, keystone, glance, nova-api, nova-conductor, nova-scheduler, nova-compute, neutron-server, neutron-openvswitch-agent, neutron-dhcp-agent, host, help)"],
    [['nova-compute', 'now'], "nimbus: unexpected argument 'now'"],
    [['up', '--bogus', '1'], 'nimbus: unknown option --bogus'],
    [['up', '--hosts'], 'nimbus: option --hosts needs a value (--hosts VALUE or --hosts=VALUE)'],
    [['up', 'now'], "nimbus: unexpected argument 'now'"],
  ];
  it('a negative value is a value, not an option: --compute-quota-instances -1 (regression: "needs a value")', () => {
    // A data directory under a regular file stops the start right after parsing.
    writeFileSync(join(root, 'afile'), '');
    const r = nimbus('up', '--compute-quota-instances', '-1', '--data-dir', join(root, 'afile', 'data'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^nimbus: cannot write to the data directory /);
  });

  for (const [args, message] of usageErrors) {
    it(`nimbus ${args.join(' ')}: "${message}", a hint, exit status 2`, () => {
      const r = nimbus(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `${message}\nusage: nimbus <command> [options]\nRun 'nimbus help' for the commands and options.\n`);
    });
  }
});

describe('logs', { skip: bundleMissing }, () => {
  it('a --log-file that cannot be written is named before anything starts', () => {
    writeFileSync(join(root, 'plain-file'), '');
    const r = nimbus('up', '--log-file', join(root, 'plain-file', 'nimbus.log'), '--data-dir', join(root, 'never'));
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `nimbus: cannot write to the log file ${join(root, 'plain-file', 'nimbus.log')} (a component of the path is not a directory); choose another with --log-file, NIMBUS_LOG_FILE or [DEFAULT] log_file\n`);
    assert.equal(existsSync(join(root, 'never')), false);
  });

  it('a start refused for a taken port leaves no data directory, even with the log file in it', async () => {
    const squatter = createServer();
    await new Promise<void>((res) => squatter.listen(0, '127.0.0.1', res));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const cwd = mkdtempSync(join(root, 'cwd-'));
      const r = spawnSync(process.execPath, [...START_NODE_FLAGS, BUNDLE, 'up', '--log-file', 'data/nimbus.log', '--identity-port', String(port), '--image-port', '0', '--network-port', '0', '--compute-port', '0', '--metadata-port', '0'], { encoding: 'utf8', timeout: 30_000, cwd });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^nimbus: port \d+ \(keystone\) is already in use/);
      assert.deepEqual(readdirSync(cwd), []);
    } finally {
      squatter.close();
    }
  });

  it('JSON lines when stderr is not a terminal, also appended to --log-file; a boot is followed by one grep', async () => {
    const logFile = join(root, 'logs', 'nimbus.log');
    const p = await startNimbusProcess({ args: ['--log-file', logFile] });
    try {
      const up = p.output().split('\n').find((l) => l.includes('Nimbus is up'))!;
      const rec = JSON.parse(up) as { msg: string };
      const u = p.urls;
      assert.equal(rec.msg.split(';')[0], `Nimbus is up: keystone ${u.identity}/v3, glance ${u.image}, neutron ${u.network}, nova ${u.compute}/v2.1`);

      // Boot a server as the clients do.
      const auth = await fetch(`${u.identity}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demo' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } }),
      });
      const token = auth.headers.get('x-subject-token')!;
      const call = async (method: string, url: string, body?: unknown) => {
        const r = await fetch(url, { method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: r.status, body: (await r.json()) as any, requestId: r.headers.get('x-openstack-request-id') };
      };
      const net = await call('POST', `${u.network}/v2.0/networks`, { network: { name: 'n1' } });
      await call('POST', `${u.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.0.0.0/24', ip_version: 4 } });
      const images = await call('GET', `${u.image}/v2/images`);
      const boot = await call('POST', `${u.compute}/v2.1/servers`, { server: { name: 'vm1', flavorRef: '100', imageRef: images.body.images[0].id, networks: [{ uuid: net.body.network.id }] } });
      assert.equal(boot.status, 202, JSON.stringify(boot.body));
      const id: string = boot.body.server.id;
      for (let i = 0; ; i++) {
        const s = await call('GET', `${u.compute}/v2.1/servers/${id}`);
        if (s.body.server.status === 'ACTIVE') break;
        assert.ok(i < 300 && s.body.server.status === 'BUILD', `server went ${s.body.server.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const lines = readFileSync(logFile, 'utf8').trim().split('\n');
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(records.some((r) => String(r.msg).startsWith('Nimbus is up')), 'the file has the start-up line');
      // grep <instance uuid>: the API's create, the scheduler, the conductor, the build, the vif event.
      const byInstance = lines.filter((l) => l.includes(id)).map((l) => String((JSON.parse(l) as { msg: string }).msg));
      for (const want of [/^Creating instance vm1$/, /^Selected host: /, /^Build of instance goes to host /, /^Took [\d.]+ seconds to build instance\.$/, /^Creating event network-vif-plugged:/]) {
        assert.ok(byInstance.some((m) => want.test(m)), `grep ${id} finds no line like ${want}:\n${byInstance.join('\n')}`);
      }
      // grep <request id>: the POST itself, and the port neutron created for nova on its behalf.
      const byRequest = records.filter((r) => JSON.stringify(r).includes(boot.requestId!));
      assert.ok(byRequest.some((r) => r.msg === 'POST /v2.1/servers 202'), 'the POST /servers line');
      assert.ok(byRequest.some((r) => r.svc === 'neutron-server' && r.global_req === boot.requestId && r.msg === 'POST /v2.0/ports 201'), `neutron's port create:\n${byRequest.map((r) => JSON.stringify(r)).join('\n')}`);
    } finally {
      await p.stop();
    }
  });

  it('readable (not JSON) on a terminal', { skip: existsSync('/usr/bin/script') ? undefined : 'needs script(1) for a pseudo-terminal' }, async () => {
    const dataDir = join(root, 'tty');
    const cmd = [process.execPath, ...START_NODE_FLAGS, BUNDLE, 'up', '--data-dir', dataDir, '--identity-port', '0', '--image-port', '0', '--network-port', '0', '--compute-port', '0', '--metadata-port', '0'].join(' ');
    const child = spawn('/usr/bin/script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not up within 30 s:\n${out}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/Nimbus is up[^\n]*\n/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    // eslint-disable-next-line no-control-regex
    const line = out.split('\n').find((l) => l.includes('Nimbus is up'))!.replace(/\x1b\[[0-9;]*m|\r/g, '');
    assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Nimbus is up: keystone http:\/\/127\.0\.0\.1:\d+\/v3, glance /);
  });
});
