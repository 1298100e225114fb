// The two rate-limit layers of [api: rate-limits].
import type { WindowLimit } from './types.ts';

/**
 * Layer 1, per client IP: the app server's InMemoryRateLimiter(requests=10, seconds=1).
 * Sliding window; every request (even a rejected one) is remembered first, then counted:
 * more than `requests` → delay, more than 2*`requests` → reject (429 {"message":"Too many requests"}).
 */
export class IpLimiter {
  private readonly history = new Map<string, number[]>();
  private readonly requests: number;
  private readonly windowMs: number;
  readonly delayMs: number;

  constructor(cfg: { requests?: number; windowMs?: number; delayMs?: number }) {
    this.requests = cfg.requests ?? 10;
    this.windowMs = cfg.windowMs ?? 1000;
    this.delayMs = cfg.delayMs ?? 1000;
  }

  hit(key: string, at: number): 'ok' | 'delay' | 'reject' {
    const list = (this.history.get(key) ?? []).filter((t) => t > at - this.windowMs);
    list.push(at);
    this.history.set(key, list);
    if (list.length > this.requests * 2) return 'reject';
    if (list.length > this.requests) return this.delayMs > 0 ? 'delay' : 'reject';
    return 'ok';
  }

  reset(): void {
    this.history.clear();
  }
}

export interface UserLimitHit {
  /** e.g. "10 per 1 second", as the `limits` library prints a RateLimitItem */
  label: string;
  limit: number;
  remaining: number;
  /** epoch seconds */
  reset: number;
  /** seconds */
  retryAfter: number;
}

function unitLabel(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) if (ms % size === 0) return `${ms / size} ${name}`;
  return `${ms / 1000} second`;
}

/**
 * Layer 2, per user: `limits` FixedWindowRateLimiter with "10/second; 100/minute". A window
 * starts at the first hit (Redis INCR + EXPIRE). Every hit increments, even over the limit;
 * windows are hit in order and the first exceeded one answers.
 */
export class UserLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly limits: WindowLimit[];

  constructor(limits: WindowLimit[]) {
    this.limits = limits;
  }

  hit(key: string, at: number): UserLimitHit | null {
    for (const [i, lim] of this.limits.entries()) {
      const id = `${i}\u0000${key}`;
      let w = this.windows.get(id);
      if (!w || at >= w.start + lim.windowMs) {
        w = { start: at, count: 0 };
        this.windows.set(id, w);
      }
      w.count += 1;
      if (w.count > lim.limit) {
        const resetMs = w.start + lim.windowMs;
        return {
          label: `${lim.limit} per ${unitLabel(lim.windowMs)}`,
          limit: lim.limit,
          remaining: 0,
          reset: Math.ceil(resetMs / 1000),
          retryAfter: Math.max(1, Math.ceil((resetMs - at) / 1000)),
        };
      }
    }
    return null;
  }

  reset(): void {
    this.windows.clear();
  }
}
