/**
 * Password hashing with PBKDF2-HMAC-SHA512, one of the algorithms keystone's
 * `password_hash_algorithm` offers (bcrypt, scrypt, pbkdf2_sha512). It needs no
 * working memory: scrypt's 16 MiB per hash stayed in the process's RSS for good after
 * the bootstrap hashed its five users. Stored as
 * "pbkdf2_sha512$<rounds>$<salt b64>$<hash b64>" so the cost can change later.
 */
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import type { Random } from '../common/clock.js';

/** passlib's default rounds for pbkdf2_sha512, which keystone uses. */
const ROUNDS = 25000;
const KEYLEN = 64;

function derive(password: string, salt: Buffer, rounds: number): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(password, salt, rounds, KEYLEN, 'sha512', (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hashes a password with a fresh salt from `random`. */
export async function hashPassword(password: string, random: Random): Promise<string> {
  const salt = random.bytes(16);
  const key = await derive(password, salt, ROUNDS);
  return `pbkdf2_sha512$${ROUNDS}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a malformed or missing hash. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== 'pbkdf2_sha512') return false;
  const [, rounds, salt, hash] = parts as [string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), Number(rounds));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
