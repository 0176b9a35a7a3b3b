/**
 * Structured logging (pino). One root logger; each service takes a child with its name
 * (`svc`); work on one request or instance carries `req` (the request id, req-…) and
 * `instance` (its uuid), so one grep follows a boot.
 */
import pino, { type DestinationStream, type Logger, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  /**
   * Readable lines on stderr instead of JSON; defaults to whether stderr is a terminal
   * (tests and log shippers read the JSON).
   */
  pretty?: boolean;
  /** Also append JSON lines to this file (created with its directory if missing). */
  file?: string;
}

/**
 * The root logger: stderr (readable on a terminal, JSON otherwise) plus an optional
 * JSON file. Throws when the file cannot be opened.
 */
export function createLogger(level: string, opts: LogOptions = {}, name = 'nimbus'): Logger {
  const base = { name, level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  const isPretty = opts.pretty ?? process.stderr.isTTY === true;
  // pino-pretty's stream form formats in this thread: its transport form needs worker
  // threads and a module path at run time, which the single-file bundle does not have.
  const stderr: DestinationStream = isPretty
    ? pretty({
        destination: 2,
        sync: true,
        colorize: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name,svc',
        messageFormat: '{if svc}{svc}: {end}{msg}',
      })
    : pino.destination(2);
  if (!opts.file) return pino(base, stderr);
  // Synchronous appends: the file then holds every line up to a crash, in order.
  const file = pino.destination({ dest: opts.file, append: true, mkdir: true, sync: true });
  const streams: StreamEntry[] = [
    { level: 'trace', stream: stderr },
    { level: 'trace', stream: file },
  ];
  return pino(base, pino.multistream(streams));
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
