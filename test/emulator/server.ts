// OpenHands Cloud emulator: a real node:http server following the OpenHands V1 API reference (shared/openhands-v1-api.md).
// Layers, in the order a request goes through them:
//   control (/_emulator/*) → record → faults → [ /runtime/* agent-server stand-in ]
//   → auth (401) → per-user limit (429) → per-IP limit (delay / 429) → route table → SPA fallback.
// See README.md for the options, the control endpoints and the deliberate guesses.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type {
  Emulator,
  EmulatorOptions,
  EmulatorState,
  Fault,
  FaultAction,
  Json,
  RecordedRequest,
  Scenario,
  ScenarioInput,
  Transition,
} from './types.ts';
import { DEFAULT_SCENARIO, Engine, mergeScenario, StartRejected, type Conversation, type Task } from './engine.ts';
import { IpLimiter, UserLimiter } from './ratelimit.ts';
import { AgentServer } from './agent-server.ts';
import {
  enumError,
  Errors,
  pathUuid,
  queryBool,
  queryDatetime,
  queryEnum,
  queryLimit,
  queryOffset,
  queryUuid,
  queryUuidList,
  validateSendMessage,
  validateStartRequest,
  validateUpdate,
} from './validation.ts';
import { dashed, now, parseUuid, Timers } from './util.ts';

export type * from './types.ts';
export { DEFAULT_SCENARIO, START_PHASES } from './engine.ts';

const CACHE_CONTROL = 'no-cache, no-store, must-revalidate, max-age=0';

const EVENT_KINDS = [
  'ServerErrorEvent', 'ACPToolCallEvent', 'Condensation', 'CondensationRequest', 'CondensationSummaryEvent',
  'ConversationErrorEvent', 'ConversationStateUpdateEvent', 'HookExecutionEvent', 'LLMCompletionLogEvent',
  'ActionEvent', 'MessageEvent', 'AgentErrorEvent', 'ObservationEvent', 'UserRejectObservation',
  'SystemPromptEvent', 'StreamingDeltaEvent', 'TokenEvent', 'InterruptEvent', 'PauseEvent',
] as const;

const SPA_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>OpenHands</title><script type="module" crossorigin src="/assets/index-emulator.js"></script></head>
<body><div id="root"></div></body>
</html>
`;

// ---- replies --------------------------------------------------------------------------------

type Headers = Record<string, string>;

type Reply =
  | { status: number; json: unknown; headers?: Headers }
  | { status: number; text: string; contentType: string; headers?: Headers }
  | { stream: (sink: StreamSink) => void; abandon: () => void };

const json = (status: number, body: unknown, headers?: Headers): Reply => ({ status, json: body, headers });
const detail = (status: number, message: string): Reply => json(status, { detail: message });
const html = (): Reply => ({ status: 200, text: SPA_HTML, contentType: 'text/html; charset=utf-8' });
const unprocessable = (errors: Errors): Reply => json(422, { detail: errors.list });
// Starlette's ServerErrorMiddleware answers unhandled exceptions with plain text.
const internalError = (): Reply => ({ status: 500, text: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' });

/** Writes the stream-start body piece by piece: "[\n", items separated by ",\n", "]" (§2.2). */
class StreamSink {
  private items = 0;
  private open = true;
  private readonly res: ServerResponse;
  private readonly fault: Extract<FaultAction, { kind: 'stream-break' | 'stream-stall' }> | null;

  constructor(res: ServerResponse, fault: FaultAction | null) {
    this.res = res;
    this.fault = fault && (fault.kind === 'stream-break' || fault.kind === 'stream-stall') ? fault : null;
  }

  begin(): void {
    this.write('[\n');
    this.checkFault();
  }

  item(value: unknown): void {
    if (!this.open) return;
    this.write((this.items > 0 ? ',\n' : '') + JSON.stringify(value));
    this.items++;
    this.checkFault();
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    this.res.end(']');
  }

  onClose(fn: () => void): void {
    this.res.on('close', fn);
  }

  private write(chunk: string): void {
    if (this.open && !this.res.destroyed) this.res.write(chunk);
  }

  private checkFault(): void {
    if (!this.fault || this.items < this.fault.afterItems) return;
    this.open = false;
    if (this.fault.kind === 'stream-break') this.res.socket?.destroy();
    // stream-stall: keep the socket open, write nothing more
  }
}

// ---- request context and routes -------------------------------------------------------------

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Set when the body is not valid JSON (→ 422 json_invalid for routes that read a body). */
  bodyError: { pos: number; error: string } | null;
  user: string;
  params: string[];
}

interface Route {
  method: string;
  re: RegExp;
  handle: (ctx: Ctx) => Reply;
}

interface StoredFault {
  fault: Fault;
  left: number;
}

function jsonBodyError(ctx: Ctx): Reply | null {
  if (!ctx.bodyError) return null;
  return json(422, {
    detail: [{ type: 'json_invalid', loc: ['body', ctx.bodyError.pos], msg: 'JSON decode error', input: {}, ctx: { error: ctx.bodyError.error } }],
  });
}

function paginate(items: Json[], q: URLSearchParams, limit: number): Json {
  const offset = queryOffset(q);
  const end = offset + limit;
  return { items: items.slice(offset, end), next_page_id: end < items.length ? String(end) : null };
}

const pyRepr = (s: string): string => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replaceAll("'", "\\'")}'`);

