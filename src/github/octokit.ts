import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

/** An Octokit for GITHUB_API_URL (GitHub Enterprise Server too), with bounded retries of its own requests. */
export function createOctokit(token: string, apiUrl: string): Octokit {
  return getOctokit(token, { baseUrl: apiUrl, request: { retries: 2 } });
}
