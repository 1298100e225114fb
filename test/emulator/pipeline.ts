// The request pipeline, in the order a request goes through it:
//   control (/_emulator/*) → record → faults → [ /runtime/* agent-server stand-in ]
//   → credential present? (middleware, 401) → per-IP limit (delay / 429) → route match
//   → the route's key check (401) and per-user limit (429) → handler; no match → SPA (GET html, else 405).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultReply, type FaultBook } from './faults.ts';
import { CACHE_CONTROL, credentialOf, detail, html, json, noCredentials, parseBody, readBody, type App, type Ctx, type Headers, type Reply, type Route, StreamSink } from './http.ts';
import type { IpLimiter, UserLimiter } from './ratelimit.ts';
import { control, type Controlled } from './routes/control.ts';
import { runtime } from './routes/runtime.ts';
import type { FaultAction, RecordedRequest } from './types.ts';
import { now, type Timers } from './util.ts';

export interface PipelineDeps {
  app: App;
  emu: Controlled;
  routes: Route[];
  faults: FaultBook;
  timers: Timers;
  ipLimiter: IpLimiter | null;
  userLimiter: UserLimiter | null;
  requests: RecordedRequest[];
  inflight: Set<ServerResponse>;
}

export async function handle(d: PipelineDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = now();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://emulator');
  const raw = await readBody(req);
  if (url.pathname.startsWith('/_emulator/')) return write(res, null, control(d.emu, method, url, raw));

  const { body, bodyError } = parseBody(raw, req.headers['content-type']);
  const rec: RecordedRequest = { method, path: url.pathname, query: url.searchParams, headers: { ...req.headers }, body: bodyError ? raw : body ?? null, at, status: null, doneAt: null, fault: null };
  d.requests.push(rec);
  d.inflight.add(res);
  res.on('close', () => {
    d.inflight.delete(res);
    rec.doneAt ??= now();
    if (d.app.options.log) console.error(`[emulator] ${method} ${url.pathname}${url.search} → ${rec.status ?? 'no answer'}${rec.fault ? ` (fault ${rec.fault})` : ''}`);
  });

  const credential = credentialOf(req.headers);
  const fault = d.faults.take(method, url.pathname + url.search, credential !== null);
  rec.fault = fault?.kind ?? null;
  switch (fault?.kind) {
    case 'reset':
      req.socket.resetAndDestroy(); // TCP RST: the client sees ECONNRESET
      return;
    case 'hang':
      return; // never answer; close()/reset() destroys the socket
    case 'status':
      return write(res, rec, faultReply(fault));
    case 'html':
      return write(res, rec, html());
    case 'key-store':
      // the middleware's key lookup failed (BearerTokenError, [api: errors])
      return write(res, rec, json(401, { error: fault.error ?? 'BearerTokenError' }));
    case 'delay':
      if (fault.when !== 'after') await d.timers.sleep(fault.ms);
      break;
  }

  const ctx: Ctx = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body, bodyError, credential, user: '', params: [] };
  const reply = await process(d, ctx, req.socket.remoteAddress ?? 'unknown');
  if (fault?.kind === 'reset-after') {
    // processed (e.g. the start task exists), but the client never learns it
    if ('stream' in reply) reply.abandon();
    req.socket.resetAndDestroy();
    return;
  }
  if (fault?.kind === 'delay' && fault.when === 'after') await d.timers.sleep(fault.ms);
  if ('stream' in reply && (res.destroyed || res.headersSent)) reply.abandon(); // the client left meanwhile
  write(res, rec, reply, fault);
}

async function process(d: PipelineDeps, ctx: Ctx, ip: string): Promise<Reply> {
  if (ctx.path.startsWith('/runtime/')) return runtime(d.app, ctx);
  // SetAuthCookieMiddleware only checks that a credential is there ([api: errors]); the key is checked by the route.
  if (ctx.path.startsWith('/api/') && !ctx.credential) return noCredentials();
  const exempt = ctx.path.startsWith('/assets') || (ctx.method === 'POST' && /^\/api\/v1\/sandboxes\/[^/]+\/resume$/.test(ctx.path));
  if (d.ipLimiter && !exempt) {
    const verdict = d.ipLimiter.hit(ip, now());
    if (verdict === 'reject') return json(429, { message: 'Too many requests' }, { 'Retry-After': '1' });
    if (verdict === 'delay') await d.timers.sleep(d.ipLimiter.delayMs);
  }
  for (const r of d.routes) {
    const m = r.re.exec(ctx.path);
    if (!m || r.method !== ctx.method) continue;
    ctx.params = m.slice(1).map((p) => decodeURIComponent(p));
    const user = ctx.credential ? d.app.users.get(ctx.credential) : undefined;
    if (!user) return noCredentials();
    ctx.user = user;
    const hit = d.userLimiter?.hit(user, now());
    if (hit)
      return json(429, { error: `Rate limit exceeded: ${hit.label}` }, {
        'X-RateLimit-Limit': String(hit.limit),
        'X-RateLimit-Remaining': String(hit.remaining),
        'X-RateLimit-Reset': String(hit.reset),
        'Retry-After': String(hit.retryAfter),
      });
    return r.handle(ctx);
  }
  // Starlette: no full route match → the SPA mount answers: index.html for GET, 405 otherwise ([api: errors]).
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return html();
  return detail(405, 'Method Not Allowed');
}

export function write(res: ServerResponse, rec: RecordedRequest | null, reply: Reply, fault?: FaultAction | null): void {
  if (res.destroyed || res.headersSent) return;
  const base: Headers = { 'cache-control': CACHE_CONTROL };
  if ('stream' in reply) {
    res.writeHead(200, { ...base, 'content-type': 'application/json' });
    res.flushHeaders();
    if (rec) rec.status = 200;
    reply.stream(new StreamSink(res, fault ?? null));
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
