// The agent server's events WebSocket, /sockets/events/{conversation_id} ([api: agent-server]; SDK sockets.py).
// Order on connect, as in the SDK: auth (query/header before the handshake, else the first frame
// within authTimeoutMs) → 4004 for an unknown conversation → 1013 past maxSubscribers → subscribed
// (live events flow from here) → once the agent's current step frees the state lock, a fresh,
// unstored `full_state` snapshot → the replay (resend_mode); one JSON text frame each ([api: agent-server]).
// Every later client frame is run as a user message, except a repeated auth frame (ignored, v1.37.1).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Conversation, Engine, EngineNotice } from './engine.ts';
import type { Json } from './types.ts';
import { isoNaiveLocalMicros, now, parseDatetime, parseUuid } from './util.ts';

export type SocketFault =
  /** the next upgrade(s) are answered with this HTTP status instead (default 503: runtime down) */
  | { kind: 'refuse'; status?: number; times?: number }
  /** the next socket(s) are dropped without a close frame after N frames sent and/or after ms */
  | { kind: 'drop'; afterFrames?: number; afterMs?: number; times?: number };

export interface SocketRecord {
  /** 32-hex id from the path, null if unparsable */
  conversationId: string | null;
  query: URLSearchParams;
  at: number;
  /** how the client authenticated, null if it did not (yet) */
  auth: 'frame' | 'header' | 'query' | null;
  /** HTTP status when the upgrade was refused */
  refused: number | null;
  /** the server's close code; 1006 when dropped without a close frame; null while open */
  closeCode: number | null;
  closedAt: number | null;
  framesSent: number;
}

export interface SocketFrame {
  /** index into connections */
  connection: number;
  at: number;
  data: string;
  /** auth: the authenticating first frame; ignored: a repeated auth frame; message: run as a user
   * message; invalid: not a Message (answered with a ServerErrorEvent) */
  role: 'auth' | 'ignored' | 'message' | 'invalid';
}

interface Open {
  ws: WebSocket;
  rec: SocketRecord;
  index: number;
  hex: string;
  subscribed: boolean;
  dropAfterFrames: number | null;
  dropping: boolean;
  timers: Array<ReturnType<typeof setTimeout>>;
}

type StoredFault = SocketFault & { left: number };

export class EventSockets {
  readonly records: SocketRecord[] = [];
  readonly frames: SocketFrame[] = [];
  readonly faults: StoredFault[] = [];
  private readonly open = new Set<Open>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly engine: Engine;
  private readonly opts: { authTimeoutMs: number; maxSubscribers: number };

