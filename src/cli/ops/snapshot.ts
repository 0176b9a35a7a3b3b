/**
 * `nimbus snapshot save|load|list|delete NAME` and `nimbus snapshot reset`: a known state
 * per test for CI, as moto's reset and LocalStack's pods, through /nimbus/v1/snapshots
 * (src/compute/api/ops/snapshots.ts), on the embedded cloud and a distributed one; the
 * answer says what a distributed cloud leaves out (keystone, glance).
 */
import { type OpsCommand, OpsUsageError } from './command.js';
import { Exit, json, table } from './output.js';

interface SnapshotInfo {
  name: string;
  created_at: string;
  parts?: string[];
  excluded?: string[];
}

const HELP = [
  'usage: nimbus snapshot save NAME | load NAME | delete NAME | list | reset [-f table|json]',
  '',
  'Saves the cloud (nova\'s and neutron\'s databases, the simulated hosts\' devices and',
  'guests; on the embedded cloud keystone, glance and the image files too) as NAME, puts',
  'it back as NAME saw it, or resets it to the state right after start-up (faults cleared',
  'too). A distributed cloud leaves keystone and glance out, and says so. Save and load',
  'wait for no task: they refuse while a server is building, deleting or migrating.',
  '',
  'Options:',
  '  -f FORMAT       table (default) or json',
].join('\n');

export const snapshotCommand: OpsCommand = {
  summary: 'save, load or reset the whole embedded cloud (a known state per CI test)',
  help: HELP,
  options: {},
  async run({ positionals, format, io, client }) {
    const [action, name, ...extra] = positionals;
    if (extra.length) throw new OpsUsageError(`too many arguments: ${extra.join(' ')}`);
    const left = (s: SnapshotInfo) => (s.excluded?.length ? ` Not included: ${s.excluded.join(', ')}.` : '');
    const show = (s: SnapshotInfo, verb: string) => io.out(format === 'json' ? json(s) : `Snapshot ${s.name} (${s.created_at}) ${verb}.${left(s)}`);
    switch (action) {
      case 'save':
      case 'load':
      case 'delete': {
        if (!name) throw new OpsUsageError(`snapshot ${action} needs a NAME`);
        const c = await client();
        const enc = encodeURIComponent(name);
        if (action === 'save') show((await c.call<{ snapshot: SnapshotInfo }>('POST', '/snapshots', { snapshot: { name } })).body.snapshot, 'saved');
        else if (action === 'load') show((await c.call<{ snapshot: SnapshotInfo }>('POST', `/snapshots/${enc}/load`)).body.snapshot, 'loaded');
        else {
          await c.call('DELETE', `/snapshots/${enc}`);
          io.out(format === 'json' ? json({ deleted: name }) : `Snapshot ${name} deleted.`);
        }
        return Exit.OK;
      }
      case 'list': {
        if (name) throw new OpsUsageError('snapshot list takes no NAME');
        const { snapshots } = (await (await client()).call<{ snapshots: SnapshotInfo[] }>('GET', '/snapshots')).body;
        io.out(format === 'json' ? json(snapshots) : table(['Name', 'Created', 'Parts'], snapshots.map((s) => [s.name, s.created_at, (s.parts ?? []).join(', ')])));
        return Exit.OK;
      }
      case 'reset': {
        if (name) throw new OpsUsageError('snapshot reset takes no NAME');
        const { snapshot } = (await (await client()).call<{ snapshot: SnapshotInfo }>('POST', '/snapshots/reset')).body;
        io.out(format === 'json' ? json({ reset: true, fresh_at: snapshot.created_at, parts: snapshot.parts ?? [], excluded: snapshot.excluded ?? [] }) : `Cloud reset to its state of ${snapshot.created_at}.${left(snapshot)}`);
        return Exit.OK;
      }
      default:
        throw new OpsUsageError(action ? `unknown action '${action}': save, load, delete, list or reset` : 'an action is needed: save, load, delete, list or reset');
    }
  },
};
