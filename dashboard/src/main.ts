/**
 * The Nimbus dashboard: log in with keystone credentials, then the topology (hosts →
 * br-int / qbr → qvb/qvo/tap → ports → networks/subnets → servers) polled every
 * POLL_MS from the standard APIs, with a VIF whose devices are missing flagged in red,
 * and a selected server's panels (timeline, diagnosis, repair report, faults).
 * A member sees what their token lists (their project, no hosts' devices); an admin
 * everything.
 */
import './style.css';
import { type Session, call, clearSession, errorMessage, loadSession, login } from './api.js';
import { esc, loadPanels } from './panels.js';
import { type HostDevicesRow, type HostView, type Topology, type VifView, buildTopology } from './topology.js';

const POLL_MS = 1500;
const root = document.getElementById('app')!;
let session: Session | undefined = loadSession();
let timer: ReturnType<typeof setTimeout> | undefined;
let lastRendered = '';
let selected: string | undefined;
let servers: Record<string, any>[] = [];

function showLogin(error = ''): void {
  if (timer) clearTimeout(timer);
  root.innerHTML = `
    <form id="login" class="login">
      <h1>Nimbus</h1>
      <label>User <input id="user" name="user" autocomplete="username" required></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
      <label>Project <input id="project" name="project" required></label>
      <button id="login-submit" type="submit">Log in</button>
      <p id="login-error" class="error">${esc(error)}</p>
    </form>`;
  const form = document.getElementById('login') as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
    login(v('user'), v('password'), v('project')).then(
      (s) => {
        session = s;
        showApp();
      },
      (e: Error) => showLogin(e.message),
    );
  });
}

function showApp(): void {
  const s = session!;
  lastRendered = '';
  root.innerHTML = `
    <header>
      <h1>Nimbus</h1>
      <span id="whoami">${esc(s.user)} in ${esc(s.project)}${s.isAdmin ? ' <b class="badge">admin</b>' : ''}</span>
      <span id="problems"></span>
      <span id="updated" class="muted"></span>
      <button id="logout" type="button">Log out</button>
    </header>
    <main>
      <div class="left">
        <section><h2>Topology</h2><div id="topology" class="muted">loading…</div></section>
        <section><h2>Networks</h2><div id="networks"></div></section>
      </div>
      <div class="right">
        <section><h2>Servers</h2><div id="servers"></div></section>
        <section id="detail"></section>
      </div>
    </main>`;
  document.getElementById('logout')!.addEventListener('click', () => {
    clearSession();
    session = undefined;
    showLogin();
  });
  root.onclick = onClick;
  void poll();
}

function onClick(ev: Event): void {
  const el = (ev.target as HTMLElement).closest<HTMLElement>('[data-select]');
  if (!el) return;
  selected = el.dataset.select!;
  lastRendered = '';
  renderDetail();
}

/** One pass over the APIs; an expired token goes back to the login. */
async function poll(): Promise<void> {
  const s = session;
  if (!s) return;
  try {
    const model = await fetchModel(s);
    if (session !== s) return;
    render(model);
    document.getElementById('updated')!.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    if ((e as Error).message === 'unauthorized') {
      clearSession();
      session = undefined;
      showLogin('Your token expired; log in again.');
      return;
    }
    const el = document.getElementById('updated');
    if (el) el.textContent = `update failed: ${(e as Error).message}`;
  }
  timer = setTimeout(() => void poll(), POLL_MS);
}

async function list(s: Session, service: 'compute' | 'network', path: string, key: string): Promise<Record<string, any>[]> {
  const a = await call(s, service, path);
  if (a.status === 401) throw new Error('unauthorized');
  // 403: not this user's to see (hypervisors and agents are admin only).
  if (a.status === 403) return [];
  if (a.status >= 400) throw new Error(`${path}: ${errorMessage(a)}`);
  return a.body[key] ?? [];
}

