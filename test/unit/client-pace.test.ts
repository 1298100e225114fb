// One run never bursts into the account's shared limit (10 a second): requests are spaced.
import { performance } from 'node:perf_hooks';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { MIN_GAP_MS, OpenHandsClient } from '../../src/openhands/client.ts';

describe('pacing', () => {
  it(`sends at most one request every ${MIN_GAP_MS} ms, even when asked for many at once`, async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const sentAt: number[] = [];
    agent
      .get('https://oh.example')
      .intercept({ path: /app-conversations\?/, method: 'GET' })
      .reply(200, () => {
        sentAt.push(performance.now());
        return '[null]';
      }, { headers: { 'content-type': 'application/json' } })
      .times(5);
    const client = new OpenHandsClient({ baseUrl: 'https://oh.example', apiKey: 'k', dispatcher: agent });
    await Promise.all(Array.from({ length: 5 }, () => client.getConversation('a'.repeat(32))));
    expect(sentAt).toHaveLength(5);
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] as number));
    // a few ms of timer slack
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP_MS - 10);
  });
});

describe('the account window (§9, §14.6)', () => {
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
