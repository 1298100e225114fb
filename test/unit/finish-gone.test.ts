// A conversation the service stops returning (deleted in the web app) ends the wait, not the finish-timeout.
import { describe, expect, it } from 'vitest';
import type { OpenHandsClient } from '../../src/openhands/client.ts';
import { waitForFinish } from '../../src/openhands/finish.ts';
import type { Conversation } from '../../src/openhands/types.ts';

function clientReturning(answers: (Conversation | null)[]): { client: OpenHandsClient; reads: () => number } {
  let n = 0;
  const client = { getConversation: async () => answers[Math.min(n++, answers.length - 1)] ?? null } as unknown as OpenHandsClient;
  return { client, reads: () => n };
}

const running = { id: 'c', sandbox_status: 'RUNNING', execution_status: 'running' } as Conversation;
const opts = { deadline: Date.now() + 3600_000, timeoutMs: 3600_000, onView: () => {}, pollDelay: () => 0 };

describe('a conversation that disappears', () => {
  it('ends as interrupted (sandbox MISSING) after two reads in a row find nothing', async () => {
    const { client, reads } = clientReturning([running, null, null]);
    const { ending } = await waitForFinish({ client, sleep: async () => {} }, 'c', opts);
    expect(ending).toEqual({ kind: 'interrupted', sandboxStatus: 'MISSING' });
    expect(reads()).toBe(3);
  });

  it('one empty read among good ones is not taken for it', async () => {
    const finished = { ...running, execution_status: 'finished' } as Conversation;
    const { client, reads } = clientReturning([running, null, running, finished]);
    const { ending } = await waitForFinish({ client, sleep: async () => {} }, 'c', opts);
    expect(ending).toEqual({ kind: 'agent', status: 'finished' });
    expect(reads()).toBe(4);
  });
});
