/**
 * Starts the embedded cloud for a test: a fresh temp data dir, every API on a free
 * port of 127.0.0.1, silent logs; plus small HTTP helpers that authenticate as the
 * bootstrapped admin or demo user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, startCloud } from '../../src/cloud.js';
import type { Clock } from '../../src/common/clock.js';
import { type DeepPartial, type Config, loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';

export interface TestCloud extends Cloud {
  dataDir: string;
  /** A token for admin (project admin) or demo (project demo). */
  token(user: 'admin' | 'demo'): Promise<string>;
  /** Calls an API with a user's token; resolves to status and parsed JSON body (or text). */
  api(user: 'admin' | 'demo' | null, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Environment for the real CLI clients (OS_* of the openrc file). */
  env(user: 'admin' | 'demo'): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a cloud on a fresh temp data dir, or on overrides.DEFAULT.data_dir when given:
 * a restart on a previous cloud's state (close() that one first: SQLite is opened in
 * exclusive mode). stop() closes and removes the data dir; close() only closes.
 */
export async function startTestCloud(overrides: DeepPartial<Config> = {}, clock?: Clock): Promise<TestCloud> {
  const dataDir = overrides.DEFAULT?.data_dir ?? mkdtempSync(join(tmpdir(), 'nimbus-test-'));
  const cfg = loadConfig({
    overrides: {
      ...overrides,
      DEFAULT: { data_dir: dataDir, log_level: 'silent', ...(overrides.DEFAULT ?? {}) },
      identity: { port: 0, ...(overrides.identity ?? {}) },
      image: { port: 0, ...(overrides.image ?? {}) },
      network: { port: 0, ...(overrides.network ?? {}) },
      compute: { port: 0, ...(overrides.compute ?? {}) },
      metadata: { port: 0, ...(overrides.metadata ?? {}) },
    },
  });
  const cloud = await startCloud({ cfg, log: silentLogger(), clock });
  const tokens = new Map<string, string>();
  const token = async (user: 'admin' | 'demo') => {
    let t = tokens.get(user);
    if (!t) {
      t = (await cloud.identity.issueToken(user, user === 'admin' ? cfg.identity.admin_password : cfg.identity.demo_password, user)).token;
      tokens.set(user, t);
    }
    return t;
  };
  return Object.assign(cloud, {
    dataDir,
    token,
    async api(user: 'admin' | 'demo' | null, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
      const h: Record<string, string> = { accept: 'application/json', ...headers };
      if (user) h['x-auth-token'] = await token(user);
      let payload: string | undefined;
      if (body !== undefined) {
        h['content-type'] ??= 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(url, { method, headers: h, body: payload });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    env(user: 'admin' | 'demo') {
      return {
        OS_AUTH_URL: `${cloud.urls.identity}/v3`,
        OS_USERNAME: user,
        OS_PASSWORD: user === 'admin' ? cfg.identity.admin_password : cfg.identity.demo_password,
        OS_PROJECT_NAME: user,
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_IDENTITY_API_VERSION: '3',
        OS_REGION_NAME: cfg.DEFAULT.region,
        OS_INTERFACE: 'public',
      };
    },
    async stop() {
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
