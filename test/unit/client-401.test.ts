// The 401 text ([api: errors]): a rejected key or a failing key store; it names the base URL as configured.
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { OpenHandsClient } from '../../src/openhands/client.ts';
import { OpenHandsApiError } from '../../src/errors.ts';

function clientAnswering401(baseUrl: string, body: string): OpenHandsClient {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const origin = new URL(baseUrl).origin;
  agent.get(origin).intercept({ path: /start-tasks/, method: 'GET' }).reply(401, body, { headers: { 'content-type': 'application/json' } });
  return new OpenHandsClient({ baseUrl, apiKey: 'k', dispatcher: agent, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
}

describe('401', () => {
  it.each([
    ['{"error":"NoCredentialsError"}', 'NoCredentialsError'],
    ['{"error":"BearerTokenError"}', 'BearerTokenError'],
  ])('%s: rejected or could not be verified, with the base URL and its path prefix', async (body, detail) => {
    const err = await clientAnswering401('https://oh.example.com/openhands', body)
      .getStartTasks(['a'.repeat(32)])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenHandsApiError);
    const e = err as OpenHandsApiError;
    expect(e.status).toBe(401);
    expect(e.transient).toBe(false);
    expect(e.message).toContain(`OpenHands at https://oh.example.com/openhands rejected the API key or could not verify it (401 ${detail})`);
    expect(e.message).toContain('https://oh.example.com/openhands/settings/api-keys');
    expect(e.message).toMatch(/if the key is right, the service may be failing/);
    expect(e.message).not.toContain('<base-url>');
  });
});
