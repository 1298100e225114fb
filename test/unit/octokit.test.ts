import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/octokit.ts';
import { startGitHubFake, type GitHubFake } from '../fakes/github.ts';

let gh: GitHubFake;
beforeAll(async () => {
  gh = await startGitHubFake({ issues: [{ number: 1, title: 'x' }] });
});
afterAll(async () => {
  await gh.close();
});

describe('createOctokit', () => {
  it('talks to the given API URL with the token', async () => {
    const octokit = createOctokit(gh.token, gh.url);
    const { data } = await octokit.rest.issues.get({ owner: 'octo-org', repo: 'octo-repo', issue_number: 1 });
    expect(data.title).toBe('x');
  });

  it('gives up on a call that hangs instead of hanging the job', async () => {
    gh.addFault({ kind: 'delay', ms: 3000, path: /\/issues\/1$/ });
    const octokit = createOctokit(gh.token, gh.url, { timeoutMs: 300 });
    const started = Date.now();
    await expect(octokit.rest.issues.get({ owner: 'octo-org', repo: 'octo-repo', issue_number: 1 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
