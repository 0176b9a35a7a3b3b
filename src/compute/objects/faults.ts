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

/** Messages of nova's build failures, for faults whose details do not name their class. */
const CAUSE_BY_MESSAGE: [RegExp, string][] = [
  [/^No valid host was found/, 'NoValidHost'],
  [/^Exceeded maximum number of retries/, 'MaxRetriesExceeded'],
  [/^Build of instance \S+ aborted/, 'BuildAbortException'],
  [/^Virtual Interface creation failed/, 'VirtualInterfaceCreateException'],
  [/^Binding failed for port/, 'PortBindingFailed'],
  [/^Build of instance \S+ was re-scheduled/, 'RescheduledException'],
];

/**
 * The exception class a fault records, for grouping failures: the class faultFromError
 * writes as the details' last line ("Class: message"), else the class a known message
 * belongs to, else the message itself when it is a bare class name (a non-nova error),
 * else "Unknown".
 */
export function faultCause(f: { message: string; details: string | null }): string {
  // The last "Class: message" line: a multi-line message leaves its tail below it.
  const named = (f.details ?? '')
    .split('\n')
    .reverse()
    .map((l) => /^([A-Za-z_][\w.]*): /.exec(l))
    .find((m) => m !== null);
  if (named) return named[1]!.split('.').pop()!;
  for (const [re, cls] of CAUSE_BY_MESSAGE) if (re.test(f.message)) return cls;
  return /^[A-Za-z_]\w*$/.test(f.message) ? f.message : 'Unknown';
}
