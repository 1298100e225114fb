/**
 * How the app server's answers become values or errors: the shape check at the boundary, the
 * HTML-instead-of-JSON answer of unknown routes, the error bodies (`detail`, `error`, `message`),
 * an honest 401, transport failures as transient errors, and "this server is too old".
 */
import type { Dispatcher } from 'undici';
import * as v from 'valibot';
import { OpenHandsApiError } from '../errors.js';
import { parseRetryAfter } from '../retry.js';

export function parse<T>(schema: v.GenericSchema<unknown, T>, data: unknown, method: string, url: string): T {
  const result = v.safeParse(schema, data);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue ? v.getDotPath(issue) : undefined;
    throw new OpenHandsApiError(
      `${method} ${url} answered with an unexpected shape${where ? ` at '${where}'` : ''}: ${issue?.message ?? ''}`,
      { url, transient: false },
    );
  }
  return result.output;
}

export function ensureJson(method: string, url: string, res: Dispatcher.ResponseData): void {
  const type = String(res.headers['content-type'] ?? '');
  if (!type.includes('json')) {
    void res.body.dump();
    throw new OpenHandsApiError(
      `${method} ${url} answered with ${type || 'no content type'} instead of JSON. ` +
        'The service answers unknown paths with its web app: check base-url and that it points at an OpenHands V1 app server.',
      { url, status: res.statusCode, transient: false, notJson: true },
    );
  }
}

export async function httpError(method: string, url: string, res: Dispatcher.ResponseData, baseUrl: string): Promise<OpenHandsApiError> {
  const status = res.statusCode;
  let text = '';
  try {
    text = (await res.body.text()).slice(0, 2000);
  } catch {
    // the body is only for the message
  }
  const detail = errorDetail(text);
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined);
  const transient = status === 429 || status >= 500;
  if (status === 405) return new OpenHandsApiError(`${method} ${url} failed with HTTP 405 (no such route on this server)`, { url, status, transient: false, notJson: true });
  let message: string;
  if (status === 401) {
    const foreign = foreign401(method, url, baseUrl, text, res.headers);
    if (foreign) return foreign;
    // The base URL as configured (a self-hosted server may sit under a path prefix).
    const base = baseUrl.replace(/(?<!\/)\/+$/, '');
    // The service also answers 401 when its own key store fails ([api: errors]): say both.
    message =
      `OpenHands at ${base} rejected the API key or could not verify it (401${detail ? ` ${detail}` : ''}). ` +
      `Check the 'api-key' input or the OPENHANDS_API_KEY secret (keys are made at ${base}/settings/api-keys); if the key is right, the service may be failing: try again later.`;
  } else if (status === 429) {
    message = `OpenHands rate limit hit on ${method} ${url} (429${detail ? `: ${detail}` : ''})`;
  } else {
    message = `${method} ${url} failed with HTTP ${status}${detail ? `: ${detail}` : ''}`;
  }
  return new OpenHandsApiError(message, { url, status, transient, retryAfterMs });
}

/** The service's error text from `{"detail": …}`, `{"error": …}` or `{"message": …}` bodies. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const d = body.detail ?? body.error ?? body.message;
    if (typeof d === 'string') return d;
    if (Array.isArray(d)) return d.map((x) => (x as { msg?: string }).msg ?? JSON.stringify(x)).join('; ');
    return '';
  } catch {
    return text.trim().startsWith('<') ? 'an HTML page' : text.trim().slice(0, 200);
  }
}

/** A transport failure as a transient OpenHandsApiError; a cancellation (AbortError) stays itself. */
export function networkError(method: string, url: string, error: unknown): unknown {
  if (error instanceof OpenHandsApiError) return error;
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'AbortError') return error;
  return new OpenHandsApiError(`${method} ${url} failed: ${e?.code ?? e?.name ?? 'network error'} ${e?.message ?? ''}`.trim(), {
    url,
    transient: true,
    cause: error,
  });
}

/**
 * A missing route on an older server answers 405 (non-GET) or the web app's HTML (GET): say
 * which route the run needs and when it arrived, not the bare status.
 */
export function tooOld(error: unknown, route: string, since: string, forWhat: string): unknown {
  if (!(error instanceof OpenHandsApiError) || !error.notJson) return error;
  return new OpenHandsApiError(
    `This OpenHands server is too old for ${forWhat}: it has no ${route} (added ${since}). Update the server, or use OpenHands Cloud.`,
    { url: error.url, status: error.status, transient: false },
  );
}

/**
 * Until the server has answered once like OpenHands, a failure is most likely a wrong `base-url`:
 * say so, and what answered, instead of blaming the key or retrying a closed port for seconds.
 * Returns the error to throw (a non-transient one naming base-url), or the original error.
 */
export function firstContactError(error: unknown, baseUrl: string): unknown {
  if (!(error instanceof OpenHandsApiError)) return error;
  const base = baseUrl.replace(/(?<!\/)\/+$/, '');
  const named = (what: string, extra: { notJson?: boolean } = {}): OpenHandsApiError =>
    new OpenHandsApiError(`Input 'base-url': ${what} Check that base-url (${base}) is the OpenHands server's root URL, with its path prefix if it has one, without /api.`, {
      url: error.url,
      status: error.status,
      transient: false,
      cause: error,
      ...extra,
    });
  const code = (error.cause as { code?: string } | undefined)?.code;
  if (error.status === undefined) {
    if (code === 'ECONNREFUSED') return named(`nothing answers at ${hostOf(error.url)}: the connection was refused.`);
    if (code === 'ENOTFOUND') return named(`the host ${hostOf(error.url, false)} is unknown (DNS: ${code}).`);
    if (code === 'CERT_HAS_EXPIRED' || code?.startsWith('ERR_TLS') || code?.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
      return named(`the TLS connection to ${hostOf(error.url, false)} failed (${code}).`);
    }
    return error;
  }
  if (error.notJson) {
    return named(
      error.status === 405 ? `${error.url} has no such route (HTTP 405): there is no OpenHands API under this URL.` : `${error.url} answered with a web page (HTML), not the OpenHands API.`,
      { notJson: true },
    );
  }
  if (error.status === 404 && error.message.endsWith(': Not Found')) {
    return named(`${error.url} answered 404 Not Found: there is no OpenHands API under this URL.`);
  }
  return error;
}

/** A 401 that is not OpenHands' own (`{"error": …}` JSON, [api: authentication]): something else guards that URL. */
export function foreign401(method: string, url: string, baseUrl: string, text: string, headers: Dispatcher.ResponseData['headers']): OpenHandsApiError | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') return undefined;
  } catch {
    // not JSON: not OpenHands
  }
  const base = baseUrl.replace(/(?<!\/)\/+$/, '');
  const challenge = headers['www-authenticate'];
  const what = text.trim().startsWith('<') ? 'an HTML page' : text.trim() ? `'${text.trim().slice(0, 80)}'` : 'an empty body';
  return new OpenHandsApiError(
    `Input 'base-url': ${method} ${url} answered 401 with ${what}${challenge ? ` and WWW-Authenticate: ${String(challenge).slice(0, 60)}` : ''}, ` +
      `which is not how OpenHands answers a bad key: this may not be an OpenHands server. Check base-url (${base}); on a self-hosted server, check the key too.`,
    { url, status: 401, transient: false },
  );
}

function hostOf(url: string, withPort = true): string {
  try {
    const u = new URL(url);
    return withPort ? `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}` : u.hostname;
  } catch {
    return url;
  }
}
