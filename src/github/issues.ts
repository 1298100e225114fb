/** Issue and PR look-ups the run needs beyond the event payload. */
import type { Octokit } from './octokit.js';

export interface PullRequestRefs {
  readonly headRef: string;
  readonly headRepo: string;
  readonly baseRef: string;
}

/** Head and base of a PR (issue_comment payloads do not carry them). */
export async function getPullRequestRefs(octokit: Octokit, owner: string, repo: string, number: number): Promise<PullRequestRefs> {
  const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
  return { headRef: data.head.ref, headRepo: data.head.repo?.full_name ?? '', baseRef: data.base.ref };
}

/** The newest open issue (not PR) with `label`, or a new one when `create` allows. */
export async function findTrackingIssue(
  octokit: Octokit,
  owner: string,
  repo: string,
  label: string,
  opts: { create: boolean; title: string; body: string },
): Promise<number | undefined> {
  const { data } = await octokit.rest.issues.listForRepo({
    owner,
    repo,
    labels: label,
    state: 'open',
    sort: 'created',
    direction: 'desc',
    per_page: 30,
  });
  const issue = data.find((i) => !i.pull_request);
  if (issue) return issue.number;
  if (!opts.create) return undefined;
  const created = await octokit.rest.issues.create({ owner, repo, title: opts.title, body: opts.body, labels: [label] });
  return created.data.number;
}

export async function getPermission(octokit: Octokit, owner: string, repo: string, login: string): Promise<string> {
  const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
  // `permission` folds maintain into write and triage into read, which is the line we draw.
  return data.permission;
}
