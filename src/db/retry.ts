/**
 * oslo.db's wrap_db_retry for Kysely: which errors a transaction is run again for, and a
 * Kysely whose `transaction().execute()` does so.
 */
import { type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, Kysely, type KyselyConfig, type QueryResult, type TransactionBuilder } from 'kysely';
import { type Clock, type Random, systemClock, systemRandom } from '../common/clock.js';

/** oslo.db's wrap_db_retry knobs: how often and how patiently a transaction is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (oslo.db's db_max_retries). */
  maxRetries: number;
  /** Seconds before the first retry, doubled each time (db_retry_interval, db_inc_retry_interval). */
  interval: number;
  /** Ceiling of the wait in seconds (db_max_retry_interval). */
  maxInterval: number;
}

export interface OpenOptions {
  /** Connections a PostgreSQL/MariaDB pool holds at most (oslo.db's max_pool_size + max_overflow). */
  poolSize?: number;
  retry?: RetryPolicy;
  /** Waits between retries; a fake clock lets tests not sleep. */
  clock?: Clock;
  /** Jitter spreading the retries of racing transactions apart. */
  random?: Random;
}

/** Neutron's retry_db_errors: 0.1 s doubling up to 10 s, jittered (nova's 5 retries are fewer). */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 10, interval: 0.1, maxInterval: 10 };

/** True when `e` is a deadlock or serialization failure, which oslo.db retries (DBDeadlock). */
export function isDeadlock(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return (
    err?.code === '40P01' || // deadlock_detected
    err?.code === '40001' || // serialization_failure
    err?.errno === 1213 || // ER_LOCK_DEADLOCK
    err?.errno === 1205 || // ER_LOCK_WAIT_TIMEOUT: oslo.db maps it to DBDeadlock too
    err?.code === 'SQLITE_BUSY'
  );
}

/**
 * True when `e` is a lost or refused connection (oslo.db's DBConnectionError): the
 * server restarted or went away. The pool drops the broken connection and opens a new
 * one for the retry, as oslo.db's retry_on_disconnect.
 */
export function isDisconnect(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  const code = err?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST'].includes(code) ||
    // admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions (08xxx)
    ['57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    err?.errno === 2006 || // CR_SERVER_GONE_ERROR
    err?.errno === 2013 || // CR_SERVER_LOST
    err?.errno === 1053 || // ER_SERVER_SHUTDOWN: the statement was cut by a shutdown
    err?.errno === 1927 || // ER_CONNECTION_KILLED
    /Connection terminated|Client was closed|not queryable|connection is in closed state/i.test(err?.message ?? '')
  );
}

/**
 * Kysely whose transactions are retried whole on deadlock, serialization failure and a
 * lost connection, waiting interval·2^n seconds (jittered, capped) between attempts;
 * after maxRetries the last error is thrown. A transaction cut off before its COMMIT
 * left nothing behind; one cut off during COMMIT may have committed, and is run again
 * as oslo.db's retry_on_disconnect does (the callers' writes are keyed, so a second run
 * meets a unique violation rather than writing twice). Single statements outside a
 * transaction are retried on a lost connection by the driver (retryingOnDisconnect).
 */
export class RetryingKysely<T> extends Kysely<T> {
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #random: Random;
  constructor(args: KyselyConfig, opts: OpenOptions) {
    super(args);
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? systemRandom;
  }
  override transaction(): TransactionBuilder<T> {
    return this.#retrying(super.transaction());
  }
  #retrying(tb: TransactionBuilder<T>): TransactionBuilder<T> {
    const execute = tb.execute.bind(tb);
    const setIsolationLevel = tb.setIsolationLevel.bind(tb);
    const setAccessMode = tb.setAccessMode.bind(tb);
    return Object.assign(tb, {
      execute: <R>(fn: Parameters<typeof execute<R>>[0]) => this.#withRetry(() => execute(fn)),
      setIsolationLevel: (l: Parameters<typeof setIsolationLevel>[0]) => this.#retrying(setIsolationLevel(l)),
      setAccessMode: (m: Parameters<typeof setAccessMode>[0]) => this.#retrying(setAccessMode(m)),
    });
  }
  async #withRetry<R>(attempt: () => Promise<R>): Promise<R> {
    const { maxRetries, interval, maxInterval } = this.#retry;
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (n >= maxRetries || !(isDeadlock(e) || isDisconnect(e))) throw e;
        const wait = Math.min(maxInterval, interval * 2 ** n);
        await this.#clock.sleep(wait * 1000 * (0.5 + this.#random.int(1000) / 2000));
      }
    }
  }
}

/**
 * A dialect whose driver rides out a server restart outside transactions, as oslo.db's
 * pool does with its ping on checkout (a dead connection is dropped and a new one
 * opened) and its retry on disconnect: taking a connection from the pool is retried
 * on a refused or lost connection with the policy's back-off, and so is a single
 * statement outside a transaction whose connection was cut (the server rolled it back;
 * it runs again on a new connection). Inside a transaction a lost connection is thrown
 * to RetryingKysely, which runs the whole transaction again.
 */
export function retryingOnDisconnect(dialect: Dialect, opts: OpenOptions): Dialect {
  const policy = opts.retry ?? DEFAULT_RETRY;
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandom;
  const pause = (n: number) => clock.sleep(Math.min(policy.maxInterval, policy.interval * 2 ** n) * 1000 * (0.5 + random.int(1000) / 2000));
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => {
      const inner = dialect.createDriver();
      const acquire = async (): Promise<DatabaseConnection> => {
        for (let n = 0; ; n++) {
          try {
            return await inner.acquireConnection();
          } catch (e) {
            if (n >= policy.maxRetries || !isDisconnect(e)) throw e;
            await pause(n);
          }
        }
      };
      /** The pooled connection a wrapper currently holds, and whether a transaction is open on it. */
      class Held implements DatabaseConnection {
        inTransaction = false;
        constructor(public conn: DatabaseConnection) {}
        async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
          for (let n = 0; ; n++) {
            try {
              return await this.conn.executeQuery<R>(q);
            } catch (e) {
              if (this.inTransaction || n >= policy.maxRetries || !isDisconnect(e)) throw e;
              await inner.releaseConnection(this.conn).catch(() => undefined);
              await pause(n);
              this.conn = await acquire();
            }
          }
        }
        streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
          return this.conn.streamQuery<R>(q, chunkSize);
        }
      }
      const held = (c: DatabaseConnection) => c as Held;
      const driver: Driver = {
        init: () => inner.init(),
        acquireConnection: async () => new Held(await acquire()),
        beginTransaction: async (c, settings) => {
          held(c).inTransaction = true;
          await inner.beginTransaction(c, settings);
        },
        commitTransaction: async (c) => {
          try {
            await inner.commitTransaction(c);
          } finally {
            held(c).inTransaction = false;
          }
        },
        rollbackTransaction: async (c) => {
          try {
            await inner.rollbackTransaction(c);
          } finally {
            held(c).inTransaction = false;
          }
        },
        releaseConnection: (c) => inner.releaseConnection(held(c).conn),
        destroy: () => inner.destroy(),
      };
      if (inner.savepoint) driver.savepoint = inner.savepoint.bind(inner);
      if (inner.rollbackToSavepoint) driver.rollbackToSavepoint = inner.rollbackToSavepoint.bind(inner);
      if (inner.releaseSavepoint) driver.releaseSavepoint = inner.releaseSavepoint.bind(inner);
      return driver;
    },
  };
}
