/** Operator diagnosis from data already read: why a port is binding_failed or stays DOWN. */
export {
  type AgentFacts,
  type BindingCause,
  BindingCauses,
  type BindingDiagnosisInput,
  type BindingFinding,
  type ConfigFix,
  type Ml2Facts,
  type PortFacts,
  type SegmentFacts,
  diagnoseBinding,
  enabledDrivers,
  toAgentViews,
  toSegments,
} from './binding.js';
export { type PortStatusCause, PortStatusCauses, type PortStatusFinding, type PortStatusInput, diagnosePortStatus } from './port-status.js';
