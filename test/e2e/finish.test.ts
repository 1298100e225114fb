/** Follow the conversation to its end, report the result, never leave a stale comment. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLabeled, schedule } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });
const finished = (over: Record<string, unknown> = {}) => ({
  execution: [
    { afterMs: 0, status: 'running' as const },
    { afterMs: 300, status: 'finished' as const },
  ],
  ...over,
});

describe('wait: finished', () => {
  it('reports the final message intact, the cost and tokens, and the PR the agent opened', async () => {
    const message = 'All done.\n\nI said "hi" and used `code`, ```fences```\nEOF\n$HOME ${{ github.token }} %0A <b>html</b>\nlast line';
    const prUrl = 'https://github.com/octo-org/octo-repo/pull/77';
    w.emu.setDefaultScenario(finished({ finalMessage: message, metrics: { cost: 1.2345, promptTokens: 1000, completionTokens: 234 }, agentPr: { url: prUrl } }));
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('finished');
    expect(run.outputs['execution-status']).toBe('finished');
    expect(run.outputs['final-message']).toContain(message);
    expect(run.outputs.cost).toBe('1.2345');
    expect(run.outputs.tokens).toBe('1234');
    expect(run.outputs['pr-number']).toBe('77');
    expect(run.outputs['pr-url']).toBe(prUrl);
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('✅ Finished');
    expect(body).toContain('I said "hi"');
    expect(body).toContain('$1.23 · 1,234 tokens');
    expect(body).toContain(`Pull request opened by the agent`);
    expect(body).toContain(prUrl);
    expect(run.summary).toContain('I said "hi"');
    expect(run.summary).toContain('$1.23');
  });

  it('takes an agent message when there is no finish action', async () => {
    w.emu.setDefaultScenario(finished({ finalMessage: 'Answered in a message.', finalVia: 'message' }));
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.outputs['final-message']).toBe('Answered in a message.');
  });

  it.each([
    ['error', 1],
    ['stuck', 1],
    ['waiting_for_confirmation', 0],
  ] as const)('execution %s → the same status, exit %i', async (status, code) => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 200, status }], finalVia: 'none' });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(code);
    expect(run.outputs.status).toBe(status);
    expect(run.outputs['execution-status']).toBe(status);
    if (code) expect(run.annotations.errors.join('\n')).toContain(status);
    expect(w.gh.commentsOn(1)[0]?.body).not.toContain('Starting');
  });

  it('a sandbox that goes missing while the agent works ends the wait at once as interrupted', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }], sandboxFailure: { afterMs: 300, status: 'MISSING' } });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('interrupted');
    expect(run.outputs['sandbox-status']).toBe('MISSING');
  });

  it('finish-timeout ends timed_out, fails, and says so in the comment', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'finish-timeout': '2s' } });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('timed_out');
    expect(run.annotations.errors.join('\n')).toContain('finish-timeout');
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Timed out');
  });

  it('a paused sandbox (null execution_status) is read from the events', async () => {
    w.emu.setDefaultScenario(finished({ finalMessage: 'Paused after finishing', sandboxAfterEnd: 'PAUSED' }));
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('finished');
    expect(run.outputs['sandbox-status']).toBe('PAUSED');
    expect(run.outputs['final-message']).toBe('Paused after finishing');
    // The paused sandbox has no live execution_status: the state-update events told.
    expect(w.emu.requests.some((r) => r.path.endsWith('/events/search') && r.query.get('kind__eq') === 'ConversationStateUpdateEvent')).toBe(true);
  });

  it('waits for lagging events instead of reporting a stale or empty message', async () => {
    w.emu.setDefaultScenario(finished({ finalMessage: 'The real answer', eventLagMs: 2500 }));
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['final-message']).toBe('The real answer');
  });

  it('a very long final message: complete output, truncated comment under the limit', async () => {
    const long = Array.from({ length: 3000 }, (_, i) => `line ${i}: ${'x'.repeat(30)}`).join('\n');
    w.emu.setDefaultScenario(finished({ finalMessage: long }));
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['final-message']).toBe(long);
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain('truncated here');
    expect(body).toContain('<details>');
  });

  it('updates the comment only on change and not more than every few seconds', async () => {
    // Nine seconds of "running" with nothing else moving (no metrics) between two changes.
    w.emu.setDefaultScenario({ phaseMs: 10, metrics: null, execution: [{ afterMs: 0, status: 'running' }, { afterMs: 9000, status: 'finished' }] });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' } });
    expect(run.code).toBe(0);
    const writes = w.gh.requests.filter((r) => (r.method === 'POST' && r.path.endsWith('/comments')) || (r.method === 'PATCH' && r.path.includes('/issues/comments/')));
    const ready = w.emu.transitions.find((t) => t.status === 'READY')?.at ?? 0;
    const finished = w.emu.transitions.find((t) => t.status === 'finished')?.at ?? 0;
    // The "running" state is written once (within a throttle interval or two of READY); after
    // that nothing changes until the agent finishes, so there is no edit in between.
    expect(writes.filter((r) => r.at > ready + 5500 && r.at < finished)).toEqual([]);
    // Between any two edits before the final one, at least the throttle interval; the one
    // exception is the link, edited in as soon as the service answers the start.
    const afterLink = writes.slice(1);
    const gaps = afterLink.slice(1, -1).map((r, i) => r.at - (afterLink[i]?.at ?? 0));
    expect(gaps.every((g) => g >= 2500), JSON.stringify(writes.map((r) => r.at - (writes[0]?.at ?? 0)))).toBe(true);
    expect(writes.length).toBeLessThanOrEqual(5);
  });
});

describe('cancellation', () => {
  it('SIGINT while waiting: comment and summary say cancelled, the sandbox is paused, exit within seconds', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const run = await w.run({
      event: 'issues',
      payload: labeled(),
      inputs: { wait: 'finished' },
      signal: { signal: 'SIGINT', when: /agent running/ },
    });
    expect(run.code).toBe(1);
    expect(run.exitedAt - (run.signalSentAt ?? 0)).toBeLessThan(3000);
    expect(run.outputs.status).toBe('cancelled');
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Cancelled');
    expect(run.summary).toContain('Cancelled');
    const sandboxId = w.emu.conversations[0]?.sandbox_id as string;
    expect(w.ohRequests()).toContain(`POST /api/v1/sandboxes/${sandboxId}/pause`);
    expect(w.emu.sandboxes.find((s) => s.id === sandboxId)?.status).toBe('PAUSED');
  });

  it('on-cancel: keep leaves the sandbox running', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const run = await w.run({
      event: 'issues',
      payload: labeled(),
      inputs: { wait: 'finished', 'on-cancel': 'keep' },
      signal: { signal: 'SIGTERM', when: /agent running/ },
    });
    expect(run.outputs.status).toBe('cancelled');
    expect(w.ohRequests().some((r) => r.endsWith('/pause'))).toBe(false);
  });

  it('the post step finalises a comment the killed main step left behind, and pauses the sandbox', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const main = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, signal: { signal: 'SIGKILL', when: /agent running/ } });
    expect(main.signal).toBe('SIGKILL');
    expect(w.gh.commentsOn(1)[0]?.body).not.toContain('Cancelled');
    const post = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished' }, phase: 'post', state: main.state });
    expect(post.code, post.stdout).toBe(0);
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Cancelled');
    expect(w.ohRequests().some((r) => r.endsWith('/pause'))).toBe(true);
  });

  it('the post step leaves a finished comment alone', async () => {
    const main = await w.run({ event: 'schedule', payload: schedule(), inputs: { prompt: 'x', 'issue-number': '7' } });
    const before = w.gh.requests.length;
    const post = await w.run({ event: 'schedule', payload: schedule(), inputs: { prompt: 'x', 'issue-number': '7' }, phase: 'post', state: main.state });
    expect(post.code).toBe(0);
    expect(w.gh.requests.length).toBe(before);
  });
});
