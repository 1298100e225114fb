/** Reactions on what triggered the run: 👀 accepted, 🚀 ready or finished, 😕 failed. Best effort. */
import { github } from './errors.js';
import type { EventContext } from './event.js';
import type { Octokit } from './octokit.js';

export type Reaction = 'eyes' | 'rocket' | 'confused';

/** Safe to repeat: GitHub answers 200 with the existing reaction for a second identical one. */
export async function react(octokit: Octokit, ctx: EventContext, content: Reaction): Promise<void> {
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const c = ctx.comment;
  await github(`adding the ${content} reaction in ${ctx.repository}`, async () => {
    if (c?.kind === 'issue_comment') {
      await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: c.id, content });
    } else if (c?.kind === 'review_comment') {
      await octokit.rest.reactions.createForPullRequestReviewComment({ owner, repo, comment_id: c.id, content });
    } else if (ctx.subject) {
      // Reviews cannot carry reactions; react on the PR or issue itself.
      await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: ctx.subject.number, content });
    }
  });
}
