/**
 * Token format: base64url(JSON payload) "." base64url(HMAC-SHA256). Like keystone's
 * fernet tokens they are not stored: anything holding the key can validate them, and
 * revocation is by events (tokens/revocations.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Random } from '../../common/clock.js';

/** What a token carries; names are resolved at validation time. */
export interface TokenPayload {
  userId: string;
  /** null for an unscoped token. */
  projectId: string | null;
  methods: string[];
  /** The token's own audit id first, then its parent's (keystone's audit chain). */
  auditIds: string[];
  /** Epoch ms, whole seconds (keystone's fernet tokens keep seconds only). */
  issuedAt: number;
  expiresAt: number;
}

interface Wire {
  v: 1;
  u: string;
  p: string | null;
  m: string[];
  a: string[];
  i: number;
  e: number;
}

/** Signs and verifies tokens with one HMAC key. */
export class TokenSigner {
  constructor(private readonly key: Buffer) {}

  /** Reads the key at `path`, creating a 32-byte one (mode 0600) on first start. */
  static loadOrCreate(path: string, random: Random): TokenSigner {
    if (existsSync(path)) {
      const hex = readFileSync(path, 'utf8').trim();
      if (/^[0-9a-f]{64}$/.test(hex)) return new TokenSigner(Buffer.from(hex, 'hex'));
      throw new Error(`token key ${path} is not 64 hex digits`);
    }
    mkdirSync(dirname(path), { recursive: true });
    const key = random.bytes(32);
    writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
    return new TokenSigner(key);
  }

  sign(p: TokenPayload): string {
    const wire: Wire = { v: 1, u: p.userId, p: p.projectId, m: p.methods, a: p.auditIds, i: p.issuedAt, e: p.expiresAt };
    const body = Buffer.from(JSON.stringify(wire)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The payload, or null when the token is malformed or its signature is wrong. Expiry is not checked here. */
  verify(token: string): TokenPayload | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
    const body = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const want = this.mac(body);
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return null;
    try {
      const w = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Wire;
      if (w.v !== 1 || typeof w.u !== 'string' || !Array.isArray(w.m) || !Array.isArray(w.a)) return null;
      return { userId: w.u, projectId: w.p, methods: w.m, auditIds: w.a, issuedAt: w.i, expiresAt: w.e };
    } catch {
      return null;
    }
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
