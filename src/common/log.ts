/** Structured logging (pino). One root logger; each service takes a child with its name. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'nimbus'): Logger {
  return pino({ name, level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