  constructor(engine: Engine, opts: { authTimeoutMs: number; maxSubscribers: number }) {
    this.engine = engine;
    this.opts = opts;
    engine.listeners.add((n) => this.notice(n));
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://agent');
    const q = url.searchParams;
    const rec: SocketRecord = { conversationId: null, query: q, at: now(), auth: null, refused: null, closeCode: null, closedAt: null, framesSent: 0 };
    const index = this.records.push(rec) - 1;
    const refuse = (status: number): void => {
      rec.refused = status;
      socket.end(`HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : status === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const m = /^\/sockets\/events\/([^/]+)$/.exec(url.pathname);
    if (!m) return refuse(404);
    const fault = this.take('refuse');
    if (fault) return refuse(fault.kind === 'refuse' ? (fault.status ?? 503) : 503);
    const hex = parseUuid(decodeURIComponent(m[1]!));
    rec.conversationId = hex;
    // A query that fails validation closes the socket before accept: uvicorn answers 403.
    const mode = q.get('resend_mode');
    const after = q.get('after_timestamp');
    if (!hex || (mode !== null && mode !== 'all' && mode !== 'since') || (after !== null && !parseDatetime(after))) return refuse(403);
    const conv = this.engine.conversations.get(hex);
    if (conv && this.engine.sandboxes.get(conv.sandboxId)?.status !== 'RUNNING') return refuse(503);
    const legacy = q.get('session_api_key') ?? header(req, 'x-session-api-key');
    if (legacy !== null && legacy !== undefined) {
      // a wrong legacy key closes before accept (sockets.py), which uvicorn turns into HTTP 403
      if (!this.validKey(hex, legacy)) return refuse(403);
      rec.auth = q.has('session_api_key') ? 'query' : 'header';
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, rec, index, hex));
  }

  private opened(ws: WebSocket, rec: SocketRecord, index: number, hex: string): void {
    const entry: Open = { ws, rec, index, hex, subscribed: false, dropAfterFrames: null, dropping: false, timers: [] };
    this.open.add(entry);
    const drop = this.take('drop');
    if (drop?.kind === 'drop') {
      entry.dropAfterFrames = drop.afterFrames ?? null;
      if (drop.afterMs !== undefined) entry.timers.push(setTimeout(() => ws.terminate(), drop.afterMs));
    }
    ws.on('close', (code: number) => {
      rec.closeCode ??= code;
      rec.closedAt = now();
      for (const t of entry.timers) clearTimeout(t);
      this.open.delete(entry);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => this.frame(entry, isBinary ? null : String(data)));
    if (rec.auth) return this.subscribe(entry);
    // first in the list: the auth frame clears it with timers.shift() (a drop timer stays armed)
    entry.timers.unshift(setTimeout(() => this.closeWith(entry, 4001, 'Authentication failed'), this.opts.authTimeoutMs));
  }

  private frame(entry: Open, data: string | null): void {
    const record = (role: SocketFrame['role']): void => void this.frames.push({ connection: entry.index, at: now(), data: data ?? '<binary>', role });
    const parsed = parseJson(data);
    if (!entry.rec.auth) {
      record('auth');
      const key = parsed?.type === 'auth' ? parsed.session_api_key : undefined;
      if (typeof key !== 'string' || !this.validKey(entry.hex, key)) return this.closeWith(entry, 4001, 'Authentication failed');
      entry.rec.auth = 'frame';
      clearTimeout(entry.timers.shift());
      return this.subscribe(entry);
    }
    if (!entry.subscribed) return; // closing
    if (parsed?.type === 'auth' && Object.keys(parsed).every((k) => k === 'type' || k === 'session_api_key')) return record('ignored');
    const conv = this.engine.conversations.get(entry.hex);
    const content = parsed && typeof parsed.role === 'string' ? messageContent(parsed.content) : null;
    if (!conv || !content) {
      record('invalid');
      return this.send(entry, { id: randomUUID(), timestamp: this.stamp(conv), source: 'environment', kind: 'ServerErrorEvent', code: 'ValidationError', detail: 'Invalid message' });
    }
    record('message');
    this.engine.sendMessage(conv, content, true); // event_service.send_message(message, True)
  }

  private subscribe(entry: Open): void {
    const conv = this.engine.conversations.get(entry.hex);
    if (!conv) return this.closeWith(entry, 4004, 'Conversation not found');
    const subscribers = [...this.open].filter((o) => o.subscribed && o.hex === entry.hex).length;
    if (subscribers >= this.opts.maxSubscribers) return this.closeWith(entry, 1013, 'Too many connections for this conversation');
    // The subscription is registered first, so live events flow at once; the `full_state` snapshot
    // is built under the state lock, which the agent's current step holds ([api: agent-server], AS
    // event_service.py L657-666, L789-818): it (and the replay after it) can come minutes later,
    // after live events published meanwhile. No acknowledgement, no keepalive.
    entry.subscribed = true;
    const snapshotThenReplay = (): void => {
      if (!entry.subscribed || !this.engine.conversations.has(conv.id)) return;
      // subscribe_to_events pushes the current state first: a new event each time, never stored
      this.send(entry, {
        id: randomUUID(),
        timestamp: this.stamp(conv),
        source: 'environment',
        kind: 'ConversationStateUpdateEvent',
        key: 'full_state',
        value: { id: conv.id, execution_status: conv.execStatus, stats: this.engine.statsJson(conv) },
      });
      const q = entry.rec.query;
      const mode = q.get('resend_mode');
      const since = mode === 'since' ? naiveFilter(q.get('after_timestamp')) : null;
      if (mode === 'all' || since !== null)
        for (const e of this.engine.allEvents(conv)) if (since === null || String(e.timestamp) >= since) this.send(entry, e);
    };
    this.engine.afterLock(conv, snapshotThenReplay);
  }

  private notice(n: EngineNotice): void {
    if (n.type === 'event') {
      for (const o of this.open) if (o.subscribed && o.hex === n.conv.id) this.send(o, n.json);
    } else if (n.sandbox.status !== 'RUNNING') {
      // the runtime stops: its connections die with it
      for (const o of this.open) if (this.engine.conversations.get(o.hex)?.sandboxId === n.sandbox.id) o.ws.terminate();
    }
  }

  private send(entry: Open, event: Json): void {
    if (entry.dropping || entry.ws.readyState !== entry.ws.OPEN) return;
    entry.rec.framesSent++;
    const last = entry.dropAfterFrames !== null && entry.rec.framesSent >= entry.dropAfterFrames;
    if (last) entry.dropping = true;
    // model_dump(mode="json", exclude_none=True)
    entry.ws.send(JSON.stringify(withoutNulls(event)), () => {
      if (last) entry.ws.terminate();
    });
  }

  private closeWith(entry: Open, code: number, reason: string): void {
    entry.rec.closeCode ??= code;
    entry.subscribed = false;
    entry.ws.close(code, reason);
  }

  private validKey(hex: string | null, key: string): boolean {
    const conv = hex ? this.engine.conversations.get(hex) : undefined;
    const sb = conv ? this.engine.sandboxes.get(conv.sandboxId) : undefined;
    return sb ? sb.sessionApiKey === key : knownKey(this.engine, key);
  }

  private stamp(conv: Conversation | undefined): string {
    return isoNaiveLocalMicros(Math.max(Math.floor(now() * 1000), (conv?.lastMicros ?? 0) + 1));
  }

  private take(kind: SocketFault['kind']): SocketFault | null {
    const i = this.faults.findIndex((f) => f.kind === kind);
    if (i < 0) return null;
    const f = this.faults[i]!;
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  dropAll(): void {
    for (const o of this.open) o.ws.terminate();
  }

  reset(): void {
    this.dropAll();
    this.records.length = 0;
    this.frames.length = 0;
    this.faults.length = 0;
  }

  close(): void {
    this.dropAll();
    this.wss.close();
  }
}

function parseJson(data: string | null): Json | null {
  try {
    const v: unknown = data === null ? null : JSON.parse(data);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** Message.content: text/image items, or a plain string (taken as one text item). */
function messageContent(content: unknown): Json[] | null {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content) || !content.every((c) => c && typeof c === 'object' && ((c as Json).type === 'text' || (c as Json).type === 'image'))) return null;
  return content as Json[];
}

/** after_timestamp as the server compares it: naive local isoformat (aware values converted, event_router.py). */
function naiveFilter(raw: string | null): string | null {
  const p = raw === null ? null : parseDatetime(raw);
  if (!p) return null;
  if (!/(?:Z|[+-]\d{2}:\d{2})$/.test(p.py)) return p.py;
  return isoNaiveLocalMicros(Math.round(p.ms * 1000)).replace(/\.000000$/, '');
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

/** A key of some sandbox: what an unknown conversation is checked against (one runtime per sandbox in Cloud). */
export function knownKey(engine: Engine, key: string | undefined): boolean {
  return key !== undefined && [...engine.sandboxes.values()].some((s) => s.sessionApiKey === key);
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
