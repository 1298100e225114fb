/**
 * The agent's pull request, asked of GitHub when the agent's events name none: a PR of the
 * work repository created since this run started that names the conversation (the default
 * prompt asks for its link in the description) or references the issue. Needs
 * `pull-requests: read`.
 */
import { findAgentPullRequest } from '../github/pulls.js';
import { conversationUrl } from '../report.js';
import type { AgentPrLookup } from './finish.js';
import type { Session } from './run.js';

/** A look-up over the session's token, or undefined without one. */
export function agentPrOnGitHub(s: Session): AgentPrLookup | undefined {
  const { octokit, ctx, cfg } = s.run;
  if (!octokit) return undefined;
  const [owner, repo] = s.plan.work.repo.split('/') as [string, string];
  // An issue number means an issue of the workflow's repository: only there can "Fixes #N" name it.
  const sameRepo = s.plan.work.repo.toLowerCase() === ctx.repository.toLowerCase();
  const issueNumber = sameRepo && ctx.subject && !ctx.subject.isPullRequest ? ctx.subject.number : sameRepo ? cfg.issueNumber : undefined;
  const triggeredOn = ctx.subject?.isPullRequest && sameRepo ? ctx.subject.number : undefined;
  return async ({ conversationId, since }) => {
    const found = await findAgentPullRequest(octokit, {
      owner,
      repo,
      since,
      conversationId,
      conversationUrl: conversationUrl(cfg.baseUrl, conversationId),
      ...(issueNumber !== undefined ? { issueNumber } : {}),
    });
    return found && found.number !== triggeredOn ? found : null;
  };
}
