/**
 * Structured logging (pino). One root logger; each service takes a child with its name
 * (`svc`); work on one request or instance carries `req` (the request id, req-…) and
 * `instance` (its uuid), so one grep follows a boot.
 */
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
 * JSON file (check it can be written first: see preflight.ts checkLogFile).
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
  const streams: StreamEntry[] = [
    { level: 'trace', stream: stderr },
    { level: 'trace', stream: appendStream(opts.file) },
  ];
  return pino(base, pino.multistream(streams));
}

/**
 * Appends lines to `path`, synchronously (the file holds every line up to a crash, in
 * order). Opened, with its directory, at the first line, after the start-up checks: a
 * start refused by them (a port in use) leaves no log file in a fresh data directory.
 */
function appendStream(path: string): DestinationStream {
  let fd: number | undefined;
  return {
    write(line: string) {
      if (fd === undefined) {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, 'a');
      }
      writeSync(fd, line);
    },
  };
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
