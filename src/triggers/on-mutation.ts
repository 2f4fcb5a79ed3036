import { asyncScheduler, filter, map, type Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { observableSchema, parseConfig, schedulerSchema } from '../../operators/internal/index.js';
import type { TriggerFire } from './trigger-fire.js';

const optionsSchema = z.strictObject({
  entity: z.string().optional(),
  kinds: z.array(z.string(), { error: 'must be an array of kinds' }).optional(),
  scheduler: schedulerSchema.optional(),
});

/** A change to an entity, as an application or an RDF feed reports it. */
export interface Mutation {
  /** The kind of entity changed, e.g. `'order'`. */
  readonly entity: string;
  /** What happened, e.g. `'create'`, `'update'`, `'delete'`. */
  readonly kind: string;
  readonly id?: string;
  readonly data?: unknown;
}

export interface MutationFilter {
  /** Only mutations of this entity. */
  readonly entity?: string;
  /** Only these kinds of mutation. */
  readonly kinds?: readonly string[];
  readonly scheduler?: SchedulerLike;
}

/**
 * Fires for each mutation of the given entity and kinds; the mutation is the fire's `cause`.
 * `kinds` is a list matched by equality: `kinds: ['update']`, never a substring.
 *
 * @throws ConfigError for a bad filter
 *
 * ```text
 * mutations: -o-u-o-           o = order create, u = user update; entity 'order'
 * fires:     -a---b-
 * ```
 */
export function onMutation(
  mutations: Observable<Mutation>,
  options: MutationFilter = {},
): Observable<TriggerFire> {
  parseConfig('onMutation', z.object({ mutations: observableSchema }), { mutations });
  parseConfig('onMutation options', optionsSchema, options);
  const { entity, kinds, scheduler = asyncScheduler } = options;
  return mutations.pipe(
    filter(
      (m) => (entity === undefined || m.entity === entity) && (kinds === undefined || kinds.includes(m.kind)),
    ),
    map((m): TriggerFire => ({ kind: 'reactive', at: scheduler.now(), cause: m })),
  );
}
