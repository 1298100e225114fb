/**
 * Step 1, pure: does this event ask for a run at all? Only the event and the inputs decide;
 * who asked (the permission gate) is the plan's first look-up.
 */
import type { Config } from '../config.js';
import type { EventContext } from '../github/event.js';
import { checkPromptConfig } from '../prompt.js';
import { decideTrigger, type Decision } from '../triggers.js';

export function decide(cfg: Config, ctx: EventContext): Decision {
  const trigger = decideTrigger(ctx, cfg);
  // A broken template is the workflow's bug: report it on the first event that would run.
  if (trigger.run) checkPromptConfig(cfg, ctx);
  return trigger;
}
