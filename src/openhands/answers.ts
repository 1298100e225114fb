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
    // The base URL as configured (a self-hosted server may sit under a path prefix).
    const base = baseUrl.replace(/\/+$/, '');
    // The service also answers 401 when its own key store fails (§14.8): say both.
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
