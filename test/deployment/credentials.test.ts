/**
 * Issue 11, point 7: every service of a multi-process deployment connects with its own
 * credentials (test/helpers/deployment.ts, perServiceCredentials): a RabbitMQ user per
 * process kind on one shared vhost (nova's processes, neutron-server, the hosts), a
 * database user per service allowed into its own database only, and a keystone password
 * per service user, each in that process's own config file. A server boots and is
 * deleted on them; nova's database user is refused neutron's database; the broker sees
 * only the per-service users; no process's log holds any of the passwords. On
 * PostgreSQL and MariaDB; under CI=true a server that does not answer fails this file,
 * locally its cases are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseDatabaseUrl } from '../../src/db/database.js';
import { type Deployment, deploymentUnavailable, rabbitmqctl, startDeployment } from '../helpers/deployment.js';
import { BUNDLE, REPO_ROOT, START_NODE_FLAGS } from '../helpers/nimbus-process.js';
import { waitFor } from '../helpers/wait.js';

/** Connects with `url`'s user and password to `database` and reads a table; resolves to the error, or null. */
async function readAs(url: string, database: string): Promise<Error | null> {
  const u = new URL(parseDatabaseUrl(url).serverUrl!);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  try {
    if (u.protocol === 'postgresql:') {
      const c = new pg.Client({ host: u.hostname, port: Number(u.port || 5432), user, password, database });
      await c.connect();
      try {
        await c.query('SELECT count(*) FROM ports');
      } finally {
        await c.end();
      }
    } else {
      const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user, password, database });
      try {
        await c.query('SELECT count(*) FROM ports');
      } finally {
        await c.end();
      }
    }
    return null;
  } catch (e) {
    return e as Error;
  }
}

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`per-service credentials on RabbitMQ + ${dialect}`, { timeout: 600_000 }, () => {
    let why: string | null = null;
    let d: Deployment | undefined;

    const token = async (user: 'demo') => {
      const r = await fetch(`${d!.urls.identity}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password: user } } }, scope: { project: { name: user, domain: { name: 'Default' } } } } }),
      });
      assert.equal(r.status, 201);
      return r.headers.get('x-subject-token')!;
    };
    const api = async (tok: string, method: string, url: string, body?: unknown) => {
      const r = await fetch(url, { method, headers: { 'x-auth-token': tok, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };

    before(async () => {
      why = await deploymentUnavailable(dialect);
      if (why) {
        if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
        console.warn(`per-service credentials on ${dialect} SKIPPED: ${why}`);
        return;
      }
      d = await startDeployment(dialect, { hosts: ['compute1'], perServiceCredentials: true });
    });
    after(async () => {
      await d?.stop();
    });

    it('each process reads only its own secrets; the hosts hold no database URL', (t) => {
      if (why) return t.skip(why);
      const c = d!.credentials!;
      const own = (who: keyof Deployment['configFiles']) => d!.configFiles[who].map((f) => readFileSync(f, 'utf8')).join('\n');
      assert.doesNotMatch(own('host'), /connection\s*=/);
      assert.ok(!own('nova').includes(c.db.neutron) && !own('nova').includes(c.broker.neutron.password));
      assert.ok(!own('neutron').includes(c.db.nova) && !own('neutron').includes(c.broker.nova.password));
      assert.ok(own('nova').includes(c.db.nova) && own('neutron').includes(c.db.neutron));
    });

    it('boots and deletes a server, the broker seeing only the per-service users', async (t) => {
      if (why) return t.skip(why);
      const tok = await token('demo');
      const net = (await api(tok, 'POST', `${d!.urls.network}/v2.0/networks`, { network: { name: 'n' } })).body.network.id;
      await api(tok, 'POST', `${d!.urls.network}/v2.0/subnets`, { subnet: { network_id: net, cidr: '10.7.0.0/24', ip_version: 4 } });
      const image = (await api(tok, 'GET', `${d!.urls.image}/v2/images`)).body.images[0].id;
      const r = await api(tok, 'POST', `${d!.urls.compute}/v2.1/servers`, { server: { name: 's', flavorRef: '1', imageRef: image, networks: [{ uuid: net }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const id = r.body.server.id;
      await waitFor('server ACTIVE', async () => {
        const s = (await api(tok, 'GET', `${d!.urls.compute}/v2.1/servers/${id}`)).body.server;
        assert.notEqual(s.status, 'ERROR', JSON.stringify(s.fault));
        return s.status === 'ACTIVE' ? true : undefined;
      }, 120_000, 300);
      assert.equal((await api(tok, 'DELETE', `${d!.urls.compute}/v2.1/servers/${id}`)).status, 204);
      await waitFor('server gone', async () => ((await api(tok, 'GET', `${d!.urls.compute}/v2.1/servers/${id}`)).status === 404 ? true : undefined), 120_000, 300);
      const users = new Set(
        (await rabbitmqctl('-q', 'list_connections', 'user', 'vhost'))
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter(([, vhost]) => vhost === d!.vhost)
          .map(([user]) => user!),
      );
      const c = d!.credentials!;
      assert.deepEqual([...users].sort(), [c.broker.host.user, c.broker.neutron.user, c.broker.nova.user].sort());
    });

    it("nova's database user is refused neutron's database; neutron's own user reads it", async (t) => {
      if (why) return t.skip(why);
      const c = d!.credentials!;
      const neutronDb = parseDatabaseUrl(c.db.neutron).database;
      const refused = await readAs(c.db.nova, neutronDb);
      assert.ok(refused, "nova's user read neutron's database");
      assert.match(refused.message, dialect === 'postgres' ? /permission denied for database/ : /Access denied for user .* to database/);
      assert.equal(await readAs(c.db.neutron, neutronDb), null);
    });

    it("a process given another service's password or an unreachable server fails to start, naming the server without the password", async (t) => {
      if (why) return t.skip(why);
      const c = d!.credentials!;
      const cases: [string, string[], string][] = [
        ['nova-conductor', ['[DEFAULT]', `transport_url = rabbit://${c.broker.nova.user}:${c.broker.neutron.password}@127.0.0.1:5672/${d!.vhost}`], c.broker.neutron.password],
        ['nova-conductor', ['[DEFAULT]', `transport_url = rabbit://${c.broker.nova.user}:${c.broker.nova.password}@127.0.0.1:1/${d!.vhost}`], c.broker.nova.password],
        ['neutron-server', ['[database]', `neutron_connection = ${c.db.neutron.replace(/:\d+\//, ':1/')}`], new URL(c.db.neutron.replace(/^[^:]+:/, 'x:')).password],
      ];
      for (const [i, [name, lines, secret]] of cases.entries()) {
        const conf = join(d!.dir, `wrong-${i}.conf`);
        writeFileSync(conf, `${lines.join('\n')}\n`, { mode: 0o600 });
        const files = [...d!.configFiles[name === 'neutron-server' ? 'neutron' : 'nova'], conf];
        const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
          const child = execFile(process.execPath, [...START_NODE_FLAGS, BUNDLE, name, '--host', `wrong${i}`, '--network-port', '0', '--log-level', 'debug', ...files.flatMap((f) => ['--config-file', f])], { cwd: REPO_ROOT, timeout: 60_000 }, (_e, stdout, stderr) => resolve({ code: child.exitCode, text: stdout + stderr }));
        });
        assert.equal(out.code, 1, `${name} case ${i} should fail to start:\n${out.text.slice(-2000)}`);
        assert.match(out.text, /cannot (connect to RabbitMQ|open the neutron database) at [a-z0-9+]+:\/\/[^:]+:\*\*\*@/);
        assert.ok(!out.text.includes(secret), `case ${i} printed the password:\n${out.text}`);
      }
    });

    it('no process logs a password', (t) => {
      if (why) return t.skip(why);
      const secrets = d!.credentials!.secrets();
      assert.equal(secrets.length, 3 + 4 + 3);
      for (const p of d!.procs) {
        const out = p.output();
        const found = secrets.filter((s) => out.includes(s));
        assert.deepEqual(found, [], `${p.name} logged a password`);
      }
    });
  });
}
