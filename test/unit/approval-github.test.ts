/** readHeldRequest against the GitHub fake (issue comments and bodies) and a stub (reviews). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, resolveApproval, type HeldRequest } from '../../src/approval.ts';
import { readHeldRequest } from '../../src/github/approval.ts';
import { createOctokit, type Octokit } from '../../src/github/octokit.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const [owner, repo] = ['octo-org', 'octo-repo'];
let fake: GitHubFake;
let octokit: Octokit;

beforeAll(async () => {
  fake = await startGitHubFake({ issues: [{ number: 7, title: 'Crash', body: '@openhands fix the crash', user: 'eve' }] });
  octokit = createOctokit(fake.token, fake.url);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const heldOf = (over: Partial<HeldRequest>): HeldRequest => ({
  kind: 'issue_comment',
  number: 7,
  author: 'eve',
  digest: '',
  url: '',
  event: 'issue_comment created',
  heldAt: 0,
  ...over,
});

describe('readHeldRequest', () => {
  it('reads a held comment as it is now, and reports a deleted one as gone', async () => {
    const c = fake.addComment({ issue_number: 7, body: '@openhands please fix', user: 'eve' });
    const held = heldOf({ id: c.id, digest: digestOf('@openhands please fix') });
    const found = await readHeldRequest(octokit, owner, repo, held);
    expect(found).toMatchObject({ state: 'found', text: '@openhands please fix', author: 'eve' });
    expect(resolveApproval(held, found, 'maintainer').ok).toBe(true);

    await octokit.rest.issues.deleteComment({ owner, repo, comment_id: c.id });
    expect(await readHeldRequest(octokit, owner, repo, held)).toEqual({ state: 'gone' });
  });

  it('reads an issue or PR body, and a missing issue is gone', async () => {
    expect(await readHeldRequest(octokit, owner, repo, heldOf({ kind: 'body' }))).toMatchObject({
      state: 'found',
      text: '@openhands fix the crash',
      author: 'eve',
      url: expect.stringContaining('/issues/7'),
    });
    expect(await readHeldRequest(octokit, owner, repo, heldOf({ kind: 'body', number: 99 }))).toEqual({ state: 'gone' });
  });

  it('fails closed on any other error', async () => {
    fake.addFault({ path: /\/issues\/7$/, status: 403, body: { message: 'Resource not accessible by integration' } });
    await expect(readHeldRequest(octokit, owner, repo, heldOf({ kind: 'body' }))).rejects.toMatchObject({ status: 403 });
  });

  it('reads review comments and reviews through their own endpoints', async () => {
    const calls: unknown[] = [];
    const stub = {
      rest: {
        pulls: {
          getReviewComment: async (p: unknown) => (calls.push(['getReviewComment', p]), { data: { body: 'nit', user: { login: 'eve' }, html_url: 'rc' } }),
          getReview: async (p: unknown) => (calls.push(['getReview', p]), { data: { body: null, user: { login: 'eve' }, html_url: 'rv' } }),
        },
      },
    } as unknown as Octokit;
    expect(await readHeldRequest(stub, owner, repo, heldOf({ kind: 'review_comment', id: 5 }))).toEqual({ state: 'found', text: 'nit', author: 'eve', url: 'rc' });
    expect(await readHeldRequest(stub, owner, repo, heldOf({ kind: 'review', id: 6 }))).toEqual({ state: 'found', text: '', author: 'eve', url: 'rv' });
    expect(calls).toEqual([
      ['getReviewComment', { owner, repo, comment_id: 5 }],
      ['getReview', { owner, repo, pull_number: 7, review_id: 6 }],
    ]);
  });
});
