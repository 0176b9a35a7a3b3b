/**
 * What every operator command shares: its declaration (summary, usage, options), the
 * parsing of its arguments (-f/--format, -h/--help and its own options), and a run that
 * logs in with the OS_* credentials and returns the exit status.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OpsClient, OpsError, credentialsFromEnv } from './client.js';
import { Exit, FORMATS, type Format, type Io } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a command's run gets: its parsed values and positionals, the output format, a logged-in client. */
export interface OpsInvocation {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  format: Format;
  io: Io;
  client: () => Promise<OpsClient>;
}

export interface OpsCommand {
  /** One line for `nimbus help`. */
  summary: string;
  /** The usage line(s) and option descriptions for `nimbus help NAME` and `--help`. */
  help: string;
  options: Options;
  /** Returns the exit status (output.ts Exit): OK, or PROBLEM when it found one. */
  run(inv: OpsInvocation): Promise<number>;
}

/** A mistake on the command line: printed with the command's usage, exit status 2. */
export class OpsUsageError extends Error {}

const COMMON: Options = {
  help: { type: 'boolean', short: 'h' },
  format: { type: 'string', short: 'f' },
};

/** Parses, logs in lazily and runs one command; prints errors; returns the exit status. */
export async function runOpsCommand(name: string, cmd: OpsCommand, argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`nimbus ${name}: ${(e as Error).message}\n${cmd.help.split('\n')[0]}`);
    return Exit.USAGE;
  }
  const { help, format, ...values } = parsed.values;
  if (help === true) {
    io.out(cmd.help);
    return Exit.OK;
  }
  const fmt = (format ?? 'table') as string;
  if (!FORMATS.includes(fmt as Format)) {
    io.err(`nimbus ${name}: -f must be one of ${FORMATS.join(', ')}, not '${fmt}'`);
    return Exit.USAGE;
  }
  let client: OpsClient | undefined;
  try {
    return await cmd.run({
      values,
      positionals: parsed.positionals,
      format: fmt as Format,
      io,
      client: async () => (client ??= await OpsClient.login(credentialsFromEnv(io.env))),
    });
  } catch (e) {
    if (e instanceof OpsUsageError) {
      io.err(`nimbus ${name}: ${e.message}\n${cmd.help.split('\n')[0]}`);
      return Exit.USAGE;
    }
    if (e instanceof OpsError) {
      io.err(`nimbus ${name}: ${e.message}`);
      return Exit.PROBLEM;
    }
    throw e;
  }
}
