/** The sticky comment under GitHub faults, over HTTP against the fake: exactly one comment per issue and key. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStickyComment, findStickyComment, updateComment } from '../../src/github/comments.ts';
import { GitHubApiError } from '../../src/errors.ts';
import { createOctokit } from '../../src/github/octokit.ts';
import { markerFor } from '../../src/marker.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

const t = { owner: 'octo-org', repo: 'octo-repo', issueNumber: 42 };
const key = 'openhands/run';
const body = (text: string) => `${markerFor(key)} state="" -->\n${text}`;
const CREATE = /\/issues\/42\/comments$/;

let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 42, title: 'Busy issue' }] });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => gh.reset());

// One "second" of Retry-After or backoff lasts 10 ms here; GitHub's answers are otherwise real.
const octokit = () => createOctokit(gh.token, gh.url, { secondMs: 10 });
const posts = () => gh.requests.filter((r) => r.method === 'POST' && CREATE.test(r.path));

describe('createStickyComment', () => {
  it('a secondary rate limit on the first create: one comment, after the Retry-After', async () => {
    gh.addFault({ kind: 'secondary', method: 'POST', path: CREATE, retryAfter: 5 });
    const c = await createStickyComment(octokit(), t, key, body('hello'));
    expect(gh.commentsOn(42).map((x) => x.id)).toEqual([c.id]);
    const [first, second] = posts();
    expect([first?.status, second?.status]).toEqual([403, 201]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(50); // 5 "seconds" of 10 ms
  });

  it('a create GitHub applied but answered with 500 is not sent again: one comment', async () => {
    gh.addFault({ kind: 'applied-then-500', method: 'POST', path: CREATE });
    const c = await createStickyComment(octokit(), t, key, body('hello'));
    expect(gh.commentsOn(42)).toHaveLength(1);
    expect(gh.commentsOn(42)[0]).toMatchObject({ id: c.id, body: body('hello') });
    expect(posts()).toHaveLength(1);
  });

  it('an applied create whose look-up fails too: the next call looks first, so still one comment', async () => {
    gh.addFault({ kind: 'applied-then-500', method: 'POST', path: CREATE });
    gh.addFault({ method: 'GET', path: CREATE, status: 500, times: 3 }); // the look, and its retries
    await expect(createStickyComment(octokit(), t, key, body('hello'))).rejects.toThrow();
    expect(gh.commentsOn(42)).toHaveLength(1);
    // The Reporter's next write knows a create was tried.
    const c = await createStickyComment(octokit(), t, key, body('hello again'), { lookFirst: true });
    expect(gh.commentsOn(42)).toHaveLength(1);
    expect(gh.commentsOn(42)[0]).toMatchObject({ id: c.id, body: body('hello again') });
    expect(posts()).toHaveLength(1);
  });

  it('a connection reset after the create was applied: one comment', async () => {
    gh.addFault({ kind: 'reset', when: 'after', method: 'POST', path: CREATE });
    await createStickyComment(octokit(), t, key, body('hello'));
    expect(gh.commentsOn(42)).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('a reset before it was applied, or a plain 502: it looks, finds nothing, creates once more', async () => {
    gh.addFault({ kind: 'reset', method: 'POST', path: CREATE });
    await createStickyComment(octokit(), t, key, body('a'));
    expect(gh.commentsOn(42)).toHaveLength(1);
    expect(posts()).toHaveLength(2);

    gh.reset();
    gh.addFault({ method: 'POST', path: CREATE, status: 502 });
    await createStickyComment(octokit(), t, key, body('b'));
    expect(gh.commentsOn(42).map((c) => c.body)).toEqual([body('b')]);
  });

  it('finds its marker beyond the first 100 comments of a busy issue', async () => {
    for (let i = 0; i < 250; i++) gh.addComment({ issue_number: 42, body: `chatter ${i}`, user: 'alice' });
    gh.addFault({ kind: 'applied-then-500', method: 'POST', path: CREATE });
    await createStickyComment(octokit(), t, key, body('hello'));
    expect(gh.commentsOn(42).filter((c) => c.body.startsWith(markerFor(key)))).toHaveLength(1);
    const pages = gh.requests.filter((r) => r.method === 'GET' && CREATE.test(r.path)).map((r) => r.query['page'] ?? '1');
    expect(pages).toEqual(['1', '2', '3']);
  });

  it('a clear refusal (locked issue, 403) is thrown at once, named, without a second try', async () => {
    gh.addFault({ method: 'POST', path: CREATE, status: 403, body: { message: 'Unable to create comment because issue is locked.' } });
    const error = await createStickyComment(octokit(), t, key, body('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect((error as GitHubApiError).message).toBe(
      'creating a comment on octo-org/octo-repo#42: HTTP 403 Unable to create comment because issue is locked.',
    );
    expect((error as GitHubApiError).permanent).toBe(true);
    expect(posts()).toHaveLength(1);
  });
});

describe('named errors', () => {
  it('a failed list says which issue, the status and GitHub\'s message, after its retries', async () => {
    gh.addFault({ method: 'GET', path: CREATE, status: 500, times: Infinity });
    const error = (await findStickyComment(octokit(), t, key).catch((e: unknown) => e)) as GitHubApiError;
    expect(error.message).toBe('listing comments of octo-org/octo-repo#42: HTTP 500 Internal Server Error');
    expect(error).toMatchObject({ status: 500, ambiguous: true, rateLimited: false });
    expect(gh.requests.filter((r) => r.method === 'GET')).toHaveLength(3); // one try and two retries
  });

  it('a 404 is named, without the bare documentation link', async () => {
    const error = (await updateComment(octokit(), t, 1, 'x').catch((e: unknown) => e)) as GitHubApiError;
    expect(error.message).toBe('updating comment 1 on octo-org/octo-repo: HTTP 404 Not Found');
  });

  it('no answer at all is said as such', async () => {
    const dead = createOctokit(gh.token, 'http://127.0.0.1:9', { secondMs: 1 });
    const error = (await findStickyComment(dead, t, key).catch((e: unknown) => e)) as GitHubApiError;
    expect(error.message).toMatch(/^listing comments of octo-org\/octo-repo#42: no answer \(.+\)$/);
    expect(error.status).toBeUndefined();
  });
});

describe('findStickyComment', () => {
  it('ignores a marker pasted by someone else, takes the newest trusted one', async () => {
    gh.addComment({ issue_number: 42, body: body('ours, old') });
    const newest = gh.addComment({ issue_number: 42, body: body('ours, new') });
    gh.addComment({ issue_number: 42, body: body('a copy'), user: 'mallory' });
    const found = await findStickyComment(octokit(), t, key);
    expect(found).toMatchObject({ id: newest.id, body: body('ours, new') });
  });
});