async function fetchModel(s: Session): Promise<Topology> {
  const [srv, hyp, ports, networks, subnets, agents] = await Promise.all([
    list(s, 'compute', `/v2.1/servers/detail${s.isAdmin ? '?all_tenants=1' : ''}`, 'servers'),
    s.isAdmin ? list(s, 'compute', '/v2.1/os-hypervisors', 'hypervisors') : Promise.resolve([]),
    list(s, 'network', '/v2.0/ports', 'ports'),
    list(s, 'network', '/v2.0/networks', 'networks'),
    list(s, 'network', '/v2.0/subnets', 'subnets'),
    s.isAdmin ? list(s, 'network', '/v2.0/agents', 'agents') : Promise.resolve([]),
  ]);
  servers = srv;
  const hostNames = new Set<string>(hyp.map((h) => h.hypervisor_hostname as string));
  for (const p of ports) if (p['binding:host_id']) hostNames.add(p['binding:host_id']);
  const devices: Record<string, HostDevicesRow> = {};
  if (s.isAdmin) {
    await Promise.all(
      [...hostNames].map(async (h) => {
        const a = await call(s, 'compute', `/nimbus/v1/hosts/${encodeURIComponent(h)}/devices`);
        if (a.status === 200) devices[h] = a.body.devices;
      }),
    );
  }
  return buildTopology({ servers: srv, ports, networks, subnets, hypervisors: [...hostNames], agents, devices });
}

function deviceChip(d: VifView['devices'][number]): string {
  const state = d.present === undefined ? 'unknown' : d.present ? 'present' : d.optional ? 'absent' : 'missing';
  return `<span class="device ${state}" data-kind="${d.kind}" data-name="${esc(d.name)}" data-present="${state}" title="${esc(d.name)}: ${state}">${esc(d.name)}</span>`;
}

