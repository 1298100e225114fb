// The agent server of each sandbox (the runtime host behind conversation_url, [api: reading], [api: titles], [api: events],
// [api: agent-server]), as a second node:http listener on loopback. One listener stands for every sandbox's
// runtime: a request is served for a conversation only with that conversation's sandbox
// session key, and only while the sandbox is RUNNING.
// Facts from the SDK (openhands-agent-server v1.37.1): conversation_router.py, sockets.py,
// dependencies.py, pub_sub.py. Deliberate choices are listed in README.md ("Agent server").
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Engine } from './engine.ts';
import type { Json } from './types.ts';
import { EventSockets, header, knownKey, type SocketFault, type SocketFrame, type SocketRecord } from './agent-server-socket.ts';
import { now, parseUuid } from './util.ts';

export type { SocketFault, SocketFrame, SocketRecord } from './agent-server-socket.ts';

export interface AgentServerRequest {
  method: string;
  path: string;
  /** whether X-Session-API-Key was present (the key itself is not kept) */
  hasKey: boolean;
  status: number;
  at: number;
}

/** The agent server as tests see it (`emu.agentServer`). */
export interface AgentServerEmulator {
  /** e.g. http://127.0.0.1:41235 (no trailing slash); conversation_url = `${url}/api/conversations/{hex}` */
  readonly url: string;
  /** HTTP requests (not WebSocket upgrades), in arrival order */
  readonly requests: AgentServerRequest[];
  /** every WebSocket upgrade attempt, refused ones included */
  readonly connections: SocketRecord[];
  /** every frame a client sent over an events socket, the auth frame included */
  readonly socketFrames: SocketFrame[];
  /** frames that were not an auth frame: each was run as a user message ([api: agent-server]) */
  userFrames(): SocketFrame[];
  addSocketFault(fault: SocketFault): void;
  /** down: every new TCP connection is reset at once (host unreachable); open sockets are dropped */
  setDown(down: boolean): void;
  /** drop every open events socket now (no close frame: the client sees 1006) */
  dropSockets(): void;
}

export interface AgentServerOptions {
  /** first-frame auth wait, default 10 000 ms (sockets.py) */
  authTimeoutMs?: number;
  /** subscribers per conversation, default 50 (event_service.py PubSub max_subscribers) */
  maxSubscribers?: number;
}

const text503 = 'Service Unavailable';

export class AgentServer implements AgentServerEmulator {
  url = '';
  readonly requests: AgentServerRequest[] = [];
  private readonly server: http.Server;
  private readonly engine: Engine;
  private readonly sockets: EventSockets;
  private readonly tcp = new Set<Socket>();
  private down = false;

  constructor(engine: Engine, options: AgentServerOptions = {}) {
    this.engine = engine;
    this.sockets = new EventSockets(engine, { authTimeoutMs: options.authTimeoutMs ?? 10_000, maxSubscribers: options.maxSubscribers ?? 50 });
    this.server = http.createServer({ noDelay: true }, (req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.sockets.upgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      if (this.down) return void s.resetAndDestroy();
      this.tcp.add(s);
      s.on('close', () => this.tcp.delete(s));
    });
  }

  get connections(): SocketRecord[] {
    return this.sockets.records;
  }

  get socketFrames(): SocketFrame[] {
    return this.sockets.frames;
  }

  userFrames(): SocketFrame[] {
    return this.sockets.frames.filter((f) => f.role !== 'auth');
  }

  addSocketFault(fault: SocketFault): void {
    this.sockets.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) {
      this.sockets.dropAll();
      for (const s of this.tcp) s.destroy();
    }
  }

  dropSockets(): void {
    this.sockets.dropAll();
  }

  async listen(host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.down = false;
    this.sockets.reset();
  }

  async close(): Promise<void> {
    this.sockets.close();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.tcp) s.destroy();
    await done;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(''));
    });
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const key = header(req, 'x-session-api-key');
    const [status, body] = this.route(method, path, key, raw);
    this.requests.push({ method, path, hasKey: key !== undefined, status, at: now() });
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    });
    res.end(payload);
  }

  private route(method: string, path: string, key: string | undefined, raw: string): [number, Json | string] {
    const m = /^\/api\/conversations\/([^/]+)(\/agent_final_response)?$/.exec(path);
    const conv = m ? this.engine.conversations.get(parseUuid(m[1]) ?? '') : undefined;
    const sb = conv ? this.engine.sandboxes.get(conv.sandboxId) : undefined;
    // (choice) a stopped runtime answers through its ingress, like the app server's stand-in did
    if (conv && sb?.status !== 'RUNNING') return [503, text503];
    // dependencies.py check_session_api_key runs before the route: 401 {"detail":"Unauthorized"}
    const keyOk = sb ? key === sb.sessionApiKey : knownKey(this.engine, key);
    if (!keyOk) return [401, { detail: 'Unauthorized' }];
    if (!m) return [404, { detail: 'Not Found' }];
    if (m[2] && method === 'GET') {
      if (!conv) return [404, { detail: 'Not Found' }];
      return [200, { response: this.engine.finalResponse(conv) }];
    }
    if (!m[2] && method === 'PATCH') {
      const title = patchTitle(raw);
      if (typeof title !== 'string' && title !== null) return [422, title];
      if (!conv) return [200, { success: false }]; // update_conversation: unknown → success false, not 404
      if (title !== null) this.engine.setAgentTitle(conv, title.trim());
      return [200, { success: true }];
    }
    return [405, { detail: 'Method Not Allowed' }];
  }
}

/** UpdateConversationRequest: title str 1..200 or absent (models.py); a 422 body otherwise. */
function patchTitle(raw: string): string | null | Json {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] };
  }
  const title = (body as Json | null)?.title;
  if (title === undefined || title === null) return null;
  if (typeof title !== 'string') return { detail: [{ type: 'string_type', loc: ['body', 'title'], msg: 'Input should be a valid string' }] };
  if (title.length < 1) return { detail: [{ type: 'string_too_short', loc: ['body', 'title'], msg: 'String should have at least 1 character' }] };
  if (title.length > 200) return { detail: [{ type: 'string_too_long', loc: ['body', 'title'], msg: 'String should have at most 200 characters' }] };
  return title;
}
