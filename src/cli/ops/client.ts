/**
 * How the operator commands reach a running Nimbus: keystone credentials from the
 * OS_* environment (the openrc files `nimbus up` writes), as the openstack client reads
 * them; a project-scoped token; nova's endpoint from the catalog; then JSON requests to
 * the operator API nova-api serves under /nimbus/v1 (src/compute/api/ops/).
 */
import { request } from 'undici';
import { AuthenticationFailed, ServiceSession } from '../../common/rest-client.js';

/** A failure the operator should read as is (bad credentials, an API error): exit status 1. */
export class OpsError extends Error {}

export interface Credentials {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  region?: string;
  interface: string;
}

const REQUIRED = ['OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME'] as const;

/** Credentials from OS_* variables; names every missing one. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length) {
    throw new OpsError(`missing ${missing.join(', ')}: source an openrc file first (nimbus up writes <data_dir>/openrc-admin)`);
  }
  return {
    authUrl: env.OS_AUTH_URL!.replace(/\/+$/, ''),
    username: env.OS_USERNAME!,
    password: env.OS_PASSWORD!,
    projectName: env.OS_PROJECT_NAME!,
    userDomainName: env.OS_USER_DOMAIN_NAME ?? env.OS_USER_DOMAIN_ID ?? 'Default',
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? env.OS_PROJECT_DOMAIN_ID ?? 'Default',
    ...(env.OS_REGION_NAME ? { region: env.OS_REGION_NAME } : {}),
    interface: env.OS_INTERFACE ?? 'public',
  };
}

/** A response of the operator API: the status and the decoded body. */
export interface OpsResponse<T = unknown> {
  status: number;
  body: T;
}

export class OpsClient {
  private constructor(
    private readonly token: string,
    /** nova's endpoint, from the catalog. */
    private readonly compute: string,
  ) {}

  /** Logs in as keystoneauth's password plugin does (the services' ServiceSession), naming what went wrong. */
  static async login(creds: Credentials): Promise<OpsClient> {
    const v3 = /\/v3$/.test(creds.authUrl) ? creds.authUrl : `${creds.authUrl}/v3`;
    const session = new ServiceSession({
      authUrl: v3,
      username: creds.username,
      password: creds.password,
      projectName: creds.projectName,
      userDomainName: creds.userDomainName,
      projectDomainName: creds.projectDomainName,
      interface: creds.interface as 'public',
      ...(creds.region ? { region: creds.region } : {}),
    });
    let token: string;
    try {
      token = await session.token();
    } catch (e) {
      if (e instanceof AuthenticationFailed) throw new OpsError(`keystone refused the credentials of ${creds.username}: ${e.status} ${errorMessage(e.body)}`);
      throw new OpsError(`cannot reach keystone at ${v3} (${(e as Error).message})`);
    }
    const compute = await session.endpoint('compute').catch(() => {
      throw new OpsError(`the catalog has no ${creds.interface} compute endpoint${creds.region ? ` in ${creds.region}` : ''}`);
    });
    return new OpsClient(token, compute);
  }

  /** The operator API's root: nova's endpoint without its /v2.1[/project] suffix, then /nimbus/v1. */
  opsRoot(): string {
    return `${this.compute.replace(/\/v2(\.1)?(\/[0-9a-f]{32})?$/, '')}/nimbus/v1`;
  }

  /** One request to the operator API; an error status becomes an OpsError with the API's message. */
  async call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<OpsResponse<T>> {
    const url = `${this.opsRoot()}${path}`;
    const headers: Record<string, string> = { 'x-auth-token': this.token, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await request(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (e) {
      throw new OpsError(`cannot reach nova-api at ${url} (${(e as Error).message})`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new OpsError(`${method} ${path}: ${res.statusCode} ${errorMessage(text)}`);
    return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T };
  }
}

/** The message of an OpenStack error body ({"itemNotFound": {"message": ...}}, {"NeutronError": ...}, {"error": ...}). */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, { message?: string }>;
    for (const v of Object.values(body)) if (v && typeof v === 'object' && typeof v.message === 'string') return v.message;
  } catch {
    /* not JSON: the text itself */
  }
  return text.slice(0, 300);
}
