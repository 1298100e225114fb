/** Issue and PR look-ups the run needs beyond the event payload. */
import { GitHubApiError } from '../errors.js';
import { NO_BLIND_RETRY, github } from './errors.js';
import type { Octokit } from './octokit.js';

export interface PullRequestRefs {
  readonly headRef: string;
  readonly headRepo: string;
  readonly baseRef: string;
  /** the head commit, for the check run */
  readonly headSha: string;
}

/** Head and base of a PR (issue_comment payloads do not carry them). */
export async function getPullRequestRefs(octokit: Octokit, owner: string, repo: string, number: number): Promise<PullRequestRefs> {
  const { data } = await github(`reading pull request ${owner}/${repo}#${number}`, () =>
    octokit.rest.pulls.get({ owner, repo, pull_number: number }),
  );
  return { headRef: data.head.ref, headRepo: data.head.repo?.full_name ?? '', baseRef: data.base.ref, headSha: data.head.sha };
}

/** The newest open issue (not PR) with `label`, or a new one when `create` allows. */
export async function findTrackingIssue(
  octokit: Octokit,
  owner: string,
  repo: string,
  label: string,
  opts: { create: boolean; title: string; body: string },
): Promise<number | undefined> {
  const find = async (): Promise<number | undefined> => {
    const { data } = await github(`listing open issues labelled '${label}' in ${owner}/${repo}`, () =>
      octokit.rest.issues.listForRepo({ owner, repo, labels: label, state: 'open', sort: 'created', direction: 'desc', per_page: 30 }),
    );
    return data.find((i) => !i.pull_request)?.number;
  };
  const existing = await find();
  if (existing !== undefined || !opts.create) return existing;
  try {
    const created = await github(`creating the tracking issue in ${owner}/${repo}`, () =>
      octokit.rest.issues.create({ owner, repo, title: opts.title, body: opts.body, labels: [label], ...NO_BLIND_RETRY }),
    );
    return created.data.number;
  } catch (error) {
    // A create GitHub applied but answered badly: the issue is there, with its label.
    if (error instanceof GitHubApiError && error.ambiguous) {
      const again = await find();
      if (again !== undefined) return again;
    }
    throw error;
  }
}

/** The user's role on the repository: admin, maintain, write, triage or read (or a custom role's name). */
export async function getRole(octokit: Octokit, owner: string, repo: string, login: string): Promise<string> {
  const { data } = await github(`checking ${login}'s role on ${owner}/${repo}`, () =>
    octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login }),
  );
  return data.role_name || data.permission;
}

export async function getPermission(octokit: Octokit, owner: string, repo: string, login: string): Promise<string> {
  const { data } = await github(`checking ${login}'s permission on ${owner}/${repo}`, () =>
    octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login }),
  );
  // `permission` folds maintain into write and triage into read, which is the line we draw.
  return data.permission;
}
