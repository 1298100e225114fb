/**
 * Follows one conversation's events live over the agent server's WebSocket
 * (`/sockets/events/{id}`, reference [api: agent-server]), with Node's built-in WebSocket.
 *
 * - It sends the auth frame and nothing else, ever: the agent server runs every other client
 *   frame as a user message. No key in the URL or headers either (a header-authenticated socket
 *   would take the auth frame for a message on servers older than SDK v1.37).
 * - Reconnects replay with `resend_mode=since&after_timestamp=<cursor>`; events are deduplicated
 *   by id, so a drop loses nothing. The cursor is the newest replayed event: one older than the
 *   connection's own `full_state` snapshot, which the server builds once the agent's current
 *   step ends and sends before the replay ([api: agent-server]). Live events come from the moment of
 *   subscribing, so they may arrive before the snapshot, and events newer than it may come
 *   while the replay is still under way: neither proves the replay complete.
 * - "Open, no frame yet" is normal: the snapshot waits for the agent's current step (a long tool
 *   run: minutes), and the server sends no acknowledgement. The socket counts as up once it is
 *   open and the auth frame is sent; only `idleMs` without any frame reconnects.
 * - Status and stats come from the newest event that carries them, so a replayed old
 *   `finished` cannot override the snapshot's `running`.
 * - "Keeps failing" = `maxFailures` connections in a row that each ended (not by us) within
 *   `stableMs` without bringing one new stored event: refused, reset, no handshake in time,
 *   closed 1013, or flapping. A wrong key (4001) or an unknown conversation (4004) ends at
 *   once. Then followLive resolves and the caller keeps to polling the app server.
 *
 * Meant to run beside a slow safety poll of the app server (e.g. every 60 s): the poll catches
 * what a socket cannot report (sandbox paused or gone), the socket reports the rest at once.
 * Stop it with the signal once the run is over.
 */
import { backoffDelay, realSleep, type RetryPolicy, type Sleep } from '../retry.js';
import { hexId } from './types.js';

export interface LiveEvent {
  readonly id: string;
  readonly kind: string;
  readonly timestamp?: string;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly [field: string]: unknown;
}

