/**
 * Acceptance (issue 9): the seed's `nova boot` options mean what they mean in nova —
 * `--key-name`, `--security-groups`, `--meta`, `--user-data`, `--availability-zone`,
 * `--hint`, `--min-count/--max-count` and `--config-drive` in one boot, each checked on
 * the servers (and their ports in neutron); and nova's 400s for an unknown key name,
 * security group and availability zone as novaclient prints them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, NOVA, nova, novaMissing, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKerkKTSgvFRD6qGz7jKTwNyqIBOU6vig8GkFkmxOZKJ me@host';
const USER_DATA = '#!/bin/sh\necho hello\n';

describe('acceptance: nova boot with the seed options', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let dir: string;
  let netId: string;
  let imageId: string;
  const compute = (user: 'admin' | 'demo', path: string, mv = '2.92') => cloud.api(user, 'GET', `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': `compute ${mv}` });
  const server = async (name: string) => {
    const found = (await compute('demo', `/servers?name=^${name}$`)).body.servers;
    assert.equal(found.length, 1, `one server named ${name}`);
    return waitFor(`${name} ACTIVE`, async () => {
      const s = (await compute('admin', `/servers/${found[0].id}`)).body.server;
      if (s.status === 'ERROR') throw new Error(`${name} went to ERROR: ${JSON.stringify(s.fault)}`);
      return s.status === 'ACTIVE' ? s : undefined;
    });
  };
  const boot = (...args: string[]) => ['boot', '--flavor', '100', '--image', imageId, '--nic', `net-id=${netId}`, ...args];

  before(async () => {
    cloud = await startTestCloud(FAST);
    dir = mkdtempSync(join(tmpdir(), 'nimbus-boot-'));
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.0.0.0/24', ip_version: 4 } });
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/security-groups`, { security_group: { name: 'web' } });
    await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/os-keypairs`, { keypair: { name: 'k1', public_key: ED } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--key-name --security-groups --meta --user-data --availability-zone --config-drive --min-count 2 --max-count 2', async () => {
    const file = join(dir, 'user-data');
    writeFileSync(file, USER_DATA);
    await nova(cloud, 'demo', ...boot('--key-name', 'k1', '--security-groups', 'web,default', '--meta', 'role=db', '--meta', 'tier=1', '--user-data', file, '--availability-zone', 'nova', '--config-drive', 'true', '--min-count', '2', '--max-count', '2', 'vm'));
    // nova names the servers of one multiple create <name>-<n>, and their hostnames too.
    for (const name of ['vm-1', 'vm-2']) {
      const s = await server(name);
      assert.equal(s.key_name, 'k1');
      assert.deepEqual(s.security_groups.map((g: { name: string }) => g.name).sort(), ['default', 'web']);
      assert.deepEqual(s.metadata, { role: 'db', tier: '1' });
      assert.equal(s['OS-EXT-SRV-ATTR:user_data'], Buffer.from(USER_DATA).toString('base64'));
      assert.equal(s['OS-EXT-SRV-ATTR:hostname'], name);
      assert.equal(s['OS-EXT-AZ:availability_zone'], 'nova');
      assert.equal(s.config_drive, 'True');
      const ports = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${s.id}`)).body.ports;
      assert.equal(ports.length, 1);
      const groups = (await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/security-groups`)).body.security_groups;
      const names = ports[0].security_groups.map((id: string) => groups.find((g: { id: string }) => g.id === id).name).sort();
      assert.deepEqual(names, ['default', 'web']);
    }
  });

  test('--hint different_host / same_host place the server against the named one', async () => {
    const vm1 = await server('vm-1');
    await nova(cloud, 'demo', ...boot('--hint', `different_host=${vm1.id}`, 'apart'));
    await nova(cloud, 'demo', ...boot('--hint', `same_host=${vm1.id}`, 'together'));
    const host = async (name: string) => (await server(name))['OS-EXT-SRV-ATTR:host'];
    assert.notEqual(await host('apart'), vm1['OS-EXT-SRV-ATTR:host']);
    assert.equal(await host('together'), vm1['OS-EXT-SRV-ATTR:host']);
  });

  test("an unknown key name, security group or availability zone: nova's 400 as novaclient prints it", async () => {
    const refused = async (args: string[], message: string) => {
      const r = await cli(cloud, 'demo', NOVA, boot(...args));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`^(nova CLI is deprecated.*\\n)?ERROR \\(BadRequest\\): ${message.replace(/[.()']/g, '\\$&')} \\(HTTP 400\\) \\(Request-ID: req-[0-9a-f-]{36}\\)\\n$`));
    };
    await refused(['--key-name', 'nope', 'bad1'], 'Invalid key_name provided.');
    // security_group_api.validate_name passes neutronclient's text on.
    await refused(['--security-groups', 'nope', 'bad2'], "Unable to find security_group with name or id 'nope'");
    await refused(['--availability-zone', 'nope', 'bad3'], 'The requested availability zone is not available');
    assert.deepEqual((await compute('demo', '/servers?name=^bad')).body.servers, [], 'a refused boot leaves no server');
  });
});
