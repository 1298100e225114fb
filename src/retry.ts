/**
 * Retries with capped exponential backoff and jitter, honouring Retry-After. Timing is injected
 * (sleep, random) so tests run with zero real waits.
 */
import { setTimeout as delay } from 'node:timers/promises';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

export interface RetryPolicy {
  /** total tries, the first included */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 400, maxDelayMs: 10_000 };

/** Delay before retry number `retry` (1-based): base·2^(retry-1), capped, with "equal jitter" (50–100 %). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export interface RetryOptions<E> {
  readonly policy?: RetryPolicy;
  readonly shouldRetry: (error: E | unknown) => boolean;
  /** a server-requested wait (Retry-After), which replaces the backoff when longer */
  readonly retryAfterMs?: (error: E | unknown) => number | undefined;
  readonly onRetry?: (error: unknown, retry: number, waitMs: number) => void;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
}

export async function withRetry<T, E = unknown>(op: (attempt: number) => Promise<T>, opts: RetryOptions<E>): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !opts.shouldRetry(error) || opts.signal?.aborted) throw error;
      const backoff = backoffDelay(attempt, policy, opts.random);
      // Retry-After is the server's own word: wait at least that long (bounded, so a bad header cannot stall us).
      const asked = Math.min(opts.retryAfterMs?.(error) ?? 0, 120_000);
      const waitMs = Math.max(backoff, asked);
      opts.onRetry?.(error, attempt, waitMs);
      await sleep(waitMs, opts.signal);
    }
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
