// Events: written by the agent server at once, posted to the app server in webhook batches ([api: events]).
import { randomUUID } from 'node:crypto';
import type { Conversation, StoredEvent } from './model.ts';
import type { Json } from './types.ts';
import { isoNaiveLocalMicros, now, type Timers } from './util.ts';

export type EventListener = (conv: Conversation, event: Json) => void;
export type DeliveryListener = (conv: Conversation, batch: Json[]) => void;

export class EventPipe {
  private readonly timers: Timers;
  private readonly written = new Set<EventListener>();
  private readonly delivered = new Set<DeliveryListener>();

  constructor(timers: Timers) {
    this.timers = timers;
  }

  /** Every event as the agent server writes it (e.g. for an agent-server WebSocket). Returns an unsubscribe. */
  onEvent(fn: EventListener): () => void {
    this.written.add(fn);
    return () => this.written.delete(fn);
  }

  /** Every batch as the app server receives it (the webhook). Returns an unsubscribe. */
  onDelivery(fn: DeliveryListener): () => void {
    this.delivered.add(fn);
    return () => this.delivered.delete(fn);
  }

  emit(conv: Conversation, source: string, kind: string, fields: Json): Json {
    const at = now();
    const micros = Math.max(Math.floor(at * 1000), conv.lastMicros + 1);
    conv.lastMicros = micros;
    const json: Json = { id: randomUUID(), timestamp: isoNaiveLocalMicros(micros), source, parent_id: null, kind, ...fields };
    const stored: StoredEvent = { at, json, deliveredAt: null };
    conv.events.push(stored);
    for (const fn of [...this.written]) fn(conv, json);
    // WebhookSpec: post as soon as event_buffer_size are queued, else flush_delay after the first one.
    conv.queued.push(stored);
    if (conv.queued.length >= conv.scenario.eventBufferSize) this.flush(conv);
    else conv.flushTimer ??= this.timers.set(() => this.flush(conv), conv.scenario.eventFlushMs);
    return json;
  }

  /** Post the queued events now (buffer full, timer due, or the subscriber closing). */
  flush(conv: Conversation): void {
    this.timers.clear(conv.flushTimer);
    conv.flushTimer = null;
    const batch = conv.queued.splice(0);
    if (batch.length === 0) return;
    const lag = conv.scenario.eventLagMs;
    if (lag > 0) this.timers.set(() => this.deliver(conv, batch), lag);
    else this.deliver(conv, batch);
  }

  /** Drop the queue without posting (the conversation is gone). */
  discard(conv: Conversation): void {
    this.timers.clear(conv.flushTimer);
    conv.flushTimer = null;
    conv.queued.length = 0;
  }

  private deliver(conv: Conversation, batch: StoredEvent[]): void {
    const at = now();
    for (const e of batch) e.deliveredAt = at;
    const json = batch.map((e) => e.json);
    for (const fn of [...this.delivered]) fn(conv, json);
  }
}

/** What the app-server event routes see: delivered events only. */
export function deliveredEvents(conv: Conversation): Json[] {
  return conv.events.filter((e) => e.deliveredAt !== null).map((e) => e.json);
}

export function allEvents(conv: Conversation): Json[] {
  return conv.events.map((e) => e.json);
}
