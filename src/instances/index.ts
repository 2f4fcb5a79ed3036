export { instanceStates } from './instance-states.js';
export type { InstanceRegistry } from './instance-states.js';
export type {
  MIAdmittedEvent,
  MICancelledEvent,
  MIDecidedEvent,
  MIEvent,
  MIFailedEvent,
  MIInputClosedEvent,
  MILateEvent,
  MIRefusedEvent,
  MIRetryingEvent,
  MIStartedEvent,
  MISucceededEvent,
} from './mi-event.js';
export type { InstanceRecord, InstanceStatus, MIReason, MIResult, MIStatus } from './mi-result.js';
export { multipleInstance, runMultipleInstance } from './multiple-instance.js';
export type { MISource } from './multiple-instance.js';
export type { InstanceContext, MISpec, RetryPolicy } from './spec.js';
export { toMIResult } from './to-mi-result.js';
export { fromYawlAttributes } from './yawl-attributes.js';
export type { YawlMIAttributes, YawlMISpecFields } from './yawl-attributes.js';
