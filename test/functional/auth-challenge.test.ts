/**
 * Regression (issue 8 item 5): glance's 401 lacked `WWW-Authenticate: Keystone uri=…`,
 * which keystonemiddleware sends on every service so a client knows where to get a token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
before(async () => {
  cloud = await startTestCloud();
});
after(() => cloud.stop());

const protectedUrls = (c: TestCloud) => ({
  glance: `${c.urls.image}/v2/images`,
  neutron: `${c.urls.network}/v2.0/networks`,
  nova: `${c.urls.compute}/v2.1/servers`,
});

for (const service of ['glance', 'neutron', 'nova'] as const) {
  test(`${service} answers a request without a token 401 with a Keystone WWW-Authenticate challenge`, async () => {
    const r = await cloud.api(null, 'GET', protectedUrls(cloud)[service]);
    assert.equal(r.status, 401);
    const challenge = r.headers.get('www-authenticate');
    assert.ok(challenge, `${service} sent no WWW-Authenticate`);
    // The same keystone root from every service, as devstack configures www_authenticate_uri.
    assert.equal(challenge, `Keystone uri="${cloud.urls.identity}"`);
  });
}
