import { z } from 'zod';

/**
 * The API's shapes, as zod schemas: requests are validated with them (a 400 names the fields) and
 * the OpenAPI document is generated from them, so the two cannot drift apart.
 */
export const operationParams = z.strictObject({ id: z.string().min(1).max(200) });
export const runsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Newest runs to return (default 50)'),
});
export const eventsQuery = z.strictObject({
  lastEventId: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Resume after this event id (as the Last-Event-ID header does)'),
});
/** Anything JSON: the payload an operation runs with. */
export const payloadBody = z.json().describe('The payload the operation runs with (any JSON)');

const errorShape = z.object({ name: z.string(), message: z.string(), code: z.string().optional() });
export const operationResult = z.object({
  id: z.string(),
  runId: z.string(),
  status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
  value: z.json().optional(),
  error: errorShape.optional(),
  attempts: z.number().int(),
  enqueuedAt: z.number(),
  startedAt: z.number().optional(),
  endedAt: z.number(),
});
export const operationInfo = z.object({
  id: z.string(),
  name: z.string().optional(),
  overlap: z.enum(['skip', 'queue', 'allow']),
  trigger: z.string(),
  active: z.number().int(),
  queued: z.number().int(),
  triggerFailures: z.number().int(),
  lastRun: operationResult.optional(),
});
export const health = z.object({
  status: z.enum(['healthy', 'degraded', 'stopped']),
  reason: z.string(),
});
export const metrics = z.object({
  succeeded: z.number(),
  failed: z.number(),
  skipped: z.number(),
  cancelled: z.number(),
  latency: z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).loose(),
  throughput: z.number(),
  active: z.number(),
  queued: z.number(),
});
export const caseSummary = z.object({
  caseId: z.string(),
  workflowId: z.string(),
  status: z.enum(['running', 'completed', 'cancelled', 'stuck']),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export const receiptsRoot = z.object({ root: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int() });
export const apiError = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.array(z.string()).optional(),
});
