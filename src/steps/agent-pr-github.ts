/**
 * The agent's pull request, asked of GitHub when the agent's events name none: a PR of the
 * work repository created since this run started that names the conversation (the default
 * prompt asks for its link in the description) or references the issue. Needs
 * `pull-requests: read`.
 */
import type { AgentPullRequest } from '../openhands/agent-pr.js';
import { findAgentPullRequest } from '../github/pulls.js';
import { conversationUrl } from '../report.js';
import type { Session } from './run.js';

/** Same shape as the finish step's look-up seam: null when GitHub knows no such PR. */
export type AgentPrLookup = (q: { readonly conversationId: string; readonly since: number; readonly finalMessage: string }) => Promise<AgentPullRequest | null>;

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
