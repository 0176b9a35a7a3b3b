/**
 * nova/crypto.py's keypair helpers: fingerprints as nova computes them (checked against
 * ssh-keygen -E md5 and openssl's sha1), what cryptography refuses to load, a
 * generated RSA keypair whose public half Node can read back, and a generated X.509
 * keypair (openssl, as nova) whose PKCS#12 holds the key of its certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateSshKeyPair, generateWinrmX509Cert, sshFingerprint, x509Fingerprint } from '../../src/compute/crypto.js';
import { InvalidKeypair } from '../../src/compute/errors.js';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKerkKTSgvFRD6qGz7jKTwNyqIBOU6vig8GkFkmxOZKJ me@host';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB9DCCAV2gAwIBAgIUUj5kccsGKgVYqt7sG2hLn5d2+gswDQYJKoZIhvcNAQEL\nBQAwDDEKMAgGA1UEAwwBeDAeFw0yNjExMzAwNDAwNTRaFw0yNjEyMDEwNDAwNTRa\nMAwxCjAIBgNVBAMMAXgwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMZcLfDg\n86JtTxiailtx3LhxQcST8gJodX64u1rDHQy/JYEghLir5PhAv6w3YcAl/2zE/4G+\ntVVRBfLgQfaFrIVx5XXw9A2V0MtHPit75jsCKjxibnYZsv9TbD3uFdAMqB41rfhS\n/72+GmRxaI4hQL/cIL66zpNJn/0VjPFd8+HxAgMBAAGjUzBRMB0GA1UdDgQWBBRh\n81GOTm+dJhpb1emy4f8o5sQJADAfBgNVHSMEGDAWgBRh81GOTm+dJhpb1emy4f8o\n5sQJADAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBAIHpRULTFy9H\nlldFVvrr0sl4AR24kSX+dtyO3DgAkxT+2EK/yicLsBZABlaveOwaZEoDfHzrSGCk\nf6bT7kGl0UtQLoGfotQAptfedLrhbpgwy6thQrDR0oDSNcTSN1qXhm+ymg1FhJXh\nCHTUzjAjNywInZYq6CuAkK4gh2YSJRRN\n-----END CERTIFICATE-----\n';

describe('compute crypto (nova/crypto.py)', () => {
  it('fingerprints an OpenSSH key as md5 colon hex of its blob', () => {
    assert.equal(sshFingerprint(ED), 'aa:51:a9:6a:a7:79:e3:1e:2c:3c:69:01:f1:27:3a:4f');
    assert.equal(sshFingerprint(ED.split(' ').slice(0, 2).join(' ')), 'aa:51:a9:6a:a7:79:e3:1e:2c:3c:69:01:f1:27:3a:4f');
  });

  it('refuses what cryptography cannot load: "failed to generate fingerprint"', () => {
    const bad = ['ssh-rsa AAAA', 'foo', `${ED.split(' ')[0]} ${ED.split(' ')[1]}AA==`, ED.replace('ssh-ed25519', 'ssh-rsa'), ` ${ED}`, ''];
    for (const k of bad) {
      assert.throws(() => sshFingerprint(k), (e: unknown) => e instanceof InvalidKeypair && e.message === 'Keypair data is invalid: failed to generate fingerprint', k);
    }
  });

  it('fingerprints an X.509 certificate as sha1 lower-case colon hex', () => {
    assert.equal(x509Fingerprint(PEM), 'fe:33:38:59:e6:18:08:a0:7a:2b:37:7d:76:78:d1:24:82:65:15:13');
    assert.throws(() => x509Fingerprint('garbage'), /^InvalidKeypair: Keypair data is invalid: failed to generate X509 fingerprint\. Error message: Unable to load PEM file/);
  });

  it('generates an RSA 2048 keypair as paramiko writes it', () => {
    const g = generateSshKeyPair();
    assert.match(g.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(g.publicKey, /^ssh-rsa AAAAB3NzaC1yc2E\S+ Generated-by-Nova$/);
    assert.equal(g.fingerprint, sshFingerprint(g.publicKey));
    const n = createPrivateKey(g.privateKey).export({ format: 'jwk' }).n!;
    assert.equal(Buffer.from(n, 'base64url').length, 256);
  });

  // nova (and Nimbus) make X.509 keypairs with the openssl command.
  const noOpenssl = spawnSync('openssl', ['version']).status === 0 ? false : 'no openssl command on this host';

  it('generates an X.509 keypair as generate_winrm_x509_cert: a PKCS#12 (base64) and its self-signed WinRM client certificate', { skip: noOpenssl }, async () => {
    const g = await generateWinrmX509Cert('6b1c3f0e9d2a4f5e8c7b0a1d2e3f4a5b');
    assert.match(g.publicKey, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const cert = new X509Certificate(g.publicKey);
    assert.equal(cert.subject, 'CN=6b1c3f0e9d2a4f5e8c7b0a1d2e3f4a5b');
    assert.equal(cert.issuer, cert.subject);
    assert.equal(cert.subjectAltName, 'othername:UPN:6b1c3f0e9d2a4f5e8c7b0a1d2e3f4a5b@localhost');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']); // extendedKeyUsage clientAuth
    assert.equal((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000, 3650);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(g.fingerprint, x509Fingerprint(g.publicKey));
    // The private key is the PKCS#12 bundle (empty password) of the certificate's key.
    const pem = execFileSync('openssl', ['pkcs12', '-nodes', '-password', 'pass:'], { input: Buffer.from(g.privateKey, 'base64'), stdio: ['pipe', 'pipe', 'ignore'] }).toString();
    const key = createPrivateKey(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    assert.ok(createPublicKey(key).equals(cert.publicKey));
    assert.ok(new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'))).fingerprint === cert.fingerprint);
  });

  it('keeps a user id that openssl\'s syntaxes give meaning to whole in the subject and the UPN', { skip: noOpenssl }, async () => {
    const odd = 'a/b+c,d$e"f\'g#h\\i';
    const cert = new X509Certificate((await generateWinrmX509Cert(odd, { bits: 1024 })).publicKey);
    assert.equal(cert.subject, 'CN=a/b\\+c\\,d$e\\"f\'g#h\\\\i');
    assert.equal(cert.subjectAltName, `othername:"UPN:a/b+c\\u002cd$e\\"f'g#h\\\\i@localhost"`);
  });

  it('refuses with InvalidKeypair what openssl cannot make (a CN over 64 characters)', { skip: noOpenssl }, async () => {
    await assert.rejects(generateWinrmX509Cert('x'.repeat(65), { bits: 1024 }), (e: unknown) => e instanceof InvalidKeypair && /^Keypair data is invalid: failed to generate X509 certificate: openssl exited with 1: .*string too long/.test(e.message));
  });

  it('says so when there is no openssl command', async () => {
    await assert.rejects(
      generateWinrmX509Cert('u', { openssl: '/nonexistent/openssl' }),
      (e: unknown) => e instanceof InvalidKeypair && e.message === 'Keypair data is invalid: failed to generate X509 certificate: x509 key generation needs the /nonexistent/openssl command, which was not found on this host',
    );
  });
});
