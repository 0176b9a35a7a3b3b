/**
 * Compute API microversions (nova/api/openstack/api_version_request.py): the client
 * asks with `OpenStack-API-Version: compute X.Y` or the legacy
 * `X-OpenStack-Nova-API-Version: X.Y`; none means 2.1, `latest` the maximum. Every
 * response names the version it was served at. MAX is the highest version whose
 * changes to the resources Nimbus implements it honours (docs/decisions.md).
 */
import { OpenStackError } from '../../common/errors.js';

export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.93';

export interface Microversion {
  major: number;
  minor: number;
}

export function parseVersion(s: string): Microversion | null {
  const m = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(s);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

export const MIN = parseVersion(MIN_VERSION)!;
export const MAX = parseVersion(MAX_VERSION)!;

export function compare(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function versionString(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

export class InvalidAPIVersionString extends OpenStackError {
  static override readonly wireType: string = 'InvalidAPIVersionString';
  override readonly status = 400;
}
export class InvalidGlobalAPIVersion extends OpenStackError {
  static override readonly wireType: string = 'InvalidGlobalAPIVersion';
  override readonly status = 406;
}

/** The version a request asks for, from its headers. */
export function requestedVersion(headers: Record<string, string | string[] | undefined>): Microversion {
  let raw: string | undefined;
  const std = headers['openstack-api-version'];
  if (std !== undefined) {
    // "compute 2.60" possibly among other services' entries, comma separated.
    for (const part of String(std).split(',')) {
      const [svc, ver] = part.trim().split(/\s+/);
      if (svc?.toLowerCase() === 'compute' && ver) raw = ver;
    }
  }
  if (raw === undefined) {
    const legacy = headers['x-openstack-nova-api-version'];
    if (legacy !== undefined) raw = String(legacy).trim();
  }
  if (raw === undefined) return MIN;
  if (raw.toLowerCase() === 'latest') return MAX;
  const v = parseVersion(raw);
  if (!v) throw new InvalidAPIVersionString(`API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (compare(v, MIN) < 0 || compare(v, MAX) > 0) {
    throw new InvalidGlobalAPIVersion(`Version ${raw} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`);
  }
  return v;
}

/** True when the request's version is at least `min` ("2.47"). */
export function atLeast(v: Microversion, min: string): boolean {
  return compare(v, parseVersion(min)!) >= 0;
}
