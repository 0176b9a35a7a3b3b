/**
 * The browser's side of the dashboard server: a keystone session (token, project, roles)
 * kept in sessionStorage, and calls to keystone, nova and neutron through the server's
 * /api/{identity,compute,network} pass-through with that token.
 */

/** The APIs the dashboard server passes through. */
export type Service = 'identity' | 'compute' | 'network';

/** A logged-in user: keystone's token and what it is scoped to. */
export interface Session {
  token: string;
  user: string;
  project: string;
  projectId: string;
  isAdmin: boolean;
  expiresAt: string;
}

/** An API answer: status and parsed body (text when not JSON). */
export interface Answer {
  status: number;
  body: any;
}

const KEY = 'nimbus-dashboard-session';

/** The session of this tab, unless absent or expired. */
export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  const s = JSON.parse(raw) as Session;
  return Date.parse(s.expiresAt) > Date.now() ? s : undefined;
}

/** Logs out (the token simply stops being used; keystone's expiry ends it). */
export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

async function parse(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** OpenStack's error message from any of the services' error bodies. */
export function errorMessage(a: Answer): string {
  const b = a.body;
  if (b && typeof b === 'object') {
    if (b.error?.message) return b.error.message;
    if (b.NeutronError?.message) return b.NeutronError.message;
    const first = Object.values(b)[0] as any;
    if (first?.message) return first.message;
  }
  return typeof b === 'string' && b ? b : `HTTP ${a.status}`;
}

/** POST /v3/auth/tokens (password, project-scoped, Default domain): keystone's own check of the credentials. */
export async function login(user: string, password: string, project: string): Promise<Session> {
  const res = await fetch('/api/identity/v3/auth/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  const body = await parse(res);
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(errorMessage({ status: res.status, body }));
  const t = body.token;
  const s: Session = {
    token,
    user,
    project: t.project?.name ?? project,
    projectId: t.project?.id ?? '',
    isAdmin: (t.roles ?? []).some((r: { name: string }) => r.name === 'admin'),
    expiresAt: t.expires_at,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

/** Calls an API with the session's token; never throws for an HTTP status (the caller decides). */
export async function call(s: Session, service: Service, path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'x-auth-token': s.token, accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/${service}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  return { status: res.status, body: await parse(res) };
}
