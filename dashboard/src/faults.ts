/**
 * The Injected faults panel: GET /nimbus/v1/faults as a table (kind, host, uses
 * remaining/used, expiry) with a Clear button per fault and Clear all, and a form that
 * POSTs a new one. Admin only: the API answers a member 403, which the panel says.
 */
import { type Answer, errorMessage } from './api.js';
import { esc } from './html.js';

/**
 * The fault kinds nova-api accepts (src/common/faults.ts FAULT_KINDS, which the browser
 * bundle cannot import: it carries the bus): whether each needs a host, and its
 * parameters. test/unit/dashboard-panels.test.ts checks this copy against the original.
 */
export const FAULT_KINDS: Record<string, { host: boolean; params: string[] }> = {
  'agent-down': { host: true, params: [] },
  'compute-down': { host: true, params: [] },
  'neutron-call-fail': { host: false, params: ['call', 'nth', 'status', 'error'] },
  'ovsdb-down': { host: true, params: [] },
  'plug-failure': { host: true, params: [] },
  'scheduler-delay': { host: false, params: ['delay'] },
  'vif-plugged-delay': { host: false, params: ['delay'] },
  'vif-plugged-drop': { host: false, params: [] },
  'vif-plugged-duplicate': { host: false, params: [] },
};

/** GET /nimbus/v1/faults: the faults in force with their Clear buttons, then the form; undefined for another shape. */
export function renderFaults(body: any, hosts: string[] = []): string | undefined {
  if (!body || !Array.isArray(body.faults)) return undefined;
  const faults = body.faults as any[];
  const rows = faults
    .map((f) => {
      const params = Object.entries(f.params ?? {}).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(' ');
      return `<tr class="fault" data-fault-id="${esc(f.id)}" data-kind="${esc(f.kind)}"><td><code>${esc(f.kind)}</code>${params ? `<div class="muted">${params}</div>` : ''}</td><td>${esc(f.host ?? '—')}</td><td>${f.remaining === null || f.remaining === undefined ? '∞' : esc(f.remaining)} / ${esc(f.used ?? 0)}</td><td>${f.expires_at ? esc(f.expires_at) : 'never'}</td><td><button class="fault-clear" type="button" data-id="${esc(f.id)}">Clear</button></td></tr>`;
    })
    .join('');
  const list = faults.length
    ? `<table class="faults"><thead><tr><th>kind</th><th>host</th><th>remaining / used</th><th>expires</th><th></th></tr></thead><tbody>${rows}</tbody></table><p><button class="faults-clear-all" type="button">Clear all</button></p>`
    : '<p class="muted faults-none">no faults injected</p>';
  const kinds = Object.keys(FAULT_KINDS).map((k) => `<option value="${esc(k)}">${esc(k)}</option>`).join('');
  const hostList = hosts.length ? `<datalist id="fault-hosts">${hosts.map((h) => `<option value="${esc(h)}">`).join('')}</datalist>` : '';
  const form = `<form class="fault-form">
    <label>kind <select name="kind">${kinds}</select></label>
    <label>host <input name="host" list="fault-hosts" size="10" placeholder="(state kinds)"></label>
    <label>count <input name="count" type="number" min="1" step="1" size="4"></label>
    <label>ttl (s) <input name="ttl" type="number" min="1" size="4"></label>
    <label>params <input name="params" size="14" placeholder="delay=2 call=create_port"></label>
    <button class="fault-add" type="submit">Add fault</button>${hostList}
  </form>`;
  return `<p class="faults-summary" data-count="${faults.length}">${faults.length} fault${faults.length === 1 ? '' : 's'} in force</p>${list}${form}`;
}

/** The form's values as POST /nimbus/v1/faults's `fault`: empty fields left out, numeric params as numbers. */
export function faultRequest(v: { kind: string; host?: string; count?: string; ttl?: string; params?: string }): Record<string, unknown> {
  const fault: Record<string, unknown> = { kind: v.kind };
  if (v.host?.trim() && FAULT_KINDS[v.kind]?.host !== false) fault.host = v.host.trim();
  if (v.count?.trim()) fault.count = Number(v.count);
  if (v.ttl?.trim()) fault.ttl = Number(v.ttl);
  for (const pair of (v.params ?? '').split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const [k, raw] = eq > 0 ? [pair.slice(0, eq), pair.slice(eq + 1)] : [pair, ''];
    fault[k] = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return fault;
}

/** A fault POST's or DELETE's answer as the line above the list. */
export function renderFaultResult(what: string, a: Answer): string {
  if (a.status >= 400) return `<p class="error fault-result" data-ok="false">${esc(what)} failed: ${esc(errorMessage(a))} (HTTP ${a.status})</p>`;
  return `<p class="ok fault-result" data-ok="true">${esc(what)}${a.body?.fault?.id ? ` (${esc(a.body.fault.id)})` : ''}</p>`;
}
