/**
 * nova/crypto.py, the parts os-keypairs needs: the fingerprint of an OpenSSH public key
 * (md5 of the key blob, colon-separated hex), of an X.509 certificate (sha1 of the DER),
 * a generated SSH keypair (paramiko's RSA 2048: a PKCS#1 PEM private key and
 * "ssh-rsa <blob> Generated-by-Nova"), and a generated X.509 keypair (a self-signed
 * WinRM client certificate made by the `openssl` command, as nova makes it).
 */
import { spawn } from 'node:child_process';
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidKeypair } from './errors.js';

const colonHex = (hex: string) => hex.match(/../g)!.join(':');

/** Reads the SSH wire format's length-prefixed fields (RFC 4251 string/mpint). */
class SshReader {
  #at = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.#at + 4 > this.buf.length) throw new Error('truncated');
    const n = this.buf.readUInt32BE(this.#at);
    const end = this.#at + 4 + n;
    if (end > this.buf.length) throw new Error('truncated');
    const out = this.buf.subarray(this.#at + 4, end);
    this.#at = end;
    return out;
  }
  done(): boolean {
    return this.#at === this.buf.length;
  }
}

/** How many fields follow the type name in each key type cryptography loads. */
const SSH_KEY_FIELDS: Record<string, number> = {
  'ssh-rsa': 2,
  'ssh-dss': 4,
  'ssh-ed25519': 1,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
};

/** True when `publicKey` is an OpenSSH public key cryptography's load_ssh_public_key accepts. */
function loadsAsSshKey(publicKey: string): boolean {
  // cryptography's _SSH_PUBKEY_RC: no leading blank, type and key separated by blanks.
  const m = /^(\S+)[ \t]+(\S+)/.exec(publicKey);
  if (!m) return false;
  const [, type, b64] = m as unknown as [string, string, string];
  const fields = SSH_KEY_FIELDS[type];
  if (fields === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  try {
    const r = new SshReader(Buffer.from(b64, 'base64'));
    if (r.string().toString('latin1') !== type) return false;
    const values = Array.from({ length: fields }, () => r.string());
    if (type === 'ssh-ed25519' && values[0]!.length !== 32) return false;
    if (type.startsWith('ecdsa-') && values[0]!.toString('latin1') !== type.slice('ecdsa-sha2-'.length)) return false;
    return r.done();
  } catch {
    return false;
  }
}

/** crypto.generate_fingerprint; throws InvalidKeypair "failed to generate fingerprint". */
export function sshFingerprint(publicKey: string): string {
  // nova hashes split(' ')[1] after the key loaded, so single spaces are what count.
  const blob = publicKey.split(' ')[1];
  if (!loadsAsSshKey(publicKey) || blob === undefined) throw new InvalidKeypair('failed to generate fingerprint');
  return colonHex(createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex'));
}

/** crypto.generate_x509_fingerprint: sha1 of the certificate, lower-case colon hex. */
export function x509Fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch {
    // cryptography 38's text for what it cannot read as PEM (Node's own differs).
    throw new InvalidKeypair(
      'failed to generate X509 fingerprint. Error message: Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming',
    );
  }
}

/** ssh_string(s): a length-prefixed field. */
function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An mpint: big-endian, with a 0 byte in front when the high bit is set. */
function sshMpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** crypto.generate_key_pair: an RSA keypair (2048 bits), as paramiko writes it. */
export function generateSshKeyPair(bits = 2048): { privateKey: string; publicKey: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), sshMpint(Buffer.from(jwk.e!, 'base64url')), sshMpint(Buffer.from(jwk.n!, 'base64url'))]);
  const pub = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return { privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, publicKey: pub, fingerprint: sshFingerprint(pub) };
}

/** A generated keypair as nova's create_key_pair returns it. */
export interface GeneratedKeyPair {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

/** openssl's -subj syntax: slashes, pluses and backslashes in a value are escaped with a backslash. */
const subjectValue = (s: string) => s.replace(/[\\/+]/g, '\\$&');

/** An openssl config value: its quote, comment, variable and escape characters escaped. */
const confValue = (s: string) => s.replace(/[\\"'#$]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/**
 * _create_x509_openssl_config's file. The subjectAltName is written as a section
 * (`@upn`) rather than nova's inline form so that a comma in the user id cannot split
 * it; the certificate is the same.
 */
function x509OpensslConfig(upn: string): string {
  return (
    'distinguished_name  = req_distinguished_name\n' +
    '[req_distinguished_name]\n' +
    '[v3_req_client]\n' +
    'extendedKeyUsage = clientAuth\n' +
    'subjectAltName = @upn\n' +
    '[upn]\n' +
    `otherName = 1.3.6.1.4.1.311.20.2.3;UTF8:${confValue(upn)}\n`
  );
}

/** Why an openssl run failed, in words for the InvalidKeypair reason. */
class OpensslFailed extends Error {}

/** Runs `binary args`, feeding `input` on stdin; resolves to stdout, rejects with OpensslFailed. */
function runOpenssl(binary: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      // An argument Node cannot pass (a NUL byte in the user id).
      reject(new OpensslFailed((e as Error).message));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {}); // openssl may exit before reading; its status says why.
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new OpensslFailed(e.code === 'ENOENT' ? `x509 key generation needs the ${binary} command, which was not found on this host` : e.message)),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      const lines = Buffer.concat(err).toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      reject(new OpensslFailed(`${binary} exited with ${code}: ${lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no message'}`));
    });
    child.stdin.end(input);
  });
}

/**
 * crypto.generate_winrm_x509_cert: a self-signed client certificate (CN=<user id>, UPN
 * subjectAltName <user id>@localhost, extendedKeyUsage clientAuth, ten years) over a
 * new RSA key, made as nova makes it with `openssl req -x509 -nodes` and bundled with
 * its key by `openssl pkcs12 -export` under an empty password. Node's crypto cannot
 * sign a certificate, so the openssl command is run as nova runs it.
 * Returns the PKCS#12 in base64 as the private key, the PEM certificate as the public
 * key, and its sha1 fingerprint. Throws InvalidKeypair when openssl is missing or
 * refuses the user id (nova answers 500 then; a client's input yields no 5xx here).
 */
export async function generateWinrmX509Cert(userId: string, opts: { bits?: number; openssl?: string } = {}): Promise<GeneratedKeyPair> {
  const binary = opts.openssl ?? 'openssl';
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-x509-'));
  try {
    const keyfile = join(dir, 'temp.key');
    const conffile = join(dir, 'temp.conf');
    await writeFile(conffile, x509OpensslConfig(`${userId}@localhost`));
    // openssl writes the key file with a umask-dependent mode; the directory is private (0700).
    const cert = await runOpenssl(binary, ['req', '-x509', '-nodes', '-days', '3650', '-config', conffile, '-newkey', `rsa:${opts.bits ?? 2048}`, '-outform', 'PEM', '-keyout', keyfile, '-subj', `/CN=${subjectValue(userId)}`, '-extensions', 'v3_req_client']);
    const pkcs12 = await runOpenssl(binary, ['pkcs12', '-export', '-inkey', keyfile, '-password', 'pass:'], cert);
    const certificate = cert.toString('utf8');
    return { privateKey: pkcs12.toString('base64'), publicKey: certificate, fingerprint: x509Fingerprint(certificate) };
  } catch (e) {
    if (e instanceof OpensslFailed) throw new InvalidKeypair(`failed to generate X509 certificate: ${e.message}`);
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
