/**
 * `nimbus repair-vifs`: the seed's §4.1 port-recovery script done properly, as a client
 * of /nimbus/v1/repair-vifs (src/compute/api/ops/repair-vifs.ts). Prints each VIF device
 * that differs from what nova's VIF driver makes and the exact `sudo nova-rootwrap`
 * lines that fix it; with --apply, nova-api plans again and the host's nova-compute runs
 * them.
 */
import type { HostApplyView, HostPlanView, PlanView } from '../../compute/repair/repair-vifs.js';
import { type OpsCommand, OpsUsageError } from './command.js';
import { Exit, json, table } from './output.js';

const HELP = `usage: nimbus repair-vifs [--host H] [--server S | --port P | --ip IP] [--apply [--remove-stale]] [-f table|json]

Compares the devices of every VIF of every instance (or of the one named) with what
nova's VIF driver makes from the instance's NetworkInfo: the qbr bridge, the qvb/qvo
veth pair, bridge membership, the br-int port with its external-ids (iface-id,
iface-status, attached-mac, vm-uuid) and the MTU. Prints each difference and the
nova-rootwrap commands that fix it. Without --server/--port/--ip it also lists devices
that belong to no instance (stale qbr/qvb/qvo/tap left by a crash). An instance with a
task under way (building, migrating, deleting...) is skipped: its nova-compute may be
plugging or unplugging it at that moment.

options:
  --host H        only this compute host
  --server S      only this server (uuid or name)
  --port P        only the VIF of this neutron port
  --ip IP         only the VIF with this fixed IP
  --apply         run the commands on the host(s) through nova-compute (no restart),
                  after planning again, then check again
  --remove-stale  with --apply, also remove the stale devices; without it they are only
                  reported (and still count as a problem)
  -f, --format    table (default) or json
  -h, --help      this help

exit status: 0 nothing to repair (or everything repaired), 1 differences or stale
devices left (found and not applied, or an apply that failed), 2 usage error.`;

export const repairVifsCommand: OpsCommand = {
  summary: 'find VIF devices that differ from nova\'s NetworkInfo (and stale ones) and repair them',
  help: HELP,
  options: {
    host: { type: 'string' },
    server: { type: 'string' },
    port: { type: 'string' },
    ip: { type: 'string' },
    apply: { type: 'boolean' },
    'remove-stale': { type: 'boolean' },
  },
  async run({ values, positionals, format, io, client }) {
    if (positionals.length) throw new OpsUsageError(`unexpected argument '${positionals[0]}'`);
    const sel: Record<string, string> = {};
    for (const k of ['host', 'server', 'port', 'ip'] as const) {
      const v = values[k];
      if (typeof v === 'string') {
        if (!v) throw new OpsUsageError(`--${k} needs a value`);
        sel[k] = v;
      }
    }
    if (['server', 'port', 'ip'].filter((k) => k in sel).length > 1) throw new OpsUsageError('give at most one of --server, --port and --ip');
    const removeStale = values['remove-stale'] === true;
    if (removeStale && values.apply !== true) throw new OpsUsageError('--remove-stale goes with --apply');
    const api = await client();

    if (values.apply !== true) {
      const query = new URLSearchParams(sel).toString();
      const { body } = await api.call<{ hosts: HostPlanView[] }>('GET', `/repair-vifs${query ? `?${query}` : ''}`);
      if (format === 'json') io.out(json(body));
      else printPlans(io.out, body.hosts);
      return body.hosts.some((h) => h.error || !empty(h)) ? Exit.PROBLEM : Exit.OK;
    }

    const { body } = await api.call<{ hosts: HostApplyView[] }>('POST', '/repair-vifs', { apply: true, ...sel, ...(removeStale ? { removeStale } : {}) });
    if (format === 'json') io.out(json(body));
    else printApplied(io.out, body.hosts);
    const failed = body.hosts.some((h) => h.error || h.results.some((r) => !r.ok) || !h.after || !empty(h.after));
    return failed ? Exit.PROBLEM : Exit.OK;
  },
};

const empty = (p: PlanView): boolean => p.vifs.length === 0 && p.stale.length === 0;

/** One row per difference, then the commands per host, ready to paste. */
function printPlans(out: (line: string) => void, hosts: (PlanView & { host: string; error?: string | undefined })[]): void {
  const rows: string[][] = [];
  for (const h of hosts) {
    for (const v of h.vifs) for (const d of v.differences) rows.push([h.host, v.instanceName ? `${v.instanceName} (${v.instanceUuid})` : v.instanceUuid, v.portId, d.kind, d.description]);
    for (const d of h.stale) rows.push([h.host, '(none)', d.kind === 'stale-devices' ? `${d.portIdPrefix}…` : '', d.kind, d.description]);
  }
  for (const h of hosts) if (h.error) out(`${h.host}: cannot read the host: ${h.error}`);
  // nova-compute may be plugging or unplugging these now: not a problem, not checked.
  for (const h of hosts) for (const k of h.skipped ?? []) out(`${h.host}: skipped ${k.instanceName ? `${k.instanceName} (${k.instanceUuid})` : k.instanceUuid}: ${k.reason}`);
  if (!rows.length) {
    if (!hosts.some((h) => h.error)) out(hosts.length ? `Nothing to repair on ${hosts.map((h) => h.host).join(', ')}.` : 'No VIF to check.');
    return;
  }
  out(table(['Host', 'Server', 'Port', 'Difference', 'Detail'], rows));
  for (const h of hosts) {
    const lines = [...h.vifs.flatMap((v) => v.differences), ...h.stale].flatMap((d) => d.commands.map((c) => c.line));
    if (!lines.length) continue;
    out(`\nCommands to run on ${h.host}${h.stale.length ? ' (the last ones remove stale devices)' : ''}:`);
    for (const l of lines) out(l);
  }
}

function printApplied(out: (line: string) => void, hosts: HostApplyView[]): void {
  for (const h of hosts) {
    if (h.before && empty(h.before)) {
      out(`${h.host}: nothing to repair.`);
      continue;
    }
    if (h.before) {
      out(`${h.host}: found`);
      printPlans(out, [{ host: h.host, ...h.before }]);
    }
    if (h.results.length) {
      out(`\nRan on ${h.host}:`);
      for (const r of h.results) out(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.argv.join(' ')}${r.error ? `\n         ${r.error.split('\n').join('\n         ')}` : ''}`);
    }
    if (h.error) out(`${h.host}: ${h.error}`);
    if (h.after) {
      if (empty(h.after)) out(`${h.host}: repaired, nothing left to repair.`);
      else {
        out(`\n${h.host}: still to repair${h.after.vifs.length === 0 ? ' (stale devices: add --remove-stale to remove them)' : ''}:`);
        printPlans(out, [{ host: h.host, ...h.after }]);
      }
    }
  }
  if (!hosts.length) out('No VIF to check.');
}
