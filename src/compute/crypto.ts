/**
 * nova/crypto.py, the parts os-keypairs needs: the fingerprint of an OpenSSH public key
 * (md5 of the key blob, colon-separated hex), of an X.509 certificate (sha1 of the DER),
 * and a generated keypair (paramiko's RSA 2048: a PKCS#1 PEM private key and
 * "ssh-rsa <blob> Generated-by-Nova").
 */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
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
