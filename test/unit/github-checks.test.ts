/** The OpenHands check run, over HTTP against the GitHub fake: lifecycle, a missing permission told once, an unclear create. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHECK_NAME, CheckRun } from '../../src/github/checks.ts';
import { createOctokit } from '../../src/github/octokit.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const sha = 'a'.repeat(40);
const target = { owner: 'octo-org', repo: 'octo-repo', sha };
const details = 'https://app.all-hands.dev/conversations/abc';

let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake();
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => gh.reset());
const octokit = () => createOctokit(gh.token, gh.url, { secondMs: 10 });

describe('CheckRun', () => {
  it('is created in progress with the conversation link, updated, then completed', async () => {
    const check = new CheckRun(octokit(), target, 'run-1');
    expect(await check.start(details, { title: 'Working', summary: 'Started' })).toBe('written');
    expect(gh.checkRuns).toEqual([
      expect.objectContaining({ id: check.id, name: CHECK_NAME, head_sha: sha, status: 'in_progress', details_url: details, external_id: 'run-1' }),
    ]);
    expect(await check.update({ title: 'Working', summary: 'Agent running' })).toBe('written');
    expect(gh.checkRuns[0]?.output.summary).toBe('Agent running');
    expect(await check.complete('success', { title: 'Finished', summary: 'x'.repeat(70_000) })).toBe('written');
    expect(gh.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Finished' } });
    expect(gh.checkRuns[0]?.output.summary).toHaveLength(65_535);
    expect(gh.checkRuns[0]?.completed_at).toMatch(/Z$/);
  });

  it('a token without checks: write: "forbidden" once, then nothing is sent', async () => {
    gh.setChecksPermission('none');
    const check = new CheckRun(octokit(), target, 'run-1');
    expect(await check.start(details, { title: 'Working', summary: '' })).toBe('forbidden');
    expect(await check.update({ title: 'Working', summary: 'more' })).toBe('skipped');
    expect(await check.complete('failure', { title: 'Failed', summary: '' })).toBe('skipped');
    expect(gh.countWrites()).toBe(1);
    expect(gh.checkRuns).toEqual([]);
  });

  it('a 403 on the completion (permission gone) is told once too', async () => {
    const check = new CheckRun(octokit(), target, 'run-1');
    await check.start(details, { title: 'Working', summary: '' });
    gh.setChecksPermission('none');
    expect(await check.complete('success', { title: 'Done', summary: '' })).toBe('forbidden');
    expect(await check.complete('success', { title: 'Done', summary: '' })).toBe('skipped');
  });

  it('a create applied but answered with 500 is adopted, not repeated', async () => {
    gh.addFault({ kind: 'applied-then-500', method: 'POST', path: /\/check-runs$/ });
    const check = new CheckRun(octokit(), target, 'run-1');
    expect(await check.start(details, { title: 'Working', summary: '' })).toBe('written');
    expect(gh.checkRuns).toHaveLength(1);
    expect(check.id).toBe(gh.checkRuns[0]?.id);
    expect(gh.countWrites('POST')).toBe(1);
  });

  it('another failure is thrown, named', async () => {
    gh.addFault({ method: 'PATCH', path: /\/check-runs\//, status: 422, body: { message: 'Validation Failed' } });
    const check = new CheckRun(octokit(), target, 'run-1');
    await check.start(details, { title: 'Working', summary: '' });
    await expect(check.complete('success', { title: 'Done', summary: '' })).rejects.toThrow(
      `updating the OpenHands check run ${check.id} on octo-org/octo-repo: HTTP 422 Validation Failed`,
    );
  });
});
