/** A dry run: every decision and look-up of a real run, and nothing written anywhere. */
import * as core from '@actions/core';
import { renderComment } from '../render/comment.js';
import type { Reporter } from '../reporter.js';
import { derivedConversationId } from './act/start.js';
import { checkRunPlan } from './check-run.js';
import type { Plan, Run } from './run.js';

/** The summary of what a real run would have done. */
export function dryRunSummary(run: Run, plan: Plan, reporter: Reporter): string {
  const r = reporter.report;
  r.conversationId = derivedConversationId(run, plan.work, plan.commentTarget?.issueNumber);
  r.status = 'pending';
  const target = plan.commentTarget;
  const comment = target
    ? `would ${plan.sticky ? `edit comment ${plan.sticky.id}` : 'create a comment'} on #${target.issueNumber}`
    : run.cfg.trackingLabel && !run.ctx.subject && run.cfg.issueNumber === undefined
      ? `would create a tracking issue labelled '${run.cfg.trackingLabel}' and comment there`
      : 'would post no comment';
  const body = run.secrets.redact(renderComment(r));
  const check = checkRunPlan(run);
  core.info(`Dry run. Trigger: ${plan.why.trigger}. Permission: ${plan.why.permission}. Comment: ${comment}. Check run: ${check}.`);
  core.info(`Prompt:\n${plan.prompt}`);
  core.info(`Comment body:\n${body}`);
  return [
    '### OpenHands · 🧪 Dry run',
    'No OpenHands request was made and nothing was written to GitHub.',
    `| | |\n|---|---|\n| Trigger | ${plan.why.trigger} |\n| Permission | ${plan.why.permission} |\n| Repository | ${plan.work.repo} |\n| Branch | ${plan.work.branch ?? '(default)'} |\n| Comment | ${comment} |\n| Check run | ${check} |`,
    `<details><summary>Prompt</summary>\n\n\`\`\`\`text\n${plan.prompt}\n\`\`\`\`\n\n</details>`,
    `<details><summary>Comment</summary>\n\n\`\`\`\`markdown\n${body}\n\`\`\`\`\n\n</details>`,
  ].join('\n\n');
}
