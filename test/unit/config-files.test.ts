/**
 * Several --config-file (oslo.config's rule, issue 11): files are read in order, a later
 * file's value wins key by key, sections merge; the environment and flags still win
 * over every file. publicUrl follows [<section>] public_endpoint when set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, publicUrl } from '../../src/common/config.js';

test('a later config file wins key by key; sections merge; flags win over files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-conf-'));
  const a = join(dir, 'nova.conf');
  const b = join(dir, 'nova-compute.conf');
  writeFileSync(a, '[DEFAULT]\nhost = ctl\nregion = R1\n[compute]\nport = 9000\nreport_interval = 5\n');
  writeFileSync(b, '[DEFAULT]\nhost = compute7\n[compute]\nreport_interval = 2\n');
  const cfg = loadConfig({ configFiles: [a, b] });
  assert.equal(cfg.DEFAULT.host, 'compute7');
  assert.equal(cfg.DEFAULT.region, 'R1');
  assert.equal(cfg.compute.port, 9000);
  assert.equal(cfg.compute.report_interval, 2);
  assert.equal(loadConfig({ configFiles: [a, b], flags: { host: 'flagged' } }).DEFAULT.host, 'flagged');
});

test('publicUrl: public_endpoint (a load balancer) over public_host:port', () => {
  const cfg = loadConfig({ flags: { 'compute-port': '8774' } });
  assert.equal(publicUrl(cfg, 'compute'), 'http://127.0.0.1:8774');
  cfg.compute.public_endpoint = 'http://lb.example:8774/';
  assert.equal(publicUrl(cfg, 'compute', 1234), 'http://lb.example:8774');
});
