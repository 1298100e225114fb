// Replies, the request context and small HTTP helpers shared by the pipeline and the routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from './engine.ts';
import type { EmulatorOptions, FaultAction, Json, Scenario, ScenarioInput } from './types.ts';
import type { Errors } from './validation.ts';
import { queryOffset } from './query.ts';

export const CACHE_CONTROL = 'no-cache, no-store, must-revalidate, max-age=0';

export const SPA_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>OpenHands</title><script type="module" crossorigin src="/assets/index-emulator.js"></script></head>
<body><div id="root"></div></body>
</html>
`;

export type Headers = Record<string, string>;

export type Reply =
  | { status: number; json: unknown; headers?: Headers }
  | { status: number; text: string; contentType: string; headers?: Headers }
  | { stream: (sink: StreamSink) => void; abandon: () => void };

export const json = (status: number, body: unknown, headers?: Headers): Reply => ({ status, json: body, headers });
export const detail = (status: number, message: string): Reply => json(status, { detail: message });
export const html = (): Reply => ({ status: 200, text: SPA_HTML, contentType: 'text/html; charset=utf-8' });
export const unprocessable = (errors: Errors): Reply => json(422, { detail: errors.list });
// Starlette's ServerErrorMiddleware answers unhandled exceptions with plain text.
export const internalError = (): Reply => ({ status: 500, text: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' });
export const noCredentials = (): Reply => json(401, { error: 'NoCredentialsError' });

/** Writes the stream-start body piece by piece: "[\n", items separated by ",\n", "]" ([api: start]). */
export class StreamSink {
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

  /** An exception inside the generator: the connection drops mid-body ([api: start]). */
  drop(): void {
    this.open = false;
    this.res.socket?.destroySoon(); // after what was written is flushed
  }

  /** The connection closed, whoever closed it (also after end()). */
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

export interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Set when the body is not valid JSON (→ 422 json_invalid for routes that read a body). */
  bodyError: { pos: number; error: string } | null;
  /** The API key sent ([api: authentication] order), validated only once a route matched. */
  credential: string | null;
  user: string;
  params: string[];
}

export interface Route {
  method: string;
  re: RegExp;
  handle: (ctx: Ctx) => Reply | Promise<Reply>;
}

/** What the routes need from the emulator. */
export interface App {
  readonly engine: Engine;
  readonly options: EmulatorOptions;
  /** api key → user id */
  readonly users: Map<string, string>;
  /** The scenario for the next start (queued, else the default). */
  takeScenario(): { scenario: Scenario; partial: ScenarioInput | undefined };
  /** Put a queued scenario back (the start was rejected before it began). */
  requeue(partial: ScenarioInput): void;
}

/** A route under /api/v1; `{id}` is one path segment. */
export function route(method: string, path: string, handle: (ctx: Ctx) => Reply | Promise<Reply>): Route {
  return { method, re: new RegExp(`^/api/v1${path.replaceAll('{id}', '([^/]+)')}$`), handle };
}

export function jsonBodyError(ctx: Ctx): Reply | null {
  if (!ctx.bodyError) return null;
  return json(422, {
    detail: [{ type: 'json_invalid', loc: ['body', ctx.bodyError.pos], msg: 'JSON decode error', input: {}, ctx: { error: ctx.bodyError.error } }],
  });
}

/** `{items, next_page_id}` with a stringified offset ([api: reading]). */
export function paginate(items: Json[], q: URLSearchParams, limit: number): Json {
  const offset = queryOffset(q);
  const end = offset + limit;
  return { items: items.slice(offset, end), next_page_id: end < items.length ? String(end) : null };
}

export const pyRepr = (s: string): string => (s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replaceAll("'", "\\'")}'`);

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** FastAPI reads the body as JSON when the content-type is JSON or absent; otherwise it is a raw string. */
export function parseBody(raw: string, contentType: string | undefined): { body: unknown; bodyError: Ctx['bodyError'] } {
  if (raw === '') return { body: undefined, bodyError: null };
  if (contentType && !/json/i.test(contentType)) return { body: raw, bodyError: null };
  try {
    return { body: JSON.parse(raw), bodyError: null };
  } catch (err) {
    const pos = Number(/position (\d+)/.exec(String(err))?.[1] ?? 0);
    return { body: undefined, bodyError: { pos, error: 'Expecting value' } };
  }
}

/** [api: authentication]: Authorization: Bearer, then X-Session-API-Key, then X-Access-Token, then an api_key cookie. */
export function credentialOf(headers: IncomingMessage['headers']): string | null {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
  const cookie = /(?:^|;\s*)api_key=([^;]+)/.exec(headers.cookie ?? '')?.[1];
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return bearer ?? header('x-session-api-key') ?? header('x-access-token') ?? cookie ?? null;
}
