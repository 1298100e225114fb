/**
 * OpenHands Cloud V1 app-server client: one method per route this action uses, undici
 * underneath. Maps every non-2xx and every non-JSON answer to an OpenHandsApiError, retries
 * reads on transient faults, and never retries the start request by itself (the caller decides,
 * see start.ts). No orchestration here. Routes and their age: docs/openhands-api.md.
 */
import Bottleneck from 'bottleneck/light.js';
import { Agent, request, type Dispatcher } from 'undici';
import * as v from 'valibot';
import { OpenHandsApiError } from '../errors.js';
import { DEFAULT_RETRY, realSleep, withRetry, type RetryPolicy, type Sleep } from '../retry.js';
import { ensureJson, firstContactError, httpError, networkError, parse, tooOld } from './answers.js';
import {
  ConversationListSchema,
  ConversationPageSchema,
  EventPageSchema,
  StartTaskListSchema,
  StartTaskPageSchema,
  StartTaskSchema,
  SuccessSchema,
  type Conversation,
  type OHEvent,
  type StartRequest,
  type StartTask,
} from './types.js';

export interface ClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly dispatcher?: Dispatcher;
  /** per-request limit on waiting for response headers and between body chunks */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** aborts every request and retry wait (job cancellation) */
  readonly signal?: AbortSignal;
  /** told about each retry, for the log */
  readonly onRetry?: (message: string) => void;
  /** told about every secret the service hands back (sandbox session keys), for redaction */
  readonly onSecret?: (secret: string) => void;
  /** least time between two requests of this client (MIN_GAP_MS) */
  readonly minGapMs?: number;
  /** the server is known to be OpenHands already (a client made mid-run): no first-contact checks */
  readonly knownServer?: boolean;
}

/** Tries of a pause or resume that answers 404 ([api: pause-resume]: also a failing runtime, not only an unknown sandbox). */
export const NOT_FOUND_TRIES = 3;

/** Least time between two requests of one run: at most ~7 a second against the account's 10. */
export const MIN_GAP_MS = 150;

/** What one run spent of the account's request budget ([api: rate-limits]): app-server requests, and 429 answers among them. */
export interface Spent {
  readonly requests: number;
  readonly tooMany: number;
}

/** A sandbox as `/api/v1/sandboxes/search` lists it ([api: rate-limits]). */
export const SandboxSchema = v.looseObject({ id: v.string(), status: v.string(), created_at: v.nullish(v.string()) });
export type Sandbox = v.InferOutput<typeof SandboxSchema>;
const SandboxPageSchema = v.looseObject({ items: v.array(SandboxSchema), next_page_id: v.nullish(v.string()) });

export interface Page<T> {
  readonly items: T[];
  readonly nextPageId: string | null;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

interface CallOptions<T> {
  readonly query?: Query;
  readonly body?: unknown;
  readonly schema: v.GenericSchema<unknown, T>;
  /** retry transient faults (reads and idempotent writes only) */
  readonly retry: boolean;
  /** also retry a 404, up to this many tries in all (pause and resume answer 404 for any runtime error, [api: pause-resume]) */
  readonly notFoundTries?: number;
  readonly timeoutMs?: number;
}

export class OpenHandsClient {
  readonly #o: ClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #pace: Bottleneck;
  #legacyEvents = false;
  #requests = 0;
  #tooMany = 0;
  /** epoch ms before which no request is sent: the account's window is closed (a 429's Retry-After) */
  #closedUntil = 0;
  /** the server has answered once as OpenHands does (JSON from /api/v1): failures stop pointing at base-url */
  #answered: boolean;

