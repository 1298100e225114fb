import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

/**
 * An Octokit for GITHUB_API_URL (GitHub Enterprise Server too). No `request` option: it would
 * replace @actions/github's proxy-aware fetch (Octokit merges defaults shallowly).
 */
export function createOctokit(token: string, apiUrl: string): Octokit {
  return getOctokit(token, { baseUrl: apiUrl });
}