function vifRow(v: VifView): string {
  const flagged = v.problems.length > 0;
  const srv = v.server ? `<a class="srv" data-select="${esc(v.server.id)}" data-server-name="${esc(v.server.name)}">${esc(v.server.name)}</a> <span class="status s-${esc(v.server.status)}">${esc(v.server.status)}</span>` : '<span class="muted">no server</span>';
  const chain = v.devices.length ? v.devices.map(deviceChip).join('<span class="arrow">→</span>') + (v.hybrid || v.devices.length ? '<span class="arrow">→</span><span class="device bridge">br-int</span>' : '') : '';
  const subnets = v.subnets.map((s) => `${esc(s.name || s.id.slice(0, 8))} ${esc(s.cidr)}`).join(', ');
  return `<div class="vif${flagged ? ' problem' : ''}" data-port="${esc(v.portId)}" data-server="${esc(v.server?.id ?? '')}">
    <div class="vif-head">${srv}
      <span class="port" title="${esc(v.portId)}">port ${esc(v.portName || v.portId.slice(0, 8))}</span>
      <span class="status s-${esc(v.status)}" data-port-status="${esc(v.status)}">${esc(v.status)}</span>
      ${v.bindingVisible ? `<span class="binding" data-vif-type="${esc(v.vifType)}">${esc(v.vifType || 'unbound')}${v.host ? ` @ ${esc(v.host)}` : ''}</span>` : ''}
      <span class="net">${esc(v.network.name)}${subnets ? ` (${subnets})` : ''} ${esc(v.ips.join(', '))}</span>
    </div>
    ${chain ? `<div class="chain">${chain}</div>` : ''}
    ${flagged ? `<ul class="problems">${v.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}
  </div>`;
}

function hostBlock(h: HostView): string {
  const agent = h.agent === undefined ? '' : h.agent === null ? '<span class="status bad">no OVS agent</span>' : `<span class="status ${h.agent.alive ? 'ok' : 'bad'}">agent ${h.agent.alive ? 'alive' : 'dead'}</span>`;
  const dev = h.devicesKnown
    ? `<details class="bridges"><summary><span class="device bridge">br-int</span> ${h.brInt.length} ports · ${h.qbrs.length} qbr${h.stale.length ? ` · <span class="stale" data-stale="${h.stale.length}">stale: ${h.stale.map(esc).join(', ')}</span>` : ''}</summary>
        <div class="chain">br-int: ${h.brInt.map((p) => `<span class="device">${esc(p)}</span>`).join(' ')}</div>
        ${h.qbrs.map((b) => `<div class="chain">${esc(b.name)}: ${b.ports.map((p) => `<span class="device">${esc(p)}</span>`).join(' ') || '<span class="muted">empty</span>'}</div>`).join('')}
      </details>`
    : '<div class="muted">devices not shown (admin only)</div>';
  return `<div class="host${h.problems ? ' problem' : ''}" data-host="${esc(h.name)}">
    <h3>${esc(h.name)} ${agent}</h3>${dev}
    ${h.vifs.map(vifRow).join('') || '<div class="muted">no ports</div>'}
  </div>`;
}

function render(t: Topology): void {
  const key = JSON.stringify([t, servers.map((s) => [s.id, s.name, s.status, s['OS-EXT-STS:task_state']]), selected]);
  if (key === lastRendered) return;
  lastRendered = key;
  const topo = document.getElementById('topology')!;
  topo.classList.remove('muted');
  topo.innerHTML =
    t.hosts.map(hostBlock).join('') +
    (t.unbound.length ? `<div class="host" data-host=""><h3>${t.hosts.length ? 'Unbound ports' : 'Ports'}</h3>${t.unbound.map(vifRow).join('')}</div>` : '') || '<p class="muted">nothing to show yet</p>';
  document.getElementById('problems')!.innerHTML = t.problems ? `<b class="bad" id="problem-count">${t.problems} problem${t.problems > 1 ? 's' : ''}</b>` : '<span class="ok">no problems</span>';
  document.getElementById('networks')!.innerHTML = t.networks.length
    ? `<table><thead><tr><th>network</th><th>type</th><th>status</th><th>subnets</th><th>ports</th></tr></thead><tbody>${t.networks
        .map((n) => `<tr data-network="${esc(n.id)}"><td>${esc(n.name)}</td><td>${esc(n.type)}</td><td>${esc(n.status)}</td><td>${n.subnets.map((s) => `${esc(s.name)} ${esc(s.cidr)}`).join('<br>')}</td><td>${n.ports}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">no networks</p>';
  document.getElementById('servers')!.innerHTML = servers.length
    ? `<ul class="server-list">${servers
        .map((s) => `<li class="server${s.id === selected ? ' selected' : ''}" data-select="${esc(s.id)}" data-server-id="${esc(s.id)}" data-server-name="${esc(s.name)}"><b>${esc(s.name)}</b> <span class="status s-${esc(s.status)}">${esc(s.status)}</span>${s['OS-EXT-STS:task_state'] ? ` <i>${esc(s['OS-EXT-STS:task_state'])}</i>` : ''} <span class="muted">${esc(s['OS-EXT-SRV-ATTR:host'] ?? '')}</span></li>`)
        .join('')}</ul>`
    : '<p class="muted">no servers</p>';
}

function renderDetail(): void {
  const el = document.getElementById('detail');
  if (!el || !session || !selected) return;
  const s = servers.find((x) => x.id === selected);
  el.innerHTML = `<h2>Server ${esc(s?.name ?? selected)}</h2>
    <p class="muted">${esc(selected)} · ${esc(s?.status ?? '')}${s?.fault ? ` · fault: ${esc(s.fault.message)}` : ''} <button id="refresh-panels" type="button">Refresh</button></p>
    <div id="panels"></div>`;
  const panels = document.getElementById('panels')!;
  const id = selected;
  document.getElementById('refresh-panels')!.addEventListener('click', () => void loadPanels(session!, id, panels));
  void loadPanels(session, id, panels);
  // The list's highlight follows the selection at the next render.
  lastRendered = '';
}

if (session) showApp();
else showLogin();
