/**
 * The GitHub fake's HTTP pipeline: recording, fault injection, authentication, routing, and the
 * request helpers every resource uses (path parameters, bodies, pagination).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  DOCS,
  MAX_COMMENT_LENGTH,
  SECONDARY_LIMIT_MESSAGE,
  codePoints,
  type FakeComment,
  type FakeIssue,
  type FaultSpec,
  type RecordedRequest,
  type RepoState,
} from './model.ts';
import type { Store } from './store.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}
export const notFound = () => new HttpError(404, { message: 'Not Found', documentation_url: DOCS });
export const validationFailed = (resource: string, field: string, code: string, message?: string) =>
  new HttpError(422, {
    message: 'Validation Failed',
    errors: [{ resource, code, field, ...(message === undefined ? {} : { message }) }],
    documentation_url: DOCS,
  });
export const notSupplied = (field: string) =>
  new HttpError(422, { message: `Invalid request.\n\n"${field}" wasn't supplied.`, documentation_url: DOCS });

export interface Ctx {
  method: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  /** API base as the client sees it (scheme://host[/api/v3]). */
  apiBase: string;
  rec: RecordedRequest;
}
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export type Handler = (ctx: Ctx) => Reply;
export type Route = [method: string, path: RegExp, handler: Handler];
/** `/repos/{owner}/{repo}`, as two capture groups. */
export const R = '/repos/([^/]+)/([^/]+)';

export type Helpers = ReturnType<typeof createHelpers>;

export function createHelpers(s: Store) {
  const { state, findIssue } = s;
  function repoOf(ctx: Ctx): RepoState {
    const r = state.repos.get(`${ctx.params[0]}/${ctx.params[1]}`.toLowerCase());
    if (!r) throw notFound();
    return r;
  }
  function issueOf(ctx: Ctx, index = 2): FakeIssue {
    const repo = repoOf(ctx);
    const issue = findIssue(repo.full_name, Number(ctx.params[index]));
    if (!issue) throw notFound();
    return issue;
  }
  function commentOf(ctx: Ctx, index = 2): FakeComment {
    const repo = repoOf(ctx);
    const id = Number(ctx.params[index]);
    const c = state.comments.find((x) => x.repo === repo.full_name && x.id === id);
    if (!c) throw notFound();
    return c;
  }
  function bodyObject(ctx: Ctx): Record<string, unknown> {
    const b = ctx.body;
    if (b === undefined) return {};
    if (typeof b !== 'object' || b === null || Array.isArray(b)) {
      throw new HttpError(400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    return b as Record<string, unknown>;
  }
  function commentBody(ctx: Ctx): string {
    const body = bodyObject(ctx)['body'];
    if (body === undefined || body === null) throw notSupplied('body');
    if (typeof body !== 'string') {
      throw new HttpError(422, {
        message: `Invalid request.\n\nFor 'properties/body', ${JSON.stringify(body)} is not a string.`,
        documentation_url: DOCS,
      });
    }
    if (codePoints(body) > MAX_COMMENT_LENGTH) {
      throw validationFailed('IssueComment', 'body', 'custom', `body is too long (maximum is ${MAX_COMMENT_LENGTH} characters)`);
    }
    return body;
  }
  function paginate<T>(items: T[], ctx: Ctx): { page: T[]; headers: Record<string, string> } {
    const rawPer = Number.parseInt(ctx.query.get('per_page') ?? '', 10);
    const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, 100) : 30;
    const rawPage = Number.parseInt(ctx.query.get('page') ?? '', 10);
    const page = Number.isFinite(rawPage) && rawPage > 0 ? rawPage : 1;
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    if (last === 1 && page === 1) return { page: slice, headers: {} };
    // github.com links to /repositories/{id}/... (Octokit follows them as they are).
    const repo = repoOf(ctx);
    const rest = ctx.rec.path.replace(/^\/repos\/[^/]+\/[^/]+/, '');
    const link = (p: number) => {
      const q = new URLSearchParams(ctx.query);
      q.set('page', String(p));
      if (ctx.query.has('per_page')) q.set('per_page', String(perPage));
      return `<${ctx.apiBase}/repositories/${repo.id}${rest}?${q.toString()}>`;
    };
    const parts: string[] = [];
    if (page > 1) parts.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
    if (page < last) parts.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) parts.push(`${link(1)}; rel="first"`);
    return { page: slice, headers: parts.length ? { link: parts.join(', ') } : {} };
  }
  function labelNames(v: unknown): string[] {
    if (!Array.isArray(v)) throw validationFailed('Issue', 'labels', 'invalid');
    return v.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown })?.name ?? '')));
  }

  return { repoOf, issueOf, commentOf, bodyObject, commentBody, paginate, labelNames };
}

const WRITE = (method: string) => method !== 'GET' && method !== 'HEAD';

/** A GraphQL query is a read sent as POST; only a mutation writes. */
const isWrite = (r: RecordedRequest): boolean => {
  if (!WRITE(r.method)) return false;
  if (!/\/graphql$/.test(r.path)) return true;
  const query = String((r.body as { query?: unknown } | undefined)?.query ?? '');
  return /^\s*mutation\b/.test(query);
};