// ---- the emulator ---------------------------------------------------------------------------

class EmulatorServer implements Emulator {
  url = '';
  port = 0;
  readonly apiKeys: string[];
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly engine: Engine;
  private readonly users = new Map<string, string>(); // api key → user id
  private readonly options: EmulatorOptions;
  private readonly timers = new Timers();
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Set<ServerResponse>();
  private readonly routes: Route[];
  private readonly ipLimiter: IpLimiter | null;
  private readonly userLimiter: UserLimiter | null;
  private defaultScenario: Scenario;
  private queue: ScenarioInput[] = [];
  private faults: StoredFault[] = [];
  private closed = false;
  /** the sandboxes' agent server (agent-server.ts), on its own port */
  readonly agentServer: AgentServer;

  constructor(options: EmulatorOptions) {
    this.options = options;
    this.apiKeys = options.apiKeys ?? ['test-key'];
    this.apiKeys.forEach((k, i) => this.users.set(k, `${String(i + 1).padStart(8, '0')}-0000-4000-8000-00000000e1a0`));
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, options.scenario);
    this.engine = new Engine({
      baseUrl: () => this.url,
      llmModel: options.llmModel ?? 'litellm_proxy/claude-sonnet-4-5-20250929',
      agentBaseUrl: () => this.agentServer.url,
    });
    this.agentServer = new AgentServer(this.engine, options.agentServer);
    const rl = options.rateLimits ?? true;
    const cfg = rl === true ? {} : rl === false ? { ip: false as const, user: false as const } : rl;
    this.ipLimiter = cfg.ip === false ? null : new IpLimiter(cfg.ip ?? {});
    this.userLimiter =
      cfg.user === false
        ? null
        : new UserLimiter(cfg.user ?? [
            { limit: 10, windowMs: 1000 },
            { limit: 100, windowMs: 60_000 },
          ]);
    this.routes = this.buildRoutes();
    this.server = http.createServer({ noDelay: true }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error('[emulator] handler crashed', err);
        if (!res.headersSent && !res.destroyed) this.write(res, null, internalError());
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.port = addr.port;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${host}:${addr.port}`;
    await this.agentServer.listen(this.options.host ?? '127.0.0.1');
  }

  // ---- public control API ----

  get transitions(): Transition[] {
    return this.engine.transitions;
  }

  queueScenario(partial: ScenarioInput): void {
    this.queue.push(partial);
  }

  setDefaultScenario(partial: ScenarioInput): void {
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, partial);
  }

  addFault(fault: Fault): void {
    this.faults.push({ fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  get tasks(): Json[] {
    return [...this.engine.tasks.values()].map((t) => this.engine.taskJson(t));
  }

  get conversations(): Json[] {
    return [...this.engine.conversations.values()].map((c) => this.engine.conversationJson(c));
  }

  get sandboxes(): Json[] {
    return [...this.engine.sandboxes.values()].map((s) => this.engine.sandboxJson(s));
  }

  sessionApiKeys(): string[] {
    return [...this.engine.sandboxes.values()].map((s) => s.sessionApiKey);
  }

  events(conversationId: string): Json[] {
    const conv = this.engine.conversations.get(parseUuid(conversationId) ?? '');
    return conv ? this.engine.allEvents(conv) : [];
  }

  state(): EmulatorState {
    const events: Record<string, Json[]> = {};
    for (const c of this.engine.conversations.values()) events[c.id] = this.engine.allEvents(c);
    return { tasks: this.tasks, conversations: this.conversations, sandboxes: this.sandboxes, events };
  }

  pauseSandbox(id: string): boolean {
    return this.engine.pauseSandbox(id);
  }

  resumeSandbox(id: string): boolean {
    return this.engine.resumeSandbox(id);
  }

  failSandbox(id: string, status: 'ERROR' | 'MISSING'): boolean {
    return this.engine.failSandbox(id, status);
  }

  ageConversation(id: string, ms: number): boolean {
    return this.engine.ageConversation(id, ms);
  }

  reset(): void {
    this.engine.reset();
    this.agentServer.reset();
    this.timers.clearAll();
    for (const res of this.inflight) res.socket?.destroy();
    this.inflight.clear();
    this.requests.length = 0;
    this.faults = [];
    this.queue = [];
    this.ipLimiter?.reset();
    this.userLimiter?.reset();
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, this.options.scenario);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine.dispose();
    this.timers.clearAll();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await Promise.all([done, this.agentServer.close()]);
  }

  // ---- request pipeline ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_emulator/')) return this.write(res, null, this.control(method, url, raw));

    const { body, bodyError } = parseBody(raw, req.headers['content-type']);
    const rec: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: { ...req.headers },
      body: bodyError ? raw : body ?? null,
      at,
      status: null,
      doneAt: null,
      fault: null,
    };
    this.requests.push(rec);
    this.inflight.add(res);
    res.on('close', () => {
      this.inflight.delete(res);
      rec.doneAt ??= now();
      if (this.options.log) console.error(`[emulator] ${method} ${url.pathname}${url.search} → ${rec.status ?? 'no answer'}${rec.fault ? ` (fault ${rec.fault})` : ''}`);
    });

    const fault = this.takeFault(method, url.pathname + url.search);
    rec.fault = fault?.kind ?? null;
    switch (fault?.kind) {
      case 'reset':
        req.socket.resetAndDestroy(); // TCP RST: the client sees ECONNRESET
        return;
      case 'hang':
        return; // never answer; close()/reset() destroys the socket
      case 'status':
        return this.write(res, rec, faultReply(fault));
      case 'html':
        return this.write(res, rec, html());
      case 'delay':
        if (fault.when !== 'after') await this.timers.sleep(fault.ms);
        break;
    }

    const ctx: Ctx = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body, bodyError, user: '', params: [] };
    const reply = await this.process(ctx, req.socket.remoteAddress ?? 'unknown');
    if (fault?.kind === 'reset-after') {
      // processed (e.g. the start task exists), but the client never learns it
      if ('stream' in reply) reply.abandon();
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'delay' && fault.when === 'after') await this.timers.sleep(fault.ms);
    this.write(res, rec, reply, fault);
  }

  private async process(ctx: Ctx, ip: string): Promise<Reply> {
    if (ctx.path.startsWith('/runtime/')) return this.runtime(ctx);
    if (ctx.path.startsWith('/api/')) {
      const user = this.authenticate(ctx.headers);
      if (!user) return json(401, { error: 'NoCredentialsError' });
      ctx.user = user;
      const hit = this.userLimiter?.hit(user, now());
      if (hit)
        return json(429, { error: `Rate limit exceeded: ${hit.label}` }, {
          'X-RateLimit-Limit': String(hit.limit),
          'X-RateLimit-Remaining': String(hit.remaining),
          'X-RateLimit-Reset': String(hit.reset),
          'Retry-After': String(hit.retryAfter),
        });
    }
    const exempt = ctx.path.startsWith('/assets') || (ctx.method === 'POST' && /^\/api\/v1\/sandboxes\/[^/]+\/resume$/.test(ctx.path));
    if (this.ipLimiter && !exempt) {
      const verdict = this.ipLimiter.hit(ip, now());
      if (verdict === 'reject') return json(429, { message: 'Too many requests' }, { 'Retry-After': '1' });
      if (verdict === 'delay') await this.timers.sleep(this.ipLimiter.delayMs);
    }
    for (const route of this.routes) {
      const m = route.re.exec(ctx.path);
      if (!m || route.method !== ctx.method) continue;
      ctx.params = m.slice(1).map((p) => decodeURIComponent(p));
      return route.handle(ctx);
    }
    // Starlette: no full route match → the SPA mount answers: index.html for GET, an error otherwise.
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return html();
    const status = this.options.unknownMethodStatus ?? 404;
    return detail(status, status === 404 ? 'Not Found' : 'Method Not Allowed');
  }

  /** §1: Authorization: Bearer, then X-Session-API-Key, then X-Access-Token, then an api_key cookie. */
  private authenticate(headers: IncomingMessage['headers']): string | null {
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
    const cookie = /(?:^|;\s*)api_key=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    const header = (name: string): string | undefined => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const key = bearer ?? header('x-session-api-key') ?? header('x-access-token') ?? cookie;
    return key ? (this.users.get(key) ?? null) : null;
  }

  private takeFault(method: string, pathAndQuery: string): FaultAction | null {
    const isStream = method === 'POST' && pathAndQuery.split('?')[0] === '/api/v1/app-conversations/stream-start';
    const i = this.faults.findIndex(({ fault }) => {
      if (fault.method && fault.method.toUpperCase() !== method) return false;
      // stream faults only make sense on stream-start; other requests leave them in place
      if ((fault.kind === 'stream-break' || fault.kind === 'stream-stall') && !isStream) return false;
      if (fault.path === undefined) return true;
      return typeof fault.path === 'string' ? pathAndQuery.startsWith(fault.path) : fault.path.test(pathAndQuery);
    });
    if (i < 0) return null;
    const stored = this.faults[i]!;
    if (--stored.left <= 0) this.faults.splice(i, 1);
    return stored.fault;
  }

  private write(res: ServerResponse, rec: RecordedRequest | null, reply: Reply, fault?: FaultAction | null): void {
    if (res.destroyed || res.headersSent) return;
    const base: Headers = { 'cache-control': CACHE_CONTROL };
    if ('stream' in reply) {
      res.writeHead(200, { ...base, 'content-type': 'application/json' });
      res.flushHeaders();
      if (rec) rec.status = 200;
      const sink = new StreamSink(res, fault ?? null);
      reply.stream(sink);
      return;
    }
    const isJson = 'json' in reply;
    const payload = isJson ? JSON.stringify(reply.json) : reply.text;
    res.writeHead(reply.status, {
      ...base,
      'content-type': isJson ? 'application/json' : reply.contentType,
      'content-length': String(Buffer.byteLength(payload)),
      ...reply.headers,
    });
    res.end(payload);
    if (rec) rec.status = reply.status;
  }

  // ---- routes (§2, §4, §5, §7, §8, §9) ----

  private buildRoutes(): Route[] {
    const id = '([^/]+)';
    const r = (method: string, path: string, handle: (ctx: Ctx) => Reply): Route => ({
      method,
      re: new RegExp(`^/api/v1${path.replaceAll('{id}', id)}$`),
      handle,
    });
    const routes: Route[] = [
      r('POST', '/app-conversations', (c) => this.start(c)),
      r('GET', '/app-conversations', (c) => this.batchConversations(c)),
      r('GET', '/app-conversations/search', (c) => this.searchConversations(c, false)),
      r('GET', '/app-conversations/count', (c) => this.searchConversations(c, true)),
      r('GET', '/app-conversations/start-tasks', (c) => this.batchTasks(c)),
      r('GET', '/app-conversations/start-tasks/search', (c) => this.searchTasks(c, false)),
      r('GET', '/app-conversations/start-tasks/count', (c) => this.searchTasks(c, true)),
      r('PATCH', '/app-conversations/{id}', (c) => this.patchConversation(c)),
      r('DELETE', '/app-conversations/{id}', (c) => this.deleteConversation(c)),
      r('POST', '/app-conversations/{id}/send-message', (c) => this.sendMessage(c)),
      r('GET', '/conversation/{id}/events/search', (c) => this.searchEvents(c, false)),
      r('GET', '/conversation/{id}/events/count', (c) => this.searchEvents(c, true)),
      r('GET', '/conversation/{id}/events', (c) => this.batchEvents(c)),
      r('GET', '/sandboxes', (c) => this.batchSandboxes(c)),
      r('GET', '/sandboxes/search', (c) => this.searchSandboxes(c)),
      r('POST', '/sandboxes/{id}/pause', (c) => this.sandboxAction(c, 'pause')),
      r('POST', '/sandboxes/{id}/resume', (c) => this.sandboxAction(c, 'resume')),
      r('GET', '/users/me', (c) => this.me(c)),
    ];
    if (this.options.streamStart !== false) routes.unshift(r('POST', '/app-conversations/stream-start', (c) => this.start(c, true)));
    return routes;
  }

  private ownTask(ctx: Ctx, hex: string): Task | null {
    const t = this.engine.tasks.get(hex);
    return t && t.user === ctx.user ? t : null;
  }

  private ownConversation(ctx: Ctx, hex: string): Conversation | null {
    const c = this.engine.conversations.get(hex);
    return c && c.user === ctx.user ? c : null;
  }

  /** POST /app-conversations and /stream-start (§2). */
  private start(ctx: Ctx, stream = false): Reply {
    const bad = jsonBodyError(ctx);
    if (bad) return bad;
    const errors = new Errors();
    const request = validateStartRequest(ctx.body, errors);
    if (!request) return unprocessable(errors);
    const partial = this.queue.shift();
    const scenario = mergeScenario(this.defaultScenario, partial);
    let task: Task;
    try {
      task = this.engine.startTask(ctx.user, request, scenario);
    } catch (err) {
      if (!(err instanceof StartRejected)) throw err;
      if (partial) this.queue.unshift(partial);
      return internalError();
    }
    if (!stream) return json(200, this.engine.taskJson(task));
    // Subscribe now so that no state is missed even if the answer is delayed by a fault.
    const pending: Json[] = [this.engine.taskJson(task)];
    let sink: StreamSink | null = null;
    const deliver = (t: Json): void => {
      if (!sink) return void pending.push(t);
      sink.item(t);
      if (t.status === 'READY' || t.status === 'ERROR') {
        sink.end();
        task.listeners.delete(deliver);
      }
    };
    task.listeners.add(deliver);
    return {
      abandon: () => task.listeners.delete(deliver),
      stream: (s) => {
        sink = s;
        s.onClose(() => task.listeners.delete(deliver));
        s.begin();
        for (const t of pending.splice(0)) deliver(t);
      },
    };
  }

  /** GET /app-conversations/start-tasks?ids= (§4). */
  private batchTasks(ctx: Ctx): Reply {
    const errors = new Errors();
    const ids = queryUuidList(ctx.query, 'ids', errors);
    if (!errors.ok) return unprocessable(errors);
    if (ids.length > 100) return detail(400, `Cannot request more than 100 start tasks at once, got ${ids.length}`);
    return json(
      200,
      ids.map((hex) => {
        const t = this.ownTask(ctx, hex);
        return t ? this.engine.taskJson(t) : null;
      }),
    );
  }

  /** GET /app-conversations/start-tasks/search and /count (§4). */
  private searchTasks(ctx: Ctx, count: boolean): Reply {
    const q = ctx.query;
    const errors = new Errors();
    const convEq = queryUuid(q, 'conversation_id__eq', errors);
    const createdGte = queryDatetime(q, 'created_at__gte', errors);
    const order = count ? 'CREATED_AT_DESC' : queryEnum(q, 'sort_order', ['CREATED_AT', 'CREATED_AT_DESC', 'UPDATED_AT', 'UPDATED_AT_DESC'] as const, 'CREATED_AT_DESC', errors);
    const limit = count ? 100 : queryLimit(q, errors);
    if (!errors.ok) return unprocessable(errors);
    const tasks = [...this.engine.tasks.values()].filter(
      (t) => t.user === ctx.user && (!convEq || t.appConversationId === convEq) && (!createdGte || t.createdAt >= createdGte.ms),
    );
    if (count) return json(200, tasks.length);
    const key = order.startsWith('UPDATED') ? 'updatedAt' : 'createdAt';
    const dir = order.endsWith('_DESC') ? -1 : 1;
    tasks.sort((a, b) => (a[key] - b[key]) * dir);
    return json(200, paginate(tasks.map((t) => this.engine.taskJson(t)), q, limit));
  }

  /** GET /app-conversations?ids= (§5). */
  private batchConversations(ctx: Ctx): Reply {
    const ids = ctx.query.getAll('ids');
    if (ids.length === 0) {
      const errors = new Errors();
      errors.missing(['query', 'ids']);
      return unprocessable(errors);
    }
    if (ids.length >= 100) return detail(400, 'Too many ids requested. Maximum is 99.');
    const invalid = ids.filter((i) => !parseUuid(i));
    if (invalid.length) return detail(400, `Invalid UUID format for ids: [${invalid.map(pyRepr).join(', ')}]`);
    return json(
      200,
      ids.map((i) => {
        const c = this.ownConversation(ctx, parseUuid(i)!);
        return c ? this.engine.conversationJson(c) : null;
      }),
    );
  }

  /** GET /app-conversations/search and /count (§5). No sort_order: always CREATED_AT_DESC. */
  private searchConversations(ctx: Ctx, count: boolean): Reply {
    const q = ctx.query;
    const errors = new Errors();
    const titleContains = q.get('title__contains');
    const cGte = queryDatetime(q, 'created_at__gte', errors);
    const cLt = queryDatetime(q, 'created_at__lt', errors);
    const uGte = queryDatetime(q, 'updated_at__gte', errors);
    const uLt = queryDatetime(q, 'updated_at__lt', errors);
    const sandboxEq = q.get('sandbox_id__eq');
    const includeSubs = queryBool(q, 'include_sub_conversations', errors);
    const limit = count ? 100 : queryLimit(q, errors);
    if (!errors.ok) return unprocessable(errors);
    const convs = [...this.engine.conversations.values()].filter(
      (c) =>
        c.user === ctx.user &&
        (includeSubs || !c.parentId) &&
        // SQL LIKE on Postgres: case-sensitive
        (titleContains === null || c.title.includes(titleContains)) &&
        (!cGte || c.createdAt >= cGte.ms) &&
        (!cLt || c.createdAt < cLt.ms) &&
        (!uGte || c.updatedAt >= uGte.ms) &&
        (!uLt || c.updatedAt < uLt.ms) &&
        (sandboxEq === null || c.sandboxId === sandboxEq),
    );
    if (count) return json(200, convs.length);
    convs.sort((a, b) => b.createdAt - a.createdAt);
    return json(200, paginate(convs.map((c) => this.engine.conversationJson(c)), q, limit));
  }

  /** PATCH /app-conversations/{id} (§9). */
  private patchConversation(ctx: Ctx): Reply {
    const bad = jsonBodyError(ctx);
    if (bad) return bad;
    const errors = new Errors();
    const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
    const fields = validateUpdate(ctx.body, errors);
    if (!errors.ok || !fields) return unprocessable(errors);
    const conv = this.ownConversation(ctx, hex);
    if (!conv) return detail(404, 'unknown_app_conversation');
    this.engine.update(conv, fields);
    return json(200, this.engine.conversationJson(conv));
  }

  /** DELETE /app-conversations/{id} (§9). */
  private deleteConversation(ctx: Ctx): Reply {
    const hex = parseUuid(ctx.params[0]!);
    if (!hex) return detail(400, 'Invalid conversation ID format');
    const conv = this.ownConversation(ctx, hex);
    if (!conv) return detail(404, 'Conversation not found');
    this.engine.deleteConversation(conv);
    return json(200, { success: true });
  }

  /** POST /app-conversations/{id}/send-message (§8). The exact 404/410/503 texts are guesses. */
  private sendMessage(ctx: Ctx): Reply {
    const bad = jsonBodyError(ctx);
    if (bad) return bad;
    const errors = new Errors();
    const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
    const msg = validateSendMessage(ctx.body, errors);
    if (!errors.ok || !msg) return unprocessable(errors);
    const conv = this.ownConversation(ctx, hex);
    if (!conv) return detail(404, `Conversation not found: ${hex}`);
    const sb = this.engine.sandboxes.get(conv.sandboxId);
    if (!sb) return detail(404, `Sandbox not found: ${conv.sandboxId}`);
    switch (sb.status) {
      case 'MISSING':
        return detail(410, 'Conversation is archived: its sandbox no longer exists. Start a new conversation to continue.');
      case 'ERROR':
        return detail(503, `Sandbox is in ERROR state: ${sb.statusDetail ?? 'unknown error'}`);
      case 'PAUSED':
      case 'STARTING':
        return detail(409, `Sandbox is ${sb.status}. Use POST /api/v1/sandboxes/${sb.id}/resume to resume it first.`);
    }
    this.engine.sendMessage(conv, msg.content, msg.run);
    return json(200, { success: true, sandbox_status: 'RUNNING', message: null });
  }

  /** GET /conversation/{id}/events/search and /count (§7.1). */
  private searchEvents(ctx: Ctx, count: boolean): Reply {
    const q = ctx.query;
    const errors = new Errors();
    const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
    const kind = q.get('kind__eq');
    if (kind !== null && !(EVENT_KINDS as readonly string[]).includes(kind)) enumError(errors, ['query', 'kind__eq'], EVENT_KINDS, kind);
    const gte = queryDatetime(q, 'timestamp__gte', errors);
    const lt = queryDatetime(q, 'timestamp__lt', errors);
    const order = count ? 'TIMESTAMP' : queryEnum(q, 'sort_order', ['TIMESTAMP', 'TIMESTAMP_DESC'] as const, 'TIMESTAMP', errors);
    const limit = count ? 100 : queryLimit(q, errors);
    if (!errors.ok) return unprocessable(errors);
    const conv = this.ownConversation(ctx, hex);
    // Timestamps are compared as strings against Python's isoformat() of the filter (§7.1).
    const events = (conv ? this.engine.visibleEvents(conv) : []).filter((e) => {
      const ts = String(e.timestamp);
      return (!kind || e.kind === kind) && (!gte || ts >= gte.py) && (!lt || ts < lt.py);
    });
    if (count) return json(200, events.length);
    events.sort((a, b) => (String(a.timestamp) < String(b.timestamp) ? -1 : 1) * (order === 'TIMESTAMP_DESC' ? -1 : 1));
    return json(200, paginate(events, q, limit));
  }

  /** GET /conversation/{id}/events?id= (§7.1; the 400 text is a guess). */
  private batchEvents(ctx: Ctx): Reply {
    const errors = new Errors();
    const hex = pathUuid(ctx.params[0]!, 'conversation_id', errors);
    const ids = ctx.query.getAll('id');
    if (ids.length === 0) errors.missing(['query', 'id']);
    if (!errors.ok) return unprocessable(errors);
    if (ids.length > 100) return detail(400, `Cannot request more than 100 events at once, got ${ids.length}`);
    const conv = this.ownConversation(ctx, hex);
    const byId = new Map((conv ? this.engine.visibleEvents(conv) : []).map((e) => [parseUuid(e.id), e]));
    return json(200, ids.map((i) => byId.get(parseUuid(i)) ?? null));
  }

  /** GET /sandboxes?id= (§9; the 400 text is a guess). */
  private batchSandboxes(ctx: Ctx): Reply {
    const ids = ctx.query.getAll('id');
    if (ids.length === 0) {
      const errors = new Errors();
      errors.missing(['query', 'id']);
      return unprocessable(errors);
    }
    if (ids.length > 100) return detail(400, `Cannot request more than 100 sandboxes at once, got ${ids.length}`);
    return json(
      200,
      ids.map((i) => {
        const sb = this.engine.sandboxes.get(i);
        return sb && sb.user === ctx.user ? this.engine.sandboxJson(sb) : null;
      }),
    );
  }

  private searchSandboxes(ctx: Ctx): Reply {
    const errors = new Errors();
    const limit = queryLimit(ctx.query, errors);
    if (!errors.ok) return unprocessable(errors);
    const list = [...this.engine.sandboxes.values()].filter((s) => s.user === ctx.user).sort((a, b) => b.createdAt - a.createdAt);
    return json(200, paginate(list.map((s) => this.engine.sandboxJson(s)), ctx.query, limit));
  }

  private sandboxAction(ctx: Ctx, action: 'pause' | 'resume'): Reply {
    const sb = this.engine.sandboxes.get(ctx.params[0]!);
    if (!sb || sb.user !== ctx.user) return detail(404, 'Sandbox not found');
    const ok = action === 'pause' ? this.engine.pauseSandbox(sb.id) : this.engine.resumeSandbox(sb.id);
    return ok ? json(200, { success: true }) : detail(404, 'Sandbox not found');
  }

  private me(ctx: Ctx): Reply {
    const n = [...this.users.values()].indexOf(ctx.user) + 1;
    return json(200, {
      id: ctx.user,
      email: `user${n}@example.com`,
      email_verified: true,
      org_id: '0000aaaa-0000-4000-8000-000000000001',
      org_name: `user${n}`,
      role: 'owner',
      permissions: ['manage_conversations', 'manage_api_keys', 'manage_settings'],
      language: 'en',
      agent: 'CodeActAgent',
      llm_model: this.options.llmModel ?? 'litellm_proxy/claude-sonnet-4-5-20250929',
      llm_base_url: null,
      llm_api_key_set: true,
      confirmation_mode: false,
      enable_default_condenser: true,
      mcp_config: null,
    });
  }

  /**
   * A minimal agent-server stand-in behind agent_server_url / conversation_url (`{url}/runtime/{sandbox}`),
   * so that a client following conversation_url talks to something real. Only
   * GET /api/conversations/{id}/agent_final_response (§7.3), with X-Session-API-Key.
   */
  private runtime(ctx: Ctx): Reply {
    const m = /^\/runtime\/([^/]+)(\/.*)$/.exec(ctx.path);
    const sb = m ? this.engine.sandboxes.get(m[1]!) : undefined;
    if (!m || !sb) return detail(404, 'Not Found');
    // (guess) a paused or broken runtime is unreachable behind its ingress
    if (sb.status !== 'RUNNING') return { status: 503, text: 'Service Unavailable', contentType: 'text/plain; charset=utf-8' };
    if (ctx.headers['x-session-api-key'] !== sb.sessionApiKey) return detail(401, 'Unauthorized');
    const fr = /^\/api\/conversations\/([^/]+)\/agent_final_response$/.exec(m[2]!);
    if (!fr || ctx.method !== 'GET') return detail(404, 'Not Found');
    const conv = this.engine.conversations.get(parseUuid(fr[1]) ?? '');
    if (!conv || conv.sandboxId !== sb.id) return detail(404, 'Conversation not found');
    return json(200, { response: this.engine.finalResponse(conv) });
  }

  // ---- control endpoints (/_emulator/*, no auth, not recorded, not rate-limited) ----

  private control(method: string, url: URL, raw: string): Reply {
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return detail(400, 'invalid JSON');
    }
    const p = url.pathname;
    const key = `${method} ${p}`;
    const list = <T>(v: unknown): T[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as T[];
    switch (key) {
      case 'POST /_emulator/scenario':
        this.setDefaultScenario((body ?? {}) as ScenarioInput);
        return json(200, { scenario: this.defaultScenario });
      case 'GET /_emulator/scenario':
        return json(200, { scenario: this.defaultScenario, queue: this.queue });
      case 'POST /_emulator/queue':
        for (const s of list<ScenarioInput>(body)) this.queueScenario(s);
        return json(200, { queued: this.queue.length });
      case 'POST /_emulator/faults':
        for (const f of list<Json>(body)) this.addFault(faultFromJson(f));
        return json(200, { faults: this.faults.length });
      case 'DELETE /_emulator/faults':
        this.clearFaults();
        return json(200, { faults: 0 });
      case 'GET /_emulator/requests':
        return json(200, this.requests.map((r) => ({ ...r, query: queryRecord(r.query) })));
      case 'GET /_emulator/transitions':
        return json(200, this.transitions);
      case 'GET /_emulator/state':
        return json(200, this.state());
      case 'POST /_emulator/reset':
        this.reset();
        return json(200, { ok: true });
    }
    const sb = /^POST \/_emulator\/sandboxes\/([^/]+)\/(pause|resume|fail)$/.exec(key);
    if (sb) {
      const id = decodeURIComponent(sb[1]!);
      const status = url.searchParams.get('status') === 'MISSING' ? 'MISSING' : 'ERROR';
      const ok = sb[2] === 'pause' ? this.pauseSandbox(id) : sb[2] === 'resume' ? this.resumeSandbox(id) : this.failSandbox(id, status);
      return ok ? json(200, { success: true }) : detail(404, 'Sandbox not found');
    }
    return detail(404, 'Not Found');
  }
}

// ---- helpers --------------------------------------------------------------------------------

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** FastAPI reads the body as JSON when the content-type is JSON or absent; otherwise it is a raw string. */
function parseBody(raw: string, contentType: string | undefined): { body: unknown; bodyError: Ctx['bodyError'] } {
  if (raw === '') return { body: undefined, bodyError: null };
  if (contentType && !/json/i.test(contentType)) return { body: raw, bodyError: null };
  try {
    return { body: JSON.parse(raw), bodyError: null };
  } catch (err) {
    const pos = Number(/position (\d+)/.exec(String(err))?.[1] ?? 0);
    return { body: undefined, bodyError: { pos, error: 'Expecting value' } };
  }
}

function faultReply(f: Extract<FaultAction, { kind: 'status' }>): Reply {
  const headers: Headers = f.retryAfter !== undefined ? { 'Retry-After': String(f.retryAfter) } : {};
  if (f.body !== undefined) {
    if (typeof f.body === 'string') return { status: f.status, text: f.body, contentType: f.contentType ?? 'text/plain; charset=utf-8', headers };
    return json(f.status, f.body, headers);
  }
  if (f.status === 429) return json(429, { message: 'Too many requests' }, { 'Retry-After': '1', ...headers });
  if (f.status === 500) return { status: 500, text: 'Internal Server Error', contentType: 'text/plain; charset=utf-8', headers };
  const reason = http.STATUS_CODES[f.status] ?? 'Error';
  if (f.status >= 502 && f.status <= 504) {
    // what a load balancer in front of the service answers
    return { status: f.status, text: `<html><head><title>${f.status} ${reason}</title></head><body><center><h1>${f.status} ${reason}</h1></center></body></html>\n`, contentType: 'text/html', headers };
  }
  return json(f.status, { detail: reason }, headers);
}

/** Faults sent as JSON: `pathRegex` (string) becomes a RegExp, `times: null` means always. */
function faultFromJson(f: Json): Fault {
  const { pathRegex, times, ...rest } = f;
  const fault = { ...rest } as unknown as Fault;
  if (typeof pathRegex === 'string') fault.path = new RegExp(pathRegex);
  if (times === null) fault.times = Infinity;
  else if (typeof times === 'number') fault.times = times;
  return fault;
}

function queryRecord(q: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of q) (out[k] ??= []).push(v);
  return out;
}

/** Start an emulator on 127.0.0.1 (port 0 unless options.port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new EmulatorServer(options);
  await emu.listen();
  return emu;
}

/** Dashed form of a 32-hex id (e.g. to compare with request.conversation_id). */
export { dashed };
