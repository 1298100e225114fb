/** The "OpenHands" check run on the pull request's head commit, through the built action. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueComment, issueLabeled, prLabeled } from './payloads.ts';
import { everythingVisible, world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const pr = () => prLabeled({ label: 'openhands', number: 2 });
const headSha = (p: ReturnType<typeof pr>) => p.pull_request.head.sha;
const run = (inputs: Record<string, string> = {}, extra: Partial<Parameters<World['run']>[0]> = {}) =>
  w.run({ event: 'pull_request', payload: pr(), inputs: { wait: 'finished', ...inputs }, ...extra });
const link = () => `${w.emu.url}/conversations/${w.emu.conversations[0]?.id}`;
const creates = () => w.gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs'));
const only = () => {
  expect(w.gh.checkRuns).toHaveLength(1);
  return w.gh.checkRuns[0]!;
};

describe('the check run on a pull request label event', () => {
  it('is created in progress on the head commit with the conversation link, and completes as success', async () => {
    const r = await run();
    expect(r.code, r.stdout).toBe(0);
    const [create] = creates();
    expect(create?.body).toMatchObject({ name: 'OpenHands', status: 'in_progress', head_sha: headSha(pr()), details_url: link() });
    const c = only();
    expect(c).toMatchObject({ status: 'completed', conclusion: 'success', details_url: link(), head_sha: headSha(pr()) });
    expect(c.output.title).toBe('✅ Finished');
    expect(c.output.summary).toContain(link());
    expect(c.output.summary?.length).toBeLessThan(400);
    expect(JSON.stringify(w.gh.checkRuns)).not.toContain('test-key');
    // The post step leaves a completed check run alone.
    const post = await run({}, { phase: 'post', state: r.state });
    expect(post.code, post.stdout).toBe(0);
    expect(only().conclusion).toBe('success');
    expect(w.gh.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/check-runs/'))).toHaveLength(2);
  });

  it('an agent error → failure', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }, { afterMs: 200, status: 'error' }], finalVia: 'none' });
    const r = await run();
    expect(r.code).toBe(1);
    expect(only()).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('finish-timeout → timed_out', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const r = await run({ 'finish-timeout': '2s' });
    expect(r.outputs.status).toBe('timed_out');
    expect(only()).toMatchObject({ status: 'completed', conclusion: 'timed_out' });
  });

  it('SIGINT while the agent works → cancelled', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const r = await run({}, { signal: { signal: 'SIGINT', when: /agent running/ } });
    expect(r.outputs.status).toBe('cancelled');
    expect(only()).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  it('a main step killed outright: the post step completes it as cancelled', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const main = await run({}, { signal: { signal: 'SIGKILL', when: /agent running/ } });
    expect(main.signal).toBe('SIGKILL');
    expect(only()).toMatchObject({ status: 'in_progress', conclusion: null });
    const post = await run({}, { phase: 'post', state: main.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.annotations.warnings).toEqual([]);
    expect(only()).toMatchObject({ status: 'completed', conclusion: 'cancelled', details_url: link() });
  });

  it('wait: ready hands over → neutral, and the summary says the agent is still working', async () => {
    w.emu.setDefaultScenario({ execution: [{ afterMs: 0, status: 'running' }] });
    const r = await run({ wait: 'ready' });
    expect(r.code, r.stdout).toBe(0);
    const c = only();
    expect(c).toMatchObject({ status: 'completed', conclusion: 'neutral', details_url: link() });
    expect(c.output.title).toContain('still working');
  });

  it('a comment on the PR (no head in the payload) puts it on the head commit GitHub names', async () => {
    const payload = issueComment({ body: '@openhands fix the typo', sender: 'Codertocat', number: 2, onPullRequest: true });
    const r = await w.run({ event: 'issue_comment', payload, inputs: { wait: 'finished' } });
    expect(r.code, r.stdout).toBe(0);
    const head = w.gh.issues.find((i) => i.number === 2)?.pull_request?.head.sha;
    expect(only()).toMatchObject({ head_sha: head, conclusion: 'success' });
  });

  it('a follow-up on the PR gets a check run of its own run', async () => {
    w.emu.setDefaultScenario({ followUp: { finalMessage: 'Docs updated too.' } });
    await w.run({ event: 'pull_request', payload: pr(), runId: '500', inputs: { wait: 'finished' } });
    const payload = issueComment({ body: '@openhands and the docs', sender: 'Codertocat', number: 2, onPullRequest: true });
    const second = await w.run({ event: 'issue_comment', payload, runId: '501', inputs: { wait: 'finished' } });
    expect(second.outputs.status).toBe('finished');
    expect(w.starts()).toBe(1);
    expect(w.gh.checkRuns).toHaveLength(2);
    expect(w.gh.checkRuns.map((c) => [c.external_id?.split(':').at(-2), c.conclusion, c.details_url])).toEqual([
      ['500', 'success', link()],
      ['501', 'success', link()],
    ]);
  });
});

describe('no check run', () => {
  it('without checks: write: one log line, no warning, a clean run', async () => {
    w.gh.setChecksPermission('none');
    const r = await run();
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs.status).toBe('finished');
    expect(r.annotations.warnings).toEqual([]);
    expect(r.stdout.match(/No OpenHands check run/g)).toHaveLength(1);
    expect(creates()).toHaveLength(1); // asked once, never again
    expect(w.gh.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/check-runs/'))).toEqual([]);
    expect(w.gh.commentsOn(2)[0]?.body).toContain('Finished');
  });

  it('on an issue event', async () => {
    const r = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands' }), inputs: { wait: 'finished' } });
    expect(r.code, r.stdout).toBe(0);
    expect(w.gh.checkRuns).toEqual([]);
    expect(creates()).toEqual([]);
  });

  it('with check-run: false', async () => {
    const r = await run({ 'check-run': 'false' });
    expect(r.code, r.stdout).toBe(0);
    expect(creates()).toEqual([]);
  });

  it('in a dry run, which says it would create one', async () => {
    const r = await run({ 'dry-run': 'true' });
    expect(r.code, r.stdout).toBe(0);
    expect(w.gh.countWrites()).toBe(0);
    expect(r.summary).toMatch(/Check run \| would create the OpenHands check run on the head commit of #2/);
    expect(everythingVisible(r, w.gh)).not.toContain('test-key');
  });
});
