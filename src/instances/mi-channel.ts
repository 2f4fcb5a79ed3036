import diagnostics from 'node:diagnostics_channel';
import { Observable } from 'rxjs';
import type { MIEvent } from './mi-event.js';

/**
 * Every multiple-instance task in the process publishes its events on this Node diagnostics
 * channel — the mechanism undici and Fastify use for the same purpose — so a control plane sees MI
 * tasks it did not start, and a process with no listener pays one boolean check per event.
 */
export const MI_CHANNEL = 'rxdaemon:mi';
const channel = diagnostics.channel(MI_CHANNEL);

/**
 * Publishes an event on {@link MI_CHANNEL} when the channel has subscribers. Called by the MI engine
 * as it emits (not an operator in the pipeline: an extra subscriber per event cost MI throughput).
 */
export function publishMIEvent(event: MIEvent<unknown, unknown>): void {
  if (channel.hasSubscribers) channel.publish(event);
}

/**
 * The events of every multiple-instance task in this process, as they happen (hot): whatever ran
 * them — an app pipeline, a daemon operation, the YAWL bridge. Unsubscribing stops listening.
 */
export function miEvents(): Observable<MIEvent<unknown, unknown>> {
  return new Observable((subscriber) => {
    const listener = (event: unknown) => subscriber.next(event as MIEvent<unknown, unknown>);
    diagnostics.subscribe(MI_CHANNEL, listener);
    return () => diagnostics.unsubscribe(MI_CHANNEL, listener);
  });
}
