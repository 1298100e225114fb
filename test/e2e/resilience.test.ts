/** Hard cases: the start path, failed writes, re-runs after cancels, errors and follow-ups. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueComment, issueLabeled, schedule } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world({ github: { permissions: { Codertocat: 'write', reader: 'read' } } });
});
afterEach(async () => {
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });

describe('the start: plain POST, then polling', () => {
  it('never uses stream-start (a closed stream cancels the start on the server), and polls the task to READY', async () => {
    const run = await w.run({ event: 'issues', payload: labeled() });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('ready');
    expect(w.ohRequests().filter((r) => r.startsWith('POST'))).toEqual(['POST /api/v1/app-conversations']);
    // polled through the search of the account's recent starts (or by id)
    expect(w.ohRequests().some((r) => r.startsWith('GET /api/v1/app-conversations/start-tasks'))).toBe(true);
    expect(w.emu.tasks).toHaveLength(1);
  });
});

describe('the final comment always lands', () => {
  it('a failed final edit is retried', async () => {
    w.emu.setDefaultScenario({ phaseMs: 5 });
    w.gh.addFault({ method: 'PATCH', path: /\/issues\/comments\//, status: 502 });
    const run = await w.run({ event: 'issues', payload: labeled() });
    expect(run.code, run.stdout).toBe(0);
    expect(w.gh.commentsOn(1)[0]?.body).toContain('Ready');
    expect(w.gh.requests.filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(2);
  });

  it('the post step rewrites a final state whose write failed, without calling it cancelled', async () => {
    w.emu.setDefaultScenario({ phaseMs: 5 });
    // Every edit fails while the main step runs (each is retried, so a count would be fragile).
    w.gh.addFault({ method: 'PATCH', path: /\/issues\/comments\//, status: 502, times: Infinity });
    // Every edit waits out GitHub's retries: the bound is for a loaded machine, not a speed claim.
    const main = await w.run({ event: 'issues', payload: labeled(), timeoutMs: 60_000 });
    expect(main.code).toBe(0);
    expect(w.gh.commentsOn(1)[0]?.body).not.toContain('Ready');
    w.gh.clearFaults();
    const post = await w.run({ event: 'issues', payload: labeled(), phase: 'post', state: main.state });
    expect(post.code).toBe(0);
    const body = w.gh.commentsOn(1)[0]?.body ?? '';
    expect(body).toContain('Ready');
    expect(body).not.toContain('Cancelled');
    expect(w.ohRequests().some((r) => r.endsWith('/pause'))).toBe(false);
  }, 90_000);
});

describe('re-runs', () => {
  it('after an attempt cancelled while the agent worked (sandbox paused mid-run), attempt 2 starts again: a resumed run would only turn to error', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '900', inputs: { wait: 'finished' }, signal: { signal: 'SIGINT', when: /agent running/ } });
    expect(first.outputs.status).toBe('cancelled');
    const sandboxId = w.emu.conversations[0]?.sandbox_id as string;
    expect(w.emu.sandboxes.find((s) => s.id === sandboxId)?.status).toBe('PAUSED');
    const second = await w.run({ event: 'issues', payload: labeled(), runId: '900', runAttempt: '2' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('ready');
    expect(second.outputs['conversation-id']).not.toBe(first.outputs['conversation-id']);
    expect(second.stdout).toContain('stopped while the agent was working');
    expect(w.ohRequests()).not.toContain(`POST /api/v1/sandboxes/${sandboxId}/resume`);
    expect(w.starts()).toBe(2);
  });

  it('after an attempt whose agent had finished (sandbox paused since), attempt 2 re-attaches and resumes it', async () => {
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '901', inputs: { wait: 'finished' } });
    expect(first.outputs.status).toBe('finished');
    const sandboxId = w.emu.conversations[0]?.sandbox_id as string;
    w.emu.pauseSandbox(sandboxId);
    const second = await w.run({ event: 'issues', payload: labeled(), runId: '901', runAttempt: '2' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs['conversation-id']).toBe(first.outputs['conversation-id']);
    expect(second.outputs['sandbox-status']).toBe('RUNNING');
    expect(w.ohRequests()).toContain(`POST /api/v1/sandboxes/${sandboxId}/resume`);
    expect(w.starts()).toBe(1);
  });

  it('after a failed start, attempt 2 starts again under a new id', async () => {
    w.emu.queueScenario({ startError: { atPhase: 'WAITING_FOR_SANDBOX', detail: 'The system is at capacity right now' } });
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '901' });
    expect(first.outputs.status).toBe('error');
    const second = await w.run({ event: 'issues', payload: labeled(), runId: '901', runAttempt: '2' });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('ready');
    expect(second.outputs['conversation-id']).not.toBe(first.outputs['conversation-id']);
    expect(w.starts()).toBe(2);
    expect(w.gh.commentsOn(1)).toHaveLength(1);
  });

  it('a re-run of a follow-up whose message was sent does not send it again', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    await w.run({ event: 'issues', payload: labeled(), runId: '910' });
    const comment = issueComment({ body: '@openhands also the docs', sender: 'Codertocat' });
    const first = await w.run({ event: 'issue_comment', payload: comment, runId: '911' });
    expect(first.outputs.status).toBe('followed_up');
    const again = await w.run({ event: 'issue_comment', payload: comment, runId: '911', runAttempt: '2' });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs.status).toBe('followed_up');
    expect(w.emu.requests.filter((r) => r.path.endsWith('/send-message'))).toHaveLength(1);
    expect(w.starts()).toBe(1);
  });

  it('a re-run of a follow-up whose delivery was never confirmed (the answer lost) finds it delivered and does not send it again', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    await w.run({ event: 'issues', payload: labeled(), runId: '912' });
    w.emu.addFault({ method: 'POST', path: /\/send-message$/, kind: 'reset-after' });
    const comment = issueComment({ body: '@openhands also the changelog', sender: 'Codertocat' });
    // A reset is ambiguous ([api: follow-ups]): the run looks for its message instead of sending it again; the
    // job is killed while it looks, so "sent" is never recorded.
    const first = await w.run({ event: 'issue_comment', payload: comment, runId: '913', signal: { signal: 'SIGKILL', when: /Looking for it/ } });
    expect(first.signal).toBe('SIGKILL');
    const again = await w.run({ event: 'issue_comment', payload: comment, runId: '913', runAttempt: '2' });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs.status).toBe('followed_up');
    expect(again.stdout).toContain('delivered this message already');
    expect(w.emu.requests.filter((r) => r.path.endsWith('/send-message'))).toHaveLength(1);
  });
});

describe('follow-up answers', () => {
  it('waits for the follow-up to run instead of stopping at the previous end', async () => {
    w.emu.setDefaultScenario({
      followUp: {
        execution: [
          { afterMs: 2500, status: 'running' },
          { afterMs: 3500, status: 'finished' },
        ],
        finalMessage: 'The second answer',
      },
      finalMessage: 'The first answer',
    });
    await w.run({ event: 'issues', payload: labeled(), runId: '920', inputs: { wait: 'finished' } });
    const second = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands more', sender: 'Codertocat' }), runId: '921', inputs: { wait: 'finished' } });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs.status).toBe('finished');
    expect(second.outputs['final-message']).toBe('The second answer');
  });
});

describe('gates under failure', () => {
  it("a reader's mention is a skip even when another look-up fails", async () => {
    w.gh.addFault({ method: 'GET', path: /\/issues\/1\/comments/, status: 500, times: 10 });
    const run = await w.run({ event: 'issue_comment', payload: issueComment({ body: '@openhands fix', sender: 'reader' }), inputs: { untrusted: 'skip' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('skipped');
    expect(w.emu.requests).toHaveLength(0);
  });

  it('a schedule skips while the previous conversation is still starting', async () => {
    w.emu.setDefaultScenario({ phaseMs: 1000 });
    const inputs = { prompt: 'Nightly chores', 'issue-number': '7' };
    const first = await w.run({ event: 'schedule', payload: schedule(), inputs: { ...inputs, wait: 'none' }, runId: '930' });
    expect(first.outputs.status).toBe('started');
    const second = await w.run({ event: 'schedule', payload: schedule(), inputs, runId: '931' });
    expect(second.outputs.status).toBe('skipped');
    expect(w.starts()).toBe(1);
  });

  it('a quoted copy of the marker in a bot comment is not trusted', async () => {
    const first = await w.run({ event: 'issues', payload: labeled(), runId: '940', inputs: { wait: 'none' } });
    const own = w.gh.commentsOn(1)[0]?.body ?? '';
    w.gh.addComment({ issue_number: 1, body: `Welcome! You wrote:\n${own}`, user: { login: 'github-actions[bot]', type: 'Bot' } });
    const second = await w.run({ event: 'issues', payload: labeled(), runId: '941', inputs: { 'follow-up': 'never', wait: 'none' } });
    expect(second.code).toBe(0);
    expect(w.gh.commentsOn(1).filter((c) => c.body.startsWith('<!-- openhands-cloud-action'))).toHaveLength(1);
    expect(first.outputs['comment-id']).toBe(second.outputs['comment-id']);
  });
});
