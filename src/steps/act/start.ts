/**
 * Act: start a new conversation. The start request proposes an id derived from the run, so a
 * re-run finds it again; the link goes out as soon as the service shows it took that id (older
 * servers pick their own, which is known only at READY).
 */
import * as core from '@actions/core';
import { conversationIdFor, sendStart } from '../../openhands/start.js';
import type { StartRequest } from '../../openhands/types.js';
import { fillConversationUrl } from '../../prompt.js';
import { conversationUrl } from '../../report.js';
import { log, readyDeadline, type RunContext, type Session } from '../run.js';
import { stepIdentity } from '../identity.js';
import { onTask, type Started } from '../start-task.js';
import { waitForSlot } from './queue.js';

/**
 * This run's conversation id: the same repo, run, comment-key and issue, in the same step, give
 * the same id (a re-run finds its conversation again). What makes a step distinct is in it too:
 * the job, the step (GITHUB_ACTION), and what the step asks (its prompt and branch), so two steps
 * of one job, or two matrix legs that differ only in their prompt, never derive one id.
 */
export function derivedConversationId(run: RunContext, work: { repo: string; branch?: string }, issueNumber: number | undefined, ...extra: string[]): string {
  return conversationIdFor([work.repo, run.ctx.runId, run.key, String(issueNumber ?? ''), ...stepIdentity(run, work), ...extra]);
}

export async function start(s: Session, proposedId: string): Promise<Started> {
  const { run, reporter } = s;
  const body = startRequest(s, proposedId);
  // The comment goes up while the account is looked at and the request travels; the link follows the service's answer.
  void reporter.update({ status: 'pending', proposedId }, { force: true });
  const slot = await waitForSlot(s, proposedId);
  core.info(`Starting a conversation on ${body.selected_repository}${body.selected_branch ? `@${body.selected_branch}` : ''}`);
  const task = await core.group('Start conversation', () =>
    sendStart(
      { client: s.client, sleep: run.sleep, now: run.now, signal: run.signal, log: (m) => log(run, m) },
      body,
      { deadline: readyDeadline(s), timeoutMs: run.cfg.readyTimeoutMs, since: new Date(run.now() - 10 * 60_000) },
    ),
  );
  onTask(s, task, proposedId);
  return { task, proposedId, reattached: false, ...slot };
}

function startRequest(s: Session, conversationId: string): StartRequest {
  const { cfg, ctx } = s.run;
  const { work, prompt } = s.plan;
  const subject = ctx.subject;
  return {
    initial_message: { role: 'user', content: [{ type: 'text', text: fillConversationUrl(prompt, conversationUrl(cfg.baseUrl, conversationId)) }], run: true },
    selected_repository: work.repo,
    ...(work.branch ? { selected_branch: work.branch } : {}),
    git_provider: 'github',
    conversation_id: conversationId,
    trigger: 'openhands_api',
    ...(subject?.isPullRequest && !work.fork ? { pr_number: [subject.number] } : {}),
    ...(cfg.llmModel ? { llm_model: cfg.llmModel } : {}),
  };
}

