import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, withRetry } from '../../src/retry.ts';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('backoffDelay', () => {
  it('doubles from the base, caps, and jitters between half and all of it', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
  });
});

describe('withRetry', () => {
  it('retries transient failures with the backoff, then succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('flaky');
        return 'ok';
      },
      { policy, shouldRetry: () => true, sleep: async (ms) => void waits.push(ms), random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(waits).toEqual([100, 200]);
  });

  it('stops at once when shouldRetry says no', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('401');
        },
        { policy, shouldRetry: () => false, sleep: async () => {} },
      ),
    ).rejects.toThrow('401');
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('down');
        },
        { policy, shouldRetry: () => true, sleep: async () => {} },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(4);
  });

  it('waits at least as long as Retry-After asks', async () => {
    const waits: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ === 0) throw Object.assign(new Error('429'), { after: 3000 });
        return 1;
      },
      {
        policy,
        shouldRetry: () => true,
        retryAfterMs: (e) => (e as { after?: number }).after,
        sleep: async (ms) => void waits.push(ms),
        random: () => 0,
      },
    );
    expect(waits).toEqual([3000]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
