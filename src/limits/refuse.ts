/**
 * A trigger over a cross-run limit is not started: the status comment says why and when there
 * is room, the run ends `skipped` with that reason, and no OpenHands request is made for it.
 * A comment that still tracks a conversation a finalize run will report keeps showing it, with
 * the refusal below: the refusal must not hide that conversation's end.
 */
import * as core from '@actions/core';
import { isHandedOver, reportOf } from '../finalize/tracked.js';
import type { Reporter } from '../reporter.js';
import type { RunEnd } from '../steps/end.js';
import type { Plan, RunContext } from '../steps/run.js';
import { requester } from './check.js';

/** Writes the refusal into the status comment; endRun writes the outputs and the summary. */
export async function refuseOverLimit(run: RunContext, plan: Plan, reporter: Reporter, why: string): Promise<RunEnd> {
  core.info(`Not started: ${why}`);
  const prev = plan.sticky?.state;
  // Nothing ran: the loops' marker fields stay as the comment had them (no attempt counted, no head reviewed).
  const loops = { fix: prev?.fix, headSha: prev?.headSha, loopNote: undefined };
  if (isHandedOver(prev) && plan.sticky && plan.commentTarget) {
    const comment = { ...plan.sticky, key: run.key, issueNumber: plan.commentTarget.issueNumber, updatedAt: '' };
    const kept = reportOf({ comment, state: prev }, run.ctx, run.cfg);
    await reporter.update({ ...kept, ...loops, skipReason: `a new request by @${requester(run)} was not started: ${why}`, limits: reporter.report.limits }, { force: true });
  } else {
    // As a held request does, the issue's conversation stays in the marker for a later follow-up.
    await reporter.update({ status: 'skipped', final: true, skipReason: why, ...loops, ...(prev?.conversationId ? { conversationId: prev.conversationId } : {}) }, { force: true });
  }
  return { kind: 'refused', reporter, why };
}
