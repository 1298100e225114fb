/**
 * Act without OpenHands: an outsider's request held for a maintainer's approval, or an approved
 * request that was edited or deleted since it was held. The run ends here with the sticky
 * comment (whose marker keeps the held request), the outputs and the summary: no OpenHands
 * request, no reaction, and a status that does not fail the step.
 */
import * as core from '@actions/core';
import { OUTPUT } from '../../constants.js';
import type { Reporter } from '../../reporter.js';
import { renderSummary, writeSummary } from '../../summary.js';
import type { Planned } from '../plan.js';
import type { Run } from '../run.js';

export type Held = Extract<Planned, { readonly kind: 'hold' }>;

/** The final report of a held run (a dry run shows it too). */
export function holdReport(run: Run, held: Held, reporter: Reporter): void {
  const r = reporter.report;
  r.status = held.status;
  r.approval = held.plan.approval;
  r.approvalHow = { label: run.cfg.label, phrase: run.cfg.triggerPhrase };
  if (held.status === 'skipped') r.skipReason = held.why;
  // The open conversation stays in the marker, so the approved run follows up in it.
  const open = held.plan.sticky?.state?.conversationId;
  if (open) r.conversationId = open;
  r.final = true;
}

export async function hold(run: Run, held: Held, reporter: Reporter): Promise<void> {
  holdReport(run, held, reporter);
  core.info(`${held.status === 'awaiting_approval' ? 'Held' : 'Not run'}: ${held.why}`);
  // On a fork PR's pull_request event the token is read-only: the Reporter warns, the run stays green.
  await reporter.update({}, { force: true });
  reporter.writeOutputs();
  // This run started nothing: the conversation kept in the marker is an earlier run's.
  core.setOutput(OUTPUT.conversationId, '');
  core.setOutput(OUTPUT.conversationUrl, '');
  await writeSummary(renderSummary(reporter.report), (t) => run.secrets.redact(t));
}
