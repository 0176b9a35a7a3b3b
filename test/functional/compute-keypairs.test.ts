/**
 * os-keypairs over HTTP (issue 9, KP): create (import or generate), list with 2.35's
 * paging, show, delete, per microversion, with nova's statuses and texts; and a boot's
 * key_name, which the server view shows.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { sshFingerprint, x509Fingerprint } from '../../src/compute/crypto.js';

type User = 'admin' | 'demo';
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKerkKTSgvFRD6qGz7jKTwNyqIBOU6vig8GkFkmxOZKJ me@host';
const ED_FP = 'aa:51:a9:6a:a7:79:e3:1e:2c:3c:69:01:f1:27:3a:4f';

describe('compute: os-keypairs', () => {
  let cloud: TestCloud;
  const nova = (user: User, method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const fault = (r: { body: unknown }) => Object.values(r.body as Record<string, { code: number; message: string }>)[0]!;
  async function refused(r: Promise<{ status: number; body: unknown }>, status: number, message: string) {
    const res = await r;
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(fault(res), { code: status, message });
  }

  before(async () => {
    cloud = await startTestCloud();
  });
  after(() => cloud?.stop());

  it('imports a public key (201 at 2.2+) and shows it with nova\'s fields', async () => {
    const c = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'k1', public_key: ED } });
    assert.equal(c.status, 201);
    assert.deepEqual(Object.keys(c.body.keypair), ['type', 'name', 'public_key', 'fingerprint', 'user_id']);
    assert.equal(c.body.keypair.fingerprint, ED_FP);
    assert.equal(c.body.keypair.type, 'ssh');
    const s = await nova('demo', 'GET', '/os-keypairs/k1');
    assert.equal(s.status, 200);
    assert.deepEqual(Object.keys(s.body.keypair), ['name', 'public_key', 'fingerprint', 'user_id', 'created_at', 'deleted', 'deleted_at', 'id', 'updated_at', 'type']);
    assert.equal(s.body.keypair.deleted, false);
    assert.match(s.body.keypair.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const old = await nova('demo', 'GET', '/os-keypairs/k1', undefined, '2.1');
    assert.equal(old.body.keypair.type, undefined);
  });

  it('generates an RSA keypair below 2.92 and returns its private key; 2.1 answers 200', async () => {
    const g = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'gen' } }, '2.91');
    assert.equal(g.status, 201);
    assert.match(g.body.keypair.private_key, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(g.body.keypair.public_key, / Generated-by-Nova$/);
    assert.equal(g.body.keypair.fingerprint, sshFingerprint(g.body.keypair.public_key));
    const v21 = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'gen21' } }, '2.1');
    assert.equal(v21.status, 200);
    assert.deepEqual(Object.keys(v21.body.keypair), ['private_key', 'name', 'public_key', 'fingerprint', 'user_id']);
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'nokey' } }), 400, "Invalid input for field/attribute keypair. Value: {'name': 'nokey'}. 'public_key' is a required property");
  });

  it('refuses a duplicate name, a bad key and bad names with nova\'s texts', async () => {
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'k1', public_key: ED } }), 409, "Key pair 'k1' already exists.");
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'bad', public_key: 'ssh-rsa AAAA' } }), 400, 'Keypair data is invalid: failed to generate fingerprint');
    const only20 = '_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'a@b.c', public_key: ED } }, '2.91'), 400, `An invalid 'name' value was provided. The name must be: Only expected characters: [${only20}]`);
    const c = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'a@b.c', public_key: ED } }, '2.92');
    assert.equal(c.status, 201);
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'a/b', public_key: ED } }), 400, `An invalid 'name' value was provided. The name must be: Only expected characters: [@.${only20}]`);
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'x', public_key: ED, type: 'pgp' } }), 400, "Invalid input for field/attribute type. Value: pgp. 'pgp' is not one of ['ssh', 'x509']");
  });

  it('imports an X.509 certificate (type x509) with its sha1 fingerprint, and refuses one it cannot read', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB9DCCAV2gAwIBAgIUUj5kccsGKgVYqt7sG2hLn5d2+gswDQYJKoZIhvcNAQEL\nBQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMzAwNDAwNTRaFw0yNjEyMDEwNDAwNTRa\nMAwxCjAIBgNVBAMMAXgwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMZcLfDg\n86JtTxiailtx3LhxQcST8gJodX64u1rDHQy/JYEghLir5PhAv6w3YcAl/2zE/4G+\ntVVRBfLgQfaFrIVx5XXw9A2V0MtHPit75jsCKjxibnYZsv9TbD3uFdAMqB41rfhS\n/72+GmRxaI4hQL/cIL66zpNJn/0VjPFd8+HxAgMBAAGjUzBRMB0GA1UdDgQWBBRh\n81GOTm+dJhpb1emy4f8o5sQJADAfBgNVHSMEGDAWgBRh81GOTm+dJhpb1emy4f8o\n5sQJADAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBAIHpRULTFy9H\nlldFVvrr0sl4AR24kSX+dtyO3DgAkxT+2EK/yicLsBZABlaveOwaZEoDfHzrSGCk\nf6bT7kGl0UtQLoGfotQAptfedLrhbpgwy6thQrDR0oDSNcTSN1qXhm+ymg1FhJXh\nCHTUzjAjNywInZYq6CuAkK4gh2YSJRRN\n-----END CERTIFICATE-----\n';
    const c = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'cert', type: 'x509', public_key: pem } }, '2.2');
    assert.equal(c.status, 201);
    assert.equal(c.body.keypair.type, 'x509');
    assert.equal(c.body.keypair.fingerprint, 'fe:33:38:59:e6:18:08:a0:7a:2b:37:7d:76:78:d1:24:82:65:15:13');
    await refused(
      nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'badcert', type: 'x509', public_key: 'garbage' } }),
      400,
      'Keypair data is invalid: failed to generate X509 fingerprint. Error message: Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming',
    );
    assert.equal((await nova('demo', 'DELETE', '/os-keypairs/cert')).status, 204);
  });

  it('generates an X.509 keypair (type x509, no public_key) from 2.2: certificate for the owner, PKCS#12 private key', async () => {
    // Regression for Tempest's KeyPairsV22TestJSON.test_keypairsv22_create_list_show_with_type:
    // this answered 400 "x509 key generation is not supported".
    const g = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'x509gen', type: 'x509' } }, '2.2');
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.deepEqual(Object.keys(g.body.keypair), ['private_key', 'type', 'name', 'public_key', 'fingerprint', 'user_id']);
    assert.equal(g.body.keypair.type, 'x509');
    const cert = new X509Certificate(g.body.keypair.public_key);
    assert.equal(cert.subject, `CN=${g.body.keypair.user_id}`);
    assert.equal(cert.subjectAltName, `othername:UPN:${g.body.keypair.user_id}@localhost`);
    assert.equal(g.body.keypair.fingerprint, x509Fingerprint(g.body.keypair.public_key));
    assert.match(g.body.keypair.private_key, /^MII[A-Za-z0-9+/]+=*$/); // base64 of a DER PKCS#12
    const listed = (await nova('demo', 'GET', '/os-keypairs', undefined, '2.2')).body.keypairs.find((k: { keypair: { name: string } }) => k.keypair.name === 'x509gen');
    assert.deepEqual(listed.keypair, { name: 'x509gen', public_key: g.body.keypair.public_key, fingerprint: g.body.keypair.fingerprint, type: 'x509' });
    const shown = (await nova('demo', 'GET', '/os-keypairs/x509gen', undefined, '2.2')).body.keypair;
    assert.equal(shown.type, 'x509');
    assert.equal(shown.public_key, g.body.keypair.public_key);
    // An admin generating for another user (2.10) makes the certificate for that user.
    const other = (await nova('demo', 'GET', '/os-keypairs/x509gen')).body.keypair.user_id as string;
    const forDemo = await nova('admin', 'POST', '/os-keypairs', { keypair: { name: 'x509demo', type: 'x509', user_id: other } }, '2.91');
    assert.equal(forDemo.status, 201);
    assert.equal(new X509Certificate(forDemo.body.keypair.public_key).subject, `CN=${other}`);
    // 2.92 generates nothing, x509 or not.
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'x509new', type: 'x509' } }), 400, "Invalid input for field/attribute keypair. Value: {'name': 'x509new', 'type': 'x509'}. 'public_key' is a required property");
    assert.equal((await nova('demo', 'DELETE', '/os-keypairs/x509gen')).status, 204);
    assert.equal((await nova('admin', 'DELETE', `/os-keypairs/x509demo?user_id=${other}`)).status, 204);
  });

  it('takes an empty user_id (2.10) as the caller, as nova\'s `user_id or context.user_id`', async () => {
    const c = await nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'emptyuser', public_key: ED, user_id: '' } });
    assert.equal(c.status, 201);
    const me = (await nova('demo', 'GET', '/os-keypairs/k1')).body.keypair.user_id as string;
    assert.equal(c.body.keypair.user_id, me);
    assert.equal((await nova('demo', 'DELETE', '/os-keypairs/emptyuser')).status, 204);
  });

  it('lists by name with limit/marker and a next link (2.35), and refuses an unknown marker', async () => {
    const all = await nova('demo', 'GET', '/os-keypairs');
    const names = all.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(Object.keys(all.body.keypairs[0].keypair), ['name', 'public_key', 'fingerprint', 'type']);
    const page = await nova('demo', 'GET', '/os-keypairs?limit=1');
    assert.equal(page.body.keypairs.length, 1);
    assert.match(page.body.keypairs_links[0].href, new RegExp(`/v2\\.1/os-keypairs\\?limit=1&marker=${encodeURIComponent(names[0])}$`));
    const next = await nova('demo', 'GET', `/os-keypairs?marker=${encodeURIComponent(names[0])}`);
    assert.deepEqual(next.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name), names.slice(1));
    await refused(nova('demo', 'GET', '/os-keypairs?marker=nope'), 400, 'Marker nope could not be found.');
    await refused(nova('demo', 'GET', '/os-keypairs?foo=1'), 400, "Additional properties are not allowed ('foo' was unexpected)");
  });

  it('lets an admin act for another user (2.10) and refuses a member doing so', async () => {
    const demoUser = (await nova('demo', 'GET', '/os-keypairs/k1')).body.keypair.user_id as string;
    const a = await nova('admin', 'POST', '/os-keypairs', { keypair: { name: 'forDemo', public_key: ED, user_id: demoUser } });
    assert.equal(a.status, 201);
    assert.equal(a.body.keypair.user_id, demoUser);
    const shown = await nova('admin', 'GET', `/os-keypairs/forDemo?user_id=${demoUser}`);
    assert.equal(shown.status, 200);
    await refused(nova('admin', 'GET', '/os-keypairs/forDemo'), 404, `Keypair forDemo not found for user ${(await nova('admin', 'POST', '/os-keypairs', { keypair: { name: 'adm', public_key: ED } })).body.keypair.user_id}`);
    await refused(nova('demo', 'GET', '/os-keypairs?user_id=someone'), 403, "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.");
    assert.equal((await nova('admin', 'DELETE', `/os-keypairs/forDemo?user_id=${demoUser}`)).status, 204);
  });

  it('deletes with 204 (202 at 2.1) and answers 404 for a missing keypair', async () => {
    assert.equal((await nova('demo', 'DELETE', '/os-keypairs/gen')).status, 204);
    assert.equal((await nova('demo', 'DELETE', '/os-keypairs/gen21', undefined, '2.1')).status, 202);
    const demoUser = (await nova('demo', 'GET', '/os-keypairs/k1')).body.keypair.user_id as string;
    await refused(nova('demo', 'DELETE', '/os-keypairs/gen'), 404, `Keypair gen not found for user ${demoUser}`);
  });

  it('enforces the key_pairs quota: 403 "Quota exceeded, too many key pairs."', async () => {
    const used = (await nova('demo', 'GET', '/os-keypairs')).body.keypairs.length as number;
    const projectId = await demoProjectId();
    assert.equal((await nova('admin', 'PUT', `/os-quota-sets/${projectId}`, { quota_set: { key_pairs: used } })).status, 200);
    await refused(nova('demo', 'POST', '/os-keypairs', { keypair: { name: 'over', public_key: ED } }), 403, 'Quota exceeded, too many key pairs.');
    await nova('admin', 'DELETE', `/os-quota-sets/${projectId}`);
  });

  async function demoProjectId(): Promise<string> {
    const t = await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': await cloud.token('demo') });
    return t.body.token.project.id as string;
  }
});
