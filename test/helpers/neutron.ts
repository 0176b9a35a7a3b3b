/**
 * Small helpers for neutron's functional tests: asserting a NeutronError body, and
 * creating the network/subnet/port fixtures most tests start from.
 */
import assert from 'node:assert/strict';
import type { TestCloud } from './cloud.js';

export type User = 'admin' | 'demo';
export interface ApiResult {
  status: number;
  body: any;
}

/** Asserts neutron's error: the HTTP status, NeutronError.type and the exact message (string or pattern). */
export function assertNeutronError(res: ApiResult, status: number, type: string, message: string | RegExp): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  const err = res.body?.NeutronError;
  assert.ok(err, `no NeutronError in ${JSON.stringify(res.body)}`);
  assert.equal(err.type, type, `type: ${JSON.stringify(err)}`);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
}

/** Asserts a success status, printing the body on failure. */
export function assertStatus(res: ApiResult, status: number): any {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Thin neutron client over a test cloud. */
export function neutron(cloud: TestCloud) {
  const url = (path: string) => `${cloud.urls.network}/v2.0/${path}`;
  const call = (user: User | null, method: string, path: string, body?: unknown) => cloud.api(user, method, url(path), body);
  return {
    url,
    call,
    get: (user: User | null, path: string) => call(user, 'GET', path),
    post: (user: User | null, path: string, body: unknown) => call(user, 'POST', path, body),
    put: (user: User | null, path: string, body: unknown) => call(user, 'PUT', path, body),
    del: (user: User | null, path: string) => call(user, 'DELETE', path),
    async network(user: User, attrs: Record<string, unknown> = {}): Promise<any> {
      return assertStatus(await call(user, 'POST', 'networks', { network: { name: 'n', ...attrs } }), 201).network;
    },
    async subnet(user: User, networkId: string, cidr: string, attrs: Record<string, unknown> = {}): Promise<any> {
      return assertStatus(await call(user, 'POST', 'subnets', { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...attrs } }), 201).subnet;
    },
    async port(user: User, networkId: string, attrs: Record<string, unknown> = {}): Promise<any> {
      return assertStatus(await call(user, 'POST', 'ports', { port: { network_id: networkId, ...attrs } }), 201).port;
    },
  };
}
