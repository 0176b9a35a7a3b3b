/**
 * `nimbus fault add|list|clear`: fault injection on a running Nimbus through
 * /nimbus/v1/faults (src/compute/api/ops/faults.ts). The kinds and their parameters are
 * the fault book's own list (src/common/faults.ts), so the help cannot drift from it.
 */
import { FAULT_KINDS, FAULT_KIND_NAMES, type Fault } from '../../common/faults.js';
import { type OpsCommand, OpsUsageError } from './command.js';
import { Exit, fieldTable, json, table } from './output.js';

/** Every kind's own parameters, each an option (--delay, --call, --nth, --status, --error). */
const PARAMS = new Map<string, { type: 'number' | 'string'; help: string }>();
for (const spec of Object.values(FAULT_KINDS)) for (const [name, p] of Object.entries(spec.params)) PARAMS.set(name, p);

const HELP = [
  'usage: nimbus fault add KIND [--host H] [--count N] [--ttl S] [--<param> V ...] [-f table|json]',
  '       nimbus fault list [-f table|json]',
  '       nimbus fault clear [ID]',
  '',
  'Injects faults into the running cloud (admin only). Each lasts until cleared, or for',
  '--count uses, or --ttl seconds, whichever ends first. `clear` without ID removes all.',
  '',
  'Kinds:',
  ...FAULT_KIND_NAMES.map((k) => {
    const s = FAULT_KINDS[k];
    const params = Object.keys(s.params).map((p) => `--${p}`);
    return `  ${k.padEnd(22)} ${s.summary}${s.host === 'required' ? ' (--host)' : ''}${params.length ? ` [${params.join(' ')}]` : ''}`;
  }),
  '',
  'Options:',
  '  --host H        the compute host (agent-down, compute-down, ovsdb-down, plug-failure)',
  '  --count N       expire after N uses',
  '  --ttl S         expire after S seconds',
  ...[...PARAMS].map(([name, p]) => `  --${`${name} V`.padEnd(13)} ${p.help}`),
  '  -f FORMAT       table (default) or json',
].join('\n');

const row = (f: Fault) => [f.id, f.kind, f.host ?? '', Object.entries(f.params).map(([k, v]) => `${k}=${v}`).join(' '), f.remaining ?? '', f.used, f.expires_at ?? ''];
const COLUMNS = ['ID', 'Kind', 'Host', 'Params', 'Remaining', 'Used', 'Expires'];

function number(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new OpsUsageError(`--${name} must be a number, not '${v}'`);
  return n;
}

export const faultCommand: OpsCommand = {
  summary: 'inject faults (vif-plugged dropped, agent down, neutron errors...): add, list, clear',
  help: HELP,
  options: {
    host: { type: 'string' },
    count: { type: 'string' },
    ttl: { type: 'string' },
    ...Object.fromEntries([...PARAMS.keys()].map((name) => [name, { type: 'string' as const }])),
  },
  async run({ values, positionals, format, io, client }) {
    const [action, ...rest] = positionals;
    if (action === 'add') {
      const kind = rest[0];
      if (!kind || rest.length > 1) throw new OpsUsageError('fault add takes one KIND');
      const fault: Record<string, unknown> = { kind };
      for (const [name, v] of Object.entries(values)) {
        if (typeof v !== 'string') continue;
        const type = name === 'host' ? 'string' : name === 'count' || name === 'ttl' ? 'number' : PARAMS.get(name)?.type;
        fault[name] = type === 'number' ? number(name, v) : v;
      }
      const res = await (await client()).call<{ fault: Fault }>('POST', '/faults', { fault });
      const f = res.body.fault;
      io.out(format === 'json' ? json(f) : fieldTable(Object.fromEntries(COLUMNS.map((c, i) => [c.toLowerCase(), row(f)[i]]))));
      return Exit.OK;
    }
    if (action === 'list') {
      if (rest.length) throw new OpsUsageError('fault list takes no arguments');
      const { faults } = (await (await client()).call<{ faults: Fault[] }>('GET', '/faults')).body;
      io.out(format === 'json' ? json(faults) : table(COLUMNS, faults.map(row)));
      return Exit.OK;
    }
    if (action === 'clear') {
      if (rest.length > 1) throw new OpsUsageError('fault clear takes at most one ID');
      await (await client()).call('DELETE', rest[0] ? `/faults/${encodeURIComponent(rest[0])}` : '/faults');
      if (format === 'table') io.out(rest[0] ? `Fault ${rest[0]} cleared.` : 'Every fault cleared.');
      else io.out(json({ cleared: rest[0] ?? 'all' }));
      return Exit.OK;
    }
    throw new OpsUsageError(action ? `unknown action '${action}': add, list or clear` : 'an action is needed: add, list or clear');
  },
};
