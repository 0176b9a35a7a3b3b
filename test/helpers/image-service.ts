/**
 * The image service alone over HTTP for functional tests: a temp SQLite file and data
 * dir, a fake clock, and a fake token validator with fixed tokens — ADMIN (admin role,
 * project A), MEMBER (member role, project B), OTHER (member role, project C) — driven
 * with fetch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenInfo, TokenValidator } from '../../src/common/auth.js';
import { AuthenticationRequired } from '../../src/common/auth.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { listen } from '../../src/common/http.js';
import { silentLogger } from '../../src/common/log.js';
import { openDatabase, type Db } from '../../src/db/database.js';
import type { ImageDB } from '../../src/image/db/tables.js';
import type { ImageQuotas } from '../../src/image/model.js';
import { ImageService } from '../../src/image/service.js';

export const PROJECT_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const PROJECT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
export const PROJECT_C = 'cccccccccccccccccccccccccccccccc';

export type ImageToken = 'ADMIN' | 'MEMBER' | 'OTHER';

function token(projectId: string, projectName: string, role: string): TokenInfo {
  return {
    userId: `user-${projectName}`,
    userName: projectName,
    userDomainId: 'default',
    userDomainName: 'Default',
    projectId,
    projectName,
    projectDomainId: 'default',
    projectDomainName: 'Default',
    roles: [{ id: role, name: role }],
    methods: ['password'],
    auditIds: ['x'],
    issuedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

const fakeValidator: TokenValidator = {
  async validate(t) {
    if (t === 'ADMIN') return token(PROJECT_A, 'admin', 'admin');
    if (t === 'MEMBER') return token(PROJECT_B, 'demo', 'member');
    if (t === 'OTHER') return token(PROJECT_C, 'other', 'member');
    throw new AuthenticationRequired();
  },
};

export interface CallOptions {
  /** A fixed token, or null for none; ADMIN by default. */
  token?: ImageToken | null;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: Buffer;
}

export interface CallResult {
  status: number;
  headers: Headers;
  buf: Buffer;
  json: any;
}

export interface ImageTestService {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The service's data directory (image files live under images/). */
  dataDir: string;
  clock: FakeClock;
  service: ImageService;
  /** Calls the API (Accept: application/json); `json` is the parsed body when it is JSON. */
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>;
  /** Creates an image and answers its wire form (fails the test unless 201). */
  create(body: Record<string, unknown>, tok?: ImageToken): Promise<any>;
  close(): Promise<void>;
}

/** Starts the service on a free port of 127.0.0.1 with a fresh data dir. */
export async function startImageService(quotas?: ImageQuotas): Promise<ImageTestService> {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-image-'));
  const cfg = loadConfig({ overrides: { DEFAULT: { data_dir: dir } } });
  const db: Db<ImageDB> = openDatabase<ImageDB>(join(dir, 'image.sqlite'));
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 23, 38, 45));
  const service = new ImageService({
    cfg,
    log: silentLogger(),
    clock,
    random: seededRandom(7),
    db,
    validator: fakeValidator,
    bootstrapOwner: PROJECT_A,
    ...(quotas ? { quotas } : {}),
  });
  await service.init();
  const port = await listen(service.app, '127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;

  async function call(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (opts.token !== null) headers['x-auth-token'] = opts.token ?? 'ADMIN';
    let body: Uint8Array | string | undefined;
    if (opts.raw) body = new Uint8Array(opts.raw);
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers, body: body as BodyInit | undefined });
    const buf = Buffer.from(await res.arrayBuffer());
    const ct = res.headers.get('content-type') ?? '';
    const json = ct.startsWith('application/json') && buf.length ? JSON.parse(buf.toString()) : undefined;
    return { status: res.status, headers: res.headers, buf, json };
  }

  return {
    base,
    dataDir: dir,
    clock,
    service,
    call,
    async create(body, tok = 'ADMIN') {
      const r = await call('POST', '/v2/images', { token: tok, body });
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.buf.toString()}`);
      return r.json;
    },
    async close() {
      await service.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
