import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
before(async () => {
  cloud = await startTestCloud();
});
after(() => cloud.stop());

test('the embedded cloud answers on every API and its agents are alive', async () => {
  const v = await cloud.api(null, 'GET', `${cloud.urls.identity}/v3`);
  assert.equal(v.status, 200);
  const agents = await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/agents`);
  assert.equal(agents.status, 200);
  assert.deepEqual(agents.body.agents.map((a: { host: string }) => a.host).sort(), ['compute1', 'compute2']);
  assert.ok(agents.body.agents.every((a: { alive: boolean }) => a.alive));
  const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
  assert.equal(images.status, 200);
  assert.equal(images.body.images.length, 1);
});
