/**
 * nova's DISABLE_DB_ACCESS for nova-compute (nova/db/main/api.py _check_db_access):
 * nova-compute's dependencies carry no database handle (ComputeDeps has no `db`; its
 * objects go through the conductor), and this guard makes any attempt to reach one
 * through them fail loudly, logged as nova logs it, instead of finding a handle someone
 * added untyped.
 */
import type { Logger } from '../../common/log.js';
import { DBNotAllowed } from '../errors.js';

/** Names under which a database handle would be reached. */
const DATABASE_KEYS = new Set(['db', 'kysely', 'database', 'trx']);

/**
 * `deps` as a view whose database keys throw DBNotAllowed ("No DB access allowed in
 * <binary>" in the log, with the stack); every other member reads through unchanged.
 */
export function blockDbAccess<T extends object>(binary: string, deps: T, log: Logger): T {
  return new Proxy(deps, {
    get(target, key, receiver) {
      if (typeof key === 'string' && DATABASE_KEYS.has(key)) {
        log.error(`No DB access allowed in ${binary}: ${new Error().stack ?? ''}`);
        throw new DBNotAllowed(binary);
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
