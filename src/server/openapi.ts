import { z } from 'zod';
import {
  apiError,
  caseSummary,
  eventsQuery,
  health,
  metrics,
  operationInfo,
  operationParams,
  operationResult,
  payloadBody,
  receiptsRoot,
  runsQuery,
} from './schemas.js';

type Schema = z.ZodType;

const schema = (s: Schema) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  return rest;
};
const jsonResponse = (description: string, s: Schema) => ({
  description,
  content: { 'application/json': { schema: schema(s) } },
});
const errors = {
  '401': jsonResponse('Missing or wrong API key', apiError),
  '429': {
    ...jsonResponse('Over the rate limit; see Retry-After', apiError),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
};
const parametersOf = (s: z.ZodObject, where: 'path' | 'query') =>
  Object.entries(s.shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !(field as Schema).safeParse(undefined).success,
    schema: schema(field as Schema),
  }));

let cached: object | undefined;

/** The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate with. */
export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'rxdaemon control plane', version: '1' },
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    paths: {
      '/api/health': {
        get: {
          summary: 'Daemon health',
          responses: {
            '200': jsonResponse('Healthy or degraded', health),
            '503': jsonResponse('Stopped', health),
            ...errors,
          },
        },
      },
      '/api/metrics': {
        get: {
          summary: 'Counts, latency percentiles, throughput',
          responses: { '200': jsonResponse('Metrics', metrics), ...errors },
        },
      },
      '/api/operations': {
        get: {
          summary: 'Operations with their state and last run',
          responses: { '200': jsonResponse('Operations', z.array(operationInfo)), ...errors },
        },
      },
      '/api/operations/{id}/execute': {
        post: {
          summary: 'Runs an operation now with the body as its payload',
          parameters: parametersOf(operationParams, 'path'),
          requestBody: { required: false, content: { 'application/json': { schema: schema(payloadBody) } } },
          responses: {
            '200': jsonResponse('The run’s result', operationResult),
            '400': jsonResponse('Unsafe id or bad body', apiError),
            '404': jsonResponse('No such operation', apiError),
            '413': jsonResponse('Body over the limit', apiError),
            '414': jsonResponse('A path segment over 1,000 characters', apiError),
            '415': jsonResponse('A body neither JSON nor text', apiError),
            ...errors,
          },
        },
      },
      '/api/operations/{id}/runs': {
        get: {
          summary: 'Finished runs of an operation, newest first',
          parameters: [...parametersOf(operationParams, 'path'), ...parametersOf(runsQuery, 'query')],
          responses: {
            '200': jsonResponse('Runs', z.array(operationResult)),
            '400': jsonResponse('Bad id or query', apiError),
            '404': jsonResponse('No such operation', apiError),
            '414': jsonResponse('A path segment over 1,000 characters', apiError),
            ...errors,
          },
        },
      },
      '/api/cases': {
        get: {
          summary: 'YAWL cases seen, newest first',
          responses: { '200': jsonResponse('Cases', z.array(caseSummary)), ...errors },
        },
      },
      '/api/receipts/root': {
        get: {
          summary: 'Merkle root of the receipt log',
          responses: {
            '200': jsonResponse('Root and size', receiptsRoot),
            '404': jsonResponse('No receipt log', apiError),
            ...errors,
          },
        },
      },
      '/api/events': {
        get: {
          summary: 'Every daemon, MI and YAWL event as Server-Sent Events (id: lines; Last-Event-ID resumes)',
          parameters: [
            ...parametersOf(eventsQuery, 'query'),
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'An event stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errors,
          },
        },
      },
    },
  };
  return cached;
}
