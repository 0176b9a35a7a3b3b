/**
 * Time and randomness, injected everywhere so tests can drive heartbeats, retry waits
 * and timeouts without sleeping. This is the only module allowed to call Date.now,
 * setTimeout or Math.random (the lint rule in eslint.config.js says so).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs fn after ms; the handle cancels it. Timers never keep the process alive. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Resolves after ms. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that moves only when told to: `advance(ms)` fires every timer due. */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  #seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.#now + ms, seq: this.#seq++, fn, live: true };
    this.#timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }
  /** Moves time forward, firing due timers in order and letting their promise chains run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const due = this.#timers
        .filter((t) => t.live && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#timers = this.#timers.filter((t) => t.live);
    this.#now = target;
    await new Promise((r) => setImmediate(r));
  }
  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }
}

export interface Random {
  uuid(): string;
  /** n random bytes. */
  bytes(n: number): Buffer;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * Cryptographic random bytes served from a pool refilled 4 KiB at a time: span and
 * request ids take a few bytes each, thousands of times a second, and one getrandom per
 * id costs more than the id (randomUUID pools the same way).
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;
function pooledBytes(n: number): Buffer {
  if (n > POOL_SIZE / 4) return randomBytes(n);
  if (poolAt + n > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  // A copy: the caller owns its bytes, and the pool's are never handed out twice.
  const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
  poolAt += n;
  return out;
}

export const systemRandom: Random = {
  uuid: () => randomUUID(),
  bytes: pooledBytes,
  int: (n) => Math.floor(Math.random() * n),
};

/** A deterministic generator (mulberry32) for tests. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
  return {
    bytes,
    int: (n) => Math.floor(next() * n),
    uuid: () => {
      const b = bytes(16);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}

/** OpenStack's timestamp form: seconds precision, Z suffix ("2026-11-23T23:38:50Z"). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Keystone's form with microseconds ("2026-11-24T00:39:15.000000Z"). */
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A 32-hex-digit id as keystone uses for projects, users and roles. */
export function hexId(random: Random): string {
  return random.bytes(16).toString('hex');
}
