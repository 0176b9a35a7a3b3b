import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthenticationRequired } from '../../src/common/auth.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { openDatabase } from '../../src/db/database.js';
import { TokenSigner } from '../../src/identity/tokens/signer.js';
import { IdentityService, type IdentityDB } from '../../src/identity/service.js';

describe('identity token signer', () => {
  const payload = { userId: 'u', projectId: 'p', methods: ['password'], auditIds: ['a'], issuedAt: 1000, expiresAt: 2000 };

  it('round-trips a payload and rejects tampering or another key', () => {
    const s = new TokenSigner(Buffer.alloc(32, 1));
    const t = s.sign(payload);
    assert.deepEqual(s.verify(t), payload);
    const [body, sig] = t.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 1, u: 'admin', p: 'p', m: ['password'], a: ['a'], i: 1000, e: 9e15 })).toString('base64url');
    assert.equal(s.verify(`${forged}.${sig}`), null);
    assert.equal(s.verify(`${body}.${sig.slice(0, -2)}AA`), null);
    assert.equal(new TokenSigner(Buffer.alloc(32, 2)).verify(t), null);
    assert.equal(s.verify('garbage'), null);
  });

  it('creates the key once, mode 0600, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-key-'));
    try {
      const path = join(dir, 'identity-token.key');
      const a = TokenSigner.loadOrCreate(path, seededRandom(1));
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const key = readFileSync(path, 'utf8');
      const b = TokenSigner.loadOrCreate(path, seededRandom(2));
      assert.equal(readFileSync(path, 'utf8'), key);
      assert.deepEqual(b.verify(a.sign(payload)), payload);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('identity token validation (FakeClock)', () => {
  let dir: string;
  let clock: FakeClock;
  let svc: IdentityService;
  let db: ReturnType<typeof openDatabase<IdentityDB>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-identity-'));
    clock = new FakeClock();
    db = openDatabase<IdentityDB>('sqlite://:memory:');
    const cfg = loadConfig({ overrides: { DEFAULT: { data_dir: dir }, identity: { token_expiration: 600 } } });
    svc = new IdentityService({ cfg, log: silentLogger(), clock, random: seededRandom(7), db, catalog: [] });
    await svc.init();
  });
  after(async () => {
    await svc.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a scoped token carrying user, project, implied roles and times', async () => {
    const { token, info } = await svc.issueToken('demo', 'demo', 'demo');
    assert.equal(info.userName, 'demo');
    assert.equal(info.projectName, 'demo');
    assert.deepEqual(info.roles.map((r) => r.name), ['reader', 'member']);
    assert.deepEqual(info.methods, ['password']);
    assert.equal(info.auditIds.length, 1);
    assert.equal(info.auditIds[0]!.length, 22);
    assert.equal(info.expiresAt, Math.floor(clock.now() / 1000) * 1000 + 600_000);
    const v = await svc.validator.validate(token);
    assert.equal(v.userId, info.userId);
    const admin = await svc.issueToken('admin', 'admin', 'admin');
    assert.deepEqual(admin.info.roles.map((r) => r.name), ['reader', 'member', 'admin']);
  });

  it('refuses a wrong password and a project without a grant', async () => {
    await assert.rejects(svc.issueToken('demo', 'nope', 'demo'), AuthenticationRequired);
    await assert.rejects(svc.issueToken('demo', 'demo', 'admin'), AuthenticationRequired);
    await assert.rejects(svc.issueToken('nobody', 'demo', 'demo'), AuthenticationRequired);
  });

  it('expires tokens by the injected clock', async () => {
    const { token } = await svc.issueToken('nova', 'nimbus-service', 'service');
    await svc.validator.validate(token); // cached now
    await clock.advance(599_000);
    await svc.validator.validate(token);
    await clock.advance(1_000);
    await assert.rejects(svc.validator.validate(token), AuthenticationRequired);
  });

  it('rejects a token signed with another key', async () => {
    const other = new TokenSigner(Buffer.alloc(32, 9)).sign({
      userId: 'x', projectId: null, methods: ['password'], auditIds: ['a'], issuedAt: clock.now(), expiresAt: clock.now() + 1e6,
    });
    await assert.rejects(svc.validator.validate(other), AuthenticationRequired);
  });

  it('honours revocation immediately and after a restart', async () => {
    const { token, info } = await svc.issueToken('demo', 'demo', 'demo');
    await svc.validator.validate(token);
    const res = await svc.app.inject({ method: 'DELETE', url: '/v3/auth/tokens', headers: { 'x-auth-token': token, 'x-subject-token': token } });
    assert.equal(res.statusCode, 204);
    await assert.rejects(svc.validator.validate(token), AuthenticationRequired);
    // A new token of the same user is unaffected.
    await clock.advance(10);
    const fresh = await svc.issueToken('demo', 'demo', 'demo');
    await svc.validator.validate(fresh.token);
    // A second service over the same database and key sees the persisted event.
    const cfg = loadConfig({ overrides: { DEFAULT: { data_dir: dir }, identity: { token_expiration: 600 } } });
    const again = new IdentityService({ cfg, log: silentLogger(), clock, random: seededRandom(8), db, catalog: [] });
    await again.init();
    await assert.rejects(again.validator.validate(token), AuthenticationRequired);
    assert.equal((await again.validator.validate(fresh.token)).auditIds[0], fresh.info.auditIds[0]);
    assert.notEqual(info.auditIds[0], fresh.info.auditIds[0]);
    await again.close();
  });

  it('revokes tokens when the grant they rely on is removed', async () => {
    const admin = await svc.issueToken('admin', 'admin', 'admin');
    const demo = await svc.issueToken('demo', 'demo', 'demo');
    await svc.validator.validate(demo.token);
    const h = { 'x-auth-token': admin.token };
    const role = JSON.parse((await svc.app.inject({ method: 'GET', url: '/v3/roles?name=member', headers: h })).body).roles[0].id;
    const url = `/v3/projects/${demo.info.projectId}/users/${demo.info.userId}/roles/${role}`;
    assert.equal((await svc.app.inject({ method: 'DELETE', url, headers: h })).statusCode, 204);
    await assert.rejects(svc.validator.validate(demo.token), AuthenticationRequired);
    await assert.rejects(svc.issueToken('demo', 'demo', 'demo'), AuthenticationRequired);
    assert.equal((await svc.app.inject({ method: 'PUT', url, headers: h })).statusCode, 204);
    await clock.advance(10);
    await svc.validator.validate((await svc.issueToken('demo', 'demo', 'demo')).token);
  });
});
