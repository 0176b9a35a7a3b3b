/**
 * `nimbus diagnose server|port|host ID [-f json]`: the operator API's diagnosis
 * (GET /nimbus/v1/diagnose/...) as a table, one row per finding, or as its JSON. Exit 1
 * when a finding is a problem, 0 when healthy, 2 on a usage error.
 */
import type { OpsCommand } from './command.js';
import { OpsUsageError } from './command.js';
import { Exit, json, table } from './output.js';

const KINDS = { server: 'servers', port: 'ports', host: 'hosts' } as const;

interface Diagnosis {
  object: { kind: string; id: string };
  status: 'ok' | 'problem';
  findings: { cause: string; severity: string; detail: string; fix?: string; subject?: string }[];
}

export const diagnoseCommand: OpsCommand = {
  summary: 'Explain what is wrong with a server, port or host (binding, scheduling, network-vif-plugged, devices)',
  help: [
    'usage: nimbus diagnose server|port|host ID [-f table|json]',
    '',
    'Answers from live state and recorded events: why a port is binding_failed or DOWN',
    '(with the config line to change), which filter removed each host for "No valid host"',
    '(re-run now), where a build waiting for network-vif-plugged stopped, and whether each',
    "VIF's devices are on its host. Exit status: 0 healthy, 1 a problem found, 2 usage error.",
    '',
    'options:',
    '  -f, --format table|json   output format (default table)',
    '  -h, --help                show this help',
  ].join('\n'),
  options: {},
  async run({ positionals, format, io, client }) {
    const [kind, id, ...extra] = positionals;
    if (!kind || !(kind in KINDS)) throw new OpsUsageError(`the first argument must be server, port or host${kind ? `, not '${kind}'` : ''}`);
    if (!id || extra.length) throw new OpsUsageError(`give exactly one ${kind} ID`);
    const res = await (await client()).call<Diagnosis>('GET', `/diagnose/${KINDS[kind as keyof typeof KINDS]}/${encodeURIComponent(id)}`);
    const d = res.body;
    if (format === 'json') io.out(json(d));
    else {
      io.out(`${d.object.kind} ${d.object.id}: ${d.status}`);
      io.out(table(['Severity', 'Cause', 'Subject', 'Detail', 'Fix'], d.findings.map((f) => [f.severity, f.cause, f.subject ?? '', f.detail, f.fix ?? ''])));
    }
    return d.status === 'problem' ? Exit.PROBLEM : Exit.OK;
  },
};
