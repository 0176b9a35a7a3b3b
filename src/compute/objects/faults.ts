/**
 * An instance fault from an exception (nova/compute/utils.py
 * add_instance_fault_from_exc): nova exceptions keep their code and message, anything
 * else is a 500 named by its class; details hold the traceback (admins see it).
 */
import { OpenStackError } from '../../common/errors.js';
import { NovaException } from '../errors.js';

export function faultFromError(e: unknown, host: string | null, tried: { host: string; reason: string }[] = [], message?: string): { code: number; message: string; details: string; host: string | null } {
  const err = e as Error & { detail?: string };
  const isNova = e instanceof NovaException;
  const code = e instanceof OpenStackError ? e.status : 500;
  const msg = message ?? (isNova ? err.message : (err?.name ?? 'Exception'));
  const lines = [`Traceback (most recent call last):`, ...(err?.stack ?? '').split('\n').slice(1)];
  if (tried.length) lines.push('Hosts tried:', ...tried.map((t) => `  ${t.host}: ${t.reason}`));
  if (err?.detail) lines.push(err.detail);
  lines.push(`${(e as OpenStackError).type ?? err?.name ?? 'Exception'}: ${err?.message ?? String(e)}`);
  return { code, message: msg, details: lines.join('\n'), host };
}
