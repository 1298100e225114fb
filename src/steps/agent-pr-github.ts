/**
 * The agent's pull request, asked of GitHub when the agent's events name none: a PR of the
 * work repository created since this run started that names the conversation (the default
 * prompt asks for its link in the description) or references the issue. Needs
 * `pull-requests: read`.
 */
import type { Octokit } from '../github/octokit.js';
import { findAgentPullRequest } from '../github/pulls.js';
import { conversationUrl } from '../report.js';
import type { AgentPrLookup } from './finish.js';
import type { Session } from './run.js';

/** A look-up over the session's token, or undefined without one. */
export function agentPrOnGitHub(s: Session): AgentPrLookup | undefined {
  const { octokit, ctx, cfg } = s.run;
  if (!octokit) return undefined;
  // An issue number means an issue of the workflow's repository: only there can "Fixes #N" name it.
  const sameRepo = s.plan.work.repo.toLowerCase() === ctx.repository.toLowerCase();
  const issueNumber = sameRepo && ctx.subject && !ctx.subject.isPullRequest ? ctx.subject.number : sameRepo ? cfg.issueNumber : undefined;
  const triggeredOn = ctx.subject?.isPullRequest && sameRepo ? ctx.subject.number : undefined;
  return agentPrLookup(octokit, cfg.baseUrl, s.plan.work.repo, { issueNumber, triggeredOn });
}

/**
 * The look-up for a work repository: `issueNumber`, an issue of it the PR may reference;
 * `triggeredOn`, the PR the run was triggered on (never the agent's).
 */
export function agentPrLookup(
  octokit: Octokit,
  baseUrl: string,
  workRepo: string,
  at: { readonly issueNumber?: number | undefined; readonly triggeredOn?: number | undefined },
): AgentPrLookup {
  const [owner, repo] = workRepo.split('/') as [string, string];
  return async ({ conversationId, since }) => {
    const found = await findAgentPullRequest(octokit, {
      owner,
      repo,
      since,
      conversationId,
      conversationUrl: conversationUrl(baseUrl, conversationId),
      ...(at.issueNumber !== undefined ? { issueNumber: at.issueNumber } : {}),
    });
    return found && found.number !== at.triggeredOn ? found : null;
  };
}
