import type { Observable, Subscription } from 'rxjs';
import type { MIEvent } from '../instances/mi-event.js';
import type { DaemonEvent } from '../operations/types.js';
import type { YawlEvent } from '../yawl/engine.js';
import { toWire } from './wire.js';

type AnyEvent = DaemonEvent | MIEvent<unknown, unknown> | YawlEvent;

/**
 * One event as the feed keeps it: its id, its source, and its Server-Sent Events frame — made on
 * first use, once for every client, and never when no client is listening.
 */
export class FeedEntry {
  private serialised: string | undefined;

  constructor(
    readonly id: number,
    /** `daemon`, `mi` or `yawl`. */
    readonly source: 'daemon' | 'mi' | 'yawl',
    private readonly event: AnyEvent,
  ) {}

  /** `id: …`, `event: <source>`, `data: <JSON>` and the blank line that ends it. */
  get frame(): string {
    return (this.serialised ??= `id: ${this.id}\nevent: ${this.source}\ndata: ${toWire({ source: this.source, ...this.event })}\n\n`);
  }
}

/** What a case looks like to the control plane, from the engine's events. */
export interface CaseSummary {
  readonly caseId: string;
  readonly workflowId: string;
  readonly status: 'running' | 'completed' | 'cancelled' | 'stuck';
  readonly createdAt: number;
  readonly updatedAt: number;
}

type Listener = (entry: FeedEntry) => void;

const SOURCES = ['daemon', 'mi', 'yawl'] as const satisfies readonly FeedEntry['source'][];

/**
 * Every daemon, MI and YAWL event, numbered and serialised once, in a bounded ring: Server-Sent
 * Events clients get them live, and one that reconnects with `Last-Event-ID` gets what it missed
 * while the ring still holds it. It also keeps the last cases seen (bounded too).
 */
export class EventFeed {
  /**
   * By id modulo capacity: the event as it came, or its entry once a client needed one — most
   * events are never sent (no dashboard open), and those cost no entry.
   */
  private readonly ring: (FeedEntry | AnyEvent | undefined)[];
  /** The source of each event in `ring`, as its index in SOURCES. */
  private readonly sources: Uint8Array;
  private next = 1;
  private readonly listeners = new Set<Listener>();
  private readonly cases = new Map<string, CaseSummary>();
  private readonly subscription: Subscription;

  constructor(
    sources: {
      readonly daemon: Observable<DaemonEvent>;
      readonly mi: Observable<MIEvent<unknown, unknown>>;
      readonly yawl?: Observable<YawlEvent> | undefined;
    },
    readonly capacity: number,
    private readonly maxCases = 1000,
  ) {
    this.ring = new Array<FeedEntry | AnyEvent | undefined>(capacity);
    this.sources = new Uint8Array(capacity);
    // One subscription per source (not a merge of tagged pairs): nothing allocated per event on the
    // way in, which every daemon run crosses three times.
    this.subscription = sources.daemon.subscribe((event) => this.push('daemon', event));
    this.subscription.add(sources.mi.subscribe((event) => this.push('mi', event)));
    const { yawl } = sources;
    if (yawl) this.subscription.add(yawl.subscribe((event) => this.push('yawl', event)));
  }

  /** The id the next event will have minus one: what a client that saw everything has seen. */
  get lastId(): number {
    return this.next - 1;
  }

  /**
   * The entries after `afterId` up to `uptoId` still in the ring; `complete` is false when the ring
   * no longer holds all of them (the client missed some).
   */
  replay(
    afterId: number,
    uptoId: number = this.lastId,
  ): { readonly entries: FeedEntry[]; readonly complete: boolean } {
    const oldest = Math.max(1, this.next - this.capacity);
    const entries: FeedEntry[] = [];
    for (let id = Math.max(afterId + 1, oldest); id <= uptoId; id++) entries.push(this.entry(id));
    return { entries, complete: afterId + 1 >= oldest };
  }

  /** Every event from now on; the returned function stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The cases seen, newest first. */
  caseList(): CaseSummary[] {
    return [...this.cases.values()].reverse();
  }

  /** Stops listening to the sources and drops every client. */
  close(): void {
    this.subscription.unsubscribe();
    this.listeners.clear();
  }

  private push(source: FeedEntry['source'], event: AnyEvent): void {
    if (source === 'yawl') this.trackCase(event as YawlEvent);
    const id = this.next++;
    // A decision's full result (a record per instance: a million, maybe) is not an event's to carry:
    // the feed keeps its status, reason and counters.
    const kept = event.type === 'decided' ? { ...event, result: undefined } : event;
    const slot = id % this.capacity;
    this.ring[slot] = kept as AnyEvent;
    this.sources[slot] = SOURCES.indexOf(source);
    if (this.listeners.size === 0) return;
    const entry = this.entry(id);
    for (const listener of this.listeners) listener(entry);
  }

  /** The entry of event `id`, which the ring holds: made on first need, then kept in its place. */
  private entry(id: number): FeedEntry {
    const slot = id % this.capacity;
    const held = this.ring[slot]!;
    if (held instanceof FeedEntry) return held;
    const entry = new FeedEntry(id, SOURCES[this.sources[slot]!]!, held);
    this.ring[slot] = entry;
    return entry;
  }

  private trackCase(event: YawlEvent): void {
    const known = this.cases.get(event.caseId);
    const status =
      event.type === 'case:completed'
        ? 'completed'
        : event.type === 'case:cancelled'
          ? 'cancelled'
          : event.type === 'case:stuck'
            ? 'stuck'
            : (known?.status ?? 'running');
    if (!known && event.type !== 'case:created') return;
    this.cases.delete(event.caseId); // re-inserted: the map's order is the order of last change
    this.cases.set(event.caseId, {
      caseId: event.caseId,
      workflowId: event.workflowId,
      status,
      createdAt: known?.createdAt ?? event.at,
      updatedAt: event.at,
    });
    if (this.cases.size > this.maxCases) this.cases.delete(this.cases.keys().next().value!);
  }
}
