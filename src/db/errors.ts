/**
 * What the database refuses to store, as oslo.db's DBDataError: a string longer than
 * its column, a number out of range, a NUL character (PostgreSQL text cannot hold one).
 * SQLite stores all of these; PostgreSQL and MariaDB (strict mode) refuse them, so a
 * request that reached SQL with such a value is answered 400 on every dialect instead of
 * a 500 on two of them.
 */
import { BadRequest } from '../common/errors.js';

export class DBDataError extends BadRequest {
  static override readonly wireType: string = 'DBDataError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Invalid input for operation: ${reason}.`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The DBDataError a driver error stands for, or null when it is another kind of error. */
export function asDataError(e: unknown): DBDataError | null {
  const err = e as { code?: string; errno?: number };
  const code = err?.code ?? '';
  const reason =
    code === '22001' || err?.errno === 1406
      ? 'a value is too long for its database column'
      : code === '22003' || err?.errno === 1264
        ? 'a number is out of range for its database column'
        : code === '22021' || code === '22P05'
          ? 'a string holds a character the database cannot store'
          : (code.startsWith('22') && code.length === 5) || err?.errno === 1366 || err?.errno === 1292
            ? 'a value the database cannot store in its column'
            : null;
  return reason ? new DBDataError(reason, { cause: e }) : null;
}
