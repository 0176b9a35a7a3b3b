/**
 * Issue 11, point 7: every secret option (passwords, shared secrets, URLs that carry
 * credentials) can be set from a config file and from the environment, so none has to be
 * given on a command line (visible to every user in ps); and the service users'
 * passwords follow nova.conf/neutron.conf's sections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OPTIONS, loadConfig, optionNames, servicePassword } from '../../src/common/config.js';

const SECRET = /password|secret|connection|transport_url/;
const secretOptions = Object.entries(OPTIONS).flatMap(([section, opts]) => Object.keys(opts).filter((k) => SECRET.test(k)).map((key) => [section, key] as const));

describe('secret options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-cfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const get = (cfg: ReturnType<typeof loadConfig>, section: string, key: string) => (cfg as unknown as Record<string, Record<string, unknown>>)[section]![key];

  it('are the ones expected (a new secret option is listed here on purpose)', () => {
    assert.deepEqual(secretOptions.map(([s, k]) => `[${s}] ${k}`), [
      '[DEFAULT] transport_url',
      '[database] connection',
      '[database] keystone_connection',
      '[database] glance_connection',
      '[database] nova_connection',
      '[database] neutron_connection',
      '[identity] admin_password',
      '[identity] demo_password',
      '[identity] service_password',
      '[keystone_authtoken] password',
      '[nova] password',
      '[neutron] password',
      '[metadata] metadata_proxy_shared_secret',
    ]);
  });

  for (const [section, key] of secretOptions) {
    it(`${optionNames(section, key).ini} is read from a config file and from ${optionNames(section, key).env}`, () => {
      const file = join(dir, `${section}-${key}.conf`);
      writeFileSync(file, `[${section}]\n${key} = from-file-${key}\n`);
      assert.equal(get(loadConfig({ configFiles: [file] }), section, key), `from-file-${key}`);
      assert.equal(get(loadConfig({ configFiles: [file], env: { [optionNames(section, key).env]: `from-env-${key}` } }), section, key), `from-env-${key}`);
    });
  }

  it("service users' passwords: [nova]/[neutron] password, else [identity] service_password; [keystone_authtoken] password for a service's own user", () => {
    const base = loadConfig({ env: { NIMBUS_IDENTITY_SERVICE_PASSWORD: 'svc' } });
    assert.deepEqual([servicePassword(base, 'nova'), servicePassword(base, 'neutron'), servicePassword(base, 'glance', true)], ['svc', 'svc', 'svc']);
    const own = loadConfig({ env: { NIMBUS_IDENTITY_SERVICE_PASSWORD: 'svc', NIMBUS_NOVA_PASSWORD: 'n', NIMBUS_NEUTRON_PASSWORD: 'q', NIMBUS_KEYSTONE_AUTHTOKEN_PASSWORD: 'mine' } });
    assert.deepEqual([servicePassword(own, 'nova'), servicePassword(own, 'neutron'), servicePassword(own, 'glance'), servicePassword(own, 'nova', true)], ['n', 'q', 'svc', 'mine']);
    assert.equal(loadConfig().identity.service_password, 'nimbus-service');
  });
});
