/**
 * Acceptance (issue 9, KP): keypairs and server groups through the real clients —
 * `openstack keypair create|list|show|delete` (the SDK at 2.10), X.509 keypairs generated
 * and imported (`nova --os-compute-api-version 2.2 keypair-add --key-type x509`), `nova
 * keypair-add|list|show|delete`, and `openstack server group create --policy anti-affinity` with two
 * `openstack server create --hint group=<id>` that land on compute1 and compute2.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { neutron as neutronApi } from '../helpers/neutron.js';
import { fieldTable, listTable, nova, novaMissing, os, UUID } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKerkKTSgvFRD6qGz7jKTwNyqIBOU6vig8GkFkmxOZKJ me@host';
const ED_FP = 'aa:51:a9:6a:a7:79:e3:1e:2c:3c:69:01:f1:27:3a:4f';

describe('acceptance: keypairs and server groups (openstack, nova)', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let dir: string;
  let pub: string;
  let demoUser: string;

  before(async () => {
    cloud = await startTestCloud(FAST);
    dir = mkdtempSync(join(tmpdir(), 'nimbus-kp-'));
    pub = join(dir, 'id.pub');
    writeFileSync(pub, `${ED}\n`);
    const token = await cloud.token('demo');
    demoUser = (await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': token })).body.token.user.id;
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('openstack keypair create (import, generate) / list / show / delete', async () => {
    const k1 = fieldTable(await os(cloud, 'demo', 'keypair', 'create', '--public-key', pub, 'k1'));
    // OSC prints the SDK's Keypair (id is the name; created_at/is_deleted are not in a create's body).
    assert.deepEqual(k1, { created_at: 'None', fingerprint: ED_FP, id: 'k1', is_deleted: 'None', name: 'k1', type: 'ssh', user_id: demoUser });
    const generated = await os(cloud, 'demo', 'keypair', 'create', 'k2');
    assert.match(generated, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n/);
    const list = listTable(await os(cloud, 'demo', 'keypair', 'list'));
    assert.deepEqual(list.map((r) => [r.Name, r.Type]), [['k1', 'ssh'], ['k2', 'ssh']]);
    assert.equal(list[0]!.Fingerprint, ED_FP);
    const shown = fieldTable(await os(cloud, 'demo', 'keypair', 'show', 'k1'));
    assert.deepEqual(Object.keys(shown), ['created_at', 'fingerprint', 'id', 'is_deleted', 'name', 'private_key', 'type', 'user_id']);
    assert.match(shown.created_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.deepEqual({ ...shown, created_at: '' }, { created_at: '', fingerprint: ED_FP, id: 'k1', is_deleted: 'False', name: 'k1', private_key: 'None', type: 'ssh', user_id: demoUser });
    await os(cloud, 'demo', 'keypair', 'delete', 'k1', 'k2');
    const left = await cloud.api('demo', 'GET', `${cloud.urls.compute}/v2.1/os-keypairs`);
    assert.deepEqual(left.body.keypairs, []);
  });

  test('nova --os-compute-api-version 2.2 keypair-add --key-type x509: generated (PKCS#12 printed) and imported; openstack keypair show/list', async () => {
    // Not through `openstack keypair create --type x509`: the installed OSC hands the SDK
    // `key_type=`, which its Keypair resource (attribute `type`) drops, so the request
    // carries no type and nova generates an SSH key. novaclient sends the type.
    const p12 = (await nova(cloud, 'demo', '--os-compute-api-version', '2.2', 'keypair-add', '--key-type', 'x509', 'kx')).trim();
    assert.match(p12, /^MII[A-Za-z0-9+/]+=*$/);
    const pem = execFileSync('openssl', ['pkcs12', '-nodes', '-password', 'pass:'], { input: Buffer.from(p12, 'base64'), stdio: ['pipe', 'pipe', 'ignore'] }).toString();
    const key = createPrivateKey(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    const shown = fieldTable(await os(cloud, 'demo', 'keypair', 'show', 'kx'));
    assert.equal(shown.type, 'x509');
    const certPem = await os(cloud, 'demo', 'keypair', 'show', '--public-key', 'kx');
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, `CN=${demoUser}`);
    assert.ok(createPublicKey(key).equals(cert.publicKey), 'the PKCS#12 holds the key of the certificate');
    assert.equal(shown.fingerprint, cert.fingerprint.toLowerCase());

    // Importing that certificate (type x509 with a public key): nova's sha1 fingerprint, as openssl prints it.
    const certFile = join(dir, 'cert.pem');
    writeFileSync(certFile, certPem);
    await nova(cloud, 'demo', '--os-compute-api-version', '2.2', 'keypair-add', '--key-type', 'x509', '--pub-key', certFile, 'kximp');
    const sha1 = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', certFile]).toString().trim().replace(/^.*=/, '').toLowerCase();
    assert.deepEqual(listTable(await nova(cloud, 'demo', 'keypair-list')), [
      { Name: 'kx', Type: 'x509', Fingerprint: shown.fingerprint },
      { Name: 'kximp', Type: 'x509', Fingerprint: sha1 },
    ]);
    assert.deepEqual(listTable(await os(cloud, 'demo', 'keypair', 'list')).map((r) => [r.Name, r.Type]), [['kx', 'x509'], ['kximp', 'x509']]);
    await os(cloud, 'demo', 'keypair', 'delete', 'kx', 'kximp');
  });

  test('nova keypair-add / keypair-list / keypair-show / keypair-delete', async () => {
    await nova(cloud, 'demo', 'keypair-add', '--pub-key', pub, 'k3');
    const list = listTable(await nova(cloud, 'demo', 'keypair-list'));
    assert.deepEqual(list, [{ Name: 'k3', Type: 'ssh', Fingerprint: ED_FP }]);
    const shown = await nova(cloud, 'demo', 'keypair-show', 'k3');
    assert.match(shown, new RegExp(`\\| fingerprint \\| ${ED_FP} \\|`));
    assert.match(shown, /\| deleted {5}\| False {43}\|/);
    // novaclient sends the file as read, final newline included, and prints it back.
    assert.ok(shown.endsWith(`Public key: ${ED}\n\n`), shown);
    await nova(cloud, 'demo', 'keypair-delete', 'k3');
  });

  test('openstack server group create --policy anti-affinity; two servers with --hint group= land on compute1 and compute2', async () => {
    const n = neutronApi(cloud);
    const net = await n.network('demo', { name: 'net1' });
    await n.subnet('demo', net.id, '1.2.3.0/24', { name: 'sub1' });
    const g = fieldTable(await os(cloud, 'demo', 'server', 'group', 'create', '--policy', 'anti-affinity', 'g'));
    assert.match(g.id!, UUID);
    assert.equal(g.name, 'g');
    assert.deepEqual({ ...g, id: '', project_id: '' }, { id: '', members: '', name: 'g', policy: 'anti-affinity', project_id: '', rules: '', user_id: demoUser });
    const hosts: string[] = [];
    for (const name of ['vm1', 'vm2']) {
      const s = fieldTable(await os(cloud, 'demo', 'server', 'create', '--flavor', '100', '--image', 'cirros-0.6.2-x86_64-disk', '--network', 'net1', '--hint', `group=${g.id}`, '--wait', name));
      assert.equal(s.status, 'ACTIVE');
      hosts.push((await cloud.api('admin', 'GET', `${cloud.urls.compute}/v2.1/servers/${s.id}`)).body.server['OS-EXT-SRV-ATTR:host']);
    }
    assert.deepEqual(hosts.sort(), ['compute1', 'compute2']);
    const shown = fieldTable(await os(cloud, 'demo', 'server', 'group', 'show', 'g'));
    assert.deepEqual(Object.keys(shown), ['id', 'members', 'name', 'policy', 'project_id', 'rules', 'user_id']);
    assert.equal(shown.members!.split(/,\s*/).length, 2);
    await os(cloud, 'demo', 'server', 'delete', '--wait', 'vm1', 'vm2');
    await os(cloud, 'demo', 'server', 'group', 'delete', 'g');
    assert.deepEqual((await cloud.api('demo', 'GET', `${cloud.urls.compute}/v2.1/os-server-groups`)).body.server_groups, []);
  });
});
