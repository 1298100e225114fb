/** A dry run: every decision and look-up of a real run, and nothing written anywhere. */
import * as core from '@actions/core';
import { randomUUID } from 'node:crypto';
import { fillConversationUrl } from '../prompt.js';
import { fence } from '../sanitize.js';
import { renderComment } from '../render/comment.js';
import { conversationUrl } from '../report.js';
import type { Reporter } from '../reporter.js';
import { holdReport, type Held } from './act/hold.js';
import { derivedConversationId } from './act/start.js';
import { checkRunPlan } from './check-run.js';
import type { Plan, RunContext } from './run.js';

/** The summary of what a real run would have done; `held`: the run would end without OpenHands. */
export function dryRunSummary(run: RunContext, plan: Plan, reporter: Reporter, held?: Held): string {
  const conversationId = derivedConversationId(run, plan.work, plan.commentTarget?.issueNumber);
  if (held) holdReport(run, held, reporter);
  else reporter.apply({ conversationId, status: 'pending' });
  const r = reporter.report;
  const target = plan.commentTarget;
  const comment = target
    ? `would ${plan.sticky ? `edit comment ${plan.sticky.id}` : 'create a comment'} on #${target.issueNumber}`
    : run.cfg.trackingLabel && !run.ctx.subject && run.cfg.issueNumber === undefined
      ? `would create a tracking issue labelled '${run.cfg.trackingLabel}' and comment there`
      : 'would post no comment';
  const outcome = outcomeOf(run, plan, held);
  const prompt = held ? '(none: nothing is sent to OpenHands)' : fillConversationUrl(plan.prompt, conversationUrl(run.cfg.baseUrl, conversationId));
  const body = run.secrets.redact(renderComment(r));
  const check = held ? 'none (nothing starts before an approval)' : checkRunPlan(run);
  core.info(`Dry run. Trigger: ${plan.why.trigger}. Permission: ${plan.why.permission}. Outcome: ${outcome}. Comment: ${comment}. Check run: ${check}.`);
  echoUntrusted('Prompt', prompt);
  echoUntrusted('Comment body', body);
  return [
    '### OpenHands · 🧪 Dry run',
    'No OpenHands request was made and nothing was written to GitHub.',
    `| | |\n|---|---|\n| Trigger | ${plan.why.trigger} |\n| Permission | ${plan.why.permission} |\n| Outcome | ${outcome} |\n| Repository | ${plan.work.repo} |\n| Branch | ${plan.work.branch ?? '(default)'} |\n| Comment | ${comment} |\n| Check run | ${check} |`,
    // Fences longer than any backtick run inside: untrusted text cannot close them.
    `<details><summary>Prompt</summary>\n\n${fence(prompt, 'text')}\n\n</details>`,
    `<details><summary>Comment</summary>\n\n${fence(body, 'markdown')}\n\n</details>`,
  ].join('\n\n');
}

/**
 * Logs text that holds what outsiders wrote. A log line starting with `::` is a workflow
 * command (`::add-mask::`, `::error::`, `::save-state::`…), so the runner's command processing
 * is stopped around it with a token nobody can guess.
 */
export function echoUntrusted(label: string, text: string): void {
  const token = randomUUID();
  core.info(`${label}:`);
  core.info(`::stop-commands::${token}`);
  core.info(text);
  core.info(`::${token}::`);
}

function outcomeOf(run: RunContext, plan: Plan, held: Held | undefined): string {
  const by = plan.approval?.approvedBy ? `; @${plan.approval.approvedBy} approved @${plan.approval.held.author}'s request` : '';
  if (held?.status === 'awaiting_approval') {
    return `would hold @${plan.approval?.held.author ?? 'the sender'}'s request for a maintainer's approval (status awaiting_approval) and start nothing`;
  }
  if (held) return `would start nothing${by}: ${held.why}`;
  const open = plan.sticky?.state?.conversationId;
  if (open && run.ctx.subject && run.cfg.followUp === 'auto') return `would send the request to conversation ${open} if it is still open, else start a conversation${by}`;
  return `would start a conversation${by}`;
}
