/**
 * The sandbox's agent server, reached directly while the sandbox is RUNNING (reference [api: reading],
 * [api: titles], [api: events]). Its base URL is the conversation's `conversation_url` minus
 * `/api/conversations/{id}`; every call carries the sandbox `session_api_key` as
 * X-Session-API-Key.
 *
 * The session key is a secret. It reaches this module from OpenHandsClient.getConversation(s),
 * which has already reported it through its `onSecret` option (add it to the redaction set
 * there). Nothing here logs it or puts it in an error message or a URL.
 */
import { request, type Dispatcher } from 'undici';
import * as v from 'valibot';
import { OpenHandsApiError } from '../errors.js';
import { withRetry, type RetryPolicy, type Sleep } from '../retry.js';
import { hexId } from './types.js';

export interface AgentServerTarget {
  /** from agentServerBase(); no trailing slash */
  readonly baseUrl: string;
  /** 32-hex (or dashed) conversation id */
  readonly conversationId: string;
  readonly sessionApiKey: string;
}

export interface AgentCallOptions {
  readonly dispatcher?: Dispatcher;
  /** per-request limit on waiting for headers and between body chunks; default 15 s */
  readonly timeoutMs?: number;
  /** transient faults (network, 429, 5xx) are retried; default 3 tries */
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly signal?: AbortSignal;
}

const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 4000 };
/** UpdateConversationRequest.title max_length (SDK models.py) */
export const AGENT_TITLE_MAX = 200;

/**
 * `https://host[/prefix]` from `{agent server}/api/conversations/{id}`, or null when the URL has
 * another shape (then the caller has no agent server and keeps to the app server).
 */
export function agentServerBase(conversationUrl: string | null | undefined, conversationId: string): string | null {
  if (!conversationUrl) return null;
  let url: URL;
  try {
    url = new URL(conversationUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const m = /^(.*)\/api\/conversations\/([0-9a-fA-F-]+)\/?$/.exec(url.pathname);
  if (!m || hexId(m[2]!) !== hexId(conversationId)) return null;
  return `${url.protocol}//${url.host}${m[1]}`;
}


/** The agent server of a conversation whose sandbox runs, or undefined when it cannot be reached. */
export function agentTarget(
  c: { conversation_url?: string | null; session_api_key?: string | null; sandbox_status?: string | null } | null,
  conversationId: string,
): AgentServerTarget | undefined {
  if (!c || c.sandbox_status !== 'RUNNING' || !c.session_api_key) return undefined;
  const baseUrl = agentServerBase(c.conversation_url, conversationId);
  return baseUrl ? { baseUrl, conversationId, sessionApiKey: c.session_api_key } : undefined;
}

const FinalResponseSchema = v.looseObject({ response: v.string() });
const SuccessSchema = v.looseObject({ success: v.boolean() });

/**
 * GET …/agent_final_response: the agent's last finish message or agent text, `""` before there
 * is one (SDK conversation_router.py). Throws OpenHandsApiError (404: the agent server does
 * not know the conversation; 401: wrong session key; 503 or network: runtime not running).
 */
export async function getAgentFinalResponse(target: AgentServerTarget, opts: AgentCallOptions = {}): Promise<string> {
  const path = `/api/conversations/${hexId(target.conversationId)}/agent_final_response`;
  const body = await call(target, 'GET', path, undefined, FinalResponseSchema, opts);
  return body.response;
}

/**
 * PATCH {agent server}/api/conversations/{id} {title}: the title the app server's auto-title copy
 * takes ([api: titles]), trimmed and cut to 200 characters. Returns false when the agent server does not
 * know the conversation (it answers `{"success": false}`, not 404) or the title is blank.
 */
export async function setAgentTitle(target: AgentServerTarget, title: string, opts: AgentCallOptions = {}): Promise<boolean> {
  const clean = [...title.trim()].slice(0, AGENT_TITLE_MAX).join('').trim();
  if (!clean) return false;
  const path = `/api/conversations/${hexId(target.conversationId)}`;
  const body = await call(target, 'PATCH', path, { title: clean }, SuccessSchema, opts);
  return body.success;
}

async function call<T>(
  target: AgentServerTarget,
  method: 'GET' | 'PATCH',
  path: string,
  payload: unknown,
  schema: v.GenericSchema<unknown, T>,
  opts: AgentCallOptions,
): Promise<T> {
  const url = target.baseUrl + path;
  const once = async (): Promise<T> => {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        dispatcher: opts.dispatcher,
        headers: {
          'x-session-api-key': target.sessionApiKey,
          accept: 'application/json',
          'user-agent': 'openhands-cloud-action',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: opts.signal,
        headersTimeout: opts.timeoutMs ?? 15_000,
        bodyTimeout: opts.timeoutMs ?? 15_000,
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'AbortError') throw error;
      const e = error as { code?: string; message?: string };
      throw new OpenHandsApiError(`${method} ${url} failed: ${e.code ?? 'network error'} ${e.message ?? ''}`.trim(), { url, transient: true, cause: error });
    }
    const text = await res.body.text().catch(() => '');
    if (res.statusCode >= 300) {
      const status = res.statusCode;
      const why = status === 401 ? ': the agent server rejected the session key' : status === 404 ? ': the agent server does not know this conversation' : '';
      throw new OpenHandsApiError(`${method} ${url} failed with HTTP ${status}${why}`, { url, status, transient: status === 429 || status >= 500 });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new OpenHandsApiError(`${method} ${url} answered with something other than JSON`, { url, transient: false, cause: error });
    }
    const parsed = v.safeParse(schema, data);
    if (!parsed.success) throw new OpenHandsApiError(`${method} ${url} answered with an unexpected shape`, { url, transient: false });
    return parsed.output;
  };
  return withRetry(once, {
    policy: opts.retry ?? RETRY,
    sleep: opts.sleep,
    signal: opts.signal,
    shouldRetry: (e) => e instanceof OpenHandsApiError && e.transient,
  });
}
