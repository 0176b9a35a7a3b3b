#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * The `nimbus` command: `nimbus up` runs every service in one process; `nimbus keystone`,
 * `nova-api`, `host --host H`... run one service (or one simulated host) each, for a
 * distributed deployment (src/deploy/services.ts); `nimbus help` lists every option
 * with its flag and environment variable.
 *
 * Exit status: 0 after `help`, `--help` or `--version`; 2 for a usage error (no
 * command, an unknown command or option, an option without its value), with the
 * usage or a hint on stderr, as getopt-style tools do; 1 when a command fails to start.
 *
 * Runs with an 8 MiB young generation (V8's default is 16): the allocation churn of
 * thousands of requests then costs ~70 MiB less resident memory at the same throughput
 * (bench/ports.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startCloud } from '../cloud.js';
import { OPTIONS, describeOptions, loadConfig, optionNames } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { checkLogFile, describeFsError } from '../common/preflight.js';
import { HOST_COMMANDS, type ServiceCommand, startService } from '../deploy/services.js';
import { OPS_COMMANDS, processIo, runOpsCommand } from './ops/index.js';

const COMMANDS = {
  up: 'start keystone, glance, neutron and nova with the simulated hosts, in this process, until Ctrl-C',
  keystone: 'run keystone alone (identity API; the catalog lists the endpoints of the configuration)',
  glance: 'run glance alone (image API)',
  'nova-api': 'run nova-api alone (compute API and metadata API)',
  'nova-conductor': 'run nova-conductor alone (conductor topic, as --host)',
  'nova-scheduler': 'run nova-scheduler alone (scheduler topic, as --host)',
  'nova-compute': 'run nova-compute for one simulated hypervisor host (--host H)',
  'neutron-server': 'run neutron-server alone (network API, q-plugin, q-reports-plugin)',
  'neutron-openvswitch-agent': 'run the OVS agent of one simulated host (--host H)',
  'neutron-dhcp-agent': 'run the DHCP agent (dnsmasq per network) of one real host (--host H; host_driver = linux)',
  host: "run one simulated hypervisor host (--host H): its nova-compute and OVS agent sharing the host's devices",
  help: 'show this help, or a command\'s (nimbus help up)',
} as const;
type Command = keyof typeof COMMANDS;

/** A mistake in the command line: reported with a hint, exit status 2. */
class UsageError extends Error {}

const USAGE = 'usage: nimbus <command> [options]';
const HINT = "Run 'nimbus help' for the commands and options.";

function commandList(): string[] {
  const ops = Object.entries(OPS_COMMANDS);
  return [
    'Commands:',
    ...Object.entries(COMMANDS).map(([c, h]) => `  ${c.padEnd(c.length > 6 ? 26 : 6)} ${h}`),
    ...(ops.length ? ['', 'Operator commands (a running Nimbus, OS_* credentials of an admin):'] : []),
    ...ops.map(([c, cmd]) => `  ${c.padEnd(26)} ${cmd.summary}`),
  ];
}

function generalHelp(): string {
  return [
    USAGE,
    '',
    ...commandList(),
    '',
    'Options:',
    '  -h, --help            show this help and exit',
    '  --version             print the version and exit',
    '  --config-file PATH    INI file to read, repeatable, a later file winning (default: ./nimbus.conf when it exists)',
    '',
    `Options of 'nimbus up' (the flag, the environment variable, the default; later wins:`,
    'INI file, then environment, then flags):',
    describeOptions(),
  ].join('\n');
}

function commandHelp(command: Command): string {
  if (command === 'help') return `usage: nimbus help [command]\n\n${COMMANDS.help}`;
  if (command !== 'up') {
    const host = HOST_COMMANDS.includes(command) ? ' --host HOST' : '';
    return [
      `usage: nimbus ${command}${host} [--config-file PATH ...] [--<option> VALUE | --<option>=VALUE ...]`,
      '',
      `${COMMANDS[command][0]!.toUpperCase()}${COMMANDS[command].slice(1)}, until Ctrl-C or SIGTERM.`,
      'It finds the other services through keystone ([identity] public_endpoint or port) and the bus',
      '([DEFAULT] transport_url); every process of a deployment reads the same configuration.',
      '',
      'Options (the flag, the environment variable, the default; later wins: INI files, then',
      'environment, then flags):',
      '  --config-file PATH  (repeatable; default: ./nimbus.conf when it exists)',
      describeOptions(),
    ].join('\n');
  }
  return [
    'usage: nimbus up [--config-file PATH] [--<option> VALUE | --<option>=VALUE ...]',
    '',
    'Starts keystone, glance, neutron and nova with the simulated hosts, in this process,',
    'until Ctrl-C. Logs go to stderr (readable on a terminal, JSON lines otherwise) and,',
    `with ${optionNames('DEFAULT', 'log_file').flag}, are appended to a file as JSON lines.`,
    '',
    'Options (the flag, the environment variable, the default; later wins: INI file, then',
    'environment, then flags):',
    '  --config-file PATH  (default: ./nimbus.conf when it exists)',
    describeOptions(),
  ].join('\n');
}

/** package.json's version: one level above the bundle (dist/), two above this file (src/cli/). */
function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nimbus' && pkg.version) return pkg.version;
    } catch {
      /* not there: try the next level */
    }
  }
  return 'unknown';
}

