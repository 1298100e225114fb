/**
 * Act without OpenHands: an outsider's request held for a maintainer's approval, or an approved
 * request that was edited or deleted since it was held. The run ends here with the sticky
 * comment (whose marker keeps the held request), the outputs and the summary: no OpenHands
 * request, no reaction, and a status that does not fail the step.
 */
import * as core from '@actions/core';
import type { Reporter } from '../../reporter.js';
import type { RunEnd } from '../end.js';
import type { Planned } from '../plan.js';
import type { RunContext } from '../run.js';

export type Held = Extract<Planned, { readonly kind: 'hold' }>;

/** The final report of a held run (a dry run shows it too). */
export function holdReport(run: RunContext, held: Held, reporter: Reporter): void {
  // The open conversation stays in the marker, so the approved run follows up in it.
  const open = held.plan.sticky?.state?.conversationId;
  reporter.apply({
    status: held.status,
    approval: held.plan.approval,
    approvalHow: { label: run.cfg.label, phrase: run.cfg.triggerPhrase },
    ...(held.status === 'skipped' ? { skipReason: held.why } : {}),
    ...(open ? { conversationId: open } : {}),
    final: true,
  });
}

/** A held run ends with its comment, outputs and summary (endRun); on a fork PR's read-only token the Reporter warns and the run stays green. */
export function hold(run: RunContext, held: Held, reporter: Reporter): RunEnd {
  holdReport(run, held, reporter);
  core.info(`${held.status === 'awaiting_approval' ? 'Held' : 'Not run'}: ${held.why}`);
  // This run started nothing: the conversation kept in the marker is an earlier run's.
  return { kind: 'reported', reporter, startedNothing: true };
}
