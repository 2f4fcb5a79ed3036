import type { ServerResponse } from 'node:http';
import { interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { EventFeed } from './event-feed.js';

/** A client further behind than this (bytes not yet sent) is dropped; it reconnects and resumes. */
const MAX_BACKLOG = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly response: ServerResponse;
  /** What only this client is owed before the live batch: the retry line, a gap, its replay. */
  own: string;
}

/**
 * The Server-Sent Events clients of a feed. Live events are batched: each flush encodes the frames
 * since the last one into one Buffer and writes that same Buffer to every client — one write per
 * client per flush, one copy of the bytes however many clients. A client whose socket cannot keep
 * up is dropped rather than buffered without bound; with `Last-Event-ID` it resumes from the ring.
 */
export class SseClients {
  private readonly clients = new Set<Client>();
  private batch: string[] = [];
  /** Events among `batch` (heartbeats are not): the feed's last id minus this is what was flushed. */
  private batchedEvents = 0;
  private flushPending = false;
  private flushing: Subscription | undefined;
  private readonly heartbeat: Subscription;
  private readonly stopListening: () => void;

  constructor(
    private readonly feed: EventFeed,
    scheduler: SchedulerLike,
    private readonly flushScheduler: SchedulerLike,
  ) {
    // Frames are made (serialised) only while someone listens.
    this.stopListening = feed.listen((entry) => {
      if (this.clients.size === 0) return;
      this.batch.push(entry.frame);
      this.batchedEvents++;
      this.scheduleFlush();
    });
    // A comment line now and then keeps proxies from closing an idle stream.
    this.heartbeat = interval(HEARTBEAT_MS, scheduler).subscribe(() => {
      if (this.clients.size === 0) return;
      this.batch.push(': keep-alive\n\n');
      this.scheduleFlush();
    });
  }

  /**
   * Streams the feed to `response` from the event after `lastEventId` (the `Last-Event-ID` a
   * reconnecting client sends); a `gap` event first when the ring no longer holds all it missed.
   */
  open(response: ServerResponse, headers: Record<string, string>, lastEventId: number | undefined): void {
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Events already in the batch reach this client with it: its replay stops before them.
    const flushed = this.feed.lastId - this.batchedEvents;
    const after = lastEventId ?? flushed;
    const { entries, complete } = this.feed.replay(after, flushed);
    const client: Client = {
      response,
      own:
        (complete ? '' : `event: gap\ndata: {"after":${after}}\n\n`) +
        'retry: 2000\n\n' +
        entries.map((entry) => entry.frame).join(''),
    };
    this.clients.add(client);
    response.on('close', () => this.clients.delete(client));
    this.scheduleFlush();
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.flushing?.unsubscribe();
    this.heartbeat.unsubscribe();
    this.stopListening();
    for (const client of [...this.clients]) {
      this.clients.delete(client);
      client.response.end();
    }
  }

  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    this.flushing = this.flushScheduler.schedule(() => this.flush());
  }

  private flush(): void {
    this.flushPending = false;
    const shared = this.batch.length > 0 ? Buffer.from(this.batch.join('')) : undefined;
    this.batch = [];
    this.batchedEvents = 0;
    for (const client of this.clients) {
      const { response } = client;
      if (response.writableLength > MAX_BACKLOG) {
        this.clients.delete(client);
        response.destroy();
        continue;
      }
      if (client.own !== '') {
        response.write(client.own);
        client.own = '';
      }
      if (shared) response.write(shared);
    }
  }
}
