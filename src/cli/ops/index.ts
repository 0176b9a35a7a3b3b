/**
 * The operator commands of `nimbus` (diagnose, repair-vifs, trace, fault, snapshot...):
 * clients of a running Nimbus's operator API, each declared in its own file.
 */
import type { OpsCommand } from './command.js';
import { traceCommand } from './trace.js';

export const OPS_COMMANDS: Record<string, OpsCommand> = {
  trace: traceCommand,
};

export { runOpsCommand } from './command.js';
export { processIo } from './output.js';