export interface Pipeline {
  readonly url: string;
  readonly requests: RecordedRequest[];
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  countWrites(method?: string): number;
  close(): Promise<void>;
}

export async function serve(s: Store, routes: Route[], port = 0): Promise<Pipeline> {
  const requests: RecordedRequest[] = [];
  let faults: Array<FaultSpec & { left: number }> = [];

  function send(res: http.ServerResponse, rec: RecordedRequest, reply: Reply): void {
    rec.status = reply.status;
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${requests.length.toString(16).toUpperCase()}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(s.now() / 1000) + 3600),
      ...reply.headers,
    };
    if (reply.status === 204 || reply.status === 304 || reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  function takeFault(method: string, path: string): (FaultSpec & { left: number }) | undefined {
    const f = faults.find(
      (x) =>
        x.left > 0 &&
        (!x.method || x.method.toUpperCase() === method) &&
        (x.path === undefined || (typeof x.path === 'string' ? path.startsWith(x.path) : x.path.test(path))),
    );
    if (f) f.left--;
    return f;
  }

  /** The answer a fault gives instead of the route's (undefined: the route answers). */
  function faultReply(fault: FaultSpec): Reply | undefined {
    switch (fault.kind) {
      case undefined:
      case 'status': {
        const headers: Record<string, string> = { ...fault.headers };
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        return { status: fault.status, body: fault.body ?? { message: http.STATUS_CODES[fault.status] ?? 'Error', documentation_url: DOCS }, headers };
      }
      case 'secondary':
        return {
          status: fault.status ?? 403,
          headers: { 'retry-after': String(fault.retryAfter ?? 1), 'x-ratelimit-remaining': '4990' },
          body: {
            message: SECONDARY_LIMIT_MESSAGE,
            documentation_url: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          },
        };
      case 'primary':
        return {
          status: fault.status ?? 403,
          // Octokit compares the reset with its own clock, not the fake's `now`.
          headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + (fault.resetIn ?? 1)) },
          body: {
            message: 'API rate limit exceeded for installation ID 1.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
          },
        };
      default:
        return undefined;
    }
  }

  function canonicalPath(raw: string): { path: string; prefix: string } {
    let path = raw;
    let prefix = '';
    if (path === '/api/v3' || path.startsWith('/api/v3/')) {
      prefix = '/api/v3';
      path = path.slice(prefix.length) || '/';
    }
    const m = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
    if (m) {
      const repo = [...s.state.repos.values()].find((r) => r.id === Number(m[1]));
      if (repo) path = `/repos/${repo.full_name}${m[2] ?? ''}`;
    }
    return { path: path.length > 1 ? path.replace(/\/+$/, '') : path, prefix };
  }

  function route(ctxBase: Omit<Ctx, 'params'>, path: string): Reply {
    for (const [m, re, handler] of routes) {
      if (m !== ctxBase.method) continue;
      const match = re.exec(path);
      if (!match) continue;
      try {
        const reply = handler({ ...ctxBase, params: match.slice(1).map((p) => decodeURIComponent(p)) });
        if (WRITE(ctxBase.method) && reply.status < 400) ctxBase.rec.applied = true;
        return reply;
      } catch (e) {
        if (e instanceof HttpError) return { status: e.status, body: e.body };
        return { status: 500, body: { message: `GitHub fake bug: ${String((e as Error)?.stack ?? e)}` } };
      }
    }
    return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = performance.timeOrigin + performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://fake.invalid');
    const { path, prefix } = canonicalPath(target.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    let badJson = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    const rec: RecordedRequest = { method, path, url: req.url ?? '/', query: Object.fromEntries(target.searchParams), body, headers: req.headers, at };
    requests.push(rec);

    const fault = takeFault(method, path);
    if (fault) rec.fault = fault.kind ?? 'status';
    if (fault?.kind === 'reset' && fault.when !== 'after') {
      rec.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    const faulted = fault && faultReply(fault);
    if (faulted) {
      send(res, rec, faulted);
      return;
    }

    const auth = req.headers.authorization;
    const presented = auth && /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1]?.trim();
    let reply: Reply;
    if (!auth) reply = { status: 401, body: { message: 'Requires authentication', documentation_url: DOCS } };
    else if (presented !== s.token) reply = { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } };
    else if (badJson) reply = { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } };
    else {
      const apiBase = `http://${req.headers.host ?? '127.0.0.1'}${prefix}`;
      reply = route({ method, query: target.searchParams, body, apiBase, rec }, path);
    }
    // Applied, but the client never learns it: the ambiguous failures a create must survive.
    if (fault?.kind === 'reset') {
      rec.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'applied-then-500') {
      const status = fault.status ?? 500;
      reply = { status, body: { message: http.STATUS_CODES[status] ?? 'Server Error', documentation_url: DOCS } };
    }
    send(res, rec, reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `GitHub fake bug: ${String(e)}` }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    addFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    countWrites(method) {
      return requests.filter((r) => isWrite(r) && (!method || r.method === method.toUpperCase())).length;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
