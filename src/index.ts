/** rxdaemon: the engine (multiple-instance tasks, …) and every operator of `rxdaemon/operators`. */
export { abortable } from '../operators/abortable.js';
export { completeWhen } from '../operators/complete-when.js';
export type { DecidedEvent } from '../operators/complete-when.js';
export type { Counters } from '../operators/counters.js';
export { CancelledError, ConfigError, EmptyResultError, EngineError, TimeoutError } from './errors.js';
export type { PoolEvent, TerminalPoolEvent } from '../operators/pool-event.js';
export {
  allSettled,
  allSucceed,
  anyOf,
  successRate,
  threshold,
  toleratedFailures,
  when,
} from '../operators/rules.js';
export type { Decision, Rule, RuleReason, ToleranceOptions, Verdict } from '../operators/rules.js';
export { tally } from '../operators/tally.js';
export { workerPool } from '../operators/worker-pool.js';
export type { PoolTask, TaskContext, WorkerPoolOptions } from '../operators/worker-pool.js';
export type { TaskOutput } from '../operators/index.js';
export { backoffDelay, retryBackoff } from '../operators/retry-backoff.js';
export type { AttemptFailure, BackoffPolicy, RetryBackoffOptions } from '../operators/retry-backoff.js';
export { timeoutEach } from '../operators/timeout-each.js';
export { tokenBucket } from '../operators/token-bucket.js';
export type { TokenBucketOptions } from '../operators/token-bucket.js';
export { batchWindow } from '../operators/batch-window.js';
export type { BatchWindowOptions } from '../operators/batch-window.js';
export { latencyStats } from '../operators/latency-stats.js';
export type { LatencySnapshot, LatencyStatsOptions } from '../operators/latency-stats.js';
export { instanceStates } from './instances/instance-states.js';
export type { InstanceRegistry } from './instances/instance-states.js';
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
} from './instances/mi-event.js';
export type { InstanceRecord, InstanceStatus, MIReason, MIResult, MIStatus } from './instances/mi-result.js';
export { multipleInstance, runMultipleInstance } from './instances/multiple-instance.js';
export type { MISource } from './instances/multiple-instance.js';
export type { InstanceContext, MISpec, RetryPolicy } from './instances/spec.js';
export { toMIResult } from './instances/to-mi-result.js';
export { fromYawlAttributes, yawlThreshold } from './instances/yawl-attributes.js';
export { MI_CHANNEL, miEvents } from './instances/mi-channel.js';
export type { YawlMIAttributes, YawlMISpecFields } from './instances/yawl-attributes.js';
export {
  AuthError,
  BackpressureError,
  InjectionError,
  RateLimitError,
  DaemonNotRunningError,
  DuplicateOperationError,
  MaxInstancesError,
  MIFailedError,
  MinInstancesError,
  UnknownOperationError,
} from './errors.js';
export { cron } from './triggers/cron.js';
export type { CronOptions } from './triggers/cron.js';
export { every } from './triggers/every.js';
export { idle } from './triggers/idle.js';
export { onEvent } from './triggers/on-event.js';
export type { NamedEvent } from './triggers/on-event.js';
export { onMutation } from './triggers/on-mutation.js';
export type { Mutation, MutationFilter } from './triggers/on-mutation.js';
export { evaluateTrigger, triggerFrom } from './triggers/trigger-config.js';
export type {
  TriggerConfig,
  TriggerSources,
  TriggerState,
  TriggerVerdict,
} from './triggers/trigger-config.js';
export type { TriggerFire, TriggerKind } from './triggers/trigger-fire.js';
export { createDaemon } from './operations/daemon.js';
export type { Daemon } from './operations/daemon.js';
export type {
  DaemonConfig,
  DaemonEvent,
  DaemonEventBase,
  RunEventBase,
  DaemonHealth,
  DaemonMetrics,
  Operation,
  OperationContext,
  OperationResult,
  HealthPolicy,
  OperationEndedEvent,
  OperationInfo,
  OverlapPolicy,
  TimeTriggerConfig,
  TriggerTransport,
} from './operations/types.js';
export { hashingReady } from './receipts/blake3.js';
export { canonicalJson, NotSerializableError } from './receipts/canonical-json.js';
export type { JsonValue } from './receipts/canonical-json.js';
export { signCheckpoint, verifyCheckpoint, verifyConsistency } from './receipts/checkpoint.js';
export type { Checkpoint, ConsistencyProof } from './receipts/checkpoint.js';
export { verifyProof } from './receipts/merkle.js';
export type { MerkleProof, ProofStep } from './receipts/merkle.js';
export {
  createReceiptLog,
  GENESIS_HASH,
  importReceipts,
  ReceiptVerificationError,
  verifyReceipts,
} from './receipts/receipt-log.js';
export type { Receipt, ReceiptLog, VerifyResult } from './receipts/receipt-log.js';
export { receipts } from './receipts/receipts-operator.js';
export {
  API_KEY_PREFIX,
  createApiKeyAuth,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
} from './security/api-keys.js';
export type { ApiKeyAuth, ApiKeyAuthOptions, AuthOutcome } from './security/api-keys.js';
export { assertSafeIdentifier, detectInjection } from './security/injection.js';
export type { InjectionReport, Threat, ThreatKind } from './security/injection.js';
export { createRateLimiter } from './security/rate-limiter.js';
export type { RateDecision, RateLimiter, RateLimiterOptions } from './security/rate-limiter.js';
export type { FlowDefinition, Routing, TaskDefinition, WorkflowDefinition } from './yawl/definition.js';
export type { CancelReason, CaseEventBase, TaskState, YawlEngine, YawlEvent } from './yawl/engine.js';
export type { TimerTrigger } from './yawl/timer-spec.js';
export type { DistributedResult } from './yawl/distribution.js';
export { createMemoryYawlEngine, YawlError } from './yawl/memory-engine.js';
export type { MemoryYawlEngine } from './yawl/memory-engine.js';
export type { MemoryEngineOptions } from './yawl/memory-engine.js';
export { YawlBridge } from './yawl/bridge.js';
export { importYawl, safeYawlId, YawlImportError, yawlIdOf } from './yawl/import-yawl.js';
export type {
  BridgeEvent,
  BridgeEventBase,
  InstanceHandler,
  TaskHandler,
  TaskHandlerContext,
  YawlBridgeOptions,
} from './yawl/bridge-types.js';
export type { DistributionStrategy } from './yawl/worker-slots.js';
export { parseQuads } from './rdf/parse-quads.js';
export type { QuadFormat } from './rdf/parse-quads.js';
export type { RdfChange } from './rdf/rdf-change.js';
export { parsePatchRows, parseRdfPatch, RdfPatchError, readRdfPatch } from './rdf/rdf-patch.js';
export type { PatchRow, PatchSource } from './rdf/rdf-patch.js';
export { applyChanges, bySubject, changesMatching, observeStore } from './rdf/store.js';
export type { ObservedStore, QuadPattern, SubjectChanges } from './rdf/store.js';
