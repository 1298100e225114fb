/**
 * GitHub failures named by what the action was doing: Octokit's own message ("Not Found -
 * https://docs.github.com/rest") says neither which call failed nor why it matters.
 */
import { GitHubApiError } from '../errors.js';

interface OctokitErrorShape {
  status?: unknown;
  message?: unknown;
  name?: unknown;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/** Octokit reports "no answer" (reset, refused, timeout) as status 500 without a response. */
function describe(error: unknown): { status: number | undefined; text: string; rateLimited: boolean } {
  const e = (error ?? {}) as OctokitErrorShape;
  const response = e.response;
  const status = response && typeof e.status === 'number' ? e.status : undefined;
  const data = response?.data as { message?: unknown } | string | undefined;
  const serverMessage = typeof data === 'string' ? data.trim().slice(0, 200) : typeof data?.message === 'string' ? data.message : undefined;
  const raw = serverMessage || (typeof e.message === 'string' ? e.message : String(error));
  const headers = response?.headers ?? {};
  const rateLimited =
    (status === 403 || status === 429) && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(raw) || headers['retry-after'] !== undefined);
  if (status === undefined) return { status, text: `no answer (${raw})`, rateLimited: false };
  return { status, text: `HTTP ${status} ${raw}`, rateLimited };
}

export function toGitHubError(doing: string, error: unknown): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const { status, text, rateLimited } = describe(error);
  return new GitHubApiError(`${doing}: ${text}`, {
    status,
    rateLimited,
    ambiguous: status === undefined || status >= 500,
    cause: error,
  });
}

/**
 * Runs one GitHub operation and names it on failure: `checking alice's permission on o/r:
 * HTTP 500 Server Error`. Every function in src/github/ goes through this.
 */
export async function github<T>(doing: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    // A cancellation is not GitHub's failure: let it through as itself.
    if ((error as { name?: unknown })?.name === 'AbortError') throw error;
    throw toGitHubError(doing, error);
  }
}

/**
 * Writes are repeated by the retry plugin only where that is safe: callers creating something
 * (a comment, an issue, a check run) pass this, and recover from an unclear failure themselves
 * (look before creating again). Rate-limit answers are still retried: GitHub did not apply them.
 */
export const NO_BLIND_RETRY = { request: { retries: 0 } } as const;
