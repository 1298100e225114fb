/**
 * How a run ends, as a value, and the one function that writes it out: the final comment, the
 * check run, the outputs, the job summary, the reaction and the exit status. Every path a run
 * can take (a skip, a dry run, a hold, a refusal over a cross-run limit, a failure before or
 * after the service was called, the end of the agent's work) ends here. A finalize run
 * (mode: finalize) reports on other runs' comments and writes its own outputs and summary.
 */
import * as core from '@actions/core';
import { OUTPUT } from '../constants.js';
import type { Spent } from '../openhands/client.js';
import type { SecretBox } from '../redact.js';
import type { Reporter } from '../reporter.js';
import { STATUS, type RunStatus } from '../status.js';
import { renderSummary, writeSummary } from '../summary.js';
import type { CheckRunStep } from './check-run.js';
import { reactLater, type RunContext } from './run.js';

export type RunEnd =
  /** Not run: not a trigger, not allowed, nothing to do; a dry run brings its own summary. */
  | { readonly kind: 'skipped'; readonly why: string; readonly summary?: string }
  /** Failed before there was a Report (bad input, the event file, the look-ups). */
  | { readonly kind: 'failed'; readonly status: RunStatus; readonly message: string }
  /**
   * The Report says how the run ended. `startedNothing`: a held run, whose marker keeps an
   * earlier run's conversation for routing only, so the conversation outputs stay empty.
   */
  | { readonly kind: 'reported'; readonly reporter: Reporter; readonly checks?: CheckRunStep; readonly startedNothing?: boolean }
  /** mode: finalize wrote its own outputs and summary (src/finalize/). */
  | { readonly kind: 'finalized' }
  /** Not started over a cross-run limit (src/limits/refuse.ts wrote the comment): skipped, with the reason. */
  | { readonly kind: 'refused'; readonly reporter: Reporter; readonly why: string };

export async function endRun(end: RunEnd, io: { readonly secrets: SecretBox; readonly run?: RunContext; readonly spent?: Spent }): Promise<void> {
  const redact = (text: string): string => io.secrets.redact(text);
  switch (end.kind) {
    case 'finalized':
      return;
    case 'refused': {
      // The comment may keep showing an earlier conversation (a finalize run reports its end):
      // this run started none, so the conversation outputs stay empty.
      end.reporter.writeOutputs();
      core.setOutput(OUTPUT.status, 'skipped');
      core.setOutput(OUTPUT.skipReason, redact(end.why));
      core.setOutput(OUTPUT.conversationId, '');
      core.setOutput(OUTPUT.conversationUrl, '');
      return writeSummary(`### OpenHands · ${STATUS.skipped.headline}\n\n**Not started:** ${end.why}\n\n${end.reporter.report.limits ?? ''}`, redact);
    }
    case 'skipped':
      core.setOutput(OUTPUT.status, 'skipped');
      core.setOutput(OUTPUT.skipReason, end.why);
      return writeSummary(end.summary ?? `### OpenHands · ${STATUS.skipped.headline}\n\n${end.why}`, redact);
    case 'failed':
      core.setOutput(OUTPUT.status, end.status);
      core.setFailed(redact(end.message));
      await writeSummary(`### OpenHands · ${STATUS[end.status].headline}\n\n\`\`\`text\n${end.message}\n\`\`\``, redact);
      if (io.run) reactLater(io.run, 'confused');
      return;
    case 'reported': {
      const { reporter, checks } = end;
      // What the run spent of the shared request budget (summary, details); the check run's id goes
      // into the marker: a finalize run completes it (src/finalize/).
      const spent = io.spent ? { spent: io.spent } : {};
      await reporter.update({ final: true, ...spent, ...(checks?.id !== undefined ? { checkRunId: checks.id } : {}) }, { force: true });
      await checks?.complete(reporter.report);
      reporter.writeOutputs();
      if (end.startedNothing) {
        core.setOutput(OUTPUT.conversationId, '');
        core.setOutput(OUTPUT.conversationUrl, '');
      }
      await writeSummary(renderSummary(reporter.report), redact);
      const r = reporter.report;
      if (STATUS[r.status].failing) {
        if (io.run) reactLater(io.run, 'confused');
        core.setFailed(redact(r.error ?? `OpenHands conversation ended as ${r.status}`));
      }
      return;
    }
  }
}
