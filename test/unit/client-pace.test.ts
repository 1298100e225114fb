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
