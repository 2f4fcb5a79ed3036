import type { ServerResponse } from 'node:http';
import { interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { EventFeed, FeedEntry } from './event-feed.js';

/** A client further behind than this (bytes not yet sent) is dropped; it reconnects and resumes. */
const MAX_BACKLOG = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly response: ServerResponse;
  pending: string;
  stop: () => void;
}

/**
 * The Server-Sent Events clients of a feed. Events are written in batches (one write per client
 * per flush, not per event), so a burst of thousands costs each client one syscall; a client whose
 * socket cannot keep up is dropped rather than buffered without bound — with `Last-Event-ID` it
 * resumes from the feed's ring.
 */
export class SseClients {
  private readonly clients = new Set<Client>();
  private flushing: Subscription | undefined;
  private flushPending = false;
  private readonly heartbeat: Subscription;

  constructor(
    private readonly feed: EventFeed,
    scheduler: SchedulerLike,
    private readonly flushScheduler: SchedulerLike,
  ) {
    // A comment line now and then keeps proxies from closing an idle stream.
    this.heartbeat = interval(HEARTBEAT_MS, scheduler).subscribe(() => {
      for (const client of this.clients) client.pending += ': keep-alive\n\n';
      this.scheduleFlush();
    });
  }

  get size(): number {
    return this.clients.size;
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
    const client: Client = { response, pending: 'retry: 2000\n\n', stop: () => undefined };
    this.clients.add(client);
    const after = lastEventId ?? this.feed.lastId;
    const { complete, stop } = this.feed.follow(after, (entry) => this.queue(client, entry));
    client.stop = stop;
    if (!complete) client.pending = `event: gap\ndata: {"after":${after}}\n\n` + client.pending;
    response.on('close', () => this.drop(client));
    this.scheduleFlush();
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.flushing?.unsubscribe();
    this.heartbeat.unsubscribe();
    for (const client of [...this.clients]) {
      this.drop(client);
      client.response.end();
    }
  }

  private queue(client: Client, entry: FeedEntry): void {
    client.pending += `id: ${entry.id}\nevent: ${entry.source}\ndata: ${entry.json}\n\n`;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    this.flushing = this.flushScheduler.schedule(() => this.flush());
  }

  private flush(): void {
    this.flushPending = false;
    for (const client of this.clients) {
      if (client.pending === '') continue;
      const { response } = client;
      if (response.writableLength > MAX_BACKLOG) {
        this.drop(client);
        response.destroy();
        continue;
      }
      response.write(client.pending);
      client.pending = '';
    }
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.stop();
    client.pending = '';
  }
}
