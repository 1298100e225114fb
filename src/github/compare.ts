/** GitHub's compare API: what a pull request's head gained since an earlier commit. */
import type { Comparison } from '../push-delta.js';
import { GitHubApiError } from '../errors.js';
import { github } from './errors.js';
import type { Octokit } from './octokit.js';

/**
 * `base...head` in one request (no paging: GitHub then lists up to 250 commits and 300 files,
 * more than the prompt shows). A commit GitHub no longer has (force-pushed away and collected)
 * answers 404: `found: false`, for the caller to fall back to a full review.
 */
export async function compareCommits(octokit: Octokit, owner: string, repo: string, base: string, head: string): Promise<Comparison> {
  try {
    const { data } = await github(`comparing ${base.slice(0, 7)}...${head.slice(0, 7)} in ${owner}/${repo}`, () =>
      octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}` }),
    );
    return {
      found: true,
      status: data.status,
      totalCommits: data.total_commits,
      commits: data.commits.map((c) => ({ sha: c.sha, message: c.commit.message })),
      files: (data.files ?? []).map((f) => ({ filename: f.filename, status: f.status, ...(f.previous_filename ? { previousFilename: f.previous_filename } : {}) })),
    };
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return { found: false };
    throw error;
  }
}
