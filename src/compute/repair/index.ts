export { compareVif, findOvsPort } from './compare-vif.js';
export { type Difference, type DifferenceKind, DifferenceKinds, ROOTWRAP_PREFIX, type RepairCommand, describeDifference, repairCommand } from './differences.js';
export { type ExpectedVif, expectedDevices, parseExternalIdArgs } from './expected-devices.js';
export { type InstanceVifs, type RepairPlan, type RepairPlanOptions, type VifRepair, formatPlan, isEmptyPlan, planCommands, repairPlan } from './repair-plan.js';
export { staleDevices } from './stale-devices.js';
