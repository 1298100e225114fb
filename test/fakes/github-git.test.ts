/** The GitHub fake's commits, compare and Actions jobs, read through Octokit's typed endpoint methods. */
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubFake, type GitHubFake } from './github.ts';

const owner = 'octo-org';
const repo = 'octo-repo';
const Plain = Octokit.plugin(restEndpointMethods, paginateRest);
let fake: GitHubFake;
let octokit: InstanceType<typeof Plain>;

beforeAll(async () => {
  fake = await startGitHubFake({ issues: [{ number: 2, title: 'A PR', pull_request: { head: { ref: 'feat' } } }, { number: 3, title: 'Other', pull_request: { head: { ref: 'other' } } }] });
  octokit = new Plain({ auth: fake.token, baseUrl: fake.url });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const status = (p: Promise<unknown>) => p.then(() => 200, (e: { status: number }) => e.status);

describe('compare', () => {
  it('lists the commits and files a push added, oldest first, with status ahead', async () => {
    const [reviewed] = fake.pushCommits(2, [{ message: 'First', files: [{ filename: 'a.ts', status: 'added' }] }]);
    const shas = fake.pushCommits(2, [
      { message: 'Second\n\nbody', files: [{ filename: 'a.ts' }, { filename: 'b.ts', status: 'added' }] },
      { message: 'Third', files: [{ filename: 'c.ts', status: 'renamed', previous_filename: 'old.ts' }] },
    ]);
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${reviewed}...${shas[1]}` });
    expect(data.status).toBe('ahead');
    expect([data.ahead_by, data.behind_by, data.total_commits]).toEqual([2, 0, 2]);
    expect(data.commits.map((c) => [c.sha, c.commit.message])).toEqual([
      [shas[0], 'Second\n\nbody'],
      [shas[1], 'Third'],
    ]);
    expect(data.commits[1]?.parents[0]?.sha).toBe(shas[0]);
    expect(data.files?.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ['a.ts', 'modified', undefined],
      ['b.ts', 'added', undefined],
      ['c.ts', 'renamed', 'old.ts'],
    ]);
    expect(data.html_url).toBe(`https://github.com/${owner}/${repo}/compare/${reviewed}...${shas[1]}`);
    const pr = await octokit.rest.pulls.get({ owner, repo, pull_number: 2 });
    expect(pr.data.head.sha).toBe(shas[1]);
  });

  it('says diverged after a force-push, behind the other way, identical for one commit, 404 for an unknown one', async () => {
    const [old] = fake.pushCommits(2, [{ message: 'Old' }]);
    const [rewritten] = fake.forcePush(2, [{ message: 'Rewritten' }]);
    expect((await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${old}...${rewritten}` })).data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2 });
    const [next] = fake.pushCommits(2, [{ message: 'Next' }]);
    expect((await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${next}...${rewritten}` })).data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 1 });
    expect((await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${next}...${next}` })).data).toMatchObject({ status: 'identical', total_commits: 0 });
    expect(await status(octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${'f'.repeat(40)}...${next}` }))).toBe(404);
  });

  it('lists at most 250 commits without paging, but counts them all; files come with the first page only', async () => {
    const [from] = fake.pushCommits(2, [{ message: 'Start' }]);
    const shas = fake.pushCommits(2, Array.from({ length: 260 }, (_, i) => ({ message: `c${i}`, files: [{ filename: `f${i}.ts` }] })));
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${from}...${shas.at(-1)}` });
    expect([data.commits.length, data.total_commits, data.files?.length]).toEqual([250, 260, 260]);
    const page2 = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${from}...${shas.at(-1)}`, per_page: 100, page: 2 });
    expect([page2.data.commits.length, page2.data.files?.length]).toEqual([100, 0]);
  });
});

describe('pull requests of a commit', () => {
  it('lists the pull requests whose commits include it', async () => {
    const [a, b] = fake.pushCommits(2, [{ message: 'A' }, { message: 'B' }]);
    const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: a as string });
    expect(data.map((p) => p.number)).toEqual([2]);
    expect((await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: b as string })).data[0]?.head.sha).toBe(b);
    expect((await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: 'e'.repeat(40) })).data).toEqual([]);
  });
});

describe('workflow run jobs', () => {
  it('lists the jobs of the latest attempt, of one attempt, or all; 404 for an unknown run', async () => {
    fake.addWorkflowRun({ id: 77, head_sha: 'a'.repeat(40), jobs: [{ name: 'test', conclusion: 'failure', steps: [{ name: 'Checkout', conclusion: 'success' }, { name: 'Run tests', conclusion: 'failure' }] }, { name: 'lint', conclusion: 'success' }] });
    fake.addWorkflowRun({ id: 77, run_attempt: 2, head_sha: 'a'.repeat(40), jobs: [{ name: 'test', conclusion: null }] });
    const latest = await octokit.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id: 77 });
    expect(latest.data.jobs.map((j) => [j.name, j.run_attempt, j.status, j.conclusion])).toEqual([['test', 2, 'in_progress', null]]);
    const first = await octokit.rest.actions.listJobsForWorkflowRunAttempt({ owner, repo, run_id: 77, attempt_number: 1 });
    expect(first.data.total_count).toBe(2);
    const test = first.data.jobs[0];
    expect(test?.steps?.map((s) => [s.number, s.name, s.conclusion])).toEqual([
      [1, 'Checkout', 'success'],
      [2, 'Run tests', 'failure'],
    ]);
    expect(test?.html_url).toBe(`https://github.com/${owner}/${repo}/actions/runs/77/job/${test?.id}`);
    expect((await octokit.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id: 77, filter: 'all' })).data.total_count).toBe(3);
    expect(await status(octokit.rest.actions.listJobsForWorkflowRun({ owner, repo, run_id: 78 }))).toBe(404);
    expect(await status(octokit.rest.actions.listJobsForWorkflowRunAttempt({ owner, repo, run_id: 77, attempt_number: 3 }))).toBe(404);
  });
});
