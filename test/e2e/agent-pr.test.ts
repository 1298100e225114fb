/** The agent's pull request when only GitHub knows it (its events name none). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLabeled } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
  // The agent works a while and never names a PR in its events or final message.
  w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 1500, status: 'finished' }], finalMessage: 'Done.' });
});
afterEach(async () => {
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });

/** Runs the action; once the conversation exists, the "agent" opens a PR (GitHub's clock: now). */
async function runWhileAgentOpens(pull: { number: number; body: (conversationUrl: string) => string; head?: string }) {
  const done = w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
  const deadline = Date.now() + 10_000;
  while (!w.emu.conversations[0] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const id = w.emu.conversations[0]?.id;
  expect(id).toBeTruthy();
  w.gh.addIssue({
    number: pull.number,
    title: 'Fix the spelling',
    body: pull.body(`${w.emu.url}/conversations/${id}`),
    created_at: Date.now(),
    pull_request: { head: { ref: pull.head ?? 'fix-spelling' }, base: { ref: 'main' } },
  });
  return done;
}

describe("the agent's pull request, found on GitHub", () => {
  it('by the conversation link in its description: outputs, comment and summary show it', async () => {
    const run = await runWhileAgentOpens({ number: 41, body: (url) => `Spelling fixed.\n\nConversation: ${url}` });
    expect(run.code, run.stdout).toBe(0);
    const url = 'https://github.com/octo-org/octo-repo/pull/41';
    expect(run.outputs['pr-number']).toBe('41');
    expect(run.outputs['pr-url']).toBe(url);
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('Pull request opened by the agent');
    expect(body).toContain(url);
    expect(run.summary).toContain(url);
  });

  it('by "Fixes #1" when the description has no link', async () => {
    const run = await runWhileAgentOpens({ number: 42, body: () => 'Fixes #1' });
    expect(run.outputs['pr-number']).toBe('42');
    expect(run.outputs['pr-url']).toBe('https://github.com/octo-org/octo-repo/pull/42');
  });

  it('not a PR that references the issue but was opened before the run started', async () => {
    w.gh.addIssue({ number: 40, title: 'Older fix', body: 'Fixes #1', created_at: Date.now() - 3600_000, pull_request: { head: { ref: 'old' } } });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['pr-number']).toBe('');
    expect(run.outputs['pr-url']).toBe('');
    expect(w.gh.requests.some((r) => r.method === 'GET' && r.path.endsWith('/pulls'))).toBe(true);
  });
});
