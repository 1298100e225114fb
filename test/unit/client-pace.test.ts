// One run never bursts into the account's shared limit (10 a second): requests are spaced.
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MIN_GAP_MS, OpenHandsClient } from '../../src/openhands/client.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('pacing', () => {
  it(`sends at most one request every ${MIN_GAP_MS} ms, even when asked for many at once`, async () => {
    // The pace's clock is faked: a loaded machine fires real timers late, which bunches requests
    // up in the measurement although the pace released them apart.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // When each request is handed to the dispatcher (the pace's release), not when its answer is made.
    const sentAt: number[] = [];
    class TimedAgent extends MockAgent {
      override dispatch(...args: Parameters<MockAgent['dispatch']>): boolean {
        sentAt.push(Date.now());
        return super.dispatch(...args);
      }
    }
    const agent = new TimedAgent();
    agent.disableNetConnect();
    agent
      .get('https://oh.example')
      .intercept({ path: /app-conversations\?/, method: 'GET' })
      .reply(200, '[null]', { headers: { 'content-type': 'application/json' } })
      .times(5);
    const client = new OpenHandsClient({ baseUrl: 'https://oh.example', apiKey: 'k', dispatcher: agent });
    const all = Promise.all(Array.from({ length: 5 }, () => client.getConversation('a'.repeat(32))));
    await vi.advanceTimersByTimeAsync(5 * MIN_GAP_MS);
    await all;
    expect(sentAt).toHaveLength(5);
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] as number));
    // a few ms of timer slack
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP_MS - 10);
  });
});

describe('the account window ([api: rate-limits], [api: rate-limits])', () => {
  it('counts every request and each 429, and after a 429 sends nothing of the run before Retry-After (+ jitter)', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const json = { headers: { 'content-type': 'application/json' } };
    const pool = agent.get('https://oh.example');
    pool.intercept({ path: /start-tasks\?/, method: 'GET' }).reply(429, { error: 'Rate limit exceeded: 100 per 1 minute' }, { headers: { ...json.headers, 'retry-after': '7' } });
    pool.intercept({ path: /start-tasks\?/, method: 'GET' }).reply(200, '[null]', json);
    pool.intercept({ path: /app-conversations\?/, method: 'GET' }).reply(200, '[null]', json);
    const slept: number[] = [];
    const client = new OpenHandsClient({
      baseUrl: 'https://oh.example',
      apiKey: 'k',
      dispatcher: agent,
      minGapMs: 0,
      random: () => 0.5,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(client.spent()).toEqual({ requests: 0, tooMany: 0 });
    await client.getStartTasks(['a'.repeat(32)]);
    // the retry waited for the window; so does the next, unrelated request of the run
    expect(slept[0]).toBeGreaterThanOrEqual(7000);
    await client.getConversation('b'.repeat(32));
    expect(slept.filter((ms) => ms > 6000).length).toBeGreaterThanOrEqual(2);
    expect(client.spent()).toEqual({ requests: 3, tooMany: 1 });
  });
});
