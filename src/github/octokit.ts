import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

/** No GitHub call may hang the job: each gets this long (Octokit has no timeout of its own). */
const GITHUB_TIMEOUT_MS = 30_000;

/**
 * An Octokit for GITHUB_API_URL (GitHub Enterprise Server too). The timeout is added by a hook,
 * not a `request` option: that would replace @actions/github's proxy-aware fetch (Octokit merges
 * defaults shallowly).
 */
export function createOctokit(token: string, apiUrl: string, timeoutMs = GITHUB_TIMEOUT_MS): Octokit {
  const octokit = getOctokit(token, { baseUrl: apiUrl });
  octokit.hook.before('request', (options) => {
    options.request = { ...options.request, signal: options.request?.signal ?? AbortSignal.timeout(timeoutMs) };
  });
  return octokit;
}
