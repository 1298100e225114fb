// One run never bursts into the account's shared limit (10 a second): requests are spaced.
import { performance } from 'node:perf_hooks';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { MIN_GAP_MS, OpenHandsClient } from '../../src/openhands/client.ts';

describe('pacing', () => {
  it(`sends at most one request every ${MIN_GAP_MS} ms, even when asked for many at once`, async () => {
    // When each request is handed to the dispatcher (the pace's release), not when its answer is
    // made: on a loaded machine the mock's answers can bunch up although the requests did not.
    const sentAt: number[] = [];
    class TimedAgent extends MockAgent {
      override dispatch(...args: Parameters<MockAgent['dispatch']>): boolean {
        sentAt.push(performance.now());
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
    await Promise.all(Array.from({ length: 5 }, () => client.getConversation('a'.repeat(32))));
    expect(sentAt).toHaveLength(5);
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] as number));
    // a few ms of timer slack
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP_MS - 10);
  });
});