  constructor(options: ClientOptions) {
    this.#o = options;
    this.#answered = options.knownServer ?? false;
    // The account's limit (10 a second, 100 a minute) is shared with every run and the web app:
    // paging through events must not burst into it, so one run sends at most ~7 a second.
    this.#pace = new Bottleneck({ minTime: options.minGapMs ?? MIN_GAP_MS });
    this.#dispatcher =
      options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 }, connections: 4 });
  }

  async close(): Promise<void> {
    if (!this.#o.dispatcher) await this.#dispatcher.close();
  }

  /** App-server requests sent so far, and how many were answered 429. */
  spent(): Spent {
    return { requests: this.#requests, tooMany: this.#tooMany };
  }

  /**
   * A 429 closes the account's fixed window ([api: rate-limits], [api: rate-limits]) for every request of the run, not only
   * the one retried: nothing is sent before Retry-After, plus a jitter of up to 1.5 s, so that the
   * runs of a burst, which all met the same closed window, do not come back in one lockstep.
   */
  #onTooMany(retryAfterMs: number | undefined): void {
    this.#tooMany++;
    const now = Date.now();
    const until = now + Math.min(retryAfterMs ?? 1000, 120_000) + Math.round(1500 * (this.#o.random ?? Math.random)());
    this.#closedUntil = Math.max(this.#closedUntil, until);
  }

  /** GET /api/v1/sandboxes/search: one page of the account's sandboxes with their status ([api: rate-limits], [api: route-age]). */
  async searchSandboxes(pageId?: string): Promise<Page<Sandbox>> {
    const page = await this.#call('GET', '/api/v1/sandboxes/search', { query: { limit: 100, page_id: pageId }, schema: SandboxPageSchema, retry: true });
    return { items: page.items, nextPageId: page.next_page_id ?? null };
  }

  /** POST /api/v1/app-conversations: one attempt, never retried here; `timeoutMs` caps the wait for its answer. */
  postStart(body: StartRequest, opts: { timeoutMs?: number } = {}): Promise<StartTask> {
    return this.#call('POST', '/api/v1/app-conversations', { body, schema: StartTaskSchema, retry: false, timeoutMs: opts.timeoutMs });
  }

  /** GET /api/v1/app-conversations/start-tasks?ids=… (null for unknown ids) */
  getStartTasks(ids: readonly string[]): Promise<(StartTask | null)[]> {
    return this.#call('GET', '/api/v1/app-conversations/start-tasks', {
      query: { ids },
      schema: StartTaskListSchema,
      retry: true,
    });
  }

  /**
   * One page of start tasks, newest first: those created since `createdAfter`, or those of a
   * READY conversation (`conversation_id__eq` filters on app_conversation_id).
   */
  async searchStartTasks(filter: { createdAfter?: Date; conversationId?: string; pageId?: string }): Promise<Page<StartTask>> {
    const page = await this.#call('GET', '/api/v1/app-conversations/start-tasks/search', {
      query: {
        created_at__gte: filter.createdAfter?.toISOString(),
        conversation_id__eq: filter.conversationId,
        sort_order: 'CREATED_AT_DESC',
        limit: 100,
        page_id: filter.pageId,
      },
      schema: StartTaskPageSchema,
      retry: true,
    });
    return { items: page.items, nextPageId: page.next_page_id ?? null };
  }

  /** GET /api/v1/app-conversations?ids=… (there is no GET by id: that path serves the web app) */
  async getConversations(ids: readonly string[]): Promise<(Conversation | null)[]> {
    const list = await this.#call('GET', '/api/v1/app-conversations', {
      query: { ids },
      schema: ConversationListSchema,
      retry: true,
    });
    for (const c of list) if (c?.session_api_key) this.#o.onSecret?.(c.session_api_key);
    return list;
  }

  async getConversation(id: string): Promise<Conversation | null> {
    return (await this.getConversations([id]))[0] ?? null;
  }

  /**
   * One page of the account's conversations created since `createdAfter`, newest first
   * (/search sorts by creation, [api: reading]), sub-conversations included (they run in their
   * parent's sandbox).
   */
  async searchConversations(filter: { createdAfter: Date; limit: number }): Promise<Page<Conversation>> {
    const page = await this.#call('GET', '/api/v1/app-conversations/search', {
      query: { created_at__gte: filter.createdAfter.toISOString(), include_sub_conversations: 'true', limit: filter.limit },
      schema: ConversationPageSchema,
      retry: true,
    });
    for (const c of page.items) if (c.session_api_key) this.#o.onSecret?.(c.session_api_key);
    return { items: page.items, nextPageId: page.next_page_id ?? null };
  }

  /** How many conversations use a sandbox (a sandbox can be shared, [api: errors] of the notes). */
  countConversations(filter: { sandboxId: string }): Promise<number> {
    return this.#call('GET', '/api/v1/app-conversations/count', {
      query: { sandbox_id__eq: filter.sandboxId },
      schema: v.number(),
      retry: true,
    });
  }

  /**
   * One page of a conversation's events, newest first. Servers older than 2026-01 serve events
   * only at /api/v1/events/search (the newer route answers with the web app's HTML there).
   */
  async searchEvents(
    conversationId: string,
    opts: { pageId?: string; limit?: number; kind?: string } = {},
  ): Promise<Page<OHEvent>> {
    const query = { sort_order: 'TIMESTAMP_DESC', limit: opts.limit ?? 100, page_id: opts.pageId, kind__eq: opts.kind };
    const read = (legacy: boolean): Promise<v.InferOutput<typeof EventPageSchema>> =>
      legacy
        ? this.#call('GET', '/api/v1/events/search', { query: { ...query, conversation_id__eq: conversationId }, schema: EventPageSchema, retry: true })
        : this.#call('GET', `/api/v1/conversation/${conversationId}/events/search`, { query, schema: EventPageSchema, retry: true });
    let page;
    try {
      page = await read(this.#legacyEvents);
    } catch (error) {
      if (this.#legacyEvents || !(error instanceof OpenHandsApiError) || !error.notJson) throw error;
      this.#legacyEvents = true;
      this.#o.onRetry?.('This server has no /api/v1/conversation/{id}/events route (added 2026-01); reading /api/v1/events/search instead');
      page = await read(true);
    }
    return { items: page.items, nextPageId: page.next_page_id ?? null };
  }

  /** POST …/send-message: not retried blindly (a repeat would send the message twice). */
  async sendMessage(conversationId: string, text: string): Promise<void> {
    try {
      await this.#call('POST', `/api/v1/app-conversations/${conversationId}/send-message`, {
        body: { role: 'user', content: [{ type: 'text', text }], run: true },
        schema: SuccessSchema,
        retry: false,
      });
    } catch (error) {
      throw tooOld(error, 'POST /api/v1/app-conversations/{id}/send-message', '2026-04-28', 'follow-ups (or set follow-up: never)');
    }
  }

  /**
   * The service answers a bare 404 for an unknown sandbox and for any failed runtime call alike
   * ([api: pause-resume]): a 404 is tried again (NOT_FOUND_TRIES in all) before it stands.
   */
  async pauseSandbox(sandboxId: string): Promise<void> {
    await this.#sandboxAction(sandboxId, 'pause');
  }

  async resumeSandbox(sandboxId: string): Promise<void> {
    await this.#sandboxAction(sandboxId, 'resume');
  }

  async #sandboxAction(sandboxId: string, action: 'pause' | 'resume'): Promise<void> {
    try {
      await this.#call('POST', `/api/v1/sandboxes/${encodeURIComponent(sandboxId)}/${action}`, {
        schema: SuccessSchema,
        retry: true,
        notFoundTries: NOT_FOUND_TRIES,
      });
    } catch (error) {
      if (!(error instanceof OpenHandsApiError) || error.status !== 404) throw error;
      throw new OpenHandsApiError(
        `${error.message} (${NOT_FOUND_TRIES} tries): the service says this for an unknown sandbox and for a failing runtime alike, so the sandbox ${sandboxId} may still be ${action === 'pause' ? 'running' : 'paused'}`,
        { url: error.url, status: 404, transient: false },
      );
    }
  }

  /** The app server's copy of the title (the service overwrites it with the agent server's). */
  async setTitle(conversationId: string, title: string): Promise<void> {
    try {
      await this.#call('PATCH', `/api/v1/app-conversations/${conversationId}`, { body: { title }, schema: v.unknown(), retry: true });
    } catch (error) {
      throw tooOld(error, 'PATCH /api/v1/app-conversations/{id}', '2025-12-26', 'the title on the app server');
    }
  }

  #url(path: string, query?: Query): string {
    const url = new URL(this.#o.baseUrl + path);
    for (const [k, val] of Object.entries(query ?? {})) {
      if (val === undefined) continue;
      if (Array.isArray(val)) for (const item of val) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(val));
    }
    return url.toString();
  }

  #headers(json: boolean): Record<string, string> {
    return {
      authorization: `Bearer ${this.#o.apiKey}`,
      accept: 'application/json',
      'user-agent': 'openhands-cloud-action',
      ...(json ? { 'content-type': 'application/json' } : {}),
    };
  }

  async #call<T>(method: string, path: string, opts: CallOptions<T>): Promise<T> {
    const url = this.#url(path, opts.query);
    const once = async (): Promise<T> => {
      try {
        return await this.#pace.schedule(send);
      } catch (error) {
        throw this.#answered ? error : firstContactError(error, this.#o.baseUrl);
      }
    };
    const send = async (): Promise<T> => {
      const closed = this.#closedUntil - Date.now();
      if (closed > 0) await (this.#o.sleep ?? realSleep)(closed, this.#o.signal);
      this.#requests++;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          dispatcher: this.#dispatcher,
          method: method as Dispatcher.HttpMethod,
          headers: this.#headers(opts.body !== undefined),
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: this.#o.signal,
          headersTimeout: opts.timeoutMs ?? this.#o.timeoutMs ?? 30_000,
          bodyTimeout: opts.timeoutMs ?? this.#o.timeoutMs ?? 30_000,
        });
      } catch (error) {
        throw networkError(method, url, error);
      }
      if (res.statusCode >= 300) {
        const error = await httpError(method, url, res, this.#o.baseUrl);
        if (res.statusCode === 429) this.#onTooMany(error.retryAfterMs);
        // A JSON error (401 with OpenHands' body, 422, 429, 5xx from the app) is the server itself
        // speaking; an HTML page, a 405 or a bare 404 may be anything at that URL.
        const json = String(res.headers['content-type'] ?? '').includes('json');
        if (json && !error.notJson && !error.message.startsWith("Input 'base-url'") && res.statusCode !== 404) this.#answered = true;
        throw error;
      }
      ensureJson(method, url, res);
      this.#answered = true;
      let data: unknown;
      try {
        data = await res.body.json();
      } catch (error) {
        throw new OpenHandsApiError(`${method} ${url} answered with malformed JSON`, { url, transient: true, cause: error });
      }
      return parse(opts.schema, data, method, url);
    };
    if (!opts.retry) return once();
    let notFound = 0;
    return withRetry(once, {
      policy: this.#o.retry ?? DEFAULT_RETRY,
      sleep: this.#o.sleep,
      random: this.#o.random,
      signal: this.#o.signal,
      shouldRetry: (e) =>
        e instanceof OpenHandsApiError && (e.transient || (e.status === 404 && opts.notFoundTries !== undefined && ++notFound < opts.notFoundTries)),
      retryAfterMs: (e) => (e instanceof OpenHandsApiError ? e.retryAfterMs : undefined),
      onRetry: (e, n, ms) =>
        this.#o.onRetry?.(`${(e as Error).message}; retry ${n} in ${(ms / 1000).toFixed(1)}s`),
    });
  }
}

/**
 * Pauses a sandbox with a short-lived client of its own, for the paths that end a run: the run's
 * client is bound to the aborted signal on a cancel. `quick`: the runner kills a cancelled job
 * ~7.5 s after SIGINT, so three short tries at most (a 404 too, [api: pause-resume]); otherwise a few seconds more.
 */
export async function pauseSandboxNow(baseUrl: string, apiKey: string, sandboxId: string, opts: { quick?: boolean } = {}): Promise<void> {
  const client = new OpenHandsClient(
    opts.quick
      ? { baseUrl, apiKey, timeoutMs: 1200, minGapMs: 0, knownServer: true, retry: { attempts: NOT_FOUND_TRIES, baseDelayMs: 250, maxDelayMs: 500 } }
      : { baseUrl, apiKey, timeoutMs: 10_000, minGapMs: 0, knownServer: true, retry: { attempts: 4, baseDelayMs: 1000, maxDelayMs: 4000 } },
  );
  try {
    await client.pauseSandbox(sandboxId);
  } finally {
    await client.close();
  }
}
