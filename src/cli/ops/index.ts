/**
 * The operator commands of `nimbus` (diagnose, repair-vifs, trace, fault, snapshot):
 * clients of a running Nimbus's operator API, each declared in its own file.
 */
import type { OpsCommand } from './command.js';
import { diagnoseCommand } from './diagnose.js';
import { faultCommand } from './fault.js';
import { repairVifsCommand } from './repair-vifs.js';
import { snapshotCommand } from './snapshot.js';
import { traceCommand } from './trace.js';

export const OPS_COMMANDS: Record<string, OpsCommand> = {
  diagnose: diagnoseCommand,
  'repair-vifs': repairVifsCommand,
  trace: traceCommand,
  fault: faultCommand,
  snapshot: snapshotCommand,
};

export { runOpsCommand } from './command.js';
export { processIo } from './output.js';
