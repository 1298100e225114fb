/** Finding the pull request the agent opened, over HTTP against the GitHub fake. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/octokit.ts';
import { agentPrInPullRequests } from '../../src/github/pulls.ts';
import { startGitHubFake, type GitHubFake, type IssueSeed } from '../fakes/github.ts';

const owner = 'octo-org';
const repo = 'octo-repo';
const since = Date.parse('2024-06-01T12:00:00Z');
const before = '2024-06-01T11:00:00Z';
const after = (min: number) => new Date(since + min * 60_000).toISOString();
const conversationId = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const conversationUrl = `https://app.all-hands.dev/conversations/${conversationId.replace(/-/g, '')}`;
const pr = (number: number, created: string, fields: Partial<IssueSeed> & { head?: string } = {}): IssueSeed => ({
  number,
  created_at: created,
  title: fields.title ?? `PR ${number}`,
  body: fields.body ?? '',
  pull_request: { head: { ref: fields.head ?? `feature-${number}` } },
});

let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 42, title: 'The issue', created_at: before }] });
});
afterAll(async () => {
  await gh.close();
});

async function find(seeds: IssueSeed[], lookup: { issueNumber?: number; withConversation?: boolean; maxPages?: number } = {}) {
  gh.reset();
  for (const s of seeds) gh.addIssue(s);
  return agentPrInPullRequests(createOctokit(gh.token, gh.url, { secondMs: 10 }), {
    owner,
    repo,
    since,
    issueNumber: lookup.issueNumber,
    conversationId: lookup.withConversation === false ? undefined : conversationId,
    conversationUrl: lookup.withConversation === false ? undefined : conversationUrl,
    maxPages: lookup.maxPages,
  });
}

describe('agentPrInPullRequests', () => {
  it('a PR created since the run that says "Fixes #N"', async () => {
    const found = await find([pr(50, before, { body: 'Fixes #42' }), pr(51, after(5), { body: 'Fixes #42' }), pr(52, after(6), { body: 'Fixes #420' })], {
      issueNumber: 42,
    });
    expect(found).toEqual({ number: 51, url: 'https://github.com/octo-org/octo-repo/pull/51' });
  });

  it('the conversation link or id wins over an issue reference', async () => {
    expect(await find([pr(60, after(1), { body: `See ${conversationUrl}` }), pr(61, after(2), { body: '#42' })], { issueNumber: 42 })).toMatchObject({
      number: 60,
    });
    expect(await find([pr(70, after(1), { head: `openhands/${conversationId.slice(0, 8)}` }), pr(71, after(2), { head: `oh-${conversationId}` })])).toMatchObject({
      number: 71,
    });
  });

  it('nothing that matches: undefined', async () => {
    expect(await find([pr(80, after(1), { body: 'unrelated #7' }), pr(81, before, { body: 'Fixes #42' })], { issueNumber: 42 })).toBeUndefined();
  });

  it('stops at PRs older than the run, and reads a bounded number of pages', async () => {
    const many = Array.from({ length: 120 }, (_, i) => pr(100 + i, after(i + 1)));
    const oldest = pr(99, after(0), { head: `oh-${conversationId}` });
    expect(await find([oldest, ...many], { maxPages: 2 })).toBeUndefined();
    expect(gh.requests.filter((r) => r.path.endsWith('/pulls')).map((r) => r.query['page'])).toEqual(['1', '2']);
    expect(await find([oldest, ...many], { maxPages: 3 })).toMatchObject({ number: 99 });

    await find([pr(1, before), pr(2, before), pr(3, after(1))]);
    expect(gh.requests.filter((r) => r.path.endsWith('/pulls'))).toHaveLength(1);
  });

  it("falls back to the issue's timeline (a PR that cross-referenced it)", async () => {
    // Not in the newest pages of the pulls list, but on the issue's timeline.
    const many = Array.from({ length: 60 }, (_, i) => pr(200 + i, after(10 + i)));
    const found = await find([pr(199, after(1), { body: 'Part of octo-org/octo-repo#42' }), ...many], { issueNumber: 42, withConversation: false, maxPages: 1 });
    expect(found).toEqual({ number: 199, url: 'https://github.com/octo-org/octo-repo/pull/199' });
    expect(gh.requests.some((r) => r.path.endsWith('/issues/42/timeline'))).toBe(true);
  });
});
