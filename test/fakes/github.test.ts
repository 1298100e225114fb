import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubFake, type GitHubFake } from './github.ts';

const owner = 'octo-org';
const repo = 'octo-repo';

let fake: GitHubFake;
// A plain Octokit, without retries: each fault is seen as the fake answers it.
const Plain = Octokit.plugin(restEndpointMethods, paginateRest);
const getOctokit = (token: string, opts: { baseUrl: string }) => new Plain({ auth: token, baseUrl: opts.baseUrl });
let octokit: ReturnType<typeof getOctokit>;

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

beforeAll(async () => {
  fake = await startGitHubFake({
    repos: { 'octo-org/octo-repo': { default_branch: 'main' }, 'other/repo': { default_branch: 'trunk', private: true } },
    issues: [
      { number: 1, title: 'Bug', body: 'It breaks', labels: ['bug', 'openhands'], user: 'alice' },
      { number: 2, title: 'A PR', labels: ['openhands'], pull_request: { head: { ref: 'feat', repo: 'forker/octo-repo' } } },
      { number: 3, title: 'Closed', labels: ['openhands'], state: 'closed' },
      { number: 4, title: 'Plain' },
    ],
    permissions: { alice: 'admin', mia: 'maintain', tim: 'triage', wes: 'write' },
  });
  octokit = getOctokit('ghs_test_token', { baseUrl: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

describe('GitHub fake via Octokit', () => {
  it('serves repos, issues and pull requests in GitHub shapes', async () => {
    const { data: r } = await octokit.rest.repos.get({ owner, repo });
    expect(r).toMatchObject({ full_name: 'octo-org/octo-repo', default_branch: 'main', private: false, owner: { login: owner } });
    const { data: other } = await octokit.rest.repos.get({ owner: 'other', repo: 'repo' });
    expect(other).toMatchObject({ default_branch: 'trunk', private: true, visibility: 'private' });

    const { data: issue } = await octokit.rest.issues.get({ owner, repo, issue_number: 1 });
    expect(issue).toMatchObject({
      number: 1,
      title: 'Bug',
      body: 'It breaks',
      state: 'open',
      user: { login: 'alice', type: 'User' },
      html_url: 'https://github.com/octo-org/octo-repo/issues/1',
    });
    expect(issue.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['bug', 'openhands']);
    expect(issue.pull_request).toBeUndefined();

    const { data: prIssue } = await octokit.rest.issues.get({ owner, repo, issue_number: 2 });
    expect(prIssue.pull_request?.html_url).toBe('https://github.com/octo-org/octo-repo/pull/2');

    const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: 2 });
    expect(pr).toMatchObject({
      number: 2,
      head: { ref: 'feat', repo: { full_name: 'forker/octo-repo', fork: true } },
      base: { ref: 'main', repo: { full_name: 'octo-org/octo-repo' } },
    });
    expect(await status(octokit.rest.pulls.get({ owner, repo, pull_number: 1 }))).toBe(404);
    expect(await status(octokit.rest.issues.get({ owner, repo, issue_number: 99 }))).toBe(404);
    expect(await status(octokit.rest.repos.get({ owner: 'nope', repo: 'nope' }))).toBe(404);
  });

  it('creates, lists (paginating over >100), updates and deletes comments', async () => {
    for (let i = 0; i < 230; i++) fake.addComment({ issue_number: 1, body: `seed ${i}`, user: i % 2 ? 'alice' : 'bob' });
    const { data: created, status: st } = await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'hello' });
    expect(st).toBe(201);
    expect(created).toMatchObject({ body: 'hello', user: { login: 'github-actions[bot]', type: 'Bot', id: 41898282 } });
    expect(created.id).toBeGreaterThan(2 ** 31);
    expect(created.html_url).toBe(`https://github.com/octo-org/octo-repo/issues/1#issuecomment-${created.id}`);
    expect(created.url).toBe(`${fake.url}/repos/octo-org/octo-repo/issues/comments/${created.id}`);

    const first = await octokit.rest.issues.listComments({ owner, repo, issue_number: 1, per_page: 100 });
    expect(first.data).toHaveLength(100);
    expect(first.headers.link).toMatch(/[?&]page=2[^>]*>; rel="next"/);
    expect(first.headers.link).toMatch(/[?&]page=3[^>]*>; rel="last"/);

    fake.requests.length = 0;
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: 1, per_page: 100 });
    expect(all).toHaveLength(231);
    expect(all.at(-1)?.body).toBe('hello');
    expect(fake.requests.map((r) => r.query['page'] ?? '1')).toEqual(['1', '2', '3']);
    // Link headers use /repositories/{id}/..., like github.com; recorded paths are canonical.
    expect(fake.requests.every((r) => r.path === '/repos/octo-org/octo-repo/issues/1/comments')).toBe(true);
    expect(fake.requests[1]?.url).toMatch(/^\/repositories\/\d+\/issues\/1\/comments\?/);

    const defaultPage = await octokit.rest.issues.listComments({ owner, repo, issue_number: 1 });
    expect(defaultPage.data).toHaveLength(30);

    const { data: updated } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: created.id, body: 'edited' });
    expect(updated.body).toBe('edited');
    expect((await octokit.rest.issues.getComment({ owner, repo, comment_id: created.id })).data.body).toBe('edited');
    expect(fake.commentsOn(1).at(-1)?.body).toBe('edited');

    const del = await octokit.rest.issues.deleteComment({ owner, repo, comment_id: created.id });
    expect(del.status).toBe(204);
    expect(await status(octokit.rest.issues.getComment({ owner, repo, comment_id: created.id }))).toBe(404);
    expect(fake.comments).toHaveLength(230);
  });

  it('filters comments with since', async () => {
    let t = Date.parse('2024-01-01T00:00:00Z');
    const f = await startGitHubFake({ now: () => t });
    try {
      f.addComment({ issue_number: 1, body: 'old' });
      t += 60_000;
      f.addComment({ issue_number: 1, body: 'new' });
      f.addIssue({ number: 1 }); // comments may be seeded before their issue
      const ok = getOctokit('ghs_test_token', { baseUrl: f.url });
      const { data } = await ok.rest.issues.listComments({ owner, repo, issue_number: 1, since: '2024-01-01T00:00:30Z' });
      expect(data.map((c) => c.body)).toEqual(['new']);
      expect(data[0]?.created_at).toBe('2024-01-01T00:01:00Z');
    } finally {
      await f.close();
    }
  });

  it('refuses comment bodies over 65536 characters with 422', async () => {
    const err = await octokit.rest.issues
      .createComment({ owner, repo, issue_number: 1, body: 'x'.repeat(65537) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }],
        },
      },
    });
    // Exactly the limit is fine; so is a limit's worth of astral characters (counted as characters).
    expect((await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'x'.repeat(65536) })).status).toBe(201);
    expect((await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: '😀'.repeat(65536) })).status).toBe(201);
    const c = fake.comments[0]!;
    expect(await status(octokit.rest.issues.updateComment({ owner, repo, comment_id: c.id, body: 'y'.repeat(70000) }))).toBe(422);
  });

  it('adds reactions (201, then 200 for the same one; 422 for unknown content)', async () => {
    const c = fake.addComment({ issue_number: 1, body: '@openhands fix it', user: 'alice' });
    const r1 = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: c.id, content: 'eyes' });
    expect(r1.status).toBe(201);
    expect(r1.data).toMatchObject({ content: 'eyes', user: { login: 'github-actions[bot]' } });
    const r2 = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: c.id, content: 'eyes' });
    expect(r2.status).toBe(200);
    expect(r2.data.id).toBe(r1.data.id);
    expect((await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: 1, content: 'rocket' })).status).toBe(201);
    expect((await octokit.rest.reactions.createForPullRequestReviewComment({ owner, repo, comment_id: 77, content: '+1' })).status).toBe(201);
    expect(
      await status(octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { owner, repo, issue_number: 1, content: 'thumbsup' as 'eyes' })),
    ).toBe(422);
    expect(await status(octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: 1, content: 'eyes' }))).toBe(404);
    expect(fake.reactions.map((r) => [r.subject, r.content])).toEqual([
      ['issue_comment', 'eyes'],
      ['issue', 'rocket'],
      ['pull_request_review_comment', '+1'],
    ]);
    const { data: withRollup } = await octokit.rest.issues.getComment({ owner, repo, comment_id: c.id });
    expect(withRollup.reactions).toMatchObject({ total_count: 1, eyes: 1 });
    expect((await octokit.rest.reactions.deleteForIssueComment({ owner, repo, comment_id: c.id, reaction_id: r1.data.id })).status).toBe(204);
    expect(fake.reactions).toHaveLength(2);
  });

  it('answers collaborator permissions with the legacy permission and the role name', async () => {
    const get = (username: string) => octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    expect((await get('alice')).data).toMatchObject({ permission: 'admin', role_name: 'admin', user: { login: 'alice' } });
    expect((await get('mia')).data).toMatchObject({ permission: 'write', role_name: 'maintain' });
    expect((await get('tim')).data).toMatchObject({ permission: 'read', role_name: 'triage' });
    expect((await get('stranger')).data).toMatchObject({ permission: 'none' });
    fake.setPermission('stranger', 'write');
    expect((await get('stranger')).data.permission).toBe('write');
    fake.setUnknownPermission(404);
    expect(await status(get('ghost'))).toBe(404);
    fake.setUnknownPermission(500);
    expect(await status(get('ghost'))).toBe(500);
  });

  it('lists issues by label and state, paginated, and creates issues', async () => {
    const list = (q: { labels?: string; state?: 'open' | 'closed' | 'all'; direction?: 'asc' | 'desc' }) =>
      octokit.rest.issues.listForRepo({ owner, repo, ...q }).then((r) => r.data.map((i) => i.number));
    expect(await list({ labels: 'openhands' })).toEqual([2, 1]);
    expect(await list({ labels: 'openhands', state: 'all', direction: 'asc' })).toEqual([1, 2, 3]);
    expect(await list({ labels: 'openhands,bug' })).toEqual([1]);
    expect(await list({ state: 'closed' })).toEqual([3]);

    const { data: created, status: st } = await octokit.rest.issues.create({ owner, repo, title: 'Tracking', body: 'runs', labels: ['openhands-tracking'] });
    expect(st).toBe(201);
    expect(created).toMatchObject({ number: 5, title: 'Tracking', user: { login: 'github-actions[bot]' } });
    expect(await list({ labels: 'openhands-tracking' })).toEqual([5]);
    expect(await status(octokit.request('POST /repos/{owner}/{repo}/issues', { owner, repo, body: 'no title' } as unknown as { owner: string; repo: string; title: string }))).toBe(422);

    for (let i = 0; i < 120; i++) await octokit.rest.issues.create({ owner, repo, title: `bulk ${i}`, labels: ['bulk'] });
    const all = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, labels: 'bulk', per_page: 50 });
    expect(all).toHaveLength(120);
  });

  it('answers GET /user like GitHub: 403 for installation tokens, the user for PATs', async () => {
    expect(await status(octokit.rest.users.getAuthenticated())).toBe(403);
    const pat = await startGitHubFake({ token: 'ghp_pat', tokenUser: 'carol' });
    try {
      const { data } = await getOctokit('ghp_pat', { baseUrl: pat.url }).rest.users.getAuthenticated();
      expect(data).toMatchObject({ login: 'carol', type: 'User' });
      const c = await getOctokit('ghp_pat', { baseUrl: pat.url }).rest.issues.createComment({ owner, repo, issue_number: 1, body: 'x' }).catch((e: unknown) => e);
      expect(c).toMatchObject({ status: 404 }); // no issue #1 in that fake
    } finally {
      await pat.close();
    }
  });

  it('answers 401 for a wrong token and 404 for unknown routes', async () => {
    const bad = getOctokit('ghs_wrong', { baseUrl: fake.url });
    const err = (await bad.rest.repos.get({ owner, repo }).catch((e: unknown) => e)) as { status: number; message: string };
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Bad credentials/);
    const e404 = await octokit.request('GET /repos/{owner}/{repo}/actions/runs', { owner, repo }).catch((e: unknown) => e);
    expect(e404).toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });
  });

  it('works under the GHES /api/v3 prefix', async () => {
    const ghes = getOctokit('ghs_test_token', { baseUrl: `${fake.url}/api/v3` });
    for (let i = 0; i < 40; i++) fake.addComment({ issue_number: 1, body: `c${i}` });
    const all = await ghes.paginate(ghes.rest.issues.listComments, { owner, repo, issue_number: 1, per_page: 15 });
    expect(all).toHaveLength(40);
    expect(fake.requests.every((r) => r.url.startsWith('/api/v3/'))).toBe(true);
    expect(fake.requests[0]?.path).toBe('/repos/octo-org/octo-repo/issues/1/comments');
  });

  it('injects faults: status with Retry-After, path RegExp, times, and connection resets', async () => {
    fake.addFault({ method: 'POST', path: '/repos/octo-org/octo-repo/issues/1/comments', status: 502, times: 2 });
    expect(await status(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'a' }))).toBe(502);
    expect(await status(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'a' }))).toBe(502);
    expect(await status(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'a' }))).toBe(200);

    fake.addFault({ path: /\/collaborators\//, status: 429, retryAfter: 3, body: { message: 'secondary rate limit' } });
    const limited = (await octokit.rest.repos
      .getCollaboratorPermissionLevel({ owner, repo, username: 'alice' })
      .catch((e: unknown) => e)) as { status: number; response: { headers: Record<string, string> } };
    expect(limited.status).toBe(429);
    expect(limited.response.headers['retry-after']).toBe('3');

    fake.addFault({ kind: 'reset', method: 'GET' });
    await expect(octokit.rest.repos.get({ owner, repo })).rejects.toThrow();
    expect((await octokit.rest.repos.get({ owner, repo })).status).toBe(200);

    const recorded = fake.requests.filter((r) => r.method === 'POST');
    expect(recorded.map((r) => r.status)).toEqual([502, 502, 201]);
    expect(recorded[0]?.body).toEqual({ body: 'a' });
    expect(recorded[0]?.headers.authorization).toBe('token ghs_test_token');
    expect(recorded[0]?.at).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('GitHub fake: faults, write counts', () => {
  const create = () => octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'x' });
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { status: number; message: string; response?: { headers: Record<string, string> } });

  it('secondary: 403 (or 429) with Retry-After and the message Octokit recognises; nothing applied', async () => {
    fake.addFault({ kind: 'secondary', method: 'POST', retryAfter: 7 });
    const e = await failure(create());
    expect(e?.status).toBe(403);
    expect(e?.message).toMatch(/secondary rate limit/);
    expect(e?.response?.headers['retry-after']).toBe('7');
    expect(fake.comments).toHaveLength(0);
    fake.addFault({ kind: 'secondary', status: 429 });
    expect((await failure(create()))?.status).toBe(429);
    expect(fake.requests.map((r) => [r.fault, r.applied])).toEqual([
      ['secondary', undefined],
      ['secondary', undefined],
    ]);
  });

  it('primary: x-ratelimit-remaining 0 and a reset in the future; nothing applied', async () => {
    fake.addFault({ kind: 'primary', resetIn: 30 });
    const e = await failure(octokit.rest.repos.get({ owner, repo }));
    expect(e?.status).toBe(403);
    expect(e?.response?.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(e?.response?.headers['x-ratelimit-reset']) * 1000;
    expect(reset - Date.now()).toBeGreaterThan(25_000);
    expect(reset - Date.now()).toBeLessThan(32_000);
  });

  it('applied-then-500: the write lands, the answer says 500', async () => {
    fake.addFault({ kind: 'applied-then-500', method: 'POST', path: /\/comments$/ });
    expect((await failure(create()))?.status).toBe(500);
    expect(fake.commentsOn(1).map((c) => c.body)).toEqual(['x']);
    expect(fake.requests[0]).toMatchObject({ fault: 'applied-then-500', applied: true, status: 500 });
  });

  it('reset before or after applying: no answer either way', async () => {
    fake.addFault({ kind: 'reset', method: 'POST' });
    await expect(create()).rejects.toThrow();
    expect(fake.comments).toHaveLength(0);
    fake.addFault({ kind: 'reset', when: 'after', method: 'POST' });
    await expect(create()).rejects.toThrow();
    expect(fake.comments).toHaveLength(1);
    expect(fake.requests.map((r) => [r.fault, r.applied ?? false, r.status])).toEqual([
      ['reset', false, 0],
      ['reset', true, 0],
    ]);
  });

  it('a delay answers normally, later; faults are queued per route and consumed in order', async () => {
    fake.addFault({ kind: 'delay', ms: 150, method: 'GET', path: '/repos/octo-org/octo-repo/issues/4' });
    fake.addFault({ method: 'GET', path: '/repos/octo-org/octo-repo/issues/4', status: 503 });
    const started = Date.now();
    expect((await octokit.rest.issues.get({ owner, repo, issue_number: 4 })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await failure(octokit.rest.issues.get({ owner, repo, issue_number: 4 })))?.status).toBe(503);
    expect((await octokit.rest.issues.get({ owner, repo, issue_number: 4 })).status).toBe(200);
  });

  it('counts writes by method (received, whatever the answer)', async () => {
    expect(fake.countWrites()).toBe(0);
    await octokit.rest.repos.get({ owner, repo });
    const { data: c } = await create();
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: c.id, body: 'y' });
    fake.addFault({ method: 'PATCH', status: 502 });
    await failure(octokit.rest.issues.updateComment({ owner, repo, comment_id: c.id, body: 'z' }));
    expect([fake.countWrites(), fake.countWrites('POST'), fake.countWrites('patch'), fake.countWrites('DELETE')]).toEqual([3, 1, 2, 0]);
  });
});