export interface LiveStats {
  /** accumulated_cost summed over the conversation's LLM usages (agent, condenser, …) */
  readonly cost: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export type LiveEnd =
  | { readonly reason: 'aborted' }
  | { readonly reason: 'failed'; readonly failures: number; readonly detail: string }
  | { readonly reason: 'unauthorized' | 'not-found'; readonly detail: string };

export interface LiveOptions {
  /** agentServerBase(conversation_url, id) */
  readonly baseUrl: string;
  readonly conversationId: string;
  readonly sessionApiKey: string;
  readonly signal: AbortSignal;
  /** first connection replays events with timestamp ≥ this (an event's own timestamp); default: all */
  readonly since?: string;
  /** each event once, in arrival order (the connection's full_state snapshot included) */
  readonly onEvent?: (event: LiveEvent) => void;
  /** execution_status, on change */
  readonly onStatus?: (status: string) => void;
  /** stats, on change */
  readonly onStats?: (stats: LiveStats) => void;
  /** connection changes, for the log (never contains the key) */
  readonly onConnection?: (state: 'open' | 'lost', detail: string) => void;
  /** default 5 */
  readonly maxFailures?: number;
  /** a connection open this long counts as working even without new events; default 30 s */
  readonly stableMs?: number;
  /** the WebSocket handshake; default 15 s. The first frame may take much longer ([api: agent-server]). */
  readonly openTimeoutMs?: number;
  /** no frame for this long: reconnect (a half-open TCP connection says nothing); default 180 s, 0 = off */
  readonly idleMs?: number;
  /** delays between connections; default 1 s doubling to 15 s, with jitter */
  readonly backoff?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly now?: () => number;
  /** default: Node's global WebSocket (undici's) */
  readonly WebSocket?: typeof WebSocket;
}

/** The events socket URL (ws:// or wss://); no key in it. */
export function liveSocketUrl(baseUrl: string, conversationId: string, since: string | null): string {
  const url = new URL(`${baseUrl}/sockets/events/${hexId(conversationId)}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (since === null) url.searchParams.set('resend_mode', 'all');
  else {
    url.searchParams.set('resend_mode', 'since');
    url.searchParams.set('after_timestamp', since);
  }
  return url.toString();
}

/** Sums a ConversationStats value ({usage_to_metrics: {id: MetricsSnapshot}}); null if not that shape. */
export function statsFrom(value: unknown): LiveStats | null {
  const usages = (value as { usage_to_metrics?: unknown } | null)?.usage_to_metrics;
  if (!usages || typeof usages !== 'object') return null;
  let [cost, promptTokens, completionTokens] = [0, 0, 0];
  for (const m of Object.values(usages as Record<string, Record<string, unknown> | null>)) {
    cost += num(m?.accumulated_cost);
    const usage = m?.accumulated_token_usage as Record<string, unknown> | undefined;
    promptTokens += num(usage?.prompt_tokens);
    completionTokens += num(usage?.completion_tokens);
  }
  return { cost, promptTokens, completionTokens };
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

/** Dedupe, cursor, newest status and stats, across connections. Pure (no I/O). */
export class LiveTracker {
  cursor: string | null;
  status: string | null = null;
  stats: LiveStats | null = null;
  readonly #seen = new Set<string>();
  #statusTs = '';
  #statsTs = '';
  #snapshotTs: string | null = null;

  constructor(since: string | null) {
    this.cursor = since;
  }

  /** A new connection: its snapshot is still to come (live events may come first, [api: agent-server]). */
  connected(): void {
    this.#snapshotTs = null;
  }

  /** Returns what the event changed; `fresh` = new and not a snapshot (the sign of progress). */
  accept(e: LiveEvent): { isNew: boolean; fresh: boolean; status: boolean; stats: boolean } {
    const ts = typeof e.timestamp === 'string' ? e.timestamp : '';
    const snapshot = e.kind === 'ConversationStateUpdateEvent' && e.key === 'full_state';
    // The connection's own snapshot is its first full_state; a stored one ([api: events]) is replayed after it.
    const own = snapshot && this.#snapshotTs === null;
    if (own) this.#snapshotTs = ts;
    const isNew = !this.#seen.has(e.id);
    this.#seen.add(e.id);
    // Only a replayed event moves the cursor: one that came before the snapshot is live, and may be
    // newer than stored events the replay has not sent yet.
    if (!own && ts && this.#snapshotTs !== null && ts < this.#snapshotTs && (this.cursor === null || ts > this.cursor)) this.cursor = ts;
    let [status, stats] = [false, false];
    if (e.kind === 'ConversationStateUpdateEvent' && ts >= this.#statusTs) {
      const value = snapshot ? (e.value as { execution_status?: unknown } | null)?.execution_status : e.key === 'execution_status' ? e.value : undefined;
      if (typeof value === 'string') {
        this.#statusTs = ts;
        status = value !== this.status;
        this.status = value;
      }
    }
    if (e.kind === 'ConversationStateUpdateEvent' && ts >= this.#statsTs) {
      const s = snapshot ? statsFrom((e.value as { stats?: unknown } | null)?.stats) : e.key === 'stats' ? statsFrom(e.value) : null;
      if (s) {
        this.#statsTs = ts;
        stats = s.cost !== this.stats?.cost || s.promptTokens !== this.stats.promptTokens || s.completionTokens !== this.stats.completionTokens;
        this.stats = s;
      }
    }
    return { isNew, fresh: isNew && !own, status, stats };
  }
}

interface Attempt {
  readonly code: number;
  readonly reason: string;
  readonly uptimeMs: number;
  readonly fresh: number;
  /** thrown by a caller's callback */
  readonly error?: unknown;
}

/**
 * Follows the conversation until the signal aborts or the socket keeps failing. Rejects only
 * with an error one of the callbacks threw (the socket is closed first).
 */
export async function followLive(opts: LiveOptions): Promise<LiveEnd> {
  const tracker = new LiveTracker(opts.since ?? null);
  const sleep = opts.sleep ?? realSleep;
  const maxFailures = opts.maxFailures ?? 5;
  const policy = opts.backoff ?? { attempts: Infinity, baseDelayMs: 1000, maxDelayMs: 15_000 };
  let failures = 0;
  while (!opts.signal.aborted) {
    const a = await connectOnce(opts, tracker).catch((e: unknown): Attempt => ({ code: 0, reason: (e as Error).message, uptimeMs: 0, fresh: 0 }));
    if (a.error !== undefined) throw a.error;
    if (opts.signal.aborted) break;
    const last = `closed ${a.code}${a.reason ? ` (${a.reason})` : ''} after ${Math.round(a.uptimeMs)} ms`;
    opts.onConnection?.('lost', last);
    if (a.code === 4001) return { reason: 'unauthorized', detail: 'the agent server rejected the session key (4001)' };
    if (a.code === 4004) return { reason: 'not-found', detail: 'the agent server does not know this conversation (4004)' };
    failures = a.fresh > 0 || a.uptimeMs >= (opts.stableMs ?? 30_000) ? 0 : failures + 1;
    if (failures >= maxFailures) return { reason: 'failed', failures, detail: last };
    try {
      await sleep(backoffDelay(Math.max(failures, 1), policy, opts.random), opts.signal);
    } catch {
      break; // aborted during the wait
    }
  }
  return { reason: 'aborted' };
}

function connectOnce(opts: LiveOptions, tracker: LiveTracker): Promise<Attempt> {
  const now = opts.now ?? (() => performance.now());
  const Socket = opts.WebSocket ?? globalThis.WebSocket;
  const started = now();
  tracker.connected();
  return new Promise<Attempt>((resolve) => {
    let fresh = 0;
    let localReason = '';
    let error: unknown;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ws = new Socket(liveSocketUrl(opts.baseUrl, opts.conversationId, tracker.cursor));
    const stop = (why: string): void => {
      localReason ||= why;
      ws.close(1000);
    };
    const arm = (ms: number, why: string): void => {
      clearTimeout(timer);
      if (ms > 0) timer = setTimeout(() => stop(why), ms);
    };
    const onAbort = (): void => stop('stopped');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    arm(opts.openTimeoutMs ?? 15_000, 'no handshake in time');
    ws.onopen = () => {
      // the only frame this client ever sends
      ws.send(JSON.stringify({ type: 'auth', session_api_key: opts.sessionApiKey }));
      // No acknowledgement comes, and the first frame waits for the agent's current step ([api: agent-server]):
      // open is up. A wrong key closes 4001; silence only reconnects after idleMs.
      opts.onConnection?.('open', tracker.cursor === null ? 'replaying all events' : `replaying since ${tracker.cursor}`);
      arm(opts.idleMs ?? 180_000, 'idle');
    };
    ws.onmessage = (ev: MessageEvent) => {
      arm(opts.idleMs ?? 180_000, 'idle');
      const event = parseEvent(ev.data);
      if (!event || error !== undefined) return;
      const r = tracker.accept(event);
      if (r.fresh) fresh++;
      try {
        if (r.isNew) opts.onEvent?.(event);
        if (r.status && tracker.status !== null) opts.onStatus?.(tracker.status);
        if (r.stats && tracker.stats) opts.onStats?.(tracker.stats);
      } catch (e) {
        // thrown from an event listener it would be an uncaught exception: hand it to the caller
        error = e;
        stop('a callback failed');
      }
    };
    ws.onerror = () => {}; // a close event always follows
    ws.onclose = (ev: CloseEvent) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ code: ev.code, reason: localReason || ev.reason, uptimeMs: now() - started, fresh, error });
    };
  });
}

function parseEvent(data: unknown): LiveEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const e = JSON.parse(data) as LiveEvent | null;
    return e && typeof e === 'object' && typeof e.id === 'string' && typeof e.kind === 'string' ? e : null;
  } catch {
    return null;
  }
}
