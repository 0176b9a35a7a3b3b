/**
 * RemoteTokenValidator (src/common/remote-validator.ts): how a service in its own process
 * validates callers' tokens with keystone over HTTP, as keystonemiddleware does. A good
 * token gives the caller's user, project and roles; a bad one is AuthenticationRequired;
 * a validation is cached (a revoked token is honoured until the cache entry expires).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthenticationRequired } from '../../src/common/auth.js';
import type { Clock } from '../../src/common/clock.js';
import { RemoteTokenValidator } from '../../src/common/remote-validator.js';
import { ServiceSession } from '../../src/common/rest-client.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';

describe('RemoteTokenValidator', () => {
  let cloud: TestCloud;
  let validator: RemoteTokenValidator;
  let now = Date.now();
  const clock = { now: () => now } as Clock;

  before(async () => {
    cloud = await startTestCloud();
    const authUrl = `${cloud.urls.identity}/v3`;
    const session = new ServiceSession({ authUrl, username: 'nova', password: cloud.cfg.identity.service_password, projectName: 'service' });
    validator = new RemoteTokenValidator(authUrl, session, clock);
  });
  after(() => cloud?.stop());

  it("resolves a user's token to its user, project and roles", async () => {
    const info = await validator.validate(await cloud.token('demo'));
    assert.equal(info.userName, 'demo');
    assert.equal(info.projectName, 'demo');
    assert.ok(info.roles.some((r) => r.name === 'member'), JSON.stringify(info.roles));
    assert.ok(info.expiresAt > Date.now());
  });

  it('refuses a token keystone does not know', async () => {
    await assert.rejects(validator.validate('gAAAAnotatoken'), AuthenticationRequired);
  });

  it('caches a validation for up to 300 s: a revoked token holds until then', async () => {
    const token = await cloud.token('admin');
    assert.equal((await validator.validate(token)).userName, 'admin');
    const r = await cloud.api('admin', 'DELETE', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': token });
    assert.equal(r.status, 204);
    assert.equal((await validator.validate(token)).userName, 'admin');
    now += 301_000;
    await assert.rejects(validator.validate(token), AuthenticationRequired);
  });
});
