/** The Reporter against the GitHub fake: one comment, edited only on change, the final state always, and saved for the post step. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STATE } from '../../src/constants.ts';
import { createOctokit } from '../../src/github/octokit.ts';
import { fakeRepoReport } from './fake-repo-report.ts';
import type { Report } from '../../src/report.ts';
import { Reporter, type SavedComment } from '../../src/reporter.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const target = { owner: 'octo-org', repo: 'octo-repo', issueNumber: 5 };
const CREATE = /\/issues\/5\/comments$/;

let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 5, title: 'x' }] });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => gh.reset());

const report = (): Report => fakeRepoReport();

function setup(opts: { dryRun?: boolean; redact?: (t: string) => string } = {}) {
  let clock = 0;
  const state = new Map<string, string>();
  const warnings: string[] = [];
  const reporter = new Reporter(report(), {
    octokit: opts.dryRun ? undefined : createOctokit(gh.token, gh.url, { secondMs: 10 }),
    target,
    existingCommentId: undefined,
    existingCommentUrl: undefined,
    redact: opts.redact ?? ((t) => t),
    now: () => clock,
    warn: (m) => warnings.push(m),
    setOutput: () => {},
    saveState: (n, v) => state.set(n, v),
    sleep: async () => {},
  });
  return { reporter, state, warnings, tick: (ms: number) => (clock += ms) };
}
const saved = (state: Map<string, string>): SavedComment => JSON.parse(state.get(STATE.comment) ?? '{}') as SavedComment;

describe('Reporter', () => {
  it('saves the state for the post step with a secret in the error text redacted', async () => {
    const { reporter, state } = setup({ redact: (t) => t.replaceAll('sk-secret', '***') });
    await reporter.update({ status: 'error', error: 'HTTP 400: bad key sk-secret', final: true });
    expect(saved(state).report.error).toBe('HTTP 400: bad key ***');
    expect(state.get(STATE.comment)).not.toContain('sk-secret');
    expect(reporter.report.error).toContain('sk-secret');
  });

  it('creates one comment, edits it only when the state changes, and writes the final state', async () => {
    const { reporter, tick, state } = setup();
    await reporter.update({ status: 'started' });
    tick(10_000);
    await reporter.update({}); // nothing changed: no edit, however long ago the last one was
    tick(1000);
    await reporter.update({ status: 'ready' }); // changed, but too soon after the last write
    await reporter.update({ final: true, status: 'finished' });
    const comments = gh.commentsOn(5);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('Finished');
    expect([gh.countWrites('POST'), gh.countWrites('PATCH')]).toEqual([1, 1]);
    expect(saved(state)).toMatchObject({ ...target, key: 'wf/job', id: comments[0]?.id });
    expect(state.get(STATE.finalWritten)).toBe('true');
  });

  it('a secondary rate limit on the first create still ends with one comment', async () => {
    gh.addFault({ kind: 'secondary', method: 'POST', path: CREATE, retryAfter: 1 });
    const { reporter, warnings } = setup();
    await reporter.update({ status: 'started' });
    expect(warnings).toEqual([]);
    expect(gh.commentsOn(5)).toHaveLength(1);
  });

  it('a create applied but answered 500, then the final edit: one comment holding the final state', async () => {
    gh.addFault({ kind: 'applied-then-500', method: 'POST', path: CREATE });
    const { reporter } = setup();
    await reporter.update({ status: 'started' });
    await reporter.update({ final: true, status: 'finished' });
    expect(gh.commentsOn(5)).toHaveLength(1);
    expect(gh.commentsOn(5)[0]?.body).toContain('Finished');
  });

  it('a create that fails for good is saved for the post step without an id, and a rate limit does not stop later writes', async () => {
    gh.addFault({ kind: 'secondary', method: 'POST', path: CREATE, retryAfter: 600 });
    const { reporter, state, warnings } = setup();
    await reporter.update({ status: 'started' });
    expect(warnings).toEqual([expect.stringMatching(/^Could not write the status comment on #5: creating a comment on octo-org\/octo-repo#5: HTTP 403 You have exceeded a secondary rate limit/)]);
    expect(saved(state)).toMatchObject({ ...target, key: 'wf/job', report: { status: 'started' } });
    expect(saved(state).id).toBeUndefined();
    await reporter.update({ final: true, status: 'finished' });
    expect(gh.commentsOn(5)[0]?.body).toContain('Finished');
    expect(state.get(STATE.finalWritten)).toBe('true');
  });

  it('a report that turns final while an earlier write is in flight is not marked as finally written by it', async () => {
    gh.addFault({ kind: 'delay', ms: 200, method: 'POST', path: CREATE });
    gh.addFault({ method: 'PATCH', status: 502, times: Infinity });
    const { reporter, state } = setup();
    const first = reporter.update({ status: 'started' });
    await new Promise((r) => setTimeout(r, 50)); // the create (held 200 ms) is on its way
    await reporter.update({ final: true, status: 'finished' });
    await first;
    expect(gh.commentsOn(5)[0]?.body).not.toContain('Finished');
    expect(state.get(STATE.finalWritten)).toBeUndefined(); // so the post step still lands it
    expect(saved(state)).toMatchObject({ id: gh.commentsOn(5)[0]?.id, report: { final: true, status: 'finished' } });
  });

  it('a 404 (no such issue) stops further writes', async () => {
    gh.addFault({ method: 'POST', path: CREATE, status: 404 });
    const { reporter, warnings } = setup();
    await reporter.update({ status: 'started' });
    await reporter.update({ final: true, status: 'finished' });
    expect(gh.countWrites()).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  it('a dry run (no Octokit) writes nothing and saves nothing', async () => {
    const { reporter, state } = setup({ dryRun: true });
    await reporter.update({ status: 'started' });
    await reporter.update({ final: true, status: 'finished' });
    expect(gh.countWrites()).toBe(0);
    expect(state.size).toBe(0);
  });
});
