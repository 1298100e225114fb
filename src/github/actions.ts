/** The Actions API reads of the CI fix loop: a failed run's jobs, and the pull request of a commit. */
import { github } from './errors.js';
import type { Octokit } from './octokit.js';

/** The jobs of one attempt of a workflow run (at most 100: the prompt shows 10). */
export async function listRunJobs(octokit: Octokit, owner: string, repo: string, runId: number, attempt: number) {
  const { data } = await github(`listing the jobs of workflow run ${runId} (attempt ${attempt}) in ${owner}/${repo}`, () =>
    octokit.rest.actions.listJobsForWorkflowRunAttempt({ owner, repo, run_id: runId, attempt_number: attempt, per_page: 100 }),
  );
  return data.jobs;
}

/** The open pull request of this repository whose head is `sha` (GitHub names none in a fork's workflow_run). */
export async function pullRequestOfCommit(octokit: Octokit, owner: string, repo: string, sha: string): Promise<number | undefined> {
  const { data } = await github(`listing the pull requests of commit ${sha.slice(0, 7)} in ${owner}/${repo}`, () =>
    octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha, per_page: 30 }),
  );
  return data.find((p) => p.state === 'open' && p.head.sha === sha && p.base.repo.full_name.toLowerCase() === `${owner}/${repo}`.toLowerCase())?.number;
}

export interface PullRequestFacts {
  readonly number: number;
  readonly open: boolean;
  readonly title: string;
  readonly body: string;
  readonly url: string;
  readonly author: string;
  readonly labels: readonly string[];
  readonly headRef: string;
  readonly headRepo: string;
  readonly headSha: string;
  readonly baseRef: string;
}

/** A pull request as the fix loop needs it: its state, labels (the stop label) and head, as GitHub has them now. */
export async function readPullRequest(octokit: Octokit, owner: string, repo: string, number: number): Promise<PullRequestFacts> {
  const { data } = await github(`reading pull request ${owner}/${repo}#${number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: number }));
  return {
    number: data.number,
    open: data.state === 'open',
    title: data.title,
    body: data.body ?? '',
    url: data.html_url,
    author: data.user?.login ?? '',
    labels: data.labels.map((l) => l.name ?? '').filter(Boolean),
    headRef: data.head.ref,
    headRepo: data.head.repo?.full_name ?? '',
    headSha: data.head.sha,
    baseRef: data.base.ref,
  };
}
