/**
 * Step 1, pure: could this event ask for a run? Only the event and the inputs decide; who asked
 * (the permission gate) and what the sticky comment holds are the plan's look-ups.
 */
import { approvalGesture, classifyTrigger } from '../approval.js';
import type { Config } from '../config.js';
import type { EventContext } from '../github/event.js';
import { checkPromptConfig } from '../prompt.js';
import type { TriggerDecision } from '../triggers.js';

export function decide(cfg: Config, ctx: EventContext): TriggerDecision {
  const pre = classifyTrigger(ctx, cfg, undefined);
  if (pre.kind === 'skip') {
    // Only an approval gesture (the label, an `approve` reply) needs the sticky comment to decide.
    if (!approvalGesture(ctx, cfg)) return { run: false, why: pre.why };
    return { run: true, why: `${ctx.comment?.author.login || ctx.sender.login} may be approving a held request` };
  }
  // A broken template is the workflow's bug: report it on the first event that would run.
  // A failed workflow_run may still find its pull request (the CI fix loop, in the plan).
  checkPromptConfig(cfg, ctx, { prLookup: true });
  return { run: true, why: pre.why };
}
