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