describe('GitHub fake: check runs, pulls, timeline', () => {
  const sha = 'b'.repeat(40);

  it('creates, updates, gets and lists check runs; 403 without checks: write', async () => {
    const { data: run, status: st } = await octokit.rest.checks.create({
      owner,
      repo,
      name: 'OpenHands',
      head_sha: sha,
      status: 'in_progress',
      details_url: 'https://example.test/c/1',
      external_id: 'k',
      output: { title: 'Working', summary: 's' },
    });
    expect(st).toBe(201);
    expect(run).toMatchObject({ name: 'OpenHands', status: 'in_progress', conclusion: null, details_url: 'https://example.test/c/1', output: { title: 'Working' } });
    const { data: done } = await octokit.rest.checks.update({ owner, repo, check_run_id: run.id, conclusion: 'failure', output: { title: 'Failed', summary: 'f' } });
    expect(done).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect((await octokit.rest.checks.get({ owner, repo, check_run_id: run.id })).data.output.summary).toBe('f');
    const { data: list } = await octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: 'OpenHands' });
    expect(list.check_runs.map((c) => c.id)).toEqual([run.id]);
    expect(await status(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: 'nope' }))).toBe(422);
    expect(await status(octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: 'completed', conclusion: 'bogus' as 'success' }))).toBe(422);

    fake.setChecksPermission('none');
    expect(await status(octokit.rest.checks.create({ owner, repo, name: 'OpenHands', head_sha: sha }))).toBe(403);
    expect(await status(octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: 'in_progress' }))).toBe(403);
    fake.reset();
    expect(fake.checkRuns).toEqual([]);
  });

  it('lists pull requests newest first, by state and head, with created_at, body and head', async () => {
    fake.addIssue({ number: 10, title: 'Fix', body: 'Fixes #1', created_at: '2024-05-01T00:00:00Z', pull_request: { head: { ref: 'oh/fix-1' } } });
    fake.addIssue({ number: 11, title: 'Old', state: 'closed', created_at: '2024-01-01T00:00:00Z', pull_request: {} });
    const numbers = (q: object) => octokit.rest.pulls.list({ owner, repo, ...q }).then((r) => r.data.map((p) => p.number));
    expect(await numbers({})).toEqual([2, 10]);
    expect(await numbers({ state: 'all', direction: 'asc' })).toEqual([11, 10, 2]);
    expect(await numbers({ state: 'closed' })).toEqual([11]);
    expect(await numbers({ head: 'octo-org:oh/fix-1' })).toEqual([10]);
    const { data } = await octokit.rest.pulls.list({ owner, repo, head: 'octo-org:oh/fix-1' });
    expect(data[0]).toMatchObject({ created_at: '2024-05-01T00:00:00Z', body: 'Fixes #1', head: { ref: 'oh/fix-1' } });
  });

  it('derives the issue timeline: comments and cross-references', async () => {
    fake.addComment({ issue_number: 1, body: 'hello', user: 'bob', created_at: '2024-05-02T00:00:00Z' });
    fake.addIssue({ number: 12, title: 'Fix', body: 'Closes octo-org/octo-repo#1', created_at: '2024-05-03T00:00:00Z', pull_request: {} });
    fake.addIssue({ number: 13, title: 'Not it', body: 'see #10', created_at: '2024-05-04T00:00:00Z', pull_request: {} });
    const { data } = await octokit.rest.issues.listEventsForTimeline({ owner, repo, issue_number: 1 });
    expect(data.map((e) => e.event)).toEqual(['commented', 'cross-referenced']);
    expect((data[1] as { source: { issue: { number: number; pull_request?: unknown } } }).source.issue).toMatchObject({ number: 12, pull_request: expect.any(Object) });
  });
});
