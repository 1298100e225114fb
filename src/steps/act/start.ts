/**
 * Act: start a new conversation. The start request proposes an id derived from the run, so a
 * re-run finds it again; the link goes out as soon as the service shows it took that id (older
 * servers pick their own, which is known only at READY).
 */
import * as core from '@actions/core';
import { conversationIdFor, echoesId, hexId, sendStart } from '../../openhands/start.js';
import type { StartRequest, StartTask } from '../../openhands/types.js';
import { fillConversationUrl } from '../../prompt.js';
import { conversationUrl, type Report } from '../../report.js';
import { log, readyDeadline, type Run, type Session } from '../run.js';
import { stepIdentity } from '../identity.js';
import { waitForSlot } from './queue.js';

export interface Started {
  readonly task: StartTask;
  /** the id we proposed; the conversation's real id is READY's app_conversation_id */
  readonly proposedId: string;
  /** true when an earlier attempt of this run made the task */
  readonly reattached: boolean;
  /** starts under way on the account when this one was sent, its own included (1 when unknown) */
  readonly crowd?: number;
}

/**
 * This run's conversation id: the same repo, run, comment-key and issue, in the same step, give
 * the same id (a re-run finds its conversation again). What makes a step distinct is in it too:
 * the job, the step (GITHUB_ACTION), and what the step asks (its prompt and branch), so two steps
 * of one job, or two matrix legs that differ only in their prompt, never derive one id.
 */
export function derivedConversationId(run: Run, work: { repo: string; branch?: string }, issueNumber: number | undefined, ...extra: string[]): string {
  return conversationIdFor([work.repo, run.ctx.runId, run.key, String(issueNumber ?? ''), ...stepIdentity(run, work), ...extra]);
}

export async function start(s: Session, proposedId: string): Promise<Started> {
  const { run, reporter } = s;
  const body = startRequest(s, proposedId);
  // The comment goes up while the account is looked at and the request travels; the link follows the service's answer.
  void reporter.update({ status: 'pending', proposedId }, { force: true });
  const { crowd } = await waitForSlot(s, proposedId);
  core.info(`Starting a conversation on ${body.selected_repository}${body.selected_branch ? `@${body.selected_branch}` : ''}`);
  const task = await core.group('Start conversation', () =>
    sendStart(
      { client: s.client, sleep: run.sleep, now: run.now, signal: run.signal, log: (m) => log(run, m) },
      body,
      { deadline: readyDeadline(s), timeoutMs: run.cfg.readyTimeoutMs, since: new Date(run.now() - 10 * 60_000) },
    ),
  );
  onTask(s, task, proposedId);
  return { task, proposedId, reattached: false, crowd };
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

/**
 * Records a start-task state. The conversation id is ours only when the server echoed it;
 * at READY, the server's app_conversation_id is the id, whatever we proposed.
 */
export function onTask(s: Session, t: StartTask, proposedId: string): void {
  const { reporter } = s;
  const r = reporter.report;
  if (t.status !== r.startTaskStatus) core.info(`Start task ${t.id}: ${t.status}${t.detail ? ` (${t.detail})` : ''}`);
  const conversationId = t.app_conversation_id ? hexId(t.app_conversation_id) : echoesId(t, proposedId) ? proposedId : r.conversationId;
  if (conversationId && r.conversationId && conversationId !== r.conversationId) {
    core.notice(`The server chose the conversation id ${conversationId} (it ignores proposed ids); using it from here on`);
  }
  const patch: Partial<Report> = {
    conversationId,
    startTaskId: t.id,
    startTaskStatus: t.status,
    sandboxId: t.sandbox_id ?? r.sandboxId,
    status: t.status === 'READY' ? 'ready' : t.status === 'ERROR' ? 'error' : 'started',
    ...(t.status === 'ERROR' ? { error: `OpenHands could not start the conversation: ${t.detail ?? 'no detail given'}` } : {}),
  };
  const linkNew = conversationId !== undefined && conversationId !== r.conversationId;
  void reporter.update(patch, { force: linkNew });
  if (linkNew) reporter.writeOutputs();
}