/** Every flag `nimbus` accepts: the options of OPTIONS (all take a value) plus the CLI's own. */
function parserOptions(): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    'config-file': { type: 'string', multiple: true },
  };
  for (const [section, opts] of Object.entries(OPTIONS)) {
    for (const key of Object.keys(opts)) options[optionNames(section, key).flag.slice(2)] = { type: 'string' };
  }
  return options;
}

interface Invocation {
  command?: string;
  topic?: string;
  extra: string[];
  help: boolean;
  version: boolean;
  configFiles: string[];
  flags: Record<string, string>;
}

/**
 * `--compute-quota-instances -1` as `--compute-quota-instances=-1`: parseArgs calls a
 * value starting with a dash ambiguous, but a negative number is never an option, and -1
 * is how OpenStack spells "unlimited".
 */
function joinNegativeValues(argv: string[], options: ReturnType<typeof parserOptions>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function parse(argv: string[]): Invocation {
  let parsed;
  try {
    const options = parserOptions();
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = (e as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const opt = /'(?:-\w, )?(--[\w-]+)/.exec(msg)?.[1];
      if (opt && /argument missing|ambiguous/.test(msg)) throw new UsageError(`option ${opt} needs a value (${opt} VALUE or ${opt}=VALUE)`);
    }
    throw new UsageError(msg);
  }
  const { help, version: v, 'config-file': configFiles, ...rest } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const flags: Record<string, string> = {};
  for (const [k, val] of Object.entries(rest)) if (typeof val === 'string') flags[k] = val;
  const [command, topic, ...extra] = parsed.positionals;
  return {
    ...(command !== undefined ? { command } : {}),
    ...(topic !== undefined ? { topic } : {}),
    extra,
    help: help === true,
    version: v === true,
    configFiles: Array.isArray(configFiles) ? configFiles : [],
    flags,
  };
}

function isCommand(c: string): c is Command {
  return Object.hasOwn(COMMANDS, c);
}

function unknownCommand(c: string): UsageError {
  return new UsageError(`unknown command '${c}' (known: ${Object.keys(COMMANDS).join(', ')})`);
}

/** The configuration of the command line: its INI files (or ./nimbus.conf), environment and flags; and the logger. */
function configure(inv: Invocation) {
  const files = inv.configFiles.length ? inv.configFiles : existsSync('nimbus.conf') ? ['nimbus.conf'] : [];
  for (const file of files) {
    try {
      readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read the configuration file ${resolve(file)} (${describeFsError(e)})`);
    }
  }
  const cfg = loadConfig({ configFiles: files, env: process.env, flags: inv.flags });
  cfg.DEFAULT.data_dir = resolve(cfg.DEFAULT.data_dir);
  const logFile = cfg.DEFAULT.log_file ? resolve(cfg.DEFAULT.log_file) : undefined;
  if (logFile) checkLogFile(logFile);
  const log = createLogger(cfg.DEFAULT.log_level, logFile ? { file: logFile } : {});
  return { cfg, log };
}

/** SIGINT/SIGTERM close what runs, then exit 0. */
function stopOnSignals(log: ReturnType<typeof createLogger>, close: () => Promise<void>): void {
  const stop = async () => {
    log.info('stopping');
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `nimbus keystone|glance|nova-api|...`: one service (or one simulated host) in this process. */
async function runService(command: ServiceCommand, inv: Invocation): Promise<void> {
  const { cfg, log } = configure(inv);
  const started = performance.now();
  const svc = await startService(command, { cfg, log });
  const urls = Object.entries(svc.urls).map(([k, v]) => ` ${k} ${v}`).join(',');
  log.info({ command, host: svc.host, urls: svc.urls, ms: Math.round(performance.now() - started) }, `${command} is up as ${svc.host}${urls ? `:${urls}` : ''}`);
  stopOnSignals(log, () => svc.close());
}

async function up(inv: Invocation): Promise<void> {
  const { cfg, log } = configure(inv);
  const started = performance.now();
  const cloud = await startCloud({ cfg, log });
  const u = cloud.urls;
  log.info(
    { ...u, hosts: cfg.DEFAULT.hosts, data_dir: cfg.DEFAULT.data_dir, ms: Math.round(performance.now() - started) },
    `Nimbus is up: keystone ${u.identity}/v3, glance ${u.image}, neutron ${u.network}, nova ${u.compute}/v2.1; hosts ${cfg.DEFAULT.hosts.join(', ')};${u.dashboard ? ` dashboard ${u.dashboard};` : ''} source ${cfg.DEFAULT.data_dir}/openrc-admin`,
  );
  stopOnSignals(log, () => cloud.close());
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Operator commands parse their own options (not the service options of OPTIONS).
  const ops = argv[0] !== undefined && Object.hasOwn(OPS_COMMANDS, argv[0]) ? OPS_COMMANDS[argv[0]]! : undefined;
  if (ops) process.exit(await runOpsCommand(argv[0]!, ops, argv.slice(1), processIo));
  if (argv[0] === 'help' && argv[1] !== undefined && Object.hasOwn(OPS_COMMANDS, argv[1])) {
    console.log(OPS_COMMANDS[argv[1]]!.help);
    return;
  }
  const inv = parse(argv);
  if (inv.version) {
    console.log(version());
    return;
  }
  if (inv.command !== undefined && !isCommand(inv.command)) throw unknownCommand(inv.command);
  if (inv.extra.length) throw new UsageError(`unexpected argument '${inv.extra[0]}'`);
  if (inv.help || inv.command === 'help') {
    const topic = inv.command === 'help' ? inv.topic : inv.command;
    if (topic === undefined) console.log(generalHelp());
    else if (isCommand(topic)) console.log(commandHelp(topic));
    else throw unknownCommand(topic);
    return;
  }
  if (inv.command === undefined) {
    console.error([USAGE, '', ...commandList(), '', 'nimbus: no command given; to start the cloud: nimbus up', HINT].join('\n'));
    process.exit(2);
  }
  if (inv.topic !== undefined) throw new UsageError(`unexpected argument '${inv.topic}'`);
  if (inv.command === 'up') await up(inv);
  else await runService(inv.command as ServiceCommand, inv);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`nimbus: ${e.message}\n${USAGE}\n${HINT}`);
    process.exit(2);
  }
  console.error(`nimbus: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
